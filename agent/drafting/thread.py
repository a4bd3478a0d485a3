"""A drafting conversation kept in a SQLite checkpointer: every case is a thread, every version a checkpoint.

    with open_checkpointer(settings.data_dir / "conversations.sqlite") as saver:
        thread = DraftThread(factory.build_graph(searcher, checkpointer=saver), "case-1")
        turn = thread.start(DraftState(intake=intake), pause=("standpoint",))
        turn.waiting_for                                     # "standpoint": the official decides
        turn = thread.resume({"standpoint": "besvarad", "notes": ["Vi driver redan …"]})
        turn.state.draft, turn.checkpoint_id                 # version 1 and where it is stored
        turn = thread.send("kortare")                        # version 2
        turn = thread.send("kortare", at=first_checkpoint)   # time travel: a new branch from version 1

A restart loses nothing: a new process opens the same file and resumes or revises from any stored
checkpoint (`at`); without `at` the thread's newest checkpoint is used.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command, StateSnapshot

from agent.drafting.graph import ANSWER, PAUSES, ConversationState, DraftGraph, Pause, start_input
from agent.drafting.pipeline import DraftState
from agent.drafting.state_codec import dump_state, load_state


class ThreadError(LookupError):
    """The thread or checkpoint does not exist (Swedish message)."""


@contextlib.contextmanager
def open_checkpointer(path: Path) -> Iterator[SqliteSaver]:
    """The SQLite checkpointer in `path` (created on first use; WAL, shared by the app's threads)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        saver = SqliteSaver(conn)
        saver.setup()
        yield saver
    finally:
        conn.close()


@dataclass(frozen=True)
class Turn:
    """Where the thread stands after a run: the state, and what (if anything) it waits for."""

    state: DraftState
    version: int  # drafts written on the thread so far
    checkpoint_id: str
    waiting_for: Pause | None  # the official's decision the run paused for
    reply: str = ""  # the answer to a chat message
    intent: str = ""
    changed: bool = False  # this run wrote a new draft


class DraftThread:
    def __init__(self, graph: DraftGraph, thread_id: str) -> None:
        self.graph = graph
        self.thread_id = thread_id

    def _config(self, at: str | None = None) -> RunnableConfig:
        configurable: dict[str, Any] = {"thread_id": self.thread_id, "checkpoint_ns": ""}
        if at:
            configurable["checkpoint_id"] = at
        return {"configurable": configurable}

    def _run(self, payload: ConversationState | Command[Any], at: str | None, before: int) -> Turn:
        # Checkpoints are written when a run ends or pauses, not after every node: a crash mid-run loses
        # that run only (the official starts it again), and a version costs one checkpoint, not ten.
        self.graph.invoke(payload, self._config(at), durability="exit")
        turn = self.turn()
        return replace(turn, changed=turn.version > before and turn.waiting_for is None)

    def _snapshot(self, at: str | None) -> StateSnapshot:
        return self.graph.get_state(self._config(at))

    def turn(self, at: str | None = None) -> Turn:
        """The thread at checkpoint `at` (default: its newest)."""
        snapshot = self._snapshot(at)
        values = snapshot.values
        if not values or "work" not in values:
            where = f"checkpoint {at} i " if at else ""
            raise ThreadError(f"Det finns inget sparat utkastarbete för {where}ärendet {self.thread_id}.")
        return Turn(
            state=load_state(values["work"]),
            version=int(values.get("version", 0)),
            checkpoint_id=str(snapshot.config["configurable"]["checkpoint_id"]),
            waiting_for=_waiting_for(snapshot),
            reply=str(values.get("reply", "")) if not snapshot.next else "",
            intent=str(values.get("intent", "")),
        )

    def exists(self) -> bool:
        return bool(self._snapshot(None).values)

    def waiting_for(self) -> Pause | None:
        """What the thread's newest run waits for (None: nothing, or no thread yet); no state is loaded."""
        return _waiting_for(self._snapshot(None))

    def start(self, state: DraftState, pause: tuple[Pause, ...] = (), at: str | None = None) -> Turn:
        """Draft from the beginning (pausing where `pause` says); on an existing thread, a new run."""
        before = int(self._snapshot(at).values.get("version", 0))  # (0 on a new thread)
        return self._run(start_input(state, pause), at, before)

    def resume(self, answer: Any, at: str | None = None) -> Turn:
        """Go on after a pause with the official's answer (see agent/drafting/graph.py)."""
        before = self.turn(at)
        if before.waiting_for is None:
            raise ThreadError("Utkastarbetet väntar inte på något beslut.")
        # Wrapped: LangGraph reads `resume=None`, and a dict it takes for a map of interrupt ids (an empty
        # one too), as "no answer".
        return self._run(Command(resume={ANSWER: answer}), at, before.version)

    def send(self, message: str, at: str | None = None) -> Turn:
        """A chat message on the draft at `at` (default: the newest); from an older checkpoint this is
        a new branch of the conversation."""
        before = self.turn(at)
        if before.state.draft is None:
            raise ThreadError("Det finns inget utkast att revidera ännu.")
        return self._run({"request": message}, at, before.version)

    def replace_state(self, state: DraftState, at: str | None = None) -> Turn:
        """Store a state changed outside the graph (the official's own edit of the text) as a new version."""
        before = self.turn(at)
        config = self.graph.update_state(
            self._config(at),
            {"work": dump_state(state), "version": before.version + 1, "reply": "", "rerun": ""},
            as_node="verify",
        )
        return replace(self.turn(str(config["configurable"]["checkpoint_id"])), changed=True)


def _waiting_for(snapshot: StateSnapshot) -> Pause | None:
    """The official's decision a paused run waits for (the `step` of its interrupt)."""
    for interrupt in snapshot.interrupts:
        if isinstance(interrupt.value, dict) and interrupt.value.get("step") in PAUSES:
            return cast(Pause, interrupt.value["step"])
    return None
