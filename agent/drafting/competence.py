"""Step 3 of the pipeline: kompetensprövning, resting on evidence the system retrieved.

Asked directly ("is this within the municipality's competence?") the small local model says "yes"
to everything. So the question is split into narrow, checkable jobs:

1. **Who has the task?** For each proposal the model chooses, under a JSON schema, among
   "kommunen", the state authorities whose *förordning med instruktion* is in the index, and
   "oklart" (`competence_actor` in the prompt file).
2. **Does the statute say so?** For a chosen authority, its instruction paragraphs that best match
   the proposal (and the remiss's own description of the problem) are retrieved. The best one that
   states a task (`is_task_paragraph`: "ansvarar för", "ska … utreda/stödja/…", not the seat,
   reporting or management rules) and shares at least `MIN_SHARED_TERMS` content words with the
   remiss (`MIN_SHARED_TERMS_NAMED` when the remiss itself names the authority, e.g. as a
   remissinstans or "polisstation" -> Polismyndigheten) is the evidence, quoted in the draft.
   This check is deterministic on purpose: measured on real cases, the small model answered "ja"
   to every yes/no confirmation and "ingen" to every choice that offered a way out.

The verdict is a rule over that evidence:

* **outside** — for at least one proposal the model named a state authority and its instruction
  holds a qualifying paragraph (kommunallagen 2 kap. 2 §: not what *enbart staten* shall handle);
  the paragraph is cited;
* **within** — otherwise: nothing retrieved places the task with the state or anyone else (the model
  said "kommunen" or "oklart", or named an authority whose instruction does not bear it out), so the
  general competence of kommunallagen 2 kap. 1 § applies; it is cited and the draft says what was
  checked. The model's own "oklart" or an unsupported authority is not evidence either way.
  Measured on the 26 public cases, the first rule set (anything but "kommunen" -> uncertain) left 12
  of 26 cases "uncertain", 10 of them annotated "within" (evals/results/2026-11-27-local-drafting-v1);
* **uncertain** — only when there is no proposal to judge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agent.drafting.guard import neutralize
from agent.drafting.intake import Proposal
from agent.drafting.models import Competence
from agent.drafting.prompts import Prompts
from agent.drafting.retrieve import Evidence, authority_paragraphs
from agent.drafting.text import clip, content_terms, narrow_messages
from agent.index.search import Searcher
from agent.llm.backends import ChatModel
from agent.sources.models import Document

MUNICIPALITY = "kommunen"
UNCLEAR = "oklart"
MAX_PROPOSAL_CHARS = 500  # per proposal, in the prompt
MAX_PARAGRAPH_CHARS = 900
MAX_BACKGROUND_CHARS = 700  # a confirmed paragraph's text in the prompt
PARAGRAPHS_PER_AUTHORITY = 2


@dataclass
class ProposalJudgement:
    proposal: Proposal
    actor: str  # "kommunen", an authority's name, or "oklart"
    evidence: list[Document] = field(default_factory=list)  # confirmed instruction paragraphs
    rejected: list[Document] = field(default_factory=list)  # paragraphs the model did not confirm

    @property
    def outside(self) -> bool:
        return bool(self.evidence)


@dataclass
class CompetenceResult:
    competence: Competence
    judgements: list[ProposalJudgement]

    def evidence(self) -> list[Document]:
        seen: set[str] = set()
        out = []
        for j in self.judgements:
            for doc in j.evidence:
                if doc.id not in seen:
                    seen.add(doc.id)
                    out.append(doc)
        return out


def actor_schema(n: int, choices: list[str]) -> dict[str, Any]:
    props = {f"forslag_{i + 1}": {"type": "string", "enum": choices} for i in range(n)}
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


MIN_SHARED_TERMS = 3  # content stems a paragraph must share with the remiss
MIN_SHARED_TERMS_NAMED = 1  # … when the remiss itself names the authority
TASK_RE = re.compile(
    r"\b(ansvarar\s+för|ansvar\s+för|har\s+till\s+uppgift|huvuduppgift|uppgift\s+att|ska\s+(?:särskilt\s+|även\s+|"
    r"också\s+)?(?:\w+\s+){0,2}?(?:bedriva|verka|ge|stödja|utreda|förebygga|förhindra|ansvara|svara|handlägga|"
    r"pröva|tillhandahålla|samordna|främja|utföra|bistå|erbjuda|driva|genomföra|hantera|ta\s+emot|besluta|"
    r"bekämpa|skydda|tillgodose|bevaka|planera|bygga|anlägga|upphandla)|ska\s*(?:\n|:))",
    re.IGNORECASE,
)
ADMIN_RE = re.compile(
    r"\b(säte|Regeringskansliet|årsredovisning|anställning|styrelse|insynsråd|myndighetschef|generaldirektör|"
    r"personalansvarsnämnd|redovisa|ledamöter|överdirektör|internrevision)",
    re.IGNORECASE,
)


def names_authority(name: str, text: str) -> bool:
    """Does `text` name the authority ("Polismyndigheten" -> "polis…", "Skolverket" -> "skolverk…")?"""
    stem = re.sub(r"(myndigheten|verket|en|et)$", "", name.split()[0].lower())
    return len(stem) >= 4 and stem in text.lower()


def is_task_paragraph(doc: Document) -> bool:
    """Does the paragraph assign a task (rather than the seat, reporting duties or management)?"""
    head = " ".join(doc.text.split())[:400]
    return bool(TASK_RE.search(doc.text)) and not ADMIN_RE.search(head)


def shared_terms(doc: Document, topic: str) -> set[str]:
    return content_terms(doc.text) & content_terms(topic)


def choose_actors(
    proposals: list[Proposal], evidence: Evidence, chat: ChatModel, prompts: Prompts
) -> list[str]:
    names = [evidence.authority_names[i] for i in evidence.authority_candidates] or sorted(
        set(evidence.authority_names.values())
    )
    choices = [MUNICIPALITY, *names, UNCLEAR]
    listing = "\n".join(
        f"{i + 1}. {clip(neutralize(p.text)[0], MAX_PROPOSAL_CHARS)}" for i, p in enumerate(proposals)
    )
    user = prompts.text(
        "competence_actor",
        background=clip(neutralize(evidence.background)[0], 900) or "(ingen)",
        proposals=listing,
        authorities="\n".join(f"- {n}" for n in names) or "(inga)",
    )
    answer = chat.complete_json(
        narrow_messages(prompts, user),
        actor_schema(len(proposals), choices),
        max_tokens=40 + 25 * len(proposals),
        name="ansvar",
    )
    return [str(answer.get(f"forslag_{i + 1}", UNCLEAR)) for i in range(len(proposals))]


def assess_competence(
    proposals: list[Proposal],
    evidence: Evidence,
    searcher: Searcher,
    chat: ChatModel,
    prompts: Prompts,
) -> CompetenceResult:
    if not proposals:
        return CompetenceResult("uncertain", [])
    actors = choose_actors(proposals, evidence, chat, prompts)
    by_name = {name: law_id for law_id, name in evidence.authority_names.items()}
    judgements: list[ProposalJudgement] = []
    for proposal, actor in zip(proposals, actors, strict=True):
        judgement = ProposalJudgement(proposal, actor)
        law_id = by_name.get(actor)
        if law_id is not None:
            topic = f"{proposal.text} {evidence.background}"
            found = authority_paragraphs(
                searcher, law_id, topic[:1500], PARAGRAPHS_PER_AUTHORITY + 3, evidence.exclude_sources
            )
            named = names_authority(actor, " ".join(p.text for p in proposals) + evidence.background)
            need = MIN_SHARED_TERMS_NAMED if named else MIN_SHARED_TERMS
            qualified = [d for d in found if is_task_paragraph(d) and len(shared_terms(d, topic)) >= need]
            judgement.evidence.extend(qualified[:1])
            judgement.rejected.extend(d for d in found if d not in judgement.evidence)
        judgements.append(judgement)
    if any(j.outside for j in judgements):
        verdict: Competence = "outside"
    else:
        verdict = "within"  # nothing retrieved places the task elsewhere: the general competence applies
    return CompetenceResult(verdict, judgements)
