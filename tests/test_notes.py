"""Handläggarens underlag: the official's notes become sources the draft cites and verification resolves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_chat import FakeChat
from threads import Chat, chat_on

from agent.config import Settings
from agent.drafting.intake import parse_intake
from agent.drafting.notes import parse_notes
from agent.drafting.prompts import load_prompts
from agent.drafting.verify import verify_draft
from agent.index.search import Searcher

MOTION = (
    "Motion om läxhjälp på biblioteken\n\n"
    "Jag föreslår att kommunfullmäktige beslutar\n"
    "att kommunen erbjuder läxhjälp på alla bibliotek.\n"
)
NOTES = """\
- Vi driver redan läxhjälp på två av stadens fem bibliotek
  (Centrum och Norr), med volontärer från studieförbunden.
* Kostnad för att utöka till alla fem: ca 400 000 kr per år.
• Kulturnämnden beslutade 2024 att utvärdera läxhjälpen hösten 2026.
"""


def test_bullets_become_numbered_sources() -> None:
    notes = parse_notes(NOTES)
    assert [n.id for n in notes] == ["underlag/1", "underlag/2", "underlag/3"]
    assert notes[0].text.endswith("(Centrum och Norr), med volontärer från studieförbunden.")  # joined lines
    assert notes[1].label == "Handläggarens underlag, punkt 2" and notes[1].kind == "note"
    assert notes[2].text.startswith("Kulturnämnden beslutade 2024")


def test_paragraphs_without_bullets_and_empty_text() -> None:
    notes = parse_notes("Första uppgiften.\n\nAndra uppgiften\nsom fortsätter.\n\n\n")
    assert [n.text for n in notes] == ["Första uppgiften.", "Andra uppgiften som fortsätter."]
    assert parse_notes("  \n\n ") == []
    assert [n.text for n in parse_notes("1. ett\n2) två\n")] == ["ett", "två"]


def test_a_citation_of_a_note_resolves_and_a_wrong_one_does_not() -> None:
    notes = parse_notes(NOTES)
    text = "Läxhjälp finns redan på två bibliotek (Handläggarens underlag, punkt 1). Se Dnr 2024/99-123."
    citations, verification = verify_draft(text, notes)
    assert [c.source_id for c in citations if c.source_id] == ["underlag/1"]
    assert verification.unresolved  # a Dnr that is no given source stays unresolved
    quoted = "Enligt underlaget: ”Kostnad för att utöka till alla fem: ca 400 000 kr per år.”"
    assert verify_draft(quoted + " (Handläggarens underlag, punkt 2).", notes)[1].misquoted == []
    wrong = "Enligt underlaget: ”Kostnaden är 2 miljoner kr.” (Handläggarens underlag, punkt 2)."
    assert verify_draft(wrong, notes)[1].misquoted


@pytest.fixture
def conversation(drafting_searcher: Searcher, drafting_settings: Settings, tmp_path: Path) -> Iterator[Chat]:
    prompts = load_prompts(drafting_settings.prompts_dir, drafting_settings.prompt_version)
    with chat_on(drafting_searcher, prompts, FakeChat(standpoint="besvarad"), tmp_path / "c.sqlite") as chat:
        yield chat


def test_the_local_draft_carries_the_notes_in_their_own_words(conversation: Chat) -> None:
    notes = parse_notes(NOTES)
    draft = conversation.start(parse_intake(MOTION), notes=notes, standpoint="besvarad")
    for note in notes:
        assert note.text.rstrip(".") in draft.text
        assert note.label in draft.text
    assert {"underlag/1", "underlag/2", "underlag/3"} <= {c.source_id for c in draft.citations}
    assert draft.verification.ok, draft.verification
    assert draft.analysis.standpoint == "besvarad"
    assert {d.id for d in draft.sources} >= {n.id for n in notes}
    # a revision keeps them
    shorter = conversation.send("kortare").draft
    assert shorter is not None and notes[1].label in shorter.text


def test_without_notes_nothing_changes(conversation: Chat) -> None:
    draft = conversation.start(parse_intake(MOTION))
    assert "Handläggarens underlag" not in draft.text
    assert not any(d.kind == "note" for d in draft.sources)


def test_cli_notes_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, drafting_settings: Settings
) -> None:
    import contextlib

    from typer.testing import CliRunner

    import agent.cli.drafting
    from agent.cli import app
    from agent.config import get_settings

    @contextlib.contextmanager
    def fake_backend(settings: Settings):  # type: ignore[no-untyped-def]
        yield FakeChat(standpoint="tillstyrker")

    monkeypatch.setattr(agent.cli.drafting, "open_backend", fake_backend)
    monkeypatch.setenv("REMISS_DATA_DIR", str(drafting_settings.data_dir))
    monkeypatch.setenv("REMISS_CORPUS_DIR", str(drafting_settings.corpus_dir))
    monkeypatch.setenv("REMISS_EMBEDDING", "hashing")
    get_settings.cache_clear()
    motion, notes = tmp_path / "motion.txt", tmp_path / "underlag.txt"
    motion.write_text(MOTION, encoding="utf-8")
    notes.write_text(NOTES, encoding="utf-8")
    try:
        result = CliRunner().invoke(app, ["draft", str(motion), "--notes", str(notes), "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert "Handläggarens underlag, punkt 3" in data["text"]
        assert any(s["id"] == "underlag/2" and s["kind"] == "note" for s in data["sources"])
        missing = CliRunner().invoke(app, ["draft", str(motion), "--notes", str(tmp_path / "saknas.txt")])
        assert missing.exit_code == 2 and "finns inte" in missing.output
        (tmp_path / "tom.txt").write_text("\n \n", encoding="utf-8")
        empty = CliRunner().invoke(app, ["draft", str(motion), "--notes", str(tmp_path / "tom.txt")])
        assert empty.exit_code == 2 and "tom" in empty.output
    finally:
        get_settings.cache_clear()


def test_a_note_that_contradicts_the_kompetensprovning_is_flagged(conversation: Chat) -> None:
    from conftest import FIXTURE_CORPUS, STOCKHOLM

    from agent.drafting.intake import load_intake
    from agent.drafting.note_check import W_NOTE_PREFIX

    notes = parse_notes(
        "- Förvaltningen driver redan ett kompetenscenter mot transnationellt förtryck i samverkan.\n"
        "- Socialtjänsten har haft 40 ärenden om hedersrelaterat våld i år."
    )
    conversation.start(load_intake(FIXTURE_CORPUS / STOCKHOLM), exclude_sources=(STOCKHOLM,), notes=notes)
    assert conversation.last is not None
    state = conversation.last.state
    assert state.competence is not None and state.competence.competence == "outside"
    flagged = [w for w in state.warnings if w.startswith(W_NOTE_PREFIX)]
    assert len(flagged) == 1  # the first note only; the second states a fact, not who is responsible
    assert "Handläggarens underlag, punkt 1" in flagged[0] and "Säkerhetspolisen" in flagged[0]
    assert notes[0].text.rstrip(".") in (state.draft.text if state.draft else "")  # flagged, still used


def test_a_note_calling_a_municipal_task_someone_elses_is_flagged(conversation: Chat) -> None:
    from agent.drafting.note_check import W_NOTE_PREFIX

    notes = parse_notes("- Läxhjälp på bibliotek är ett statligt ansvar och ingen kommunal uppgift.")
    conversation.start(parse_intake(MOTION), notes=notes)
    assert conversation.last is not None
    state = conversation.last.state
    assert state.competence is not None and state.competence.competence == "within"
    [warning] = [w for w in state.warnings if w.startswith(W_NOTE_PREFIX)]
    assert "inte är kommunens" in warning
    # The notes of the earlier test case state facts: nothing is flagged.
    conversation.start(parse_intake(MOTION), notes=parse_notes(NOTES))
    assert conversation.last is not None
    assert not [w for w in conversation.last.state.warnings if w.startswith(W_NOTE_PREFIX)]


def test_a_strong_model_writes_from_the_notes_and_its_citations_of_them_verify(
    drafting_searcher: Searcher, drafting_settings: Settings
) -> None:
    from agent.drafting.factory import PipelineFactory
    from agent.drafting.graph import run_draft
    from agent.drafting.pipeline import DraftState

    notes = parse_notes(NOTES)
    prose = (
        "Förvaltningen driver redan läxhjälp på två av stadens fem bibliotek (Handläggarens underlag, "
        "punkt 1). Förvaltningen föreslår att förslaget anses besvarat."
    )
    chat = FakeChat(kind="openai", standpoint="besvarad", prose=[prose])
    prompts = load_prompts(drafting_settings.prompts_dir, drafting_settings.prompt_version)
    graph = PipelineFactory(chat, prompts, prompt_chars=3000).build_graph(drafting_searcher)
    state = run_draft(graph, DraftState(intake=parse_intake(MOTION), notes=notes))
    assert state.draft is not None and state.draft.verification.ok, state.draft
    assert "underlag/1" in {c.source_id for c in state.draft.citations}
    prompt = chat.calls[-1][1][-1]["content"]  # the prose prompt: notes first, even on a small budget
    assert all(n.label in prompt for n in notes)
    listing = prompt[prompt.index("Källor:") :].removeprefix("Källor:").lstrip()
    assert listing.startswith(f"[{notes[0].label}]")
