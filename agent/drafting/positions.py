"""Earlier positions: what earlier remiss answers concluded on a similar question, and whether the same
organisation has answered before.

A careful official first checks what the organisation said last time: a nämnd that now lands in another
standpoint than in its own earlier answer must say why. For each retrieved earlier answer (in order of
relevance) the sentence that states its position is found in the answer's sections: a decision or
proposal phrase ("föreslår att motionen avslås", "motionen anses besvarad", "nämnden avstyrker …",
"medborgarförslaget bifalls") whose subject is an organ, not a single member's yrkande. The phrase
gives the standpoint; the sentence is used verbatim, with the answer's body, date and Dnr, and the
section it stands in becomes a source the draft may cite (verification checks the quotation).

An answer, and even more a protocol, may state positions on several matters, so a position counts only
when it stands in a retrieved section that is on the proposal's topic (`MIN_SHARED_SECTION` content
words in common) or names the topic itself (`MIN_SHARED_SENTENCE`). Measured on the public cases
before this rule (evals/results/2026-12-02-local-drafting-v3-positions), 10 of 26 drafts quoted a
position and some were about other matters (a handikappråd on kundval, quoted for a kompetenscenter).

"Same organisation" compares the answering body of the remiss ("socialnämnden") with the earlier
answer's body ("Stockholms stad, socialförvaltningen") by the name of the field ("social"); the
municipality itself is not known from the remiss text, so an answer of another municipality's nämnd
for the same field counts as the same organisation. That is a known limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.drafting.intake import Intake
from agent.drafting.models import Standpoint
from agent.drafting.retrieve import Evidence
from agent.drafting.text import content_terms, plain_sentences
from agent.index.search import Searcher
from agent.sources.models import Document

MAX_ANSWERS = 3  # earlier answers looked at (the most relevant retrieved ones)
MAX_SENTENCE_CHARS = 350
MIN_SHARED_SECTION = 3  # content words a retrieved section shares with the proposals to be on topic
MIN_SHARED_SENTENCE = 2  # … or that the position sentence itself shares with them

# The standpoint a decision or proposal phrase states (general Swedish practice in motion answers).
_STANDPOINT_PATTERNS: tuple[tuple[Standpoint, re.Pattern[str]], ...] = (
    ("besvarad", re.compile(r"\banses?\s+(?:\w+\s+){0,2}besvarad", re.I)),
    ("besvarad", re.compile(r"\bförklara\w*\s+(?:motionen|medborgarförslaget|förslaget)\s+besvarad", re.I)),
    ("avstyrker", re.compile(r"\bavstyrk\w*|\bavslå\w*|\bavslag\b|\bställer\s+sig\s+negativ", re.I)),
    ("tillstyrker", re.compile(r"\btillstyrk\w*|\bbifall\w*|\bbifalla\b|\bställer\s+sig\s+positiv", re.I)),
)
# Who states it: an organ, or the passive of a decision ("föreslås", "beslutar", "avslås").
_ORGAN_RE = re.compile(
    r"\b\w*(?:nämnd|förvaltning|styrelse|kontor|fullmäktige|utskott|kommunen|regionen|staden)\w*\b|"
    r"\b(?:föreslår|föreslås|föreslagit|beslutar|beslutade|beslut|anser|bedömer)\b|"
    r"\b(?:anses|avslås|bifalls|avstyrks|tillstyrks)\b",  # a decision in the passive ("Motionen avslås.")
    re.I,
)
# A single member's yrkande or a party's reservation ("Lars Hansson (SD) yrkade …") is not the answer.
_MEMBER_RE = re.compile(r"\((?:[A-ZÅÄÖ][A-Za-zåäö]{0,3}|[a-zåäö]{1,3})\)|\byrka\w*|\breservation\w*", re.I)
_FIELD_RE = re.compile(
    r"([a-zåäö]+?)s?-?(?:nämnd|förvaltning|styrelse|kontor)\w*"  # "socialnämnden", "omsorgsnämnden"
    r"|([a-zåäö]{3,}?)a?\s+(?:nämnd|förvaltning)",  # "Tekniska nämnden"
    re.I,
)


@dataclass(frozen=True)
class Position:
    """What an earlier answer concluded: its position sentence, verbatim, and where it stands."""

    doc: Document  # the answer's section that holds the sentence (a source the draft may cite)
    sentence: str
    standpoint: Standpoint
    body: str
    year: str
    same_body: bool  # answered by the same organisation as this remiss is addressed to


def stated_standpoint(sentence: str) -> Standpoint | None:
    """The standpoint a sentence states as an organ's decision or proposal; None if none or ambiguous."""
    if _MEMBER_RE.search(sentence) or not _ORGAN_RE.search(sentence):
        return None
    found = {s for s, pattern in _STANDPOINT_PATTERNS if pattern.search(sentence)}
    if len(found) == 2 and "besvarad" in found:  # "anses besvarad i stället för att avslås"
        found = {"besvarad"}
    return found.pop() if len(found) == 1 else None


def fields(name: str) -> set[str]:
    """The fields an organisation's name names: "Social- och omsorgsnämnden" -> {"social", "omsorg"}."""
    found = _FIELD_RE.finditer(name.replace("- och ", "nämnd och "))
    return {(m.group(1) or m.group(2)).lower() for m in found}


def _position_in(doc: Document) -> tuple[str, Standpoint] | None:
    for sentence in plain_sentences(doc.text, MAX_SENTENCE_CHARS):
        standpoint = stated_standpoint(sentence)
        if standpoint is not None:
            return sentence, standpoint
    return None


def _on_topic(sentence: str, doc: Document, relevant: list[Document], topic: set[str]) -> bool:
    """A position counts when it stands in a retrieved section that is on the proposal's topic, or
    names the topic itself: an answer (or a protocol) may hold positions on other matters too."""
    if doc in relevant:
        return True
    return len(content_terms(sentence) & topic) >= MIN_SHARED_SENTENCE


def earlier_positions(intake: Intake, evidence: Evidence, searcher: Searcher) -> list[Position]:
    """The positions of the most relevant earlier answers on the proposal's topic, the same
    organisation's first."""
    ours = fields(intake.addressed_to)
    topic = content_terms(" ".join(p.text for p in intake.proposals) or intake.title)
    sources = list(dict.fromkeys(d.source for d in evidence.precedents))[:MAX_ANSWERS]
    found: list[Position] = []
    for source in sources:
        retrieved = [d for d in evidence.precedents if d.source == source]
        relevant = [d for d in retrieved if len(content_terms(d.text) & topic) >= MIN_SHARED_SECTION]
        sections = searcher.documents_of(source) or retrieved
        for doc in [*retrieved, *(d for d in sections if d not in retrieved)]:
            hit = _position_in(doc)
            if hit is None or not _on_topic(hit[0], doc, relevant, topic):
                continue
            body = str(doc.metadata.get("body") or "")
            found.append(
                Position(
                    doc=doc,
                    sentence=hit[0],
                    standpoint=hit[1],
                    body=body,
                    year=str(doc.metadata.get("year") or ""),
                    same_body=bool(ours & fields(body)),
                )
            )
            break
    return sorted(found, key=lambda p: not p.same_body)
