"""The grammar of remissvar files: the `KÄLLA:` line, web debris, signatures and title/body patterns.

Dnr, dates and headings are generic Swedish document grammar: `agent.text.grammar`.
"""

from __future__ import annotations

import re

from agent.text.grammar import MONTH_PATTERN

KALLA_PREFIX = "KÄLLA:"

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
TRUNC_RE = re.compile(r"\[…\s*TRUNKERAT[^\]]*\]")
SIGNATURE_ROLE_RE = re.compile(
    r"direktör|chef\b|chef\s|handläggare|sekreterare|ordförande|utredare|strateg|controller|borgarråd",
    re.IGNORECASE,
)


def is_debris(line: str) -> bool:
    """A line of web debris (menus, download buttons, cookie notices, page numbers)."""
    s = line.strip()
    return bool(s) and any(r.fullmatch(s) for r in _DEBRIS_RES)


# --------------------------------------------------------------------------- KÄLLA metadata

NOTE_SPLIT_RE = re.compile(
    r"\.\s+(?=(?:Transkript|Hämtad|OBS|Text extraherad|Samma|Kopia|Sidan|Oförändrad|Endast|Utdraget)\b)"
    r"|;\s*hämtad\b|\s*\(SEKUNDÄRKÄLLA\b|\.\s*$"
)
META_WORDS_RE = re.compile(
    r"\b(?:protokollsutdrag|sammanträdesprotokoll|protokoll|protokollsparagraf|utlåtande|tjänsteutlåtande"
    r"|pm|artikel|daterad|daterat|möte|nyhet|handling|nr|ks|kf|au|sidan|remisstid|den|r[ivx]+|"
    + MONTH_PATTERN
    + r")\b|§+|\d+|[():/.,;–-]",
    re.IGNORECASE,
)
BODY_STOP_RE = re.compile(
    r"^(?:tjänsteutlåtande|tjänsteskrivelse|sammanträdesprotokoll|protokoll\w*|utlåtande|pm\b|möte|handling"
    r"|nyhet|ärende|yttrande|svar|beslut|motion|medborgarförslag|reservation|sidan|artikel|remiss|bedömning"
    r"|remisstid|[\"“”«]|\d|§)",
    re.IGNORECASE,
)
# Where the issuing body ends inside a comma part of the KÄLLA head ("Socialnämnden 2024-05-02 ...").
BODY_CUT_RE = re.compile(
    r"\s(?:\(|(?:19|20)\d\d\b|\d{1,2}\s+(?:" + MONTH_PATTERN + r")|(?:KS|KF|AU)?\s*§"
    r"|(?:möte|sammanträdesprotokoll|protokoll|tjänsteutlåtande|utlåtande|remissvar|svar|yttrande"
    r"|motion|medborgarförslag|bedömning|om|av|till|inför)\b)",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------- titles and bodies

META_TITLE_RE = re.compile(
    r"^(?:\d+\s+)?(?:Handling|Utlåtande|PM|Protokoll\w*|Sammanträdesprotokoll|Möte)\s+\d", re.IGNORECASE
)
ORG_WORD_RE = re.compile(r"kommun|stad|region", re.IGNORECASE)
NEWS_TITLE_RE = re.compile(r"^(.{3,60}?(?:kommun|stad|regionen|Region \w+)(?:, [\w -]{3,40}?)?) – (.+)$")
GENERIC_TITLE_RE = re.compile(
    r"^(?:svar på remiss(?: från [\w-]+)?|remissvar|tjänsteutlåtande|yttrande)(?:[,(]|$)", re.IGNORECASE
)
ORG_RE = re.compile(r"\b((?:Region\s+[A-ZÅÄÖ][\wåäö-]+)|(?:[A-ZÅÄÖ][\wåäö-]+\s+(?:kommun|stad|län)))\b")
UNIT_LINE_RE = re.compile(
    r"[A-ZÅÄÖ][\wåäö -]*(?:förvaltning(?:en)?|kontoret|nämnd(?:en)?|styrelsen)", re.IGNORECASE
)
