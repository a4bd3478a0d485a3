"""Notes that contradict the kompetensprövning are flagged to the official, not silently used.

Handläggarens underlag goes into the draft in the official's own words. What this module can tell is
the one contradiction the pipeline has evidence for: who is responsible.

* A note that says the municipality does or is responsible for something ("förvaltningen driver redan
  …", "kommunen ansvarar för …") on the topic of a proposal that the kompetensprövning placed outside
  the municipal competence, on a paragraph that gives the task to someone else. Either the note is
  about something else, or the verdict is wrong; the official must look.
* A note that says the task is not the municipality's ("ligger utanför den kommunala kompetensen",
  "är ett statligt ansvar") when the kompetensprövning found nothing that puts it on anyone else: the
  draft would then argue without a paragraph; the official should name it.

A note is "on the topic" of a proposal when it shares at least `MIN_SHARED` content words with the
proposal or the atlas entry that decided it. Contradictions of facts (numbers, dates, what a paragraph
says word for word) are not detected: that would need a model that reads both, and is reported as a
known limit.
"""

from __future__ import annotations

import re

from agent.drafting.competence import CompetenceResult, ProposalJudgement
from agent.drafting.text import content_terms
from agent.sources.models import Document

MIN_SHARED = 2
W_NOTE_PREFIX = "Kontrollera underlaget:"
W_NOTE_MUNICIPAL = (
    W_NOTE_PREFIX + " {label} säger att kommunen gör eller ansvarar för något som kompetensprövningen "
    "lägger på {actor} ({paragraph}). Gäller punkten något annat än förslaget, eller är bedömningen fel? "
    "Punkten står kvar i utkastet tills du ändrar den."
)
W_NOTE_NOT_MUNICIPAL = (
    W_NOTE_PREFIX + " {label} säger att uppgiften inte är kommunens, men kompetensprövningen fann inget "
    "lagrum som lägger den på någon annan. Ange lagrummet i underlaget, eller ändra punkten."
)

_MUNICIPAL_CLAIM_RE = re.compile(
    r"\b(?:kommunen|staden|förvaltningen|nämnden|vi)\b[^.]{0,40}?"
    r"\b(?:ansvarar|har\s+(?:redan\s+)?ansvar|driver|bedriver|erbjuder|har\s+redan|gör\s+redan|utför|sköter)\b",
    re.IGNORECASE,
)
_NOT_MUNICIPAL_RE = re.compile(
    r"\b(?:utanför|inte\s+(?:inom|förenligt\s+med))\s+(?:den\s+)?kommunal\w*\s+kompetens|"
    r"\b(?:statligt|regionalt)\s+ansvar|\b(?:staten|regionen|polisen|myndigheten)\s+ansvarar\b|"
    r"\binte\s+(?:en\s+)?kommunal\s+uppgift",
    re.IGNORECASE,
)


def _topic(j: ProposalJudgement) -> set[str]:
    words = j.proposal.text
    if j.deciding is not None:
        words += " " + " ".join([j.deciding.entry.area, *j.deciding.cues, *j.deciding.patterns])
    return content_terms(words)


def note_conflicts(notes: list[Document], competence: CompetenceResult | None) -> list[str]:
    """A warning for each note that contradicts the kompetensprövning (see the module docstring)."""
    if competence is None:
        return []
    warnings: list[str] = []
    for note in notes:
        terms = content_terms(note.text)
        for j in competence.judgements:
            if len(terms & _topic(j)) < MIN_SHARED:
                continue
            if j.outside and _MUNICIPAL_CLAIM_RE.search(note.text):
                paragraph = j.evidence[0].label if j.evidence else "ansvarsatlasen"
                warnings.append(W_NOTE_MUNICIPAL.format(label=note.label, actor=j.actor, paragraph=paragraph))
                break
            if j.verdict == "within" and _NOT_MUNICIPAL_RE.search(note.text):
                warnings.append(W_NOTE_NOT_MUNICIPAL.format(label=note.label))
                break
    return warnings
