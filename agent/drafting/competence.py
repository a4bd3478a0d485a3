"""Step 3 of the pipeline: kompetensprövning, a documented rule over retrieved evidence.

For each proposal the ansvarsatlas (`corpus/ansvar/*.yaml`, `agent/sources/atlas.py`) is searched
(`agent/drafting/atlas_search.py`: cue phrases, counter-cues and patterns after Swedish stemming, plus
dense similarity). An entry **fires** for a proposal when

* one of its `patterns` matches (a collision with a principle, e.g. support to one named company), or
* its cues found weigh at least `MIN_CUES_ALONE` (two cues, or one cue of two content stems), or
* a cue is found and the entry is among the `DENSE_TOP` entries most similar to the proposal (not for
  `forbjudet` entries: a principle is collided with by a specific act, which a pattern or two cues show,
  not by a topic),

and none of its counter-cues is found. Each firing entry gets a score: cue weight + `PATTERN_WEIGHT` per
pattern + `DENSE_BONUS` when it is among the `DENSE_TOP`. An entry counts only if at least one of its
legal-basis paragraphs is in the index with text (a title without text is never evidence).

An entry speaks for **outside** when its holder is the state (`staten`), a principle every municipality
and region is bound by (`forbjudet`), or the other level's obligatory task (`regionen` for a municipality,
`kommunen` for a region); for **within** otherwise. Per proposal:

* outside, if the best outside entry scores at least `MARGIN` more than the best within entry (or no
  within entry fires); the verdict rests on the outside entry that names who holds the task (or a
  principle matched by its pattern) before one matched by cue words only, then on the highest score;
* uncertain, if both sides fire within `MARGIN` of each other: the evidence conflicts, and the draft says
  what the official must check;
* within, otherwise — with the municipal entry's legal basis when one fired, else the general competence
  of 2 kap. 1 § kommunallagen (nothing retrieved places the task elsewhere).

The remiss is outside if any proposal is, else uncertain if any is, else within. The constants were
calibrated on `evals/cases/competence-dev.yaml` only (see docs/competence.md); the public cases and the
held-out synthetic cases were not used to set them. No language model is asked: measured on real cases
the small local model chose "kommunen" or "oklart" almost always, and a yes/no confirmation said "ja"
to everything.

For the state's areas the authority's own instruction is searched as well (hybrid, restricted to that
instruction) and its best task paragraph that shares words with the proposal is added as evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from agent.drafting.atlas_search import AtlasSearch, EntryMatch, atlas_search
from agent.drafting.intake import Intake, Proposal
from agent.drafting.models import COMPETENCE_SV, Competence
from agent.drafting.retrieve import Evidence, authority_paragraphs
from agent.drafting.text import content_terms
from agent.index.search import Searcher
from agent.sources.atlas import HOLDER_SV
from agent.sources.models import Document

BodyKind = Literal["kommun", "region"]
BODY_SV: dict[str, str] = {"kommun": "kommunen", "region": "regionen"}

# The rule's constants (docs/competence.md: how they were calibrated).
MIN_CUES_ALONE = 1.5
DENSE_TOP = 3
DENSE_BONUS = 1.0
PATTERN_WEIGHT = 2.0
MARGIN = 0.5
MIN_PROPOSAL_WORDS = 12  # shorter proposals ("att motionen bifalls") are read with the remiss's background
MAX_EVIDENCE_PARAGRAPHS = 2  # legal-basis paragraphs quoted per deciding entry

TASK_RE = re.compile(
    r"\b(ansvarar\s+för|ansvar\s+för|har\s+till\s+uppgift|huvuduppgift|uppgift\s+att|förvaltningsmyndighet\s+för|"
    r"ska\s+(?:särskilt\s+|även\s+|också\s+)?(?:\w+\s+){0,2}?(?:bedriva|verka|ge|stödja|utreda|förebygga|"
    r"förhindra|ansvara|svara|handlägga|pröva|tillhandahålla|samordna|främja|utföra|bistå|erbjuda|driva|"
    r"genomföra|hantera|ta\s+emot|besluta|bekämpa|skydda|tillgodose|bevaka|planera|bygga|anlägga|upphandla)|"
    r"ska\s*(?:\n|:))",
    re.IGNORECASE,
)
ADMIN_RE = re.compile(
    r"\b(säte|Regeringskansliet|årsredovisning|anställning|styrelse|insynsråd|myndighetschef|generaldirektör|"
    r"personalansvarsnämnd|redovisa|ledamöter|överdirektör|internrevision)",
    re.IGNORECASE,
)
_REGION_STRONG_RE = re.compile(
    r"\b(regionfullmäktige|regionstyrelsen|regionråd|landstingsfullmäktige|landstingsstyrelsen|"
    r"Region\s+[A-ZÅÄÖ][\wåäö]+|Västra\s+Götalandsregionen|[A-ZÅÄÖ][\wåäö]+\s+läns\s+landsting)",
)
_MUNICIPALITY_STRONG_RE = re.compile(
    r"\b(kommunfullmäktige|kommunstyrelsen|kommunalråd|[A-ZÅÄÖ][\wåäö]+\s+kommun\b|[A-ZÅÄÖ][\wåäö]+\s+stad\b|"
    r"stadsdelsnämnd\w*|stadsfullmäktige)",
)
_REGION_WEAK_RE = re.compile(r"\b(regionen|landstinget)\b", re.IGNORECASE)
_MUNICIPALITY_WEAK_RE = re.compile(r"\b(kommunen|staden)\b", re.IGNORECASE)


def body_kind(intake: Intake) -> BodyKind:
    """Does a municipality or a region answer? Read from the remiss: who it is addressed to and who the
    proposals ask to act ("att regionen inför …") weigh most, then mentions anywhere in the text."""
    text = f"{intake.title}\n{intake.addressed_to}\n{intake.sender}\n{intake.text[:20000]}"
    proposals = " ".join(p.text for p in intake.proposals)

    def weight(strong: re.Pattern[str], weak: re.Pattern[str]) -> int:
        return 3 * len(strong.findall(text)) + len(weak.findall(text)) + 3 * len(weak.findall(proposals))

    region = weight(_REGION_STRONG_RE, _REGION_WEAK_RE)
    return "region" if region > weight(_MUNICIPALITY_STRONG_RE, _MUNICIPALITY_WEAK_RE) else "kommun"


def is_task_paragraph(doc: Document) -> bool:
    """Does the paragraph assign a task (rather than the seat, reporting duties or management)?"""
    head = " ".join(doc.text.split())[:400]
    return bool(TASK_RE.search(doc.text)) and not ADMIN_RE.search(head)


def shared_terms(doc: Document, topic: str) -> set[str]:
    return content_terms(doc.text) & content_terms(topic)


def side(holder: str, body: BodyKind) -> Competence:
    """What an entry's holder means for the answering body."""
    if holder in ("staten", "forbjudet"):
        return "outside"
    if (holder == "regionen" and body == "kommun") or (holder == "kommunen" and body == "region"):
        return (
            "outside"  # the other level's obligatory task (2 kap. 2 § KL: "en annan kommun, en annan region")
        )
    return "within"


def fires(m: EntryMatch) -> bool:
    if m.counter_cues:
        return False
    return (
        bool(m.patterns)
        or m.cue_weight >= MIN_CUES_ALONE
        or (m.cue_weight >= 1 and m.dense_rank <= DENSE_TOP)
    )


def specific(m: EntryMatch) -> bool:
    """Does the match name who holds the task, or a specific act that collides with a principle?"""
    return m.entry.holder != "forbjudet" or bool(m.patterns)


def score(m: EntryMatch) -> float:
    return (
        m.cue_weight + PATTERN_WEIGHT * len(m.patterns) + (DENSE_BONUS if m.dense_rank <= DENSE_TOP else 0.0)
    )


@dataclass
class ProposalJudgement:
    proposal: Proposal
    verdict: Competence
    actor: str  # who holds the task: an authority's name, "regionen", "kommunen", or the principle's bearer
    deciding: EntryMatch | None = None  # the entry the verdict rests on (None: general competence)
    competing: EntryMatch | None = None  # the best entry on the other side, if it fired
    evidence: list[Document] = field(default_factory=list)  # paragraphs the verdict rests on
    competing_evidence: list[Document] = field(default_factory=list)

    @property
    def outside(self) -> bool:
        return self.verdict == "outside"

    def to_json(self) -> dict[str, Any]:
        def entry_json(m: EntryMatch | None) -> dict[str, Any] | None:
            if m is None:
                return None
            return {
                "id": m.entry.id,
                "area": m.entry.area,
                "holder": m.entry.holder,
                "holder_sv": HOLDER_SV[m.entry.holder],
                "actor": m.entry.actor,
                "statement": m.entry.statement,
                "matched_cues": list(m.cues),
                "matched_patterns": list(m.patterns),
                "dense_similarity": round(m.dense, 4),
                "dense_rank": m.dense_rank,
                "score": score(m),
            }

        return {
            "proposal": self.proposal.text,
            "verdict": self.verdict,
            "actor": self.actor,
            "entry": entry_json(self.deciding),
            "paragraphs": [{"id": d.id, "label": d.label} for d in self.evidence],
            "competing_entry": entry_json(self.competing),
            "competing_paragraphs": [{"id": d.id, "label": d.label} for d in self.competing_evidence],
        }


@dataclass
class CompetenceResult:
    competence: Competence
    judgements: list[ProposalJudgement]
    body: BodyKind = "kommun"

    def evidence(self) -> list[Document]:
        """Every paragraph a verdict or a conflict rests on (the draft may cite them)."""
        seen: set[str] = set()
        out = []
        for j in self.judgements:
            for doc in [*j.evidence, *j.competing_evidence]:
                if doc.id not in seen:
                    seen.add(doc.id)
                    out.append(doc)
        return out

    def to_json(self) -> list[dict[str, Any]]:
        """`competence_evidence` of `remiss draft --json`: per proposal, what the verdict rests on."""
        return [j.to_json() for j in self.judgements]


def _basis(searcher: Searcher, m: EntryMatch) -> list[Document]:
    """The entry's legal-basis paragraphs that are in the index with text, most decisive first."""
    docs = [searcher.get(pid) for pid in m.entry.legal_basis]
    return [d for d in docs if d is not None and d.text.strip()]


def _instruction_paragraph(
    searcher: Searcher, evidence: Evidence, actor: str, topic: str, have: set[str]
) -> Document | None:
    """The best task paragraph of `actor`'s instruction that shares words with the proposal."""
    law_id = next((lid for lid, name in evidence.authority_names.items() if name == actor), None)
    if law_id is None:
        return None
    for doc in authority_paragraphs(searcher, law_id, topic[:1500], 4, evidence.exclude_sources):
        if doc.id not in have and is_task_paragraph(doc) and shared_terms(doc, topic):
            return doc
    return None


def proposal_text(proposal: Proposal, evidence: Evidence) -> str:
    """What a proposal is matched on: the proposal, with the remiss's background when it is very short."""
    if len(proposal.text.split()) < MIN_PROPOSAL_WORDS and evidence.background:
        return f"{proposal.text}\n{evidence.background}"
    return proposal.text


def judge(
    proposal: Proposal, evidence: Evidence, searcher: Searcher, atlas: AtlasSearch, body: BodyKind
) -> ProposalJudgement:
    text = proposal_text(proposal, evidence)
    firing = [(m, _basis(searcher, m)) for m in atlas.match(text) if fires(m)]
    firing = [(m, docs) for m, docs in firing if docs]  # no text, no evidence
    outs = [x for x in firing if side(x[0].entry.holder, body) == "outside"]
    inns = [x for x in firing if side(x[0].entry.holder, body) == "within"]
    out_score = max((score(m) for m, _ in outs), default=0.0)
    in_score = max((score(m) for m, _ in inns), default=0.0)
    # The reason: an entry that names who holds the task, or a principle matched by its pattern (a
    # specific act), before a principle matched by cue words only; then the score.
    out = max(outs, key=lambda x: (specific(x[0]), score(x[0])), default=None)
    inn = max(inns, key=lambda x: score(x[0]), default=None)
    if out and out_score >= in_score + MARGIN:
        m, docs = out
        evidence_docs = docs[:MAX_EVIDENCE_PARAGRAPHS]
        if m.entry.holder == "staten":  # the authority's own paragraph closest to the proposal, if any
            extra = _instruction_paragraph(searcher, evidence, m.entry.actor, text, {d.id for d in docs})
            if extra is not None:
                evidence_docs = [evidence_docs[0], extra]
        return ProposalJudgement(
            proposal,
            "outside",
            m.entry.actor,
            deciding=m,
            competing=inn[0] if inn else None,
            evidence=evidence_docs,
        )
    if out and inn and in_score < out_score + MARGIN:
        return ProposalJudgement(
            proposal,
            "uncertain",
            out[0].entry.actor,
            deciding=out[0],
            competing=inn[0],
            evidence=out[1][:1],
            competing_evidence=inn[1][:1],
        )
    if inn:
        return ProposalJudgement(
            proposal,
            "within",
            inn[0].entry.actor,
            deciding=inn[0],
            competing=out[0] if out else None,
            evidence=inn[1][:1],
        )
    return ProposalJudgement(proposal, "within", BODY_SV[body])


def assess_competence(
    proposals: list[Proposal], evidence: Evidence, searcher: Searcher, *, body: BodyKind = "kommun"
) -> CompetenceResult:
    if not proposals:
        return CompetenceResult("uncertain", [], body)
    atlas = atlas_search(searcher.settings, searcher.embedder)
    judgements = [judge(p, evidence, searcher, atlas, body) for p in proposals]
    verdicts = {j.verdict for j in judgements}
    verdict: Competence = (
        "outside" if "outside" in verdicts else "uncertain" if "uncertain" in verdicts else "within"
    )
    return CompetenceResult(verdict, judgements, body)


def competence_summary(result: CompetenceResult) -> str:
    """One line for the progress display: the verdict and what it rests on (Swedish)."""
    verdict = COMPETENCE_SV[result.competence]
    reasons = []
    for j in result.judgements:
        if j.deciding is not None and j.verdict == result.competence:
            words = ", ".join(dict.fromkeys([*j.deciding.patterns, *j.deciding.cues]))
            reasons.append(f"{j.deciding.entry.area} ({j.actor}; {words})")
    return f"{verdict}: {'; '.join(dict.fromkeys(reasons))}" if reasons else verdict
