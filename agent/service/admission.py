"""Many officials at once: who may use the model now, who waits, and what stays one-at-a-time.

    queue = AdmissionQueue(slots=parallel_drafts(settings))  # 1 for the local model, 8 for a server
    with queue.admit(on_wait=lambda n: print(f"Du är nummer {n} i kön.")) as slot:
        ...  # at most `slots` callers are in here at once; `slot` (0 … slots-1) is the place taken

The queue is fair: callers are admitted strictly in the order they came (first come, first served),
and a waiting caller learns its place (`position`, or the `on_wait` callback each time it changes).

What must still run one at a time is serialised here too:
- `CaseLocks`: one run at a time on the same case (a second click on the same case waits for the first;
  it never races it on the case's conversation);
- `shared_searcher`: the index searcher's embedding model (it must not embed from two threads at once;
  the atlas search embeds through the same lock); searches otherwise run side by side;
- `SlotBackends`: every place in the queue beyond the first gets its own copy of the `ChatBackend` (it
  keeps per-call state such as `last_finish_reason`, which two streams at once would share; the HTTP
  connection pool stays shared: langchain-openai keeps one per server URL); the local model has one
  place anyway.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import heapq
import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from agent.config import Settings
from agent.drafting.pipeline import Event, EventHandler
from agent.index.embeddings import Embedder
from agent.index.search import Searcher
from agent.llm import LLMError, choose_kind
from agent.llm.backends import BackendKind, ChatBackend, ChatModel
from agent.llm.lazy import LazyChat
from agent.service.views import QUEUE_STEP, QUEUE_WHAT, W_QUEUE, W_QUEUE_DONE

# Drafts whose model work runs at once when `Settings.max_parallel_drafts` is not set: the local
# llama.cpp server answers one request at a time; a vLLM/OpenAI server takes many.
AUTO_PARALLEL: dict[BackendKind, int] = {"local": 1, "openai": 8}


def parallel_drafts(settings: Settings) -> int:
    """How many drafts may use the model at once (the setting, else by the backend kind)."""
    if settings.max_parallel_drafts is not None:
        return max(1, settings.max_parallel_drafts)
    try:
        return AUTO_PARALLEL[choose_kind(settings)]
    except LLMError:  # misconfigured: the error is shown when a draft starts
        return 1


@dataclass(eq=False)
class Ticket:
    """A caller's place: in line until `slot` is set (then it works in that slot)."""

    number: int  # the order of arrival (1, 2, …)
    slot: int | None = None


class AdmissionQueue:
    """A fair (FIFO) queue in front of `slots` places."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.slots = slots
        self._cond = threading.Condition()
        self._free = list(range(slots))  # a heap: the lowest free slot is taken first
        self._line: deque[Ticket] = deque()
        self._working: set[Ticket] = set()
        self._numbers = itertools.count(1)

    def join(self) -> Ticket:
        """Take a place in line (admitted at once if a slot is free and no one waits)."""
        with self._cond:
            ticket = Ticket(next(self._numbers))
            self._line.append(ticket)
            self._admit()
            return ticket

    def position(self, ticket: Ticket) -> int | None:
        """0 = admitted (working), n ≥ 1 = n-th in line, None = not in the queue (left)."""
        with self._cond:
            if ticket in self._working:
                return 0
            try:
                return self._line.index(ticket) + 1
            except ValueError:
                return None

    def wait(self, ticket: Ticket, on_wait: Callable[[int], None] | None = None) -> int:
        """Block until `ticket` is admitted; returns its slot. `on_wait(n)` is called (outside the
        queue's lock) with the place in line, first when waiting begins and then each time it changes."""
        told: int | None = None
        with self._cond:
            while ticket.slot is None:
                place = self._line.index(ticket) + 1
                if on_wait is not None and place != told:
                    told = place
                    self._cond.release()
                    try:
                        on_wait(place)
                    finally:
                        self._cond.acquire()
                    continue  # the place may have changed during the callback
                self._cond.wait()
            return ticket.slot

    def leave(self, ticket: Ticket) -> None:
        """Give the slot back, or leave the line; the next in line is admitted."""
        with self._cond:
            if ticket in self._working:
                self._working.discard(ticket)
                assert ticket.slot is not None
                heapq.heappush(self._free, ticket.slot)
            elif ticket in self._line:
                self._line.remove(ticket)
            self._admit()
            self._cond.notify_all()  # everyone behind moved up one place

    @contextlib.contextmanager
    def admit(self, on_wait: Callable[[int], None] | None = None) -> Iterator[int]:
        """Wait for a slot (`on_wait` as in `wait`), hold it for the block, then give it back."""
        ticket = self.join()
        try:
            yield self.wait(ticket, on_wait)
        finally:
            self.leave(ticket)

    def counts(self) -> tuple[int, int]:
        """(working, waiting) right now."""
        with self._cond:
            return len(self._working), len(self._line)

    def _admit(self) -> None:  # (holding the lock)
        admitted = False
        while self._line and self._free:
            ticket = self._line.popleft()
            ticket.slot = heapq.heappop(self._free)
            self._working.add(ticket)
            admitted = True
        if admitted:
            self._cond.notify_all()


class CaseLocks:
    """One lock per case, kept only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextlib.contextmanager
    def hold(self, case_id: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(case_id, (threading.Lock(), 0))
            self._locks[case_id] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[case_id]
                if users == 1:
                    del self._locks[case_id]
                else:
                    self._locks[case_id] = (lock, users - 1)


class LockedEmbedder:
    """An embedder used by one thread at a time (the atlas search embeds through it too)."""

    def __init__(self, inner: Embedder, lock: contextlib.AbstractContextManager[Any]) -> None:
        self.inner = inner
        self.lock = lock
        self.name = inner.name
        self.dim = inner.dim

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        with self.lock:
            return self.inner.embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        with self.lock:
            return self.inner.embed_query(text)


def shared_searcher(searcher: Searcher) -> Searcher:
    """`searcher`, made safe for the app's threads: its embedding model embeds for one thread at a time.

    The rest is safe to share for reading: the docstore's SQLite connection is opened with
    `check_same_thread=False` on a serialized SQLite (`sqlite3.threadsafety == 3`), BM25 scoring only
    reads its arrays, Chroma's client is thread-safe, and the reference parser keeps no state. Searches
    of several drafts then overlap (on the default index a draft's four searches took 0.4 s, over 4 s on
    a busy machine: under one lock for the whole searcher, 20 drafts would queue for that)."""
    if searcher.embedder is not None and not isinstance(searcher.embedder, LockedEmbedder):
        searcher.embedder = LockedEmbedder(searcher.embedder, threading.Lock())
    return searcher


class SlotBackends:
    """The model for each place in the queue: slot 0 uses the service's backend; every other slot a
    copy of it (same server, model and settings; its own chat client object), made on first use."""

    def __init__(self, backend: Callable[[], ChatModel], stack: contextlib.ExitStack) -> None:
        self._backend = backend  # starts the service's backend (or returns it)
        self._stack = stack  # the copies are closed with the service
        self._lock = threading.Lock()
        self._copies: dict[int, ChatModel] = {}

    def chat(self, slot: int, shared: ChatModel) -> ChatModel:
        """The model for `slot`: `shared` (the service's, possibly not started yet) in slot 0, else the
        slot's copy, started on its first call."""
        return shared if slot == 0 else LazyChat(kind=shared.kind, open=functools.partial(self.get, slot))

    def get(self, slot: int) -> ChatModel:
        base = self._backend()
        # A backend given its own HTTP client (tests) or a stand-in model is shared as it is.
        if slot == 0 or not isinstance(base, ChatBackend) or base.http_client is not None:
            return base
        with self._lock:
            if slot not in self._copies:
                copy = dataclasses.replace(base)  # (its chat client and per-call state are its own)
                self._stack.callback(copy.close)
                self._copies[slot] = copy
            return self._copies[slot]

    def clear(self) -> None:
        with self._lock:
            self._copies.clear()


class DraftTurns:
    """A run's turn: its case held (one run per case at a time) and a place in the model queue."""

    def __init__(self, settings: Settings, backend: Callable[[], ChatModel], stack: contextlib.ExitStack):
        self.queue = AdmissionQueue(parallel_drafts(settings))
        self.cases = CaseLocks()
        self.slots = SlotBackends(backend, stack)

    @contextlib.contextmanager
    def take(self, case_id: str, action: str, on_event: EventHandler | None) -> Iterator[int]:
        """Hold `case_id` and a slot for the block (yields the slot). While the run waits in line,
        `on_event` gets Event("info", QUEUE_STEP, "Du är nummer 3 i kön. …") each time its place changes,
        and Event("step", QUEUE_STEP, …) when its turn comes; nothing when a slot was free at once.
        `action` ("propose", "decide", "revise") names what begins (QUEUE_WHAT)."""
        say = on_event or (lambda _event: None)
        waited = False

        def told(place: int) -> None:
            nonlocal waited
            waited = True
            say(Event("info", QUEUE_STEP, W_QUEUE.format(n=place, what=QUEUE_WHAT[action])))

        with self.cases.hold(case_id), self.queue.admit(told) as slot:
            if waited:
                say(Event("step", QUEUE_STEP, W_QUEUE_DONE))
            yield slot
