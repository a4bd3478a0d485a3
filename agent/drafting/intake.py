"""Intake: turn a remiss (motion, medborgarförslag, remiss letter, utredning) into a structured `Intake`.

No language model is involved: everything here is rules over the text, and every extracted
proposal is a verbatim span of the input (whitespace normalised only), so later steps can quote
it and verification can check it.

What is found and how:

* **Sections.** The headings parser of `agent.sources.remissvar` splits the text (line headings and
  inline headings of flattened PDF text). Sections that belong to the *answering* side of a
  tjänsteutlåtande or protocol (``Förvaltningens förslag till beslut``, ``Förvaltningens synpunkter``,
  ``Beslut``, ``Reservation`` ...) are never read for proposals or proposers.
* **Att-satser** (kind ``att-sats``): lines that begin with ``att``/``Att`` (optionally numbered,
  bulleted or quoted) where an att-sats can start — after a trigger such as ``Jag föreslår att
  kommunfullmäktige beslutar``, ``yrkar:`` or a heading, after a line ending a sentence or clause,
  at the start of the text — plus inline ``Jag föreslår att ...`` / ``föreslår vi att ...``.
  Continuation lines (PDF line breaks) are joined until a blank line, a new att-sats, a heading
  or a line after one that ends with ``.``/``;``.
* **Summary sentences** (kind ``summary``), only when there are no att-satser: sentences with
  ``föreslår``/``föreslagit``/``föreslås``/``yrkar``/``yrkat``/``hemställer``/``vill att``/
  ``menar därför``/``bör``/``borde``, leaving out the answering body's own opinions and decisions
  (``förvaltningen bedömer ...``, ``motionen avslås``). As a last resort, for a short excerpt
  without headings, its first sentence (with a warning). The kind ``yrkande`` is not produced yet.
* **Proposers**: names followed by a party in parentheses (``Åsa Nilsson Söderström (L)``,
  ``Anna König Jerlmyr och Cecilia Brinck (båda M)``, ``(m)``, ``m.fl.``), ``Motionär: ...``,
  ``<Namn> har i (ett) medborgarförslag/motion``, ``motion av/från <Namn>``, ``har <Namn> föreslagit``,
  ``enligt <Namn>``, ``<Namn>, Centerpartiet``; when there are several named people, the ones
  mentioned close to "motion"/"föreslår"/"yrkar" win over e.g. the chair of the meeting.
* **Dnr** with the regexes of `agent.sources.remissvar`; **sender**/**addressed_to** from
  phrases like ``remiss från kommunstyrelsen`` and ``Kommunstyrelsen har bett socialnämnden att svara``.
* **Language**: share of common Swedish versus English function words.

Everything is linear in the input size (regexes are bounded, no nested unbounded repetition),
so a 2 MB text parses well under a second or two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agent.sources.errors import EmptyDocumentError, UnsupportedFormatError
from agent.sources.pdf import DEFAULT_MAX_BYTES, DEFAULT_MAX_PAGES, extract_pdf_text
from agent.sources.remissvar import (
    KALLA_PREFIX,
    SUPPORTED_SUFFIXES,
    clean_title,
    decode_text,
    find_dnr,
    find_headings,
    heading_key,
    is_debris,
    parse_kalla,
    read_text_file,
)

DocType = Literal["motion", "medborgarförslag", "remiss", "utredning", "okänd"]
ProposalKind = Literal["att-sats", "yrkande", "summary"]
Language = Literal["sv", "other", "unknown"]

MAX_PROPOSALS = 20
HEAD_CHARS = 4000  # doc type, title, sender/addressee are looked for in the beginning of the text
LANG_SAMPLE_CHARS = 20_000
MAX_ATT_SATS_CHARS = 1200  # an "att-sats" longer than this is flattened prose: cut at the sentence end
FIRST_SENTENCE_MAX_CHARS = 3000  # the "first sentence" fallback only makes sense for a short excerpt

# User-facing warnings (Swedish).
W_NOT_SWEDISH = "Texten verkar inte vara på svenska. Förslag och uppgifter kan ha missats."
W_NO_ATT = "Hittade inga att-satser; förslaget sammanfattas från texten."
W_FIRST_SENTENCE = (
    "Hittade ingen mening som tydligt anger vad som föreslås; textens första mening används. "
    "Kontrollera förslaget."
)
W_NO_PROPOSAL = "Hittade inget förslag i texten."
W_TOO_MANY = f"Texten innehåller fler än {MAX_PROPOSALS} förslag; bara de {MAX_PROPOSALS} första tas med."
W_UNKNOWN_TYPE = (
    "Kunde inte avgöra om texten är en motion, ett medborgarförslag, en remiss eller en utredning."
)
W_NO_PROPOSER = "Hittade ingen förslagsställare (motionär) i texten."
W_TOO_LONG = "Remissen är mycket lång ({n} tecken); bara de första {limit} tecknen används."


@dataclass(frozen=True)
class Proposal:
    """One thing the remiss proposes; `text` is verbatim from the input (whitespace normalised)."""

    text: str
    kind: ProposalKind


@dataclass(frozen=True)
class Intake:
    text: str  # the whole input text (line endings normalised only)
    doc_type: DocType
    title: str
    proposers: list[str] = field(default_factory=list)
    dnr: str = ""
    addressed_to: str = ""  # the answering body if stated ("socialnämnden")
    sender: str = ""  # who sent the remiss ("kommunstyrelsen")
    proposals: list[Proposal] = field(default_factory=list)
    language: Language = "unknown"
    warnings: list[str] = field(default_factory=list)


def normalize_ws(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


# --------------------------------------------------------------------------- sections

# Sections written by the answering side (never the remiss's own proposals or proposers).
_ANSWER_KEYS = {
    "synpunkter", "bedomning", "yttrande", "beslut", "beslutsgang", "reservation", "overlaggning",
    "anforanden", "konsekvenser", "beredning", "remissinstanser", "bilagor", "beslutsunderlag",
    "foredragning", "underskrift",
}  # fmt: skip
# "Förvaltningens förslag till beslut", "Kommunstyrelsens förslag till kommunfullmäktige".
_GENITIVE_HEAD_RE = re.compile(r"^[A-ZÅÄÖ][\w-]*s\s")


@dataclass
class _Segment:
    start: int
    end: int
    key: str
    name: str
    answer: bool  # belongs to the answering side


def _segments(text: str, start: int, doc_type: str) -> list[_Segment]:
    heads = find_headings(text, start, len(text))
    segs = [_Segment(start, heads[0][0] if heads else len(text), "inledning", "", False)]
    for i, (_hs, cs, name, key) in enumerate(heads):
        stop = heads[i + 1][0] if i + 1 < len(heads) else len(text)
        answer = key in _ANSWER_KEYS or bool(_GENITIVE_HEAD_RE.match(name))
        if doc_type == "remiss" and key in {"forslag-till-beslut", "yrkanden"}:
            answer = True
        segs.append(_Segment(cs, stop, key, name, answer))
    return [s for s in segs if s.end > s.start]


# --------------------------------------------------------------------------- doc type & metadata

_UTREDNING_RE = re.compile(
    r"\b(?:SOU|Ds)\s+(?:19|20)\d\d:\d+|\bbetänkande(?:t)?\b|\bdepartementspromemoria"
    r"|\butredningens förslag\b",
    re.IGNORECASE,
)
_REMISS_RE = re.compile(
    r"\bremiss(?:en|er|var)?\b|\bremitter\w*|\bremissinstans|\b(?:svar|yttrande) över\b|\bsvar på remiss",
    re.IGNORECASE,
)
_MEDBORGAR_RE = re.compile(r"\bmedborgarförslag", re.IGNORECASE)
_MOTION_RE = re.compile(r"\bmotion(?:en|er|ens|är\w*)?\b", re.IGNORECASE)


def _doc_type(head: str) -> DocType:
    if _UTREDNING_RE.search(head):
        return "utredning"
    if _REMISS_RE.search(head):
        return "remiss"
    med = _MEDBORGAR_RE.search(head)
    mot = _MOTION_RE.search(head)
    if med and (not mot or med.start() < mot.start()):
        return "medborgarförslag"
    if mot:
        return "motion"
    return "okänd"


_ORG = (
    r"(?:[A-ZÅÄÖ][\wåäö-]+\s)?"
    r"[A-Za-zÅÄÖåäö-]*(?:nämnd(?:en)?|styrelse(?:n)?|fullmäktige|förvaltning(?:en)?|kontor(?:et)?"
    r"|utskott(?:et)?|departement(?:et)?|[Rr]egeringskansliet|[Rr]egeringen)\b"
)
_SENDER_RES = [
    re.compile(rf"\bremiss(?:en)?\s+från\s+(?P<o>{_ORG})"),
    re.compile(rf"(?P<o>{_ORG})\s+har\s+(?:bett|begärt|remitterat|skickat|översänt|överlämnat)\b"),
    re.compile(rf"\bRemittent:?\s+(?P<o>{_ORG})"),
    re.compile(rf"\bremitter(?:ats|ad|at)\s+(?:\w+\s+){{0,3}}?från\s+(?P<o>{_ORG})"),
]
_ADDRESSEE_RES = [
    re.compile(rf"\bhar\s+(?:bett|begärt\s+att)\s+(?P<o>{_ORG})\s+(?:att\s+)?(?:svara|yttra|lämna|inkomma)"),
    re.compile(rf"\b(?:remitter\w*|skickats|översänts|överlämnats)\s+(?:\w+\s+){{0,4}}?till\s+(?P<o>{_ORG})"),
    re.compile(rf"\bremiss\s+till\s+(?P<o>{_ORG})"),
    re.compile(rf"\b[Tt]jänsteutlåtande\s+till\s+(?P<o>{_ORG})"),
    re.compile(rf"(?P<o>{_ORG})\s+har\s+(?:fått|getts?\s+möjlighet)\s+(?:\w+\s+){{0,4}}?(?:remiss|yttra)"),
]


def _org(s: str) -> str:
    s = normalize_ws(s)
    first, _, rest = s.partition(" ")
    if rest and (heading_key(first) or first in {"Ärendena", "Remissen", "Motionen", "Sammanfattning"}):
        s = rest  # an inline heading before the name: "Ärendet Kulturdepartementet"
    if " " not in s and s[:1].isupper() and s[1:].islower():
        s = s[0].lower() + s[1:]  # "Kommunstyrelsen" at a sentence start -> "kommunstyrelsen"
    return s


def _first_match(res: list[re.Pattern[str]], *texts: str) -> str:
    for t in texts:
        best: tuple[int, str] | None = None
        for rx in res:
            m = rx.search(t)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), m.group("o"))
        if best:
            return _org(best[1])
    return ""


_TITLE_START_RE = re.compile(
    r"^(?:§\s*\d+\s+)?(?:Remiss(?:\s+av|\s*[:–-])|Svar\s+på\s+(?:remiss|motion|medborgarförslag)|Motion\b"
    r"|Medborgarförslag\b|Yttrande\s+över|Betänkandet|Utredningen)",
    re.IGNORECASE,
)
_TITLE_PREFIX_RE = re.compile(
    r"^(?:§\s*\d+\s+)?(?:Remiss\s+av\s+|Remiss\s*[:–-]\s*|Svar\s+på\s+remiss\s+(?:av|om)\s+"
    r"|Yttrande\s+över\s+|Svar\s+på\s+)",
    re.IGNORECASE,
)
_MOTION_OM_RE = re.compile(
    r"\b(?P<kind>motion|medborgarförslag)(?:\s+\(\d{4}:\d+\))?(?:\s+till\s+kommunfullmäktige)?"
    r"\s+om\s+(?P<what>[^.\n;:]{5,160})",
    re.IGNORECASE,
)


def _title(text: str, start: int, kalla_title: str) -> str:
    """A heading line/paragraph naming the matter, else "Motion om ..." from the text, else ""."""
    lines = text[start : start + HEAD_CHARS].split("\n")
    for i, line in enumerate(lines[:60]):
        s = line.strip()
        if not s or not _TITLE_START_RE.match(s) or len(s) > 250:
            continue
        parts = [s]
        for nxt in lines[i + 1 : i + 4]:  # a heading wrapped over a few lines
            n = nxt.strip()
            if not n or heading_key(n) or find_dnr(n) or len(" ".join(parts)) + len(n) > 250:
                break
            parts.append(n)
            if n.endswith("."):
                break
        title = normalize_ws(" ".join(parts))
        title = re.split(r"\s+(?=(?:Svar på remiss|Dnr|Diarienummer|Förvaltningens förslag)\b)", title)[0]
        title = _TITLE_PREFIX_RE.sub("", title).strip(" .,:")
        if len(title) >= 8:
            return clean_title(title)
    if m := _MOTION_OM_RE.search(text, start, start + HEAD_CHARS):
        what = m.group("what").strip()
        return clean_title(f"{m.group('kind').capitalize()} om {what}")
    return clean_title(kalla_title) if kalla_title else ""


# --------------------------------------------------------------------------- language

_SV_LIST = (
    "och att det som en på är för med till av inte om har de ska kommunen den ett i vi kan eller från "
    "vid sig också så men efter detta denna skulle bör samt där när även enligt mot under"
)
_SV_WORDS = frozenset(_SV_LIST.split())
_EN_LIST = (
    "the and of to is in that for it with as on be are this by we not or from should which have an "
    "was were will would their there been"
)
_EN_WORDS = frozenset(_EN_LIST.split())
_TOKEN_RE = re.compile(r"[a-zåäöéü]+")


def detect_language(text: str) -> Language:
    """ "sv" if common Swedish function words dominate, "other" if not, "unknown" for too little text."""
    tokens = _TOKEN_RE.findall(text[:LANG_SAMPLE_CHARS].lower())
    if len(tokens) < 8:
        return "unknown"
    sv = sum(t in _SV_WORDS for t in tokens)
    en = sum(t in _EN_WORDS for t in tokens)
    if sv > en and sv >= 0.1 * len(tokens):
        return "sv"
    return "other"


# --------------------------------------------------------------------------- att-satser

_ATT_START_RE = re.compile(
    r"^[ \t]*(?P<marker>(?:\d{1,2}\s*[.):]|[a-h][.)]|[-–•*·])\s*)?[\"”“»']?(?P<att>[Aa]tt)\s+\S"
)
# First-person triggers: "Jag föreslår (därför) (att kommunfullmäktige beslutar)", "föreslår vi",
# "yrkar jag/vi", "Vi hemställer", "... yrkat:" followed by att-satser.
_TRIGGER_RE = re.compile(
    r"(?:\b(?:jag|vi)\s+(?:föreslår|yrkar|hemställer)|\b(?:föreslår|yrkar|hemställer)\s+(?:jag|vi)"
    r"|\b(?:föreslår|yrkar|hemställer)\s+därför|\byrkar\s+(?:motionären|motionärerna)"
    r"|\b(?:föreslår|yrkar|yrkat|föreslagit|hemställer|hemställt|yrkanden?)\s*:)"
    r"(?:\s+därför)?(?:\s+(?:att\s+)?(?:kommun|region)?fullmäktige\s+(?:besluta[r]?|ska\s+besluta))?"
    r"(?:\s+följande)?\s*:?",
    re.IGNORECASE,
)
_COLON_TRIGGER_RE = re.compile(r"föresl|yrka|hemställ|förslag|besluta|motion", re.IGNORECASE)
_INLINE_ATT_RE = re.compile(r"\s*[\"”“»]?(?P<att>att)\s+\S")
_BLOCK_KEYS = {"forslag-till-beslut", "yrkanden", "motionen", "medborgarforslaget", "forslaget"}
_SENT_END_RE = re.compile(r"[.!?](?=\s+[A-ZÅÄÖ\"”“])")
# Decisions and opinions of the answering side, never a remiss's own proposal.
_ANSWER_RE = re.compile(
    r"\b(?:motionen|motionerna|medborgarförslaget|remissen|yttrandet|tjänsteutlåtandet|skrivelsen)\b"
    r"[^.;]{0,80}?\b(?:avslås|avslag|bifalls|bifall|besvara\w*|anses|tillstyrk\w*|avstyrk\w*|godkänn\w*"
    r"|överlämna\w*)"
    r"|\bgodkänner\b[^.;]{0,80}\btjänsteutlåtande|\bjusteras\s+omedelbart|\byrkar\s+(?:bifall|avslag)"
    r"|\bsom\s+svar\s+på\s+remissen",
    re.IGNORECASE,
)
_ANSWER_ORG = (
    r"[\wåäö-]*(?:förvaltningen|kontoret|nämnden|styrelsen|utskottet|borgarrådet|ordföranden"
    r"|remissinstanserna|majoriteten)"
)
_ANSWER_OPINION_RE = re.compile(
    rf"\b{_ANSWER_ORG}\s+(?:\w+\s+){{0,4}}?(?:delar|bedömer|anser|föreslår|föreslog|föreslagit|menar|tolkar"
    r"|ser|konstaterar|instämmer|tillstyrk\w*|avstyrk\w*|vill|ställ\w*\s+sig|yrka\w*|beslut\w*)\b"
    rf"|\b(?:föreslår|föreslog|anser|bedömer|menar)\s+{_ANSWER_ORG}\b",
    re.IGNORECASE,
)


def _clean_span(s: str) -> str:
    s = normalize_ws(s)
    if len(s) > MAX_ATT_SATS_CHARS:
        m = _SENT_END_RE.search(s, 0, MAX_ATT_SATS_CHARS)
        s = s[: m.end()] if m else s[:MAX_ATT_SATS_CHARS].rsplit(" ", 1)[0]
    s = re.sub(r"(?:[\s;,]|\s(?:och|samt))+$", "", s)
    s = s.rstrip("\"”“»' ")
    return s


class _AttScanner:
    """Line scan for att-satser within the non-answer segments."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.found: list[str] = []
        self.limit = MAX_PROPOSALS + 1

    def _emit(self, start: int, end: int) -> None:
        s = _clean_span(self.text[start:end])
        if len(s) < 8 or _ANSWER_RE.search(s):
            return
        if s not in self.found:
            self.found.append(s)

    def scan(self, seg: _Segment) -> None:
        text = self.text
        cur: tuple[int, int] | None = None  # (start, end) of the att-sats being read
        cur_closed = False  # the last line of `cur` ended a sentence/clause
        block = seg.key in _BLOCK_KEYS  # we are right after a trigger: att-lines are att-satser
        prev: str | None = None  # previous non-blank line (stripped) in this segment
        pos = seg.start
        while pos < seg.end and len(self.found) < self.limit:
            nl = text.find("\n", pos, seg.end)
            le = seg.end if nl < 0 else nl
            ls, line = pos, text[pos:le]
            pos = le + 1
            s = line.strip()
            if not s:
                if cur:
                    self._emit(*cur)
                    cur = None
                continue
            if len(s) <= 80 and heading_key(s):
                if cur:
                    self._emit(*cur)
                    cur = None
                block = heading_key(s)[1] in _BLOCK_KEYS  # type: ignore[index]
                prev = None
                continue
            m = _ATT_START_RE.match(line)
            if m:
                lower = m.group("att") == "att"
                ended = prev is None or prev.endswith((".", ";", ":", "!", "?"))
                if lower:
                    starts = bool(m.group("marker")) or block or ended or (cur is not None and cur_closed)
                else:
                    colon = prev is not None and prev.endswith(":") and bool(_COLON_TRIGGER_RE.search(prev))
                    starts = bool(m.group("marker")) or block or prev is None or colon
                    starts = starts or (cur is not None and cur_closed)
                if starts:
                    if cur:
                        self._emit(*cur)
                    cur = (ls + m.start("att"), le)
                    cur_closed = s.endswith((".", ";", "!", "?"))
                    block = True
                    prev = s
                    continue
            if cur is not None:
                if not cur_closed:
                    cur = (cur[0], le)  # a PDF line break inside the att-sats
                    cur_closed = s.endswith((".", ";", "!", "?"))
                    prev = s
                    continue
                self._emit(*cur)
                cur = None
            # A prose line: does it introduce att-satser?
            block = False
            last = None
            for t in _TRIGGER_RE.finditer(line):
                last = t
            if last is not None:
                rest = line[last.end() :]
                im = _INLINE_ATT_RE.match(rest)
                if im:
                    cur = (ls + last.end() + im.start("att"), le)
                    cur_closed = s.endswith((".", ";", "!", "?"))
                    if len(line) > 300:  # flattened text: the att-sats ends at its sentence end
                        self._emit(cur[0], le)
                        cur = None
                block = True
            prev = s
        if cur:
            self._emit(*cur)


# --------------------------------------------------------------------------- summary sentences

_STRONG_RE = re.compile(
    r"\b(?:föreslår|föreslog|föreslagit|föreslås|yrkar|yrkat|yrkas|hemställer|hemställt|vill\s+att"
    r"|menar\s+därför|anser\s+därför)\b",
    re.IGNORECASE,
)
_WEAK_RE = re.compile(r"\b(?:bör|borde)\b", re.IGNORECASE)
_SENT_SPLIT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ\"”“])")


def _blocks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split text[start:end] into paragraphs: at blank lines, and at line breaks that cannot be a PDF
    wrap inside a sentence (after a short line or one not ending in a word, before a list item)."""
    out: list[tuple[int, int]] = []
    bstart = start
    prev = ""
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        le = end if nl < 0 else nl
        line = text[pos:le].strip()
        if not line:
            if prev:
                out.append((bstart, pos))
            bstart, prev = le + 1, ""
        elif prev and (
            not re.search(r"[a-zåäöé,–-]$", prev)
            or (len(prev) < 40 and line[:1].isupper())
            or re.match(r"(?:[-–•·*§]|\d{1,2}[.)]\s)", line)
            or is_debris(prev)
        ):
            out.append((bstart, pos))
            bstart = pos
        if line:
            prev = line
        pos = le + 1
    if bstart < end and text[bstart:end].strip():
        out.append((bstart, end))
    return out


def _sentences(text: str, start: int, end: int) -> list[str]:
    out = []
    for bs, be in _blocks(text, start, end):
        block = text[bs:be]
        if is_debris(block):
            continue
        out.extend(_SENT_SPLIT_RE.split(normalize_ws(block)))
    return [s for s in out if s]


def _summary_sentences(text: str, segs: list[_Segment], limit: int) -> list[str]:
    found: list[str] = []
    for seg in segs:
        for s in _sentences(text, seg.start, seg.end):
            if len(s) < 15 or heading_key(s):
                continue
            if not (_STRONG_RE.search(s) or _WEAK_RE.search(s)):
                continue
            if _ANSWER_RE.search(s) or _ANSWER_OPINION_RE.search(s):
                continue
            s = _clean_span(s)
            if s not in found:
                found.append(s)
            if len(found) >= limit:
                return found
    return found


def _first_sentence(text: str, segs: list[_Segment]) -> str:
    for seg in segs:
        blocks = [
            (bs, be)
            for bs, be in _blocks(text, seg.start, seg.end)
            # skip title lines: one short line without a sentence end
            if "\n" in text[bs:be].strip()
            or len(text[bs:be].strip()) > 120
            or text[bs:be].rstrip()[-1:] in ".!?;"
        ]
        for s in (x for bs, be in blocks for x in _sentences(text, bs, be)):
            if len(s.split()) >= 8 and not heading_key(s) and not find_dnr(s):
                return _clean_span(s[:MAX_ATT_SATS_CHARS])
    return ""


# --------------------------------------------------------------------------- proposers

_PARTIES = r"S|M|L|C|V|KD|MP|SD|FP|FI|s|m|l|c|v|kd|mp|sd|fp|fi|Kd|Mp|Sd|Fp"
_PARTY_PAREN = rf"\(\s*(?:båda|alla|samtliga)?\s*(?P<p>{_PARTIES})\s*\)"
_PARTY_PAREN_RE = re.compile(_PARTY_PAREN)
_PARTY_WORDS = {
    "socialdemokraterna": "S", "moderaterna": "M", "liberalerna": "L", "folkpartiet": "FP",
    "centerpartiet": "C", "vänsterpartiet": "V", "kristdemokraterna": "KD", "miljöpartiet": "MP",
    "sverigedemokraterna": "SD",
}  # fmt: skip
_PARTY_WORD_RE = "|".join(w.capitalize() for w in _PARTY_WORDS)
_TOK = r"[A-ZÅÄÖÉ][a-zåäöéüø]+(?:-[A-ZÅÄÖÉ][a-zåäöéüø]+)?"
_NAME = rf"{_TOK}(?:\s(?:{_TOK}|[A-ZÅÄÖ]\.?(?=\s[A-ZÅÄÖ]))){{0,3}}"
_NAME_OWN_PARTY = rf"{_NAME}(?:\s?\(\s*(?:{_PARTIES})\s*\))?"  # "Bijan Zainali (S) och Michael Melby (S)"
_NAMES = rf"{_NAME_OWN_PARTY}(?:(?:,\s|\soch\s){_NAME_OWN_PARTY}){{0,5}}"
# A name list with its optional "m.fl.", "båda" and party: "Anna König Jerlmyr och Cecilia Brinck (båda M)".
_NAMES_P = rf"(?P<n>{_NAMES})(?P<mfl>\s+m\.\s?fl\.?)?(?:\s+(?:båda|alla))?(?:\s*{_PARTY_PAREN})?"
_NAMES_AT_END_RE = re.compile(rf"(?P<n>{_NAMES})(?P<mfl>\s+m\.\s?fl\.?)?(?:\s+(?:båda|alla))?\s*$")
_NAME_STOP = {w.capitalize() for w in _PARTY_WORDS} | {
    "Ärendena", "Ärende",
    "I", "Av", "Den", "Det", "De", "En", "Ett", "Enligt", "Motionen", "Motionärerna", "Motionären",
    "Ärendet", "Bakgrund", "Sammanfattning", "Reservation", "Beslut", "Yttrande", "Förslaget", "Förslag",
    "Kommunstyrelsen", "Kommunfullmäktige", "Föredragande", "Ordförande", "Ordföranden", "Borgarrådet",
    "Vice", "Särskilt", "Uttalande", "Stockholms", "Stockholm", "Gotlands", "Gotland", "Region", "Att",
    "Om", "Med", "Från", "Till", "Under", "Vid", "Socialnämnden", "Förvaltningen", "Remiss", "Motion",
    "Medborgarförslag", "Svar", "Dnr", "Som", "Där", "Nu", "Vi", "Jag", "Han", "Hon", "Därför", "Även",
    "Också", "Mot", "Men", "Och", "Eller", "När", "Ledamoten", "Ledamot", "Kommunalrådet",
    "Oppositionsrådet", "Ersättaren", "Tjänsteutlåtande", "Protokoll", "Handling", "Sida", "Datum", "Ja",
    "Nej", "Kommunen", "Staden", "Regionen",
}  # fmt: skip
_ROLE_TOKEN_RE = re.compile(
    r".*(?:chef|direktör|råd|rådet|sekreterare|handläggare|ordförande|strateg)$", re.IGNORECASE
)
_CONTEXT_RE = re.compile(
    r"motion|medborgarförslag|föresl|yrka|väck|menar|hemställ|förslagsställ|skribent", re.IGNORECASE
)
_NOT_PROPOSER_RE = re.compile(
    r"(?:ordförande[n]?|borgarråd(?:et)?|föredragande|justerare|sekreterare|handläggare)\s*$", re.IGNORECASE
)
_NOT_PROPOSER_AFTER_RE = re.compile(
    r"^\s*(?:och\s+[^.]{0,60}?)?(?:yrkar|yrkade|föreslår)\s+(?:bifall|avslag)|^\s*reserver", re.IGNORECASE
)
# Patterns that name the proposer of the motion/medborgarförslag (strongest evidence).
_PROPOSER_RES = [
    re.compile(rf"\bMotionärer?:?\s+{_NAMES_P}"),
    re.compile(
        rf"\b(?:[Mm]otion(?:en)?|[Mm]edborgarförslag(?:et)?)(?:\s+\(\d{{4}}:\d+\))?\s+(?:väckt\s+)?(?:av|från)\s+{_NAMES_P}"
    ),
    re.compile(
        rf"(?:{_NAMES_P}|(?P<ini>[A-ZÅÄÖ]{{2,3}}))\s+har\s+(?:[^.]{{0,60}}?\s)?(?:i\s+(?:en\s+|ett\s+)?)?"
        r"(?:motion|medborgarförslag)"
    ),
    re.compile(
        rf"\bhar\s+{_NAMES_P}\s+(?:i\s+(?:en\s+|ett\s+)?\w+\s+)?(?:föreslagit|yrkat|väckt|lämnat|hemställt)"
    ),
    re.compile(rf"\benligt\s+{_NAMES_P}\s"),
    re.compile(rf"(?P<n>{_NAMES}),\s+(?P<pw>{_PARTY_WORD_RE})\b"),
    re.compile(rf"{_NAMES_P}\s+(?:föreslår|yrkar|hemställer|vill\s+att|menar)\b(?!\s+(?:bifall|avslag))"),
    re.compile(rf"\b(?:föreslår|yrkar)\s+{_NAMES_P}\s+(?:i\s+\w+\s+)?att\b"),
    re.compile(rf"(?P<n>{_NAMES})s\s+(?:{_PARTY_PAREN}\s+)?(?:motion|medborgarförslag)"),
    re.compile(
        rf"(?P<pw>{_PARTY_WORD_RE})\s+(?:föreslår|yrkar|har\s+(?:i\s+en\s+motion\s+)?(?:föreslagit|yrkat))\b"
    ),
]


_ORG_TOKEN_RE = re.compile(
    r".*(?:departementet|beredningen|nämnden|nämnd|styrelsen|förvaltningen|kontoret|kommun|stad|partiet"
    r"|region|regionen|rådet|gruppen)$",
    re.IGNORECASE,
)
_OWN_PARTY_RE = re.compile(rf"\s?\(\s*({_PARTIES})\s*\)$")


def _clean_names(names: str, party: str | None = None, mfl: bool = False) -> list[str]:
    """Split "A B och C D (båda M)" / "A B (S) och C D (S)" into ["A B (M)", ...]; strip leading
    non-name words ("Ärendet", "Förvaltningschef"); [] if the list is not a list of person names."""
    parts = re.split(r",\s|\soch\s", names)
    cleaned: list[tuple[str, str | None]] = []
    for p in parts:
        own = None
        if m := _OWN_PARTY_RE.search(p):
            own, p = m.group(1), p[: m.start()]
        toks = p.split()
        while toks and (toks[0] in _NAME_STOP or _ROLE_TOKEN_RE.fullmatch(toks[0]) or heading_key(toks[0])):
            toks = toks[1:]
        if any(t in _NAME_STOP or _ORG_TOKEN_RE.fullmatch(t) for t in toks):
            return []
        cleaned.append((" ".join(toks), own))
    if not cleaned or any(not c for c, _ in cleaned) or len(cleaned[-1][0].split()) < 2:
        return []
    if any(len(c.split()) < 2 for c, _ in cleaned[:-1]):  # "Eva och Stefan Nypelius"
        cleaned = [(" och ".join(c for c, _ in cleaned), cleaned[-1][1])]
    if party is None and cleaned[-1][1] and not any(own for _, own in cleaned[:-1]):
        party = cleaned[-1][1]  # "Gustaf Hoffstedt och Rolf K Nilsson (m)": the party is shared
    out = []
    for i, (name, own) in enumerate(cleaned):
        suffix = " m.fl." if mfl and i == len(cleaned) - 1 else ""
        pty = own or party
        out.append(f"{name}{suffix} ({pty.upper()})" if pty else f"{name}{suffix}")
    return out


# Every proposer pattern contains one of these words: the patterns only run in windows around them,
# so that long texts full of capitalised words stay fast.
_ANCHOR_RE = re.compile(
    r"motion|medborgarförslag|föresl|yrka|hemställ|enligt|vill\s+att|menar|väck|lämnat|"
    + "|".join(_PARTY_WORDS),
    re.IGNORECASE,
)
ANCHOR_WINDOW = 220
MAX_ANCHORS = 400
MAX_PARTY_PARENS = 400
PROPOSER_SCAN_CHARS = 300_000


def _windows(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for n, m in enumerate(_ANCHOR_RE.finditer(text, start, end)):
        if n >= MAX_ANCHORS:
            break
        ws, we = max(start, m.start() - ANCHOR_WINDOW), min(end, m.end() + ANCHOR_WINDOW)
        if out and ws <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], we))
        else:
            out.append((ws, we))
    return out


def _proposers(text: str, segs: list[_Segment], doc_type: str) -> list[str]:
    strong: list[tuple[int, str]] = []  # named by a proposer pattern
    loose: list[tuple[int, str, bool]] = []  # any "Name (party)"; bool: near "motion", "föreslår" ...
    # The proposer is named early in any real document: look in the first PROPOSER_SCAN_CHARS only.
    limit = (segs[0].start if segs else 0) + PROPOSER_SCAN_CHARS
    segs = [
        _Segment(sg.start, min(sg.end, limit), sg.key, sg.name, sg.answer) for sg in segs if sg.start < limit
    ]
    windows = [w for seg in segs for w in _windows(text, seg.start, seg.end)]
    for ws, we in windows:
        for rx in _PROPOSER_RES:
            for m in rx.finditer(text, ws, we):
                g = m.groupdict()
                if g.get("ini"):
                    strong.append((m.start(), g["ini"]))
                    continue
                if g.get("n") is None:
                    if g.get("pw"):
                        strong.append((m.start(), g["pw"]))
                    continue
                party = g.get("p") or (_PARTY_WORDS[g["pw"].lower()] if g.get("pw") else None)
                if party is None and (pm := _PARTY_PAREN_RE.match(text, m.end("n"), m.end("n") + 12)):
                    party = pm.group("p")
                names = _clean_names(g["n"], party, bool(g.get("mfl")))
                strong.extend((m.start(), n) for n in names)
    for seg in segs:
        if strong:
            break
        for n, m in enumerate(_PARTY_PAREN_RE.finditer(text, seg.start, seg.end)):
            if n >= MAX_PARTY_PARENS:
                break
            before = text[max(seg.start, m.start() - 160) : m.start()].replace("\n", " ")
            nm = _NAMES_AT_END_RE.search(before)
            if not nm:
                continue
            pre = before[: nm.start()]
            after = text[m.end() : m.end() + 120].replace("\n", " ")
            if _NOT_PROPOSER_RE.search(pre) or _NOT_PROPOSER_AFTER_RE.match(after):
                continue
            ctx = bool(_CONTEXT_RE.search(pre[-60:] + " " + after[:80]))
            names = _clean_names(nm.group("n"), m.group("p"), bool(nm.group("mfl")))
            loose.extend((m.start(), n, ctx) for n in names)
    if strong:
        cands = strong
    elif any(c[2] for c in loose):
        cands = [(p, n) for p, n, ctx in loose if ctx]
    else:
        cands = [(p, n) for p, n, _ctx in loose]
    if not cands:
        return ["förslagsställaren"] if doc_type == "medborgarförslag" else []
    out: list[str] = []
    for _pos, name in sorted(cands, key=lambda c: c[0]):
        if name not in out:
            out.append(name)
    result = []
    for n in out:
        base = n.split(" (")[0]
        # a bare name also listed with a party, or a genitive ("Söderströms (L)") of a listed name
        if any(o != n and o.startswith(base + " (") for o in out) and "(" not in n:
            continue
        if base.endswith("s") and any(o.startswith(base[:-1] + " (") or o == base[:-1] for o in out):
            continue
        result.append(n)
    return result[:10]


# --------------------------------------------------------------------------- public API


def parse_intake(text: str) -> Intake:
    """Parse a remiss text into an `Intake`. Raises `EmptyDocumentError` on empty text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise EmptyDocumentError("text", "Texten är tom. Klistra in eller ladda upp remisstexten.")

    # A corpus-style "KÄLLA:" first line is metadata, not content.
    start = len(text) - len(text.lstrip())
    nl = text.find("\n", start)
    first_line = text[start : len(text) if nl < 0 else nl]
    kalla = None
    if first_line.upper().startswith(KALLA_PREFIX):
        kalla = parse_kalla(first_line)
        start = len(text) if nl < 0 else nl + 1

    warnings: list[str] = []
    language = detect_language(text[start:])
    if language == "other":
        warnings.append(W_NOT_SWEDISH)

    head = text[start : start + HEAD_CHARS]
    doc_type = _doc_type(head)
    if doc_type == "okänd" and kalla:
        doc_type = _doc_type(kalla.description)
    if doc_type == "okänd":
        warnings.append(W_UNKNOWN_TYPE)

    title = _title(text, start, kalla.title if kalla else "")
    dnr = (
        (kalla.dnr if kalla else "") or find_dnr(head) or find_dnr(text[start : start + PROPOSER_SCAN_CHARS])
    )
    kalla_desc = kalla.description if kalla else ""
    sender = _first_match(_SENDER_RES, head, kalla_desc)
    addressed_to = _first_match(_ADDRESSEE_RES, head, kalla_desc)

    segs = _segments(text, start, doc_type)
    content = [s for s in segs if not s.answer]

    scanner = _AttScanner(text)
    for seg in content:
        scanner.scan(seg)
        if len(scanner.found) > MAX_PROPOSALS:
            break
    proposals = [Proposal(t, "att-sats") for t in scanner.found]
    if not proposals:
        sentences = _summary_sentences(text, content, MAX_PROPOSALS + 1)
        if sentences:
            warnings.append(W_NO_ATT)
            proposals = [Proposal(t, "summary") for t in sentences]
        elif (
            len(segs) == 1
            and len(text) - start <= FIRST_SENTENCE_MAX_CHARS
            and (first := _first_sentence(text, content or segs))
        ):
            warnings.append(W_FIRST_SENTENCE)
            proposals = [Proposal(first, "summary")]
        else:
            warnings.append(W_NO_PROPOSAL)
    if len(proposals) > MAX_PROPOSALS:
        warnings.append(W_TOO_MANY)
        proposals = proposals[:MAX_PROPOSALS]

    proposers = _proposers(text, content, doc_type)
    if not proposers and doc_type in {"motion", "remiss"}:
        warnings.append(W_NO_PROPOSER)

    return Intake(
        text=text,
        doc_type=doc_type,
        title=title,
        proposers=proposers,
        dnr=dnr,
        addressed_to=addressed_to,
        sender=sender,
        proposals=proposals,
        language=language,
        warnings=warnings,
    )


def bound_text(text: str, max_chars: int | None) -> tuple[str, list[str]]:
    """`text` cut at `max_chars` (bounded work for huge inputs), with a warning when it was cut."""
    if max_chars is None or len(text) <= max_chars:
        return text, []
    warning = W_TOO_LONG.format(n=f"{len(text):,}", limit=f"{max_chars:,}").replace(",", " ")
    return text[:max_chars], [warning]


def read_remiss(
    source: Path | bytes,
    name: str = "",
    *,
    max_chars: int | None = None,
    max_pdf_bytes: int = DEFAULT_MAX_BYTES,
    max_pdf_pages: int = DEFAULT_MAX_PAGES,
) -> tuple[str, list[str]]:
    """The text of a remiss: a .pdf/.txt/.md file, or uploaded bytes named `name` ("" = pasted text).

    Returns the text, cut at `max_chars`, and the warnings of cutting it. PDF and file errors
    (`SourceError`, Swedish) propagate; an unsupported file type is `UnsupportedFormatError`.
    """
    pasted = isinstance(source, bytes) and not name
    label = name or (source.name if isinstance(source, Path) else "text")
    suffix = Path(label).suffix.lower()
    if not pasted and suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFormatError(
            label,
            f"Filformatet ”{suffix or 'utan filändelse'}” stöds inte. "
            "Använd PDF, textfil (.txt) eller Markdown (.md).",
        )
    if suffix == ".pdf":
        text = extract_pdf_text(source, name=label, max_bytes=max_pdf_bytes, max_pages=max_pdf_pages)
    elif isinstance(source, Path):
        text = read_text_file(source, str(source))
    else:
        text = decode_text(source)
    if isinstance(source, Path) and not text.strip():
        raise EmptyDocumentError(label, "Filen innehåller ingen text.")
    return bound_text(text, max_chars)


def load_intake(path: Path) -> Intake:
    """Read a .txt/.md/.pdf file and parse it; PDF and file errors (`SourceError`) propagate."""
    return parse_intake(read_remiss(path)[0])


def intake_to_json(intake: Intake) -> dict[str, Any]:
    """What was understood, as JSON (`remiss draft --json`'s "intake", the app's stored case)."""
    return {
        "title": intake.title,
        "doc_type": intake.doc_type,
        "proposers": intake.proposers,
        "dnr": intake.dnr,
        "addressed_to": intake.addressed_to,
        "sender": intake.sender,
        "proposals": [{"text": p.text, "kind": p.kind} for p in intake.proposals],
        "language": intake.language,
    }
