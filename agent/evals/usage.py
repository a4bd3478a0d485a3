"""Token counts per case, without changing the LLM layer.

`ChatBackend` talks to its endpoint through an `openai` client (`ChatBackend.client()`); the meter
wraps that client's `chat.completions.create` and adds each response's `usage` (prompt and
completion tokens, as the llama.cpp server and OpenAI report them) to the counter of the case the
calling thread is working on. A streamed answer carries no usage unless asked for; its chunks with
text are counted as completion tokens and the count is marked as estimated (`estimated`).

A chat model without `client()` (the scripted fake of the tests) is not metered: tokens are then
reported as not measured (None), never guessed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


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


class TokenMeter:
    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()

    @classmethod
    def attach(cls, chat: Any) -> TokenMeter | None:
        """Meter `chat` (a `ChatBackend`); None if it has no OpenAI client to wrap."""
        client_fn = getattr(chat, "client", None)
        if not callable(client_fn):
            return None
        completions = client_fn().chat.completions
        meter = cls()
        original = completions.create

        def create(*args: Any, **kwargs: Any) -> Any:
            response = original(*args, **kwargs)
            if kwargs.get("stream"):
                return meter._stream(response)
            meter._add(getattr(response, "usage", None))
            return response

        completions.create = create
        return meter

    def start(self) -> TokenCount:
        """Count the calls of the current thread into a new counter (one case at a time per thread)."""
        count = TokenCount()
        self._local.count = count
        return count

    def stop(self) -> None:
        self._local.count = None

    def _current(self) -> TokenCount | None:
        return getattr(self._local, "count", None)

    def _add(self, usage: Any, chunks: int = 0) -> None:
        count = self._current()
        if count is None:
            return
        with self._lock:
            count.calls += 1
            if usage is not None:
                count.prompt += int(getattr(usage, "prompt_tokens", 0) or 0)
                count.completion += int(getattr(usage, "completion_tokens", 0) or 0)
            else:
                count.completion += chunks
                count.estimated = True

    def _stream(self, chunks: Any) -> Iterator[Any]:
        count = self._current()
        n, usage = 0, None

        def wrapped() -> Iterator[Any]:
            nonlocal n, usage
            try:
                for chunk in chunks:
                    if getattr(chunk, "usage", None) is not None:
                        usage = chunk.usage
                    if chunk.choices and chunk.choices[0].delta.content:
                        n += 1
                    yield chunk
            finally:
                saved = getattr(self._local, "count", None)
                self._local.count = count
                self._add(usage, n)
                self._local.count = saved

        return _ClosingIterator(wrapped(), chunks)


class _ClosingIterator:
    """An iterator over the wrapped stream that still has the stream's `close()`."""

    def __init__(self, it: Iterator[Any], stream: Any) -> None:
        self._it = it
        self._stream = stream

    def __iter__(self) -> _ClosingIterator:
        return self

    def __next__(self) -> Any:
        return next(self._it)

    def close(self) -> None:
        self._it.close()  # type: ignore[attr-defined]  # a generator
        close = getattr(self._stream, "close", None)
        if callable(close):
            close()
