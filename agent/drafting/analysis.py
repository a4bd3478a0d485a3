"""Step 4 of the pipeline: the structured analysis (standpoint, competence, arguments with sources).

* competence **outside** -> standpoint **avstyrker** (a rule: the municipality cannot take on what
  kommunallagen 2 kap. 2 § keeps from it, so the proposal cannot be supported as proposed);
* otherwise the model chooses the standpoint under a JSON schema from the retrieved laws and earlier
  answers, and names the numbered sources that support it (`standpoint` in the prompt file).

Every `Argument` is tied to the ids of the given sources that support it; its text is built from
the sources' own words, never from model prose.
"""

from __future__ import annotations

from functools import cache
from typing import ClassVar, Literal

from pydantic import Field, create_model, field_validator

from agent.drafting.competence import CompetenceResult
from agent.drafting.guard import neutralize
from agent.drafting.intake import Proposal
from agent.drafting.models import Analysis, Argument, Standpoint
from agent.drafting.prompts import Prompts
from agent.drafting.retrieve import FRAME_IDS, Evidence
from agent.drafting.text import clip
from agent.llm.backends import ChatModel
from agent.llm.structured import JsonAnswer, ask_json
from agent.sources.models import Document

STANDPOINTS: tuple[Standpoint, ...] = ("tillstyrker", "besvarad", "avstyrker")
MAX_SOURCE_CHARS = 350
MAX_STANDPOINT_SOURCES = 8
KL_2_1, KL_2_2 = FRAME_IDS[0], FRAME_IDS[1]


class StandpointAnswer(JsonAnswer):
    """The model's standpoint and the numbers of the listed sources that support it.

    `standpoint_answer(n)` is the model (and so the schema) for n listed sources. Read leniently:
    an unknown or missing standpoint counts as "avstyrker"; a number that is not an integer or
    names no listed source is dropped.
    """

    source_numbers: ClassVar[range] = range(1, 1)
    standpunkt: Standpoint = "avstyrker"
    stod: list[int] = Field(default_factory=list)

    @field_validator("standpunkt", mode="before")
    @classmethod
    def _unknown_is_avstyrker(cls, value: object) -> object:
        return value if value in STANDPOINTS else "avstyrker"

    @field_validator("stod", mode="before")
    @classmethod
    def _listed_numbers_only(cls, value: object) -> list[int]:
        if not isinstance(value, list):
            return []
        return [int(n) for n in value if isinstance(n, int) and n in cls.source_numbers]


@cache
def standpoint_answer(n_sources: int) -> type[StandpointAnswer]:
    """`StandpointAnswer` whose `stod` may only name the sources 1..n_sources (an enum in the schema)."""
    numbers = range(1, n_sources + 1)
    source_number = Literal[tuple(numbers)]  # type: ignore[valid-type]
    model = create_model(
        f"StandpointAnswer{n_sources}",
        __base__=StandpointAnswer,
        stod=(list[source_number], Field(default_factory=list)),  # type: ignore[valid-type]
    )
    model.source_numbers = numbers
    return model


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
    messages = prompts.messages(
        "system_narrow",
        "standpoint",
        proposals="\n".join(f"- {clip(neutralize(p.text)[0], 500)}" for p in proposals),
        sources=listing or "(inget underlag hittades)",
    )
    answer = ask_json(
        chat,
        messages,
        standpoint_answer(max(1, len(sources))),
        max_tokens=60,
        name="standpunkt",
    )
    numbered = dict(enumerate(sources, start=1))
    picked: list[Document] = []
    for n in answer.stod:
        doc = numbered.get(n)
        if doc is not None and doc not in picked:
            picked.append(doc)
    return answer.standpunkt, picked


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
