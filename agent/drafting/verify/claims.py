"""Legal claims: sentences that speak of law, competence, duties or powers, and must cite a source."""

from __future__ import annotations

import re

from agent.drafting.intake import normalize_ws

# What makes a sentence a *legal claim*: it speaks of law, competence, duties or powers. Each entry
# is a regex fragment (matched case-insensitively) with the reason it is there:
LEGAL_CLAIM_MARKERS: tuple[str, ...] = (
    r"§",  # any paragraph sign
    r"\bkap\.",  # a chapter of a law
    # "enligt" states a rule's content — but not "enligt motionen/förvaltningens bedömning" etc.
    r"\benligt\b(?!\s+(?:min|mitt|vår|vårt|våra|förvaltningens|nämndens|styrelsens|motionen|motionärens?"
    r"|skribenten|skribentens|förslaget|förslagsställaren|förslagsställarens|medborgarförslaget"
    r"|remissen|uppgift|planen|tidplanen)\b)",
    # "lag", "lagen", "lagstiftningen", "lagrummet", "laglig", "lagenlig" (compounds: `_LAW_WORD_RE`)
    r"\blag(?:en|ens|ar|arna|stiftning\w*|stiftare\w*|rum\w*|lig\w*|enlig\w*)?\b",
    r"\bbalk(?:en|ens)?\b",
    # competence and powers; "kompetens(en)" but not compounds like "kompetenscenter"
    r"\bkompetens(?:en|ens)?\b",
    r"\bbefogenhet\w*",
    r"\bbehörig\w*",
    # prohibitions, permissions and duties
    r"\bfår\s+(?:inte|ej|endast|bara|aldrig)\b",
    r"\b(?:ska|skall|får)\s+(?:\w+\s+)?ha\s+hand\s+om\b",
    r"\bskyldig\w*",
    r"\bförbud\w*|\bförbjud\w*|\b(?:o)?tillåt(?:et|en|na|s)\b",
    r"\bi\s+strid\s+med\b",
    r"\bförenlig\w*",
    # responsibility and authorities
    r"\bansvar(?:et|ig|iga|igt|ar|sområde\w*)?\b",
    r"\bmyndighet\w*",
    # other sources of law
    r"\bförordning\w*",
    r"\bföreskrift\w*",
    r"\bförarbete\w*|\bprop\.\s*\d",
    r"\bpraxis\b|\bprejudikat\w*|\bdom(?:en|stol\w*)?\b",
    r"\bregler(?:as|ar|ad|ade|at)\b",
    r"\brättslig\w*|\brättsligt\b",
    r"\b(?:framgår|följer)\s+av\b",
)
_LEGAL_CLAIM_RE = re.compile("|".join(f"(?:{m})" for m in LEGAL_CLAIM_MARKERS), re.IGNORECASE)
# Compounds naming a law ("kommunallagen", "förvaltningslagar", "miljöbalken") — and the common
# words that merely end like one ("förslagen", "underlagen", "bolagen", "avslagen").
_LAW_WORD_RE = re.compile(r"\b\w+(?:lagen|lagens|lagar|lagarna|balken|balkens)\b", re.IGNORECASE)
_NOT_LAW_WORD_RE = re.compile(
    r"(?:förslag|underlag|bolag|avslag|inslag|anslag|beslag|utslag|påslag|omslag|uppslag|tillslag"
    r"|handslag|genomslag|samlag|upplag|utlag)(?:en|ens|ar|arna)$"
)
# Upper-case law abbreviations alone ("KL") also make a legal claim.
_ABBREV_RE = re.compile(r"\b(?:KL|FL|RF|SoL|SOL|OSL|LSS|LVU|PBL|BrB|TF)\b")

# A sentence starting like this refers back to the one before ("Detta framgår av 2 kap. 2 § KL.").
_BACKREF_RE = re.compile(r"(?:detta|det|så|vilket|denna|dessa|här)\b", re.IGNORECASE)


def is_legal_claim(sentence: str) -> bool:
    """Does the sentence speak of law, competence, duties or powers? (see `LEGAL_CLAIM_MARKERS`)"""
    if _LEGAL_CLAIM_RE.search(sentence) or _ABBREV_RE.search(sentence):
        return True
    return any(not _NOT_LAW_WORD_RE.search(m.group().lower()) for m in _LAW_WORD_RE.finditer(sentence))


def unsupported_claims(text: str, sentences: list[tuple[int, int]], cited: set[int]) -> list[str]:
    """The legal claims among `sentences` (spans of `text`) that no resolved citation supports, with
    whitespace normalised. `cited` holds the indexes of the sentences with a resolved citation; a claim
    is supported by one in its own sentence or the one before, or in the next one when that starts
    with a back-reference ("Detta framgår av 2 kap. 2 § KL.")."""
    unsupported: list[str] = []
    for si, (s, e) in enumerate(sentences):
        if si in cited or si - 1 in cited:
            continue
        sentence = text[s:e]
        if si + 1 in cited and _BACKREF_RE.match(text, sentences[si + 1][0]):
            continue
        if is_legal_claim(sentence):
            unsupported.append(normalize_ws(sentence))
    return unsupported
