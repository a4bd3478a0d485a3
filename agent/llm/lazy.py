"""A chat model that starts its backend on the first model call.

The app builds its drafting graph for every action, also for those that never ask the model (reading
a stored case, the intake check before the official confirms it). `LazyChat` gives the graph the
backend's kind at once (from the settings) and opens the backend only when a step needs an answer.

    chat = LazyChat(kind=choose_kind(settings), open=service.backend)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from agent.llm.backends import BackendKind, ChatModel, JsonObject, Messages


@dataclass
class LazyChat:
    kind: BackendKind
    open: Callable[[], ChatModel]  # returns the started backend (the caller keeps it alive)

    @property
    def model(self) -> str:  # (a property: naming the model starts the backend)
        return self.open().model

    def complete_json(self, messages: Messages, schema: JsonObject, max_tokens: int, **kw: Any) -> JsonObject:
        return self.open().complete_json(messages, schema, max_tokens, **kw)

    def stream(self, messages: Messages, **kw: Any) -> Iterator[str]:
        return self.open().stream(messages, **kw)
