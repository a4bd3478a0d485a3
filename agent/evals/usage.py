"""Token counts per case, from LangChain callbacks on the chat client.

Every call of a `ChatBackend` goes through `langchain_openai.ChatOpenAI` with the backend's
`callbacks`; the meter is one of them. At the end of each call it adds the answer's usage (prompt and
completion tokens, as the llama.cpp server and OpenAI report them) to the counter of the case the
calling thread is working on. A streamed answer carries no usage unless the server sends it; its
chunks with text are then counted as completion tokens and the count is marked as estimated
(`estimated`).

A chat model without `callbacks` (the scripted fake of the tests) is not metered: tokens are then
reported as not measured (None), never guessed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult


@dataclass
class TokenCount:
    prompt: int = 0
    completion: int = 0
    calls: int = 0
    estimated: bool = False  # some completion tokens were counted from stream chunks

    def to_json(self) -> dict[str, int | None]:
        return {
            "prompt": self.prompt,
            "completion": self.completion,
            "calls": self.calls,
            "estimated": int(self.estimated),
        }


class TokenMeter(BaseCallbackHandler):
    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()

    @classmethod
    def attach(cls, chat: Any) -> TokenMeter | None:
        """Meter `chat` (a `ChatBackend`); None if it takes no LangChain callbacks."""
        callbacks = getattr(chat, "callbacks", None)
        if not isinstance(callbacks, list):
            return None
        meter = cls()
        callbacks.append(meter)
        return meter

    def start(self) -> TokenCount:
        """Count the calls of the current thread into a new counter (one case at a time per thread)."""
        count = TokenCount()
        self._local.count = count
        self._local.chunks = 0
        return count

    def stop(self) -> None:
        self._local.count = None

    # ---------------------------------------------------------------- LangChain callbacks
    def on_llm_start(self, serialized: dict[str, Any], prompts: list[str], **kwargs: Any) -> None:
        self._local.chunks = 0

    def on_chat_model_start(self, serialized: dict[str, Any], messages: Any, **kwargs: Any) -> None:
        self._local.chunks = 0

    def on_llm_new_token(self, token: str | list[str | dict[str, Any]], **kwargs: Any) -> None:
        if token:
            self._local.chunks = getattr(self._local, "chunks", 0) + 1

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        count: TokenCount | None = getattr(self._local, "count", None)
        if count is None:
            return
        usage = None
        for generations in response.generations:
            for generation in generations:
                usage = getattr(getattr(generation, "message", None), "usage_metadata", None) or usage
        with self._lock:
            count.calls += 1
            if usage:
                count.prompt += int(usage.get("input_tokens", 0) or 0)
                count.completion += int(usage.get("output_tokens", 0) or 0)
            else:
                count.completion += getattr(self._local, "chunks", 0)
                count.estimated = True
