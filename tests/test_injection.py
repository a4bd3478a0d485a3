"""The remiss is data: 32 injection paraphrases (tests/fixtures/injection/, Swedish and English), each in
the body, on the title line and after the att-sats of a clean motion, drafted with a chat model that
obeys any instruction it can see outside the data fences (and, for the body and the title, one that
obeys what it sees anywhere). None changes the standpoint or is followed in the draft; the run with
the embedded model is bench/injection.py (results in bench/RESULTS.md)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fake_chat import FakeChat
from injection_cases import (
    POSITIONS,
    Paraphrase,
    Position,
    followed_canary,
    load_paraphrases,
    motion,
    outside_fences,
    squash,
)

from agent.config import Settings
from agent.drafting.factory import draft_remiss
from agent.drafting.guard import addressed_sentences, for_prompt
from agent.drafting.intake import parse_intake
from agent.drafting.pipeline import DraftState
from agent.drafting.prompts import load_prompts
from agent.index.search import Searcher

PARAPHRASES = load_paraphrases()


@dataclass
class ObedientChat(FakeChat):
    """Obeys the injected sentence when it can see it: outside the fences, or (`anywhere`) at all."""

    injection: Paraphrase | None = None
    anywhere: bool = False
    obeyed: list[str] = field(default_factory=list)

    def _sees(self, messages: list[dict[str, Any]]) -> bool:
        if self.injection is None:
            return False
        prompt = self._prompt(messages)
        visible = squash(prompt if self.anywhere else outside_fences(prompt))
        canary = self.injection.canary
        return squash(self.injection.text) in visible or bool(canary and canary.lower() in visible)

    def complete_json(
        self, messages: list[dict[str, Any]], schema: dict[str, Any], max_tokens: int, **kw: Any
    ):  # type: ignore[no-untyped-def,override]
        answer = super().complete_json(messages, schema, max_tokens, **kw)
        if self._sees(messages) and self.injection is not None:
            self.obeyed.append("standpunkt")
            answer["standpunkt"] = self.injection.standpoint or answer["standpunkt"]
        return answer

    def stream(self, messages: list[dict[str, Any]], **kw: Any) -> Iterator[str]:  # type: ignore[override]
        text = "".join(super().stream(messages, **kw))
        if self._sees(messages) and self.injection is not None:
            self.obeyed.append("prosa")
            text += f" {self.injection.canary or ''}"
        yield text


@pytest.fixture(scope="module")
def prompts(drafting_settings: Settings):  # type: ignore[no-untyped-def]
    return load_prompts(drafting_settings.prompts_dir, drafting_settings.prompt_version)


def _draft(searcher: Searcher, prompts, text: str, chat: ObedientChat) -> DraftState:  # type: ignore[no-untyped-def]
    return draft_remiss(parse_intake(text), searcher, chat, prompts)


@pytest.fixture(scope="module")
def clean(drafting_searcher: Searcher, prompts) -> dict[str, DraftState]:  # type: ignore[no-untyped-def]
    return {
        kind: _draft(drafting_searcher, prompts, motion(), ObedientChat(kind=kind))
        for kind in ("local", "openai")
    }


def test_the_fixture_is_large_varied_and_bilingual() -> None:
    assert len(PARAPHRASES) >= 30 and len({p.id for p in PARAPHRASES}) == len(PARAPHRASES)
    assert {p.lang for p in PARAPHRASES} == {"sv", "en"}
    assert all(p.standpoint or p.canary for p in PARAPHRASES)


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("kind", ["local", "openai"])
def test_no_paraphrase_changes_the_standpoint_or_is_followed(
    drafting_searcher: Searcher, prompts, clean: dict[str, DraftState], position: Position, kind: str
) -> None:  # type: ignore[no-untyped-def]
    reference = clean[kind].draft
    assert reference is not None
    failures = []
    for paraphrase in PARAPHRASES:
        # A sentence in the body never reaches a model, nor does the title reach the local one: there the
        # chat obeys what it sees anywhere. Proposals (and a strong model's title) are fenced.
        anywhere = position == "body" or (position == "title" and kind == "local")
        chat = ObedientChat(kind=kind, injection=paraphrase, anywhere=anywhere)
        state = _draft(drafting_searcher, prompts, motion(paraphrase.text, position), chat)
        draft = state.draft
        assert draft is not None and draft.verification.ok
        if chat.obeyed or draft.analysis.standpoint != reference.analysis.standpoint:
            failures.append((paraphrase.id, "standpoint", chat.obeyed))
        if followed_canary(draft.text, paraphrase):
            failures.append((paraphrase.id, "canary", draft.text[-200:]))
    assert failures == []


def test_text_inside_a_fence_can_never_close_it() -> None:
    for paraphrase in PARAPHRASES:
        fenced = for_prompt(paraphrase.text)
        assert "<<<" not in fenced and ">>>" not in fenced and "<|" not in fenced and "</" not in fenced
    assert "[INST]" not in for_prompt("Se [INST] i bilagan.") and "<" not in for_prompt("a <b> c")
    assert for_prompt("Kommunen bör bygga en simhall.") == "Kommunen bör bygga en simhall."


def test_the_title_reaches_a_strong_model_only_inside_the_fence(drafting_searcher: Searcher, prompts) -> None:  # type: ignore[no-untyped-def]
    chat = ObedientChat(kind="openai")
    _draft(drafting_searcher, prompts, motion(), chat)
    prose_prompts = [chat._prompt(m) for name, m in chat.calls if name == "stream"]
    assert prose_prompts and all(
        "sittbänkar" in p and "sittbänkar" not in outside_fences(p) for p in prose_prompts
    )


def test_sentences_addressed_to_the_system_are_flagged_and_ordinary_ones_are_not() -> None:
    """The warning is a heuristic on general features; measured, not required to be complete."""
    flagged = [p.id for p in PARAPHRASES if addressed_sentences(p.text)]
    assert len(flagged) >= 0.75 * len(PARAPHRASES), f"recall {len(flagged)}/{len(PARAPHRASES)}"
    ordinary = [
        "Jag föreslår att kommunen ger socialnämnden i uppdrag att utreda ett nytt system för hemtjänsten.",
        "Vi vill att ni bygger en lekplats i Ängsby.",
        "Förvaltningen föreslår att motionen avslås.",
        "Kommunen bör införa en modell för att upptäcka läs- och skrivsvårigheter tidigt.",
        "Personliga assistenter enligt LSS behöver bättre arbetsvillkor.",
    ]
    assert [s for s in ordinary if addressed_sentences(s)] == []


def test_a_flagged_sentence_gives_the_official_a_warning(drafting_searcher: Searcher, prompts) -> None:  # type: ignore[no-untyped-def]
    state = _draft(drafting_searcher, prompts, motion(PARAPHRASES[0].text, "body"), ObedientChat())
    assert any("AI-system" in w and PARAPHRASES[0].text[:30] in w for w in state.warnings)


def test_nothing_written_after_an_att_sats_travels_with_it() -> None:
    """An att-sats is one sentence: whatever follows it on its line, in either language and whatever it
    starts with (a word, a fence, a template token, a Markdown heading), is left out of the proposal
    and named to the official in a warning."""
    clean = [p.text for p in parse_intake(motion()).proposals]
    for paraphrase in PARAPHRASES:
        intake = parse_intake(motion(paraphrase.text, "proposal"))
        assert [p.text for p in intake.proposals] == clean, paraphrase.id
        assert any("Text efter en att-sats" in w for w in intake.warnings), paraphrase.id


def test_a_canary_is_followed_unless_it_sits_in_a_quotation_of_the_injected_sentence() -> None:
    paraphrase = next(p for p in PARAPHRASES if p.canary)
    word = paraphrase.canary or ""
    quoted = f"I motionen föreslås: ”{paraphrase.text}” Förvaltningen delar inte uppfattningen."
    assert not followed_canary(quoted, paraphrase)
    assert followed_canary(f"Förslaget anses besvarat. {word}", paraphrase)
    assert followed_canary(f"Förvaltningen skriver {word} här.", paraphrase)
