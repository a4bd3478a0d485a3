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
from agent.drafting.guard import for_prompt
from agent.drafting.intake import Proposal
from agent.drafting.models import Analysis, Argument, Standpoint
from agent.drafting.prompts import Prompts
from agent.drafting.retrieve import FRAME_IDS, Evidence
from agent.drafting.text import clip
from agent.llm.backends import ChatModel
from agent.llm.local_model import LLMError, LLMTimeoutError
from agent.llm.structured import JsonAnswer, ask_json
from agent.llm.tokens import chars_for, estimate_tokens
from agent.sources.models import Document

STANDPOINTS: tuple[Standpoint, ...] = ("tillstyrker", "besvarad", "avstyrker")
MAX_SOURCE_CHARS = 350
MIN_SOURCE_CHARS = 120
MAX_PROPOSAL_CHARS = 500
MIN_RETRY_TOKENS = 500
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


def standpoint_messages(
    proposals: list[Proposal], sources: list[Document], prompts: Prompts, token_budget: int | None = None
) -> list[dict[str, str]]:
    """The standpoint question. Under `token_budget` (the local model: prompt processing is most of a
    draft's time) the proposals take at most half of what the instructions leave, in order and at least
    the first, and every source is shortened alike to fit the rest — the same sources, so the numbers
    the model answers with mean the same, only fewer words of each (never below MIN_SOURCE_CHARS: a
    very small budget is a target, not a bound)."""
    lines = [f"- {clip(for_prompt(p.text), MAX_PROPOSAL_CHARS)}" for p in proposals]
    source_chars = MAX_SOURCE_CHARS
    if token_budget is not None:
        fixed = prompts.messages("system_narrow", "standpoint", proposals="", sources="")
        left = chars_for(token_budget - estimate_tokens("".join(m["content"] for m in fixed)) - 30)
        kept: list[str] = []
        for line in lines:
            if kept and sum(len(k) + 1 for k in kept) + len(line) > left // 2:
                break
            kept.append(line)
        lines = kept
        left -= sum(len(k) + 1 for k in kept)
        if sources:
            labels = sum(len(d.label) + 8 for d in sources)
            source_chars = max(MIN_SOURCE_CHARS, min(MAX_SOURCE_CHARS, (left - labels) // len(sources)))
    listing = "\n".join(f"[{i + 1}] {d.label}: {clip(d.text, source_chars)}" for i, d in enumerate(sources))
    return prompts.messages(
        "system_narrow",
        "standpoint",
        proposals="\n".join(lines),
        sources=listing or "(inget underlag hittades)",
    )


def choose_standpoint(
    proposals: list[Proposal],
    evidence: Evidence,
    chat: ChatModel,
    prompts: Prompts,
    token_budget: int | None = None,
) -> tuple[Standpoint, list[Document]]:
    """The model's standpoint and the sources it says support it. A call that misses its deadline is
    asked once more with half the token budget (stated fallback); a second miss is the caller's error."""
    sources = standpoint_sources(evidence)
    try:
        return _ask_standpoint(proposals, sources, chat, prompts, token_budget)
    except LLMTimeoutError:
        if token_budget is None:
            raise
        return _ask_standpoint(proposals, sources, chat, prompts, max(MIN_RETRY_TOKENS, token_budget // 2))


def _ask_standpoint(
    proposals: list[Proposal],
    sources: list[Document],
    chat: ChatModel,
    prompts: Prompts,
    token_budget: int | None,
) -> tuple[Standpoint, list[Document]]:
    messages = standpoint_messages(proposals, sources, prompts, token_budget)
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


def _standpoint_and_support(
    proposals: list[Proposal],
    evidence: Evidence,
    chat: ChatModel,
    prompts: Prompts,
    standpoint_override: Standpoint | None,
    token_budget: int | None,
) -> tuple[Standpoint, list[Document]]:
    """The model's choice. When the official has already decided and the model cannot answer in time
    (or at all), the draft does not wait for it: the best-ranked law and earlier answer support it."""
    try:
        return choose_standpoint(proposals, evidence, chat, prompts, token_budget)
    except LLMError:
        if standpoint_override is None:
            raise
        return standpoint_override, [*evidence.laws[:1], *evidence.precedents[:1]]


def analyse(
    proposals: list[Proposal],
    evidence: Evidence,
    competence: CompetenceResult,
    chat: ChatModel,
    prompts: Prompts,
    *,
    standpoint_override: Standpoint | None = None,
    token_budget: int | None = None,
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
        standpoint, support = _standpoint_and_support(
            proposals, evidence, chat, prompts, standpoint_override, token_budget
        )
        for doc in support:
            arguments.append(Argument(f"{doc.label}: {first_sentence(doc.text)}", (doc.id,)))
    if standpoint_override is not None:
        standpoint = standpoint_override
    return Analysis(standpoint=standpoint, competence=competence.competence, arguments=tuple(arguments))
