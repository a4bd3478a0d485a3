"""Step 4 of the pipeline: the structured analysis (standpoint, competence, arguments with sources).

* competence **outside** -> standpoint **avstyrker** (a rule: the municipality cannot take on what
  kommunallagen 2 kap. 2 § keeps from it, so the proposal cannot be supported as proposed);
* otherwise the model chooses the standpoint under a JSON schema from the retrieved laws and earlier
  answers, and names the numbered sources that support it (`standpoint` in the prompt file).

Every `Argument` is tied to the ids of the given sources that support it; its text is built from
the sources' own words, never from model prose.
"""

from __future__ import annotations

from typing import Any

from agent.drafting.competence import CompetenceResult
from agent.drafting.guard import neutralize
from agent.drafting.intake import Proposal
from agent.drafting.models import Analysis, Argument, Standpoint
from agent.drafting.prompts import Prompts
from agent.drafting.retrieve import FRAME_IDS, Evidence
from agent.drafting.text import clip, narrow_messages
from agent.llm.backends import ChatModel
from agent.sources.models import Document

STANDPOINTS: tuple[Standpoint, ...] = ("tillstyrker", "besvarad", "avstyrker")
MAX_SOURCE_CHARS = 350
MAX_STANDPOINT_SOURCES = 8
KL_2_1, KL_2_2 = FRAME_IDS[0], FRAME_IDS[1]


def standpoint_schema(n_sources: int) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "standpunkt": {"type": "string", "enum": list(STANDPOINTS)},
            "stod": {"type": "array", "items": {"type": "integer", "enum": list(range(1, n_sources + 1))}},
        },
        "required": ["standpunkt", "stod"],
        "additionalProperties": False,
    }


def first_sentence(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    for end in (". ", "; ", ": "):
        i = text.find(end)
        if 0 < i < limit:
            return text[: i + 1]
    return clip(text, limit)


def standpoint_sources(evidence: Evidence) -> list[Document]:
    return [*evidence.laws[:4], *evidence.precedents[:4]][:MAX_STANDPOINT_SOURCES]


def choose_standpoint(
    proposals: list[Proposal], evidence: Evidence, chat: ChatModel, prompts: Prompts
) -> tuple[Standpoint, list[Document]]:
    sources = standpoint_sources(evidence)
    listing = "\n".join(
        f"[{i + 1}] {d.label}: {clip(d.text, MAX_SOURCE_CHARS)}" for i, d in enumerate(sources)
    )
    user = prompts.text(
        "standpoint",
        proposals="\n".join(f"- {clip(neutralize(p.text)[0], 500)}" for p in proposals),
        sources=listing or "(inget underlag hittades)",
    )
    answer = chat.complete_json(
        narrow_messages(prompts, user),
        standpoint_schema(max(1, len(sources))),
        max_tokens=60,
        name="standpunkt",
    )
    standpoint = answer.get("standpunkt")
    if standpoint not in STANDPOINTS:
        standpoint = "avstyrker"
    picked = []
    for n in answer.get("stod", []):
        if isinstance(n, int) and 1 <= n <= len(sources) and sources[n - 1] not in picked:
            picked.append(sources[n - 1])
    return standpoint, picked  # type: ignore[return-value]


def analyse(
    proposals: list[Proposal],
    evidence: Evidence,
    competence: CompetenceResult,
    chat: ChatModel,
    prompts: Prompts,
    *,
    standpoint_override: Standpoint | None = None,
) -> Analysis:
    frame = {d.id: d for d in evidence.frame}
    arguments: list[Argument] = []
    if KL_2_1 in frame:
        arguments.append(Argument(first_sentence(frame[KL_2_1].text), (KL_2_1,)))
    support: list[Document] = []
    if competence.competence == "outside":
        standpoint: Standpoint = "avstyrker"
        if KL_2_2 in frame:
            arguments.append(Argument(first_sentence(frame[KL_2_2].text), (KL_2_2,)))
        for j in competence.judgements:
            for doc in j.evidence:
                arguments.append(Argument(f"{j.actor}: {first_sentence(doc.text)}", (doc.id,)))
    else:
        standpoint, support = choose_standpoint(proposals, evidence, chat, prompts)
        for doc in support:
            arguments.append(Argument(f"{doc.label}: {first_sentence(doc.text)}", (doc.id,)))
    if standpoint_override is not None:
        standpoint = standpoint_override
    return Analysis(standpoint=standpoint, competence=competence.competence, arguments=tuple(arguments))
