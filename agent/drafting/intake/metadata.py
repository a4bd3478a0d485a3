"""Metadata of a remiss: its kind, title, sender and addressee, and its language.

* **Kind**: utredning (SOU, Ds, betänkande), remiss, medborgarförslag or motion, from the
  beginning of the text (`HEAD_CHARS`).
* **Title**: a heading line naming the matter ("Remiss av …", "Motion om …"), else "Motion om …"
  from the text, else the title of a corpus "KÄLLA:" line.
* **Sender**/**addressed_to** from phrases like ``remiss från kommunstyrelsen`` and
  ``Kommunstyrelsen har bett socialnämnden att svara``.
* **Language**: share of common Swedish versus English function words.
"""

from __future__ import annotations

import re

from agent.drafting.intake.models import DocType, Language, normalize_ws
from agent.sources.remissvar import clean_title
from agent.text.grammar import find_dnr, heading_key

HEAD_CHARS = 4000  # doc type, title, sender/addressee are looked for in the beginning of the text
LANG_SAMPLE_CHARS = 20_000

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


def find_doc_type(head: str) -> DocType:
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
SENDER_RES = [
    re.compile(rf"\bremiss(?:en)?\s+från\s+(?P<o>{_ORG})"),
    re.compile(rf"(?P<o>{_ORG})\s+har\s+(?:bett|begärt|remitterat|skickat|översänt|överlämnat)\b"),
    re.compile(rf"\bRemittent:?\s+(?P<o>{_ORG})"),
    re.compile(rf"\bremitter(?:ats|ad|at)\s+(?:\w+\s+){{0,3}}?från\s+(?P<o>{_ORG})"),
]
ADDRESSEE_RES = [
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


def first_match(res: list[re.Pattern[str]], *texts: str) -> str:
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


def find_title(text: str, start: int, kalla_title: str) -> str:
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
