"""Bounded model work per draft (issue 13): the local model's standpoint prompt under a token budget, a
deadline per model call with its stated fallback, and the local server's threads chosen for the machine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fake_chat import FakeChat

from agent.config import Settings
from agent.drafting.analysis import MAX_SOURCE_CHARS, analyse, choose_standpoint, standpoint_messages
from agent.drafting.competence import CompetenceResult
from agent.drafting.factory import PipelineFactory
from agent.drafting.intake import Proposal
from agent.drafting.prompts import load_prompts
from agent.drafting.retrieve import Evidence
from agent.llm import server
from agent.llm.backends import ChatBackend
from agent.llm.local_model import LLMTimeoutError
from agent.llm.tokens import estimate_tokens
from agent.sources.models import Document

LAW_TEXT = (
    "Kommuner och regioner får själva ha hand om angelägenheter av allmänt intresse som har anknytning till "
    "kommunens eller regionens område eller deras medlemmar. " * 4
)


def _doc(i: int, kind: str = "law") -> Document:
    return Document(id=f"d{i}", kind=kind, label=f"{i} § lagen (2017:725)", text=LAW_TEXT, source="x")


@pytest.fixture(scope="module")
def prompts():  # type: ignore[no-untyped-def]
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    return load_prompts(settings.prompts_dir, settings.prompt_version)


def _evidence() -> Evidence:
    return Evidence(laws=[_doc(i) for i in range(4)], precedents=[_doc(i, "precedent") for i in range(4, 8)])


def _prompt_tokens(messages: list[dict[str, str]]) -> int:
    return estimate_tokens("".join(m["content"] for m in messages))


def test_the_standpoint_prompt_fits_its_token_budget_with_every_source(prompts) -> None:  # type: ignore[no-untyped-def]
    sources = _evidence().laws + _evidence().precedents
    proposals = [
        Proposal(f"att kommunen gör sak nummer {i} " + "och mer " * 40, "att-sats") for i in range(12)
    ]
    unbounded = standpoint_messages(proposals, sources, prompts)
    bounded = standpoint_messages(proposals, sources, prompts, token_budget=1000)
    assert _prompt_tokens(unbounded) > 1500 and _prompt_tokens(bounded) <= 1000
    text = bounded[1]["content"]
    assert all(f"[{n}] " in text for n in range(1, 9)), "the same eight sources, shortened"
    assert "sak nummer 0" in text and "sak nummer 11" not in text, "the first proposals, in order"
    # Without a budget (a strong model) every source keeps its MAX_SOURCE_CHARS, as before.
    lines = [line for line in unbounded[1]["content"].splitlines() if line.startswith("[")]
    assert len(lines) == 8 and all(len(line) > MAX_SOURCE_CHARS - 20 for line in lines)


@dataclass
class SlowChat(FakeChat):
    """Misses the deadline the first `misses` times, then answers."""

    misses: int = 1

    def complete_json(
        self, messages: list[dict[str, Any]], schema: dict[str, Any], max_tokens: int, **kw: Any
    ):  # type: ignore[no-untyped-def,override]
        self.calls.append(("försök", messages))
        if len([c for c in self.calls if c[0] == "försök"]) <= self.misses:
            raise LLMTimeoutError("Modellen svarade inte inom 90 s (REMISS_LLM_TIMEOUT).")
        self.calls.pop()
        return super().complete_json(messages, schema, max_tokens, **kw)


def test_a_missed_deadline_is_asked_once_more_with_half_the_budget(prompts) -> None:  # type: ignore[no-untyped-def]
    chat = SlowChat(standpoint="tillstyrker", misses=1)
    standpoint, _ = choose_standpoint(
        [Proposal("att kommunen bygger en lekplats", "att-sats")], _evidence(), chat, prompts, 1200
    )
    assert standpoint == "tillstyrker"
    first, second = (_prompt_tokens(m) for _, m in chat.calls)
    assert second < 0.75 * first  # (no source is cut below MIN_SOURCE_CHARS, so not quite half)
    with pytest.raises(LLMTimeoutError):
        choose_standpoint([Proposal("att x", "att-sats")], _evidence(), SlowChat(misses=2), prompts, 1200)


def test_the_officials_standpoint_does_not_wait_for_a_model_that_misses_its_deadline(prompts) -> None:  # type: ignore[no-untyped-def]
    evidence = _evidence()
    competence = CompetenceResult(competence="within", judgements=())  # type: ignore[call-arg]
    analysis = analyse(
        [Proposal("att x", "att-sats")],
        evidence,
        competence,
        SlowChat(misses=9),
        prompts,
        standpoint_override="besvarad",
        token_budget=1000,
    )
    assert analysis.standpoint == "besvarad"
    assert {a.source_ids[0] for a in analysis.arguments} >= {"d0", "d4"}


def test_a_call_past_its_deadline_is_a_swedish_timeout_error() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client = httpx.Client(transport=httpx.MockTransport(timeout))
    chat = ChatBackend(
        base_url="http://127.0.0.1:9/v1", api_key="k", model="m", kind="local", http_client=client, timeout=5
    )  # type: ignore[arg-type]
    with pytest.raises(LLMTimeoutError, match="inom 5 s"):
        chat.complete_json([{"role": "user", "content": "hej"}], {"type": "object", "properties": {}}, 10)
    with pytest.raises(LLMTimeoutError):
        list(chat.stream([{"role": "user", "content": "hej"}]))
    assert chat.as_langchain().max_retries == 0  # a deadline is not retried by the client


def test_only_the_local_model_gets_the_token_budget() -> None:
    settings = Settings(_env_file=None, llm_standpoint_tokens=800)  # type: ignore[call-arg]
    assert PipelineFactory.from_settings(settings, FakeChat(kind="local")).standpoint_tokens == 800
    assert PipelineFactory.from_settings(settings, FakeChat(kind="openai")).standpoint_tokens is None


@pytest.mark.parametrize(
    ("busy_share", "threads"),
    [(0.0, 2), (0.2, 2), (0.5, 1), (1.0, 1)],
)
def test_the_local_server_takes_the_cores_that_are_free(
    monkeypatch: pytest.MonkeyPatch, busy_share: float, threads: int
) -> None:
    samples = iter([(0, 0), (int(1000 * busy_share), 1000)])
    monkeypatch.setattr(server, "_cpu_times", lambda: next(samples))
    monkeypatch.setattr(server.os, "sched_getaffinity", lambda _pid: {0, 1})
    monkeypatch.setattr(server.os, "cpu_count", lambda: 2)
    assert server.free_cores(sample_seconds=0) == threads


def test_a_share_of_a_bigger_machine_takes_all_its_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server.os, "sched_getaffinity", lambda _pid: {0, 1})
    monkeypatch.setattr(server.os, "cpu_count", lambda: 64)  # /proc/stat would be the host's
    assert server.free_cores(sample_seconds=0) == 2
