"""The drafting conversation on LangGraph (agent/drafting/graph.py, thread.py): interrupts where the official
decides, checkpoints in SQLite, resuming in a new process, time travel, and stored versions of earlier
releases."""

from __future__ import annotations

import json
import pickle
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURE_CORPUS, STOCKHOLM, TESTS_DIR
from fake_chat import FakeChat

from agent.config import Settings
from agent.drafting.factory import PipelineFactory
from agent.drafting.graph import run_draft
from agent.drafting.intake import intake_to_json, load_intake
from agent.drafting.notes import notes_from_items
from agent.drafting.pipeline import DraftState
from agent.drafting.state_codec import StateFormatError, dump_state, load_state
from agent.drafting.thread import DraftThread, ThreadError, open_checkpointer
from agent.index.search import Searcher
from agent.service import AppError, DraftingService
from agent.storage import Storage

DECISION = {"standpoint": "besvarad", "notes": ["Staden har redan ett krisstöd för utsatta familjer."]}


def stockholm_state() -> DraftState:
    return DraftState(intake=load_intake(FIXTURE_CORPUS / STOCKHOLM), exclude_sources=(STOCKHOLM,))


@pytest.fixture
def thread(drafting_searcher: Searcher, drafting_settings: Settings, tmp_path: Path) -> Iterator[DraftThread]:
    factory = PipelineFactory.from_settings(
        drafting_settings, FakeChat(standpoint="besvarad", support=[1, 2])
    )
    with open_checkpointer(tmp_path / "conversations.sqlite") as saver:
        yield DraftThread(factory.build_graph(drafting_searcher, checkpointer=saver), "case-1")


def child(settings: Settings, db: Path, action: str, answer: object = None) -> dict[str, object]:
    """One step of the conversation in a fresh Python process."""
    args = [str(settings.data_dir), str(settings.corpus_dir), str(db), "case-1", action, json.dumps(answer)]
    done = subprocess.run(
        [sys.executable, str(TESTS_DIR / "conversation_child.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_state_round_trips_through_json(drafting_searcher: Searcher, drafting_settings: Settings) -> None:
    factory = PipelineFactory.from_settings(drafting_settings, FakeChat())
    state = run_draft(factory.build_graph(drafting_searcher), stockholm_state())
    data = dump_state(state)
    assert json.loads(json.dumps(data)) == data  # plain JSON, no pickled classes
    assert load_state(data) == state
    with pytest.raises(StateFormatError, match="format"):
        load_state({**data, "format": 0})
    with pytest.raises(StateFormatError, match="kunde inte läsas"):
        load_state({"format": data["format"], "state": {"intake": "trasig"}})


def test_interrupt_then_resume_in_a_new_process_gives_the_same_draft(
    drafting_searcher: Searcher, drafting_settings: Settings, tmp_path: Path
) -> None:
    db = tmp_path / "conversations.sqlite"
    first = child(drafting_settings, db, "start")
    assert first["waiting_for"] == "intake" and first["text"] is None
    second = child(drafting_settings, db, "resume", None)  # the intake confirmed as it was read
    assert second["waiting_for"] == "standpoint" and second["text"] is None
    done = child(drafting_settings, db, "resume", DECISION)
    assert done["waiting_for"] is None and done["version"] == 1 and done["standpoint"] == "besvarad"
    # The same decisions given up front, in one process and one run without pauses, give the same draft.
    chat = FakeChat(standpoint="besvarad", support=[1, 2])
    graph = PipelineFactory.from_settings(drafting_settings, chat).build_graph(drafting_searcher)
    state = stockholm_state()
    state.standpoint_override = "besvarad"
    state.notes = notes_from_items(DECISION["notes"])
    state = run_draft(graph, state)
    assert state.draft is not None and done["text"] == state.draft.text
    assert "Handläggarens underlag, punkt 1" in str(done["text"])
    # … and a chat revision in yet another process continues the same thread.
    revised = child(drafting_settings, db, "send", "kortare")
    assert revised["version"] == 2 and len(str(revised["text"])) < len(str(done["text"]))


def test_the_intake_correction_is_used(thread: DraftThread) -> None:
    turn = thread.start(stockholm_state(), pause=("intake",))
    assert turn.waiting_for == "intake" and turn.state.evidence is None
    proposal = {"text": "att kommunen inrättar ett kompetenscenter mot hedersförtryck", "kind": "att-sats"}
    corrected = intake_to_json(turn.state.intake) | {"proposals": [proposal]}
    turn = thread.resume(corrected)
    assert turn.changed and turn.state.draft is not None
    assert [p.text for p in turn.state.proposals] == [
        "att kommunen inrättar ett kompetenscenter mot hedersförtryck"
    ]
    with pytest.raises(ThreadError, match="väntar inte"):
        thread.resume(None)


def test_time_travel_to_version_1_and_a_new_branch(thread: DraftThread) -> None:
    v1 = thread.start(stockholm_state())
    v2 = thread.send("kortare")
    assert (v1.version, v2.version) == (1, 2) and v2.changed
    assert v1.state.draft is not None and v2.state.draft is not None
    assert len(v2.state.draft.text) < len(v1.state.draft.text)
    # Back to version 1 and on from there: the branch does not carry version 2's change.
    branch = thread.send("lägg till att staden redan samverkar med polisen", at=v1.checkpoint_id)
    assert branch.version == 2 and branch.changed
    assert branch.state.draft is not None and not branch.state.short
    assert "Förvaltningen vill tillägga att staden redan samverkar med polisen." in branch.state.draft.text
    assert branch.state.draft.text.startswith(v1.state.draft.text.split("\n\n")[0])
    # Both versions stay readable at their checkpoints; the newest run is the thread's head.
    assert thread.turn(v2.checkpoint_id).state.short
    assert thread.turn().checkpoint_id == branch.checkpoint_id
    # A question changes nothing.
    why = thread.send("varför citerar du 2 kap. 2 §?")
    assert not why.changed and why.version == 2 and "citeras eftersom" in why.reply


def test_a_thread_that_does_not_exist_is_a_clear_error(thread: DraftThread) -> None:
    with pytest.raises(ThreadError, match="inget sparat utkastarbete"):
        thread.turn()


OLD_SCHEMA = """
CREATE TABLE cases (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, created REAL NOT NULL, title TEXT NOT NULL,
    filename TEXT NOT NULL, remiss_text TEXT NOT NULL, intake_json TEXT NOT NULL,
    exclude_sources TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE drafts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, case_id TEXT NOT NULL REFERENCES cases(id),
    version INTEGER NOT NULL, created REAL NOT NULL, origin TEXT NOT NULL, note TEXT NOT NULL,
    draft_json TEXT NOT NULL, state BLOB, UNIQUE (case_id, version)
);
"""


def test_a_version_stored_by_an_earlier_release_opens_read_only(
    drafting_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    draft = {
        "standpoint": "avstyrker",
        "competence": "outside",
        "text": "Förvaltningen avstyrker.",
        "sources": [],
    }
    with sqlite3.connect(data_dir / "app.sqlite") as db:  # as the app of session 15 wrote it
        db.executescript(OLD_SCHEMA)
        db.execute(
            "INSERT INTO cases VALUES ('old1', 'ws:a', 1.0, 'Motion', 'm.txt', 'Motion om x', '{}', '[]')"
        )
        db.execute(
            "INSERT INTO drafts (case_id, version, created, origin, note, draft_json, state) "
            "VALUES ('old1', 1, 1.0, 'pipeline', '', ?, ?)",
            (json.dumps(draft), pickle.dumps({"an": "old pickled state"})),
        )
    monkeypatch.setattr(DraftingService, "backend", lambda self: FakeChat())
    svc = DraftingService(drafting_settings.model_copy(update={"data_dir": data_dir}))
    try:
        [row] = svc.drafts("ws:a", "old1")
        assert row.draft["text"] == "Förvaltningen avstyrker." and row.checkpoint is None
        for act in (
            lambda: svc.revise("ws:a", "old1", "kortare"),
            lambda: svc.edit("ws:a", "old1", "Ny text."),
        ):
            with pytest.raises(AppError, match=r"tidigare version av Remissagenten .* inte revideras"):
                act()
        assert svc.restore("ws:a", "old1", 1).draft["text"] == "Förvaltningen avstyrker."  # reading works
    finally:
        svc.close()
    assert Storage(data_dir / "app.sqlite").drafts("ws:a", "old1")[0].checkpoint is None
