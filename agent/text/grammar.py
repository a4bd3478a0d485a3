"""The grammar of Swedish public-sector documents: Dnr, dates and section headings.

Shared by the remissvar parser (earlier answers) and intake (the incoming remiss). Headings are the
usual tjänsteutlåtande headings ("Sammanfattning", "Ärendet", "Förvaltningens synpunkter och
förslag", ...) or the genitive form "<Organ>s synpunkter/yttrande/förslag/beslut/bedömning/...".
In flattened PDF transcripts (lines over `LONG_LINE_CHARS`) headings are also found inline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

MAX_HEADING_CHARS = 80
LONG_LINE_CHARS = 300  # lines longer than this are flattened PDF text: look for inline headings

MONTHS = {
    "januari": 1, "februari": 2, "mars": 3, "april": 4, "maj": 5, "juni": 6, "juli": 7,
    "augusti": 8, "september": 9, "oktober": 10, "november": 11, "december": 12,
}  # fmt: skip
MONTH_PATTERN = "|".join(MONTHS)

# --------------------------------------------------------------------------- dates

ISO_DATE_RE = re.compile(r"\b((?:19|20)\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b")
SV_DATE_RE = re.compile(rf"\b(\d{{1,2}})\s+({MONTH_PATTERN})\s+((?:19|20)\d\d)\b", re.IGNORECASE)
SV_MONTH_RE = re.compile(rf"\b({MONTH_PATTERN})\s+((?:19|20)\d\d)\b", re.IGNORECASE)
YEAR_RE = re.compile(r"(?<![\d/-])((?:19|20)\d\d)(?![\d-])")


def find_date(s: str) -> str:
    """First ISO date, Swedish date ("den 20 augusti 2025"), month ("juni 2016") or year in `s`."""
    if m := ISO_DATE_RE.search(s):
        return m.group(0)
    if m := SV_DATE_RE.search(s):
        return f"{m.group(3)}-{MONTHS[m.group(2).lower()]:02d}-{int(m.group(1)):02d}"
    if m := SV_MONTH_RE.search(s):
        return f"{m.group(2)}-{MONTHS[m.group(1).lower()]:02d}"
    return ""


def find_year(s: str) -> str:
    m = YEAR_RE.search(s)
    return m.group(1) if m else ""


# --------------------------------------------------------------------------- Dnr

DNR_RES = [
    re.compile(
        r"\b(?:Dnr|Diarienummer|Diarienr)[.:]?\s*(?P<d>(?:[A-ZÅÄÖ][A-ZÅÄÖ0-9]*[ /-]?)?\d{2,4}[/:.-]\d+"
        r"(?:[-./:]\d+)*(?:\s+[A-ZÅÄÖ]{2,}-\d+)?)"
    ),
    re.compile(r"\b(?P<d>(?:KSKF|KSN|KFN|KS|KF|ST|SN|TN)[ /-]?(?:19|20)\d\d[/:]\d+(?:-\d+)?)\b"),
    re.compile(r"\b(?P<d>KSN-(?:19|20)\d\d-\d{3,})\b"),
]


def find_dnr(s: str) -> str:
    """The first Dnr in `s` (in the order of `DNR_RES`), "" if none."""
    for rx in DNR_RES:
        for m in rx.finditer(s):
            d = m.group("d").rstrip(".-/: ")
            if not ISO_DATE_RE.fullmatch(d):
                return d
    return ""


def find_dnrs(text: str) -> list[tuple[int, int, str]]:
    """Every Dnr in `text` as (start, end, dnr), in text order, overlapping matches merged."""
    found: list[tuple[int, int, str]] = []
    for rx in DNR_RES:
        for m in rx.finditer(text):
            d = m.group("d")
            stripped = d.rstrip(".-/: ")
            if ISO_DATE_RE.fullmatch(stripped):
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


# --------------------------------------------------------------------------- headings

_WORD = r"[\w][\w-]*"
# Known headings (matched case-insensitively against a whole stripped line) -> section key.
HEADING_PATTERNS: list[tuple[str, str]] = [
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
_HEADING_RES = [(re.compile(p, re.IGNORECASE), key) for p, key in HEADING_PATTERNS]
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


def iter_lines(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """(line_start, line_end) offsets, without the newline, within text[start:end]."""
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        line_end = end if nl < 0 else nl
        yield pos, line_end
        pos = line_end + 1


def _inline_headings(line: str, offset: int) -> list[tuple[int, int, str, str]]:
    found: list[tuple[int, int, str, str]] = []
    for m in _INLINE_RE.finditer(line):
        hk = heading_key(m.group("h") or m.group("s"))
        if hk:
            found.append((offset + m.start(), offset + m.end(), hk[0], hk[1]))
    return found


def find_headings(text: str, start: int, end: int) -> list[tuple[int, int, str, str]]:
    """(heading_start, content_start, name, key) for line headings and inline headings."""
    found: list[tuple[int, int, str, str]] = []
    prev_key = ""
    for ls, le in iter_lines(text, start, end):
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
            inline = _inline_headings(line, ls)
            found.extend(inline)
            if inline:
                prev_key = inline[-1][3]
    return found
