"""Drafting conversations for tests: a `DraftThread` on a SQLite file, with the old test-friendly shape
(`start` returns the draft, `send` returns the reply and the new draft or None)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agent.drafting.factory import PipelineFactory
from agent.drafting.intake import Intake
from agent.drafting.models import Draft, Standpoint
from agent.drafting.pipeline import DraftState
from agent.drafting.prompts import Prompts
from agent.drafting.thread import DraftThread, Turn, open_checkpointer
from agent.index.search import Searcher
from agent.llm.backends import ChatModel
from agent.sources.models import Document


@dataclass
class Reply:
    text: str
    draft: Draft | None
    intent: str


@dataclass
class Chat:
    thread: DraftThread
    versions: list[Draft] = field(default_factory=list)
    last: Turn | None = None

    @property
    def draft(self) -> Draft | None:
        return self.versions[-1] if self.versions else None

    def start(
        self,
        intake: Intake,
        *,
        exclude_sources: tuple[str, ...] = (),
        standpoint: Standpoint | None = None,
        notes: list[Document] | None = None,
    ) -> Draft:
        state = DraftState(
            intake=intake, exclude_sources=exclude_sources, standpoint_override=standpoint, notes=notes or []
        )
        self.last = self.thread.start(state)
        assert self.last.state.draft is not None
        self.versions.append(self.last.state.draft)
        return self.last.state.draft

    def send(self, message: str) -> Reply:
        self.last = self.thread.send(message)
        draft = self.last.state.draft if self.last.changed else None
        if draft is not None:
            self.versions.append(draft)
        return Reply(self.last.reply, draft, self.last.intent)


@contextlib.contextmanager
def chat_on(searcher: Searcher, prompts: Prompts, chat: ChatModel, path: Path) -> Iterator[Chat]:
    with open_checkpointer(path) as saver:
        graph = PipelineFactory(chat, prompts).build_graph(searcher, checkpointer=saver)
        yield Chat(DraftThread(graph, "test"))
