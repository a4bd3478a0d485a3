"""Parse earlier remiss answers (tjänsteutlåtanden, protocol excerpts, web copies) into Documents.

A file is split into its sections ("Sammanfattning", "Ärendet", "Förvaltningens synpunkter och
förslag", ...). Every section text is an exact substring of the file (after the `KÄLLA:` line),
so quotations can be verified character for character. Messy excerpts never fail: text without
recognisable headings becomes a single section `text`.

Section rules (see also corpus/README.md, "## Remissvar"):

* A heading is a short line of its own (at most 80 characters, capitalised, optional trailing
  colon, optional numbering "3." / "3.1") that matches a known tjänsteutlåtande heading or the
  genitive form "<Organ>s synpunkter/yttrande/förslag/beslut/bedömning/ställningstagande".
* In flattened PDF transcripts (lines over 300 characters) headings are also found inline: the
  distinctive multi-word headings anywhere, single-word headings only after a sentence end and
  when followed by a capitalised word.
* Text before the first heading is `inledning` ("Inledning"), or `text` ("Text") when the file
  has no headings at all. Leading web debris (menus, download buttons, cookie notices) and the
  `[…TRUNKERAT…]` marker are left out; a closing signature block becomes `underskrift`.
* Sections longer than `MAX_CHUNK_CHARS` are split at blank lines, else sentence ends, else line
  breaks into parts `key`, `key-2`, `key-3` ...; repeated headings get the same suffixes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agent.sources.errors import EmptyDocumentError, SourceError, UnsupportedFormatError
from agent.sources.models import Document
from agent.sources.pdf import extract_pdf_text

KALLA_PREFIX = "KÄLLA:"
MAX_CHUNK_CHARS = 1500
MAX_HEADING_CHARS = 80
LONG_LINE_CHARS = 300  # lines longer than this are flattened PDF text: look for inline headings
TEXT_SUFFIXES = {".txt", ".md"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | {".pdf"}

MONTHS = {
    "januari": 1, "februari": 2, "mars": 3, "april": 4, "maj": 5, "juni": 6, "juli": 7,
    "augusti": 8, "september": 9, "oktober": 10, "november": 11, "december": 12,
}  # fmt: skip
_MONTH_RE = "|".join(MONTHS)


# --------------------------------------------------------------------------- data records


@dataclass
class Section:
    """One section of a remiss answer; `text` is verbatim source text."""

    name: str  # human name, the heading as found ("Förvaltningens synpunkter och förslag")
    key: str  # stable slug, unique within the answer ("synpunkter", "synpunkter-2", "text")
    text: str


@dataclass
class RemissAnswer:
    source: str  # "remissvar/<file>" or the user path
    title: str
    body: str  # issuing organisation: "Stockholms stad, socialförvaltningen"
    date: str  # ISO date, "YYYY-MM" or "YYYY" where possible, else as found, "" if unknown
    dnr: str
    source_url: str
    doc_kind: str  # "tjänsteutlåtande" | "protokoll" | "utlåtande" | "promemoria" | "nyhet" | ...
    truncated: bool
    sections: list[Section] = field(default_factory=list)

    @property
    def year(self) -> int:
        m = re.match(r"((?:19|20)\d\d)", self.date)
        return int(m.group(1)) if m else 0


# --------------------------------------------------------------------------- headings

_WORD = r"[\w][\w-]*"
# Known headings (matched case-insensitively against a whole stripped line) -> section key.
_HEADING_PATTERNS: list[tuple[str, str]] = [
    (r"(?:förvaltningens |kontorets |nämndens )?förslag till (?:beslut|yttrande)", "forslag-till-beslut"),
    (r"sammanfattning(?: av ärendet)?", "sammanfattning"),
    (r"bakgrund(?: till ärendet)?", "bakgrund"),
    (r"ärendet(?: i korthet)?", "arendet"),
    (r"ärendets beredning|beredning(?: av ärendet)?", "beredning"),
    (r"remissinstanser(?:na)?", "remissinstanser"),
    (r"(?:förvaltningens |kontorets )?synpunkter(?: och förslag)?", "synpunkter"),
    (r"(?:förvaltningens |kontorets )?(?:bedömning|ställningstagande|överväganden)", "bedomning"),
    (r"yttrande", "yttrande"),
    (r"beslut", "beslut"),
    (r"motionen|motionens innehåll|motionärens förslag", "motionen"),
    (r"medborgarförslaget", "medborgarforslaget"),
    (r"förslaget", "forslaget"),
    (r"remissen(?: i korthet)?|utredningens förslag|betänkandet", "remissen"),
    (r"bilag(?:a|or)(?: \d+)?", "bilagor"),
    (r"beslutsunderlag|handlingar i ärendet", "beslutsunderlag"),
    (r"föredragning", "foredragning"),
    (r"beslutsgång|propositionsordning|proposition", "beslutsgang"),
    (r"yrkanden?(?: och omröstning)?", "yrkanden"),
    (r"anföranden?", "anforanden"),
    (r"överläggning(?: i \w+)?", "overlaggning"),
    (r"reservation(?:er)?", "reservation"),
    (r"(?:ekonomiska )?konsekvenser|barnkonsekvensanalys|jämställdhetsanalys", "konsekvenser"),
    (r"slutsatser?|sammanfattande bedömning", "bedomning"),
]
_HEADING_RES = [(re.compile(p, re.IGNORECASE), key) for p, key in _HEADING_PATTERNS]
# "Socialnämndens yttrande", "Kultur- och fritidsnämndens beslut", "Kommunstyrelsens förslag till
# kommunfullmäktige", "Stadsledningskontorets synpunkter".
_GENITIVE_RE = re.compile(
    rf"(?P<who>[A-ZÅÄÖ][\w-]*(?:\s+{_WORD}){{0,3}}?s)\s+"
    r"(?P<what>synpunkter(?: och förslag)?|yttrande|förslag(?: till [\w ]+)?|beslut|bedömning"
    r"|ställningstagande|ståndpunkt|svar)"
)
_GENITIVE_KEYS = {
    "synpunkter": "synpunkter", "yttrande": "yttrande", "förslag": "forslag-till-beslut",
    "beslut": "beslut", "bedömning": "bedomning", "ställningstagande": "bedomning",
    "ståndpunkt": "bedomning", "svar": "yttrande",
}  # fmt: skip
_NUMBERING_RE = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*\.?\s+)")
_LIST_KEYS = {"bilagor", "beslutsunderlag"}  # sections that are lists; long prose ends them

# Inline headings in flattened transcripts ("... anför följande. Ärendet Lotta Edholm ...").
_INLINE_MULTI = [
    "Förvaltningens förslag till beslut", "Förslag till beslut", "Ärendets beredning",
    "Förvaltningens synpunkter och förslag", "Förvaltningens synpunkter", "Stadsledningskontorets synpunkter",
    "Kontorets synpunkter", "Förvaltningens bedömning", "Sammanfattning av ärendet", "Beslutsunderlag",
]  # fmt: skip
_INLINE_SINGLE = [
    "Sammanfattning", "Bakgrund", "Ärendet", "Beredning", "Remissinstanser", "Bedömning",
    "Föredragning", "Yttrande", "Motionen", "Beslutsgång",
]  # fmt: skip
_INLINE_RE = re.compile(
    r"(?:(?<=\s)|^)(?P<h>" + "|".join(re.escape(h) for h in _INLINE_MULTI) + r")\s+(?=[A-ZÅÄÖ0-9•\"”-])"
    r"|(?:(?<=[.!?:)]\s)|(?<=^)|(?<=\d\s\(\d\)\s)|(?<=\d\s\(\d\d\)\s))(?P<s>"
    + "|".join(re.escape(h) for h in _INLINE_SINGLE)
    + r")\s+(?=[A-ZÅÄÖ0-9•\"”-])"
)

# --------------------------------------------------------------------------- debris & markers

_DEBRIS_RES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"storlek: px", r"starta visningen från sidan:?", r"download \".*", r"transkript",
        r"save this pdf as:?", r"word\s+png\s+txt\s+jpg", r"•?\s*no results found", r"n/a",
        r"protected", r"academic year:.*", r"share \".*", r"copied!?", r"loading\.+.*", r"full text",
        r"\(\d+\)", r"advertisement", r"meny", r"bild\s+på .*", r"om kommunen", r"hoppa över navigering",
        r"hover image", r"\d{1,3}", r"\d\d:\d\d(?: / \d\d:\d\d)?", r"•?\s*register", r"utskrivet från:.*",
        r"kontakt", r"publicerad(?: .*)?", r"cookies?.*", r"acceptera.*", r"dela( sidan)?", r"skriv ut",
        r"lyssna", r"sök", r"startsida", r"tillbaka", r"det finns inga sammanträden att visa än",
        r"inget protokoll har publicerats", r"godkännande av dagordning", r"val av justerare.*",
        r"förvaltningen informerar", r"nämndens frågor till förvaltningen", r"program", r"\d+ av \d+",
    )
]  # fmt: skip
_TRUNC_RE = re.compile(r"\[…\s*TRUNKERAT[^\]]*\]")
_SIGNATURE_ROLE_RE = re.compile(
    r"direktör|chef\b|chef\s|handläggare|sekreterare|ordförande|utredare|strateg|controller|borgarråd",
    re.IGNORECASE,
)


def is_debris(line: str) -> bool:
    s = line.strip()
    return bool(s) and any(r.fullmatch(s) for r in _DEBRIS_RES)


def heading_key(line: str) -> tuple[str, str] | None:
    """If `line` is a section heading on its own, return (name as found, key); else None."""
    s = line.strip()
    if not s or len(s) > MAX_HEADING_CHARS:
        return None
    s = re.sub(r"\s*:$", "", s).strip()
    s = _NUMBERING_RE.sub("", s)
    if not s or not s[0].isupper() or s.endswith((".", ",", ";")):
        return None
    name = re.sub(r"\s+", " ", s)
    for rx, key in _HEADING_RES:
        if rx.fullmatch(name):
            return name, key
    m = _GENITIVE_RE.fullmatch(name)
    if m:
        return name, _GENITIVE_KEYS[m.group("what").split()[0].lower()]
    return None


# --------------------------------------------------------------------------- KÄLLA metadata

_NOTE_SPLIT_RE = re.compile(
    r"\.\s+(?=(?:Transkript|Hämtad|OBS|Text extraherad|Samma|Kopia|Sidan|Oförändrad|Endast|Utdraget)\b)"
    r"|;\s*hämtad\b|\s*\(SEKUNDÄRKÄLLA\b|\.\s*$"
)
_ISO_DATE_RE = re.compile(r"\b((?:19|20)\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b")
_SV_DATE_RE = re.compile(rf"\b(\d{{1,2}})\s+({_MONTH_RE})\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_SV_MONTH_RE = re.compile(rf"\b({_MONTH_RE})\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_YEAR_RE = re.compile(r"(?<![\d/-])((?:19|20)\d\d)(?![\d-])")
_DNR_RES = [
    re.compile(
        r"\b(?:Dnr|Diarienummer|Diarienr)[.:]?\s*(?P<d>(?:[A-ZÅÄÖ][A-ZÅÄÖ0-9]*[ /-]?)?\d{2,4}[/:.-]\d+"
        r"(?:[-./:]\d+)*(?:\s+[A-ZÅÄÖ]{2,}-\d+)?)"
    ),
    re.compile(r"\b(?P<d>(?:KSKF|KSN|KFN|KS|KF|ST|SN|TN)[ /-]?(?:19|20)\d\d[/:]\d+(?:-\d+)?)\b"),
    re.compile(r"\b(?P<d>KSN-(?:19|20)\d\d-\d{3,})\b"),
]
_META_WORDS_RE = re.compile(
    r"\b(?:protokollsutdrag|sammanträdesprotokoll|protokoll|protokollsparagraf|utlåtande|tjänsteutlåtande"
    r"|pm|artikel|daterad|daterat|möte|nyhet|handling|nr|ks|kf|au|sidan|remisstid|den|r[ivx]+|"
    + _MONTH_RE
    + r")\b|§+|\d+|[():/.,;–-]",
    re.IGNORECASE,
)
_BODY_STOP_RE = re.compile(
    r"^(?:tjänsteutlåtande|tjänsteskrivelse|sammanträdesprotokoll|protokoll\w*|utlåtande|pm\b|möte|handling"
    r"|nyhet|ärende|yttrande|svar|beslut|motion|medborgarförslag|reservation|sidan|artikel|remiss|bedömning"
    r"|remisstid|[\"“”«]|\d|§)",
    re.IGNORECASE,
)


def _split_top_level(s: str, sep: str) -> list[str]:
    """Split on `sep` outside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in s:
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def _find_top_level_colon(s: str) -> int:
    depth = 0
    for i, ch in enumerate(s):
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if ch == ":" and depth == 0 and s[i + 1 : i + 2] == " ":
            return i
    return -1


def _strip_parens(s: str) -> str:
    prev = None
    while prev != s:
        prev, s = s, re.sub(r"\([^()]*\)", "", s)
    return re.sub(r"\s+", " ", s).strip()


def find_date(s: str) -> str:
    """First ISO date, Swedish date ("den 20 augusti 2025"), month ("juni 2016") or year in `s`."""
    if m := _ISO_DATE_RE.search(s):
        return m.group(0)
    if m := _SV_DATE_RE.search(s):
        return f"{m.group(3)}-{MONTHS[m.group(2).lower()]:02d}-{int(m.group(1)):02d}"
    if m := _SV_MONTH_RE.search(s):
        return f"{m.group(2)}-{MONTHS[m.group(1).lower()]:02d}"
    return ""


def find_year(s: str) -> str:
    m = _YEAR_RE.search(s)
    return m.group(1) if m else ""


def find_dnr(s: str) -> str:
    for rx in _DNR_RES:
        for m in rx.finditer(s):
            d = m.group("d").rstrip(".-/: ")
            if not _ISO_DATE_RE.fullmatch(d):
                return d
    return ""


def find_dnrs(text: str) -> list[tuple[int, int, str]]:
    """Every Dnr in `text` as (start, end, dnr), in text order, overlapping matches merged."""
    found: list[tuple[int, int, str]] = []
    for rx in _DNR_RES:
        for m in rx.finditer(text):
            d = m.group("d")
            stripped = d.rstrip(".-/: ")
            if _ISO_DATE_RE.fullmatch(stripped):
                continue
            end = m.end("d") - (len(d) - len(stripped))
            found.append((m.start(), end, stripped))
    found.sort(key=lambda x: (x[0], -(x[1] - x[0])))
    out: list[tuple[int, int, str]] = []
    for item in found:
        if out and item[0] < out[-1][1]:
            continue  # the same Dnr found by a second regex (or inside a longer match)
        out.append(item)
    return out


def clean_title(title: str) -> str:
    title = re.sub(r"\s+", " ", title).strip()
    title = _split_top_level(title, ";")[0]
    title = re.split(r"\s+[–-]\s+(?=(?:redovisar|remitterad|remissinstans|utdraget)\b)", title)[0]
    title = title.strip().rstrip(".").strip()
    if len(title) > 2 and title[0] in '"“”«' and title[-1] in '"“”»' and title.count('"') <= 2:
        title = title[1:-1].strip()
    # Drop trailing editorial notes in parentheses ("(remiss till sex nämnder; förslag: ...)").
    while m := re.search(r"\s*\(([^()]*)\)$", title):
        inner = m.group(1)
        if ";" in inner or len(inner) > 40 or re.search(r"\b(?:remiss|OBS|redovisar|refererad)", inner):
            title = title[: m.start()].rstrip(" .,")
        else:
            break
    if title and title[0].islower():
        title = title[0].upper() + title[1:]
    return title


def _is_meta_part(part: str) -> bool:
    rest = _META_WORDS_RE.sub(" ", _strip_parens(part))
    rest = _ISO_DATE_RE.sub(" ", rest)
    return len(re.sub(r"\W", "", rest)) < 3


def _body_from_head(head: str) -> tuple[str, list[str]]:
    """Split the part before the title into the issuing body and the remaining comma parts."""
    parts = _split_top_level(head, ",")
    body: list[str] = []
    rest: list[str] = []
    for i, part in enumerate(parts):
        if not part or _BODY_STOP_RE.match(part):
            rest = parts[i:]
            break
        cut = re.search(
            r"\s(?:\(|(?:19|20)\d\d\b|\d{1,2}\s+(?:" + _MONTH_RE + r")|(?:KS|KF|AU)?\s*§"
            r"|(?:möte|sammanträdesprotokoll|protokoll|tjänsteutlåtande|utlåtande|remissvar|svar|yttrande"
            r"|motion|medborgarförslag|bedömning|om|av|till|inför)\b)",
            part,
            re.IGNORECASE,
        )
        if cut:
            kept = part[: cut.start()].strip()
            if kept:
                # "kommunledningsförvaltningens remissvar" -> "kommunledningsförvaltningen"
                kept = re.sub(r"(?<=[a-zåäö]{4})(en|et)s$", r"\1", kept)
                body.append(kept)
            rest = [part[cut.start() :].strip(), *parts[i + 1 :]]
            break
        body.append(part)
    return ", ".join(body), rest


@dataclass
class _Kalla:
    source_url: str = ""
    body: str = ""
    date: str = ""
    dnr: str = ""
    title: str = ""
    description: str = ""
    head_rest: str = ""  # what is left of the description after the body: "möte 2024-11-20"
    truncated: bool = False


def parse_kalla(line: str) -> _Kalla:
    """Parse a `KÄLLA: [<url> |] <body>, <date> ...: <title>` line (formats vary)."""
    rest = line.strip()
    if rest.upper().startswith(KALLA_PREFIX):
        rest = rest[len(KALLA_PREFIX) :].strip()
    out = _Kalla(description=rest, truncated="TRUNKERAD" in rest.upper())
    if m := re.match(r"(https?://\S+)\s*\|?\s*", rest):
        out.source_url = m.group(1)
        rest = rest[m.end() :]
    core = _NOTE_SPLIT_RE.split(rest, maxsplit=1)[0].strip()
    colon = _find_top_level_colon(core)
    if colon >= 0:
        head, title = core[:colon], core[colon + 2 :]
        out.body, remaining = _body_from_head(head)
    else:
        out.body, remaining = _body_from_head(core)
        candidates = [p for p in remaining if not _is_meta_part(p)]
        title = max(candidates, key=lambda p: len(_strip_parens(p)), default="")
    out.head_rest = clean_title(" ".join(_strip_parens(p) for p in remaining if p != title))
    out.title = clean_title(title)
    out.date = find_date(core) or find_year(core)
    out.dnr = find_dnr(core)
    return out


_META_TITLE_RE = re.compile(
    r"^(?:\d+\s+)?(?:Handling|Utlåtande|PM|Protokoll\w*|Sammanträdesprotokoll|Möte)\s+\d", re.IGNORECASE
)
_ORG_WORD_RE = re.compile(r"kommun|stad|region", re.IGNORECASE)
_NEWS_TITLE_RE = re.compile(r"^(.{3,60}?(?:kommun|stad|regionen|Region \w+)(?:, [\w -]{3,40}?)?) – (.+)$")
_GENERIC_TITLE_RE = re.compile(
    r"^(?:svar på remiss(?: från [\w-]+)?|remissvar|tjänsteutlåtande|yttrande)(?:[,(]|$)", re.IGNORECASE
)


def _doc_kind(description: str, text_head: str) -> str:
    d = description.lower()
    if re.search(r"nyhet|sekundärkälla|artikel|notis", d):
        return "nyhet"
    if re.search(r"(?<!tjänste)utlåtande \d", d):
        return "utlåtande"
    if re.search(r"\bpm \d{4}:\d", d):
        return "promemoria"
    if "sammandrag" in d:
        return "sammandrag"
    if re.search(r"protokoll|§\s*\d", d):
        return "protokoll"
    if re.search(r"tjänsteutlåtande|tjänsteskrivelse|ärende till", d):
        return "tjänsteutlåtande"
    if re.search(r"\bmöte\b", d):
        return "mötessida"
    h = text_head.lower()
    if re.search(r"tjänsteutlåtande|tjänsteskrivelse", h):
        return "tjänsteutlåtande"
    if re.search(r"protokoll", h):
        return "protokoll"
    if re.search(r"(?<!tjänste)utlåtande \d", h):
        return "utlåtande"
    if re.search(r"\byttrande\b", h):
        return "yttrande"
    return "okänd"


_ORG_RE = re.compile(r"\b((?:Region\s+[A-ZÅÄÖ][\wåäö-]+)|(?:[A-ZÅÄÖ][\wåäö-]+\s+(?:kommun|stad|län)))\b")
_UNIT_LINE_RE = re.compile(
    r"[A-ZÅÄÖ][\wåäö -]*(?:förvaltning(?:en)?|kontoret|nämnd(?:en)?|styrelsen)", re.IGNORECASE
)


def _body_from_text(head: str) -> str:
    org = ""
    if m := _ORG_RE.search(head):
        org = m.group(1)
    unit = ""
    for line in head.splitlines()[:20]:
        s = line.strip()
        if s and len(s) <= 60 and _UNIT_LINE_RE.fullmatch(s):
            unit = s[0].upper() + s[1:].lower() if s.isupper() else s
            break
    if org and unit and unit.lower() not in org.lower():
        return f"{org}, {unit[0].lower() + unit[1:]}"
    return org or unit


# --------------------------------------------------------------------------- sectioning


@dataclass
class _Span:
    name: str
    key: str
    start: int  # offsets into the full text
    end: int


def _iter_lines(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """(line_start, line_end) offsets, without the newline, within text[start:end]."""
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        line_end = end if nl < 0 else nl
        yield pos, line_end
        pos = line_end + 1


def _content_start(text: str, start: int, end: int) -> int:
    """Skip leading web debris: everything up to the last debris line before real content."""
    result = start
    for n, (ls, le) in enumerate(_iter_lines(text, start, end)):
        line = text[ls:le]
        if n > 60 or len(line.strip()) >= 150 or heading_key(line):
            break
        if is_debris(line):
            result = le + 1 if le < end else le
    return result


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim whitespace, debris lines and truncation markers from both ends of text[start:end]."""
    while True:
        seg = text[start:end]
        stripped = seg.lstrip()
        start += len(seg) - len(stripped)
        seg = text[start:end]
        stripped = seg.rstrip()
        end = start + len(stripped)
        if start >= end:
            return start, start
        nl = text.find("\n", start, end)
        first = text[start : end if nl < 0 else nl]
        if is_debris(first):
            start = end if nl < 0 else nl + 1
            continue
        nl = text.rfind("\n", start, end)
        last = text[(start if nl < 0 else nl + 1) : end]
        if is_debris(last):
            end = start if nl < 0 else nl
            continue
        return start, end


def find_headings(text: str, start: int, end: int) -> list[tuple[int, int, str, str]]:
    """(heading_start, content_start, name, key) for line headings and inline headings."""
    found: list[tuple[int, int, str, str]] = []
    prev_key = ""
    for ls, le in _iter_lines(text, start, end):
        line = text[ls:le]
        hk = heading_key(line)
        if hk:
            found.append((ls, le, hk[0], hk[1]))
            prev_key = hk[1]
            continue
        if prev_key in _LIST_KEYS and len(line.strip()) > 200 and not re.match(r"\s*[•\-–*\d]", line):
            # Prose after a list heading ("Bilagor") is the next item of a meeting page, not a list.
            found.append((ls, ls, "Text", "text"))
            prev_key = "text"
            continue
        if len(line) > LONG_LINE_CHARS:
            for m in _INLINE_RE.finditer(line):
                name = m.group("h") or m.group("s")
                hk = heading_key(name)
                if hk:
                    found.append((ls + m.start(), ls + m.end(), hk[0], hk[1]))
                    prev_key = hk[1]
    return found


def _split_signature(text: str, span: _Span) -> list[_Span]:
    """Split a closing signature block ("Namn Namn / Socialdirektör / ...") off a section."""
    seg = text[span.start : span.end].rstrip()
    blocks = list(re.finditer(r"\n[ \t]*\n", seg))
    if not blocks:
        return [span]
    cut = blocks[-1].end()
    lines = [ln for ln in seg[cut:].splitlines() if ln.strip()]
    if (
        2 <= len(lines) <= 6
        and all(len(ln.strip()) <= 80 and not ln.rstrip().endswith((".", ":", ";")) for ln in lines)
        and any(_SIGNATURE_ROLE_RE.search(ln) for ln in lines)
        and seg[: blocks[-1].start()].strip()
    ):
        return [
            _Span(span.name, span.key, span.start, span.start + blocks[-1].start()),
            _Span("Underskrift", "underskrift", span.start + cut, span.start + len(seg)),
        ]
    return [span]


def _sections(text: str, start: int, end: int) -> list[Section]:
    start = _content_start(text, start, end)
    heads = find_headings(text, start, end)
    spans: list[_Span] = []
    first_key = "inledning" if heads else "text"
    spans.append(_Span("Inledning" if heads else "Text", first_key, start, heads[0][0] if heads else end))
    for i, (_hs, cs, name, key) in enumerate(heads):
        stop = heads[i + 1][0] if i + 1 < len(heads) else end
        spans.append(_Span(name, key, cs, stop))
    spans = [s for span in spans for s in _split_signature(text, span)]

    sections: list[Section] = []
    used: dict[str, int] = {}
    for span in spans:
        s, e = _trim(text, span.start, span.end)
        if s >= e:
            continue
        n = used.get(span.key, 0) + 1
        used[span.key] = n
        sections.append(Section(span.name, span.key if n == 1 else f"{span.key}-{n}", text[s:e]))
    return sections


def split_chunks(text: str, limit: int = MAX_CHUNK_CHARS) -> list[str]:
    """Split into verbatim substrings of at most `limit` characters.

    Prefers blank lines, then sentence ends, then line breaks, then spaces.
    """
    chunks: list[str] = []
    pos = 0
    n = len(text)
    while n - pos > limit:
        window = text[pos : pos + limit]
        floor = int(limit * 0.3)
        cut = -1
        for rx in (r"\n[ \t]*\n", r"[.!?][\"”)]?[ \t]*\n|[.!?][\"”)]?\s", r"\n", r"\s"):
            ends = [m.end() for m in re.finditer(rx, window) if m.end() > floor]
            if ends:
                cut = ends[-1]
                break
        if cut <= 0:
            cut = limit
        piece = text[pos : pos + cut].strip()
        if piece:
            chunks.append(piece)
        pos += cut
        while pos < n and text[pos].isspace():
            pos += 1
    tail = text[pos:].strip()
    if tail:
        chunks.append(tail)
    return chunks


# --------------------------------------------------------------------------- public API


def _first_paragraph(text: str, start: int, end: int) -> str:
    lines: list[str] = []
    for ls, le in _iter_lines(text, start, end):
        line = text[ls:le].strip()
        if not line:
            if lines:
                break
            continue
        if is_debris(line) and not lines:
            continue
        lines.append(line)
        if len(lines) >= 4:
            break
    para = re.sub(r"\s+", " ", " ".join(lines)).strip()
    if len(para) > 200:
        first = lines[0] if lines else ""
        para = first if len(first) <= 200 else first[:200].rsplit(" ", 1)[0] + " …"
    return para


def parse_remissvar(text: str, source: str) -> RemissAnswer:
    """Parse one remiss answer (with or without a leading `KÄLLA:` line) into sections.

    Never raises on odd text; raises `EmptyDocumentError` only if there is no text at all.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise EmptyDocumentError(source, "Filen innehåller ingen text.")
    start, end = 0, len(text)
    kalla = _Kalla()
    first_ls = len(text) - len(text.lstrip())
    nl = text.find("\n", first_ls)
    first_line = text[first_ls : end if nl < 0 else nl]
    if first_line.upper().startswith(KALLA_PREFIX):
        kalla = parse_kalla(first_line)
        start = end if nl < 0 else nl + 1
    if not text[start:end].strip():
        raise EmptyDocumentError(source, "Filen innehåller bara en källrad men ingen text.")

    marker = _TRUNC_RE.search(text, start, end)
    truncated = kalla.truncated or marker is not None
    if marker:
        end = marker.start()

    head = text[start : min(end, start + 2500)]
    first_para = _first_paragraph(text, start, end)
    title = kalla.title
    if not title or _GENERIC_TITLE_RE.match(title) or _META_TITLE_RE.match(title):
        if first_para and len(first_para) <= 150:
            title = first_para
        else:
            title = kalla.head_rest or first_para or title
    title = clean_title(title) if title else ""

    date = kalla.date
    if not date or re.fullmatch(r"\d{4}", date):
        found = find_date(head)
        if found and (not date or found.startswith(date)):
            date = found
    dnr = kalla.dnr or find_dnr(head)
    body = kalla.body or _body_from_text(head)
    doc_kind = _doc_kind(kalla.description, head)
    # News items: "Enköpings kommun – motion av ..." -> body from the title, not the newspaper.
    if doc_kind == "nyhet" and not _ORG_WORD_RE.search(body) and (m := _NEWS_TITLE_RE.match(title)):
        body, title = m.group(1), clean_title(m.group(2))

    sections = _sections(text, start, end)
    if not sections:  # only debris: keep the raw text rather than nothing
        sections = [Section("Text", "text", text[start:end].strip())]
    return RemissAnswer(
        source=source,
        title=title,
        body=body,
        date=date,
        dnr=dnr,
        source_url=kalla.source_url,
        doc_kind=doc_kind,
        truncated=truncated,
        sections=sections,
    )


def _label(answer: RemissAnswer, section_name: str, part: int, parts: int) -> str:
    head = ", ".join(x for x in (answer.body, answer.date) if x)
    if answer.dnr:
        head = f"{head}, Dnr {answer.dnr}" if head else f"Dnr {answer.dnr}"
    title = answer.title or Path(answer.source).name
    label = f"{head}: {title}" if head else title
    label = f"{label} – {section_name}"
    return f"{label} (del {part} av {parts})" if parts > 1 else label


def to_documents(answer: RemissAnswer) -> list[Document]:
    """One Document per section, or per part of a section longer than `MAX_CHUNK_CHARS`."""
    reserved = {s.key for s in answer.sections}
    used: set[str] = set()
    docs: list[Document] = []
    for section in answer.sections:
        chunks = split_chunks(section.text)
        for i, chunk in enumerate(chunks):
            if i == 0:
                key = section.key
            else:
                n = i + 1
                while f"{section.key}-{n}" in used or f"{section.key}-{n}" in reserved:
                    n += 1
                key = f"{section.key}-{n}"
            used.add(key)
            docs.append(
                Document(
                    id=f"{answer.source}#{key}",
                    kind="precedent",
                    label=_label(answer, section.name, i + 1, len(chunks)),
                    text=chunk,
                    source=answer.source,
                    embed_text=f"{answer.title}\n{section.name}\n{chunk}",
                    metadata={
                        "body": answer.body,
                        "date": answer.date,
                        "year": answer.year,
                        "dnr": answer.dnr,
                        "title": answer.title,
                        "source_url": answer.source_url,
                        "section": section.name,
                        "section_key": section.key,
                        "part": i + 1,
                        "parts": len(chunks),
                        "truncated": answer.truncated,
                        "doc_kind": answer.doc_kind,
                    },
                )
            )
    return docs


def read_text_file(path: Path, name: str | None = None) -> str:
    """Read a .txt/.md file as UTF-8 (BOM tolerated), falling back to cp1252."""
    label = name or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(label, f"Filen kunde inte läsas ({exc.strerror or exc}).") from exc
    return decode_text(data)


def decode_text(data: bytes) -> str:
    """Text bytes as UTF-8 (BOM tolerated), falling back to cp1252; line endings normalised."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_remissvar_file(path: Path, source: str | None = None) -> list[Document]:
    """Load one remiss answer (.txt, .md or .pdf) as Documents; `source` defaults to str(path)."""
    src = source if source is not None else str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFormatError(
            src,
            f"Filformatet ”{path.suffix or 'utan filändelse'}” stöds inte. "
            "Använd PDF, textfil (.txt) eller Markdown (.md).",
        )
    text = extract_pdf_text(path, name=src) if suffix == ".pdf" else read_text_file(path, src)
    return to_documents(parse_remissvar(text, src))


def load_default_remissvar(corpus_dir: Path) -> list[Document]:
    """All `corpus_dir/remissvar/*.txt`, sorted by name, with sources `remissvar/<file>`."""
    docs: list[Document] = []
    for path in sorted((corpus_dir / "remissvar").glob("*.txt")):
        docs.extend(load_remissvar_file(path, f"remissvar/{path.name}"))
    return docs


def _expand(paths: Iterable[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                if (
                    child.is_file()
                    and child.suffix.lower() in SUPPORTED_SUFFIXES
                    and not child.name.startswith(".")
                ):
                    yield child
        else:
            yield p


def load_folder(paths: list[Path]) -> tuple[list[Document], list[SourceError]]:
    """Load files and folders (recursively: .pdf, .txt, .md) as precedents.

    Problems are collected per file (name + Swedish reason) and the rest still loads.
    """
    docs: list[Document] = []
    errors: list[SourceError] = []
    seen: set[Path] = set()
    for path in _expand(paths):
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        if not path.exists():
            errors.append(SourceError(str(path), "Filen finns inte."))
            continue
        try:
            docs.extend(load_remissvar_file(path))
        except SourceError as exc:
            errors.append(exc)
        except Exception as exc:  # one bad file must not stop the others
            errors.append(SourceError(str(path), f"Filen kunde inte läsas in ({type(exc).__name__}: {exc})."))
    return docs, errors
