"""Many officials at once (issue 13): the fair model queue (agent/service/admission.py) and the service
drafting for many owners in parallel threads, with a scripted model whose calls take a while."""

from __future__ import annotations

import contextlib
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fake_chat import FakeChat
from streamlit.testing.v1 import AppTest

from agent.config import Settings
from agent.index.search import Filters
from agent.llm.backends import ChatBackend
from agent.service import QUEUE_STEP, DraftingService, Event
from agent.service.admission import AdmissionQueue, LockedEmbedder, SlotBackends, parallel_drafts

MOTION = (
    "Motion om läxhjälp i {place}\n\n"
    "Anna Andersson (S) föreslår i en motion att kommunen ska erbjuda läxhjälp på biblioteken i {place}.\n\n"
    "Jag föreslår att kommunfullmäktige beslutar\n"
    "att kommunen erbjuder läxhjälp på alla bibliotek i {place}.\n"
)
PLACE = re.compile(r"Ort\d+")


class SlowChat(FakeChat):
    """FakeChat whose calls take a while and are counted while in flight. A call waits (up to `hold`
    seconds) for `crowd` calls to be in flight at once, so a test sees the most the queue lets through;
    `gate`, when set, holds every call until it opens. The prose names the place in its own prompt, so
    a draft stored for the wrong case would show it."""

    def __init__(self, kind: str = "openai", crowd: int = 1, hold: float = 0.05) -> None:
        super().__init__(kind=kind, standpoint="besvarad")
        self.crowd, self.hold = crowd, hold
        self.gate: threading.Event | None = None
        self.in_flight = self.most = 0
        self._cond = threading.Condition()

    def _call(self, messages: list[dict[str, Any]]) -> None:
        with self._cond:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            self._cond.notify_all()
            self._cond.wait_for(lambda: self.in_flight >= self.crowd, timeout=self.hold)
        if self.gate is not None:
            assert self.gate.wait(10)
        time.sleep(0.01)
        with self._cond:
            self.in_flight -= 1

    def complete_json(self, messages: list[dict[str, Any]], *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._call(messages)
        return super().complete_json(messages, *args, **kwargs)

    def stream(self, messages: list[dict[str, Any]], **kwargs: Any) -> Iterator[str]:
        self._call(messages)
        self.calls.append(("stream", messages))
        places = PLACE.findall(self._prompt(messages))
        yield f"Förvaltningen har inga synpunkter på förslaget om läxhjälp i {places[0]}.\n"


# ----------------------------------------------------------------------------- the queue alone


def test_positions_count_down_and_leaving_moves_the_line() -> None:
    queue = AdmissionQueue(slots=1)
    first, second, third = queue.join(), queue.join(), queue.join()
    assert [queue.position(t) for t in (first, second, third)] == [0, 1, 2]
    assert first.slot == 0 and second.slot is None
    queue.leave(second)  # gave up waiting
    assert queue.position(second) is None and queue.position(third) == 1
    queue.leave(first)
    assert queue.position(third) == 0 and third.slot == 0
    assert queue.counts() == (1, 0)


def test_admission_is_first_come_first_served_with_each_place_reported() -> None:
    queue = AdmissionQueue(slots=1)
    holder = queue.join()  # the slot is taken
    admitted: list[int] = []
    heard: dict[int, list[int]] = {}
    tickets = [queue.join() for _ in range(5)]  # in line in this order

    def wait(i: int) -> None:
        queue.wait(tickets[i], on_wait=lambda n: heard.setdefault(i, []).append(n))
        admitted.append(i)
        time.sleep(0.01)
        queue.leave(tickets[i])

    threads = [threading.Thread(target=wait, args=(i,)) for i in reversed(range(5))]  # started last first
    for t in threads:
        t.start()
    _until(lambda: len(heard) == 5)
    queue.leave(holder)
    for t in threads:
        t.join(10)
    assert admitted == [0, 1, 2, 3, 4]
    for i, places in heard.items():  # each heard its first place and every place after it, down to 1
        assert places == list(range(i + 1, 0, -1)), (i, places)


def test_never_more_than_the_slots_at_once() -> None:
    queue = AdmissionQueue(slots=3)
    lock, inside, most = threading.Lock(), [0], [0]

    def work() -> None:
        with queue.admit() as slot:
            assert 0 <= slot < 3
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.03)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert most[0] == 3 and queue.counts() == (0, 0)


def test_parallel_drafts_follow_the_backend(tmp_path: Path) -> None:
    def settings(**kw: Any) -> Settings:
        return Settings(_env_file=None, data_dir=tmp_path, **kw)  # type: ignore[call-arg]

    assert parallel_drafts(settings()) == 1  # the local model: one request at a time
    assert parallel_drafts(settings(openai_base_url="http://vllm:8000/v1")) == 8
    assert parallel_drafts(settings(openai_api_key="sk-test", llm_backend="local")) == 1
    assert parallel_drafts(settings(openai_api_key="sk-test", max_parallel_drafts=20)) == 20
    assert parallel_drafts(settings(llm_backend="openai")) == 1  # misconfigured: told when drafting


def test_each_extra_slot_gets_its_own_client_for_the_server() -> None:
    base = ChatBackend(base_url="http://vllm.invalid/v1", api_key="x", model="m", kind="openai")
    with contextlib.ExitStack() as stack:
        slots = SlotBackends(lambda: base, stack)
        one, two = slots.get(1), slots.get(2)
        assert slots.get(0) is base and slots.get(1) is one and len({id(base), id(one), id(two)}) == 3
        assert isinstance(one, ChatBackend) and one.base_url == base.base_url and one.model == "m"
        one.last_finish_reason = "stop"  # per-call state is the slot's own
        assert base.last_finish_reason is None
        lazy = slots.chat(2, base)
        assert lazy.kind == "openai" and lazy.model == "m"  # (naming the model opens the slot's copy)


class CountingEmbedder:
    """Records how many threads embed at once."""

    name, dim = "counting", 4

    def __init__(self) -> None:
        self.inside = self.most = 0

    def embed_query(self, text: str) -> np.ndarray:
        self.inside += 1
        self.most = max(self.most, self.inside)
        time.sleep(0.01)
        self.inside -= 1
        return np.ones(self.dim, dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.embed_query(t) for t in texts])


def test_the_embedding_model_embeds_for_one_thread_at_a_time() -> None:
    inner = CountingEmbedder()
    locked = LockedEmbedder(inner, threading.Lock())
    assert (locked.name, locked.dim) == ("counting", 4)
    in_parallel(lambda i: locked.embed_query(f"fråga {i}"), 8)
    assert inner.most == 1


QUERIES = [
    ("Får kommunen ge stöd till ett enskilt företag?", Filters()),
    ("KL 2:2", Filters()),
    ("läxhjälp bibliotek", Filters(kind="precedent")),
    ("nämndernas ansvar", Filters(kind="law", law_ids=["sfs-2017-725"])),
    ("förvaltningens service", Filters(kind="law", law_ids=["sfs-2017-900"])),
    ("Säkerhetspolisen", Filters(kind="law")),
]


def test_searches_run_side_by_side_with_the_same_hits(make_service: Callable[..., Any]) -> None:
    svc, _chat = make_service(SlowChat())
    searcher = svc.searcher()
    assert isinstance(searcher.embedder, LockedEmbedder)  # shared: only the model is one at a time

    def ids(q: int) -> list[str]:
        query, filters = QUERIES[q % len(QUERIES)]
        return [h.document.id for h in searcher.search(query, k=5, filters=filters)]

    alone = [ids(q) for q in range(len(QUERIES))]
    together = in_parallel(lambda i: [ids(i + r) for r in range(len(QUERIES))], 12)
    for i, got in enumerate(together):
        assert got == [alone[(i + r) % len(QUERIES)] for r in range(len(QUERIES))]
    assert all(alone)


# ----------------------------------------------------------------------------- the service


@pytest.fixture
def make_service(
    drafting_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., tuple[DraftingService, SlowChat]]]:
    """A service on a private copy of the drafting index with a SlowChat as its model (an OpenAI-compatible
    server unless the chat says "local")."""
    data_dir = tmp_path / "data"
    shutil.copytree(drafting_settings.data_dir, data_dir)
    made: list[DraftingService] = []

    def make(chat: SlowChat, **settings: Any) -> tuple[DraftingService, SlowChat]:
        monkeypatch.setattr(DraftingService, "backend", lambda self: chat)
        if chat.kind == "openai":  # a server (the backend's kind comes from the settings)
            settings.setdefault("openai_base_url", "http://vllm.invalid/v1")
        svc = DraftingService(drafting_settings.model_copy(update={"data_dir": data_dir, **settings}))
        made.append(svc)
        return svc, chat

    yield make
    for svc in made:
        svc.close()


def new_case(svc: DraftingService, owner: str, place: str) -> str:
    text, intake = svc.read_remiss(MOTION.format(place=place).encode("utf-8"), "")
    return svc.create_case(owner, text, "", intake)


def in_parallel(work: Callable[[int], object], n: int) -> list[object]:
    results: list[object] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            results[i] = work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def _until(condition: Callable[[], bool], timeout: float = 10) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


def test_n_slots_let_n_model_calls_run_at_once(make_service: Callable[..., Any]) -> None:
    svc, chat = make_service(SlowChat(crowd=3, hold=1.0), max_parallel_drafts=3)
    assert svc.turns.queue.slots == 3
    cases = [new_case(svc, f"user:{i}", f"Ort{i}") for i in range(9)]
    in_parallel(lambda i: svc.draft(f"user:{i}", cases[i]), 9)
    assert chat.most == 3  # three at once, never four
    assert chat.questions().count("standpunkt") == 9 and chat.questions().count("stream") == 9


def test_the_local_model_takes_one_draft_at_a_time(make_service: Callable[..., Any]) -> None:
    svc, chat = make_service(SlowChat(kind="local", crowd=2, hold=0.3))
    assert svc.turns.queue.slots == 1  # no OPENAI_*: the embedded local model
    cases = [new_case(svc, f"user:{i}", f"Ort{i}") for i in range(3)]
    in_parallel(lambda i: svc.draft(f"user:{i}", cases[i]), 3)
    assert chat.most == 1 and chat.questions().count("standpunkt") == 3


def test_waiting_officials_hear_their_place_in_line_first_come_first_served(
    make_service: Callable[..., Any],
) -> None:
    svc, chat = make_service(SlowChat(), max_parallel_drafts=1)
    chat.gate = threading.Event()  # the first official's model call holds the only slot
    owners = [f"user:{i}" for i in range(5)]
    cases = {o: new_case(svc, o, f"Ort{i}") for i, o in enumerate(owners)}
    heard: dict[str, list[Event]] = {o: [] for o in owners}
    turns: list[str] = []  # the order in which waiting officials got their turn
    threads = []
    for i, owner in enumerate(owners):

        def on_event(event: Event, owner: str = owner) -> None:
            if event.step == QUEUE_STEP:
                heard[owner].append(event)
                if event.kind == "step":
                    turns.append(owner)

        thread = threading.Thread(target=svc.propose, args=(owner, cases[owner], on_event))
        thread.start()
        threads.append(thread)
        _until(lambda i=i: svc.turns.queue.counts() == (1, i))  # in line behind the i before it
    chat.gate.set()
    for t in threads:
        t.join(30)
    assert heard[owners[0]] == []  # a free slot: nothing to report
    assert turns == owners[1:]  # first come, first served
    for i, owner in enumerate(owners[1:], start=1):
        waiting = [e.text for e in heard[owner] if e.kind == "info"]
        assert waiting == [
            f"Du är nummer {n} i kön. Kompetensprövningen börjar när det är din tur." for n in range(i, 0, -1)
        ]
        assert heard[owner][-1] == Event("step", QUEUE_STEP, "Väntade i kön – nu är det din tur")
    assert all(svc.pending(o, cases[o]) is not None for o in owners)


def test_ten_officials_drafting_at_once_each_get_their_own_draft(make_service: Callable[..., Any]) -> None:
    svc, chat = make_service(SlowChat(crowd=4, hold=0.5), max_parallel_drafts=4)
    owners = [f"user:{i}" for i in range(10)]
    cases = in_parallel(lambda i: new_case(svc, owners[i], f"Ort{i}"), 10)
    rows = in_parallel(lambda i: svc.draft(owners[i], str(cases[i])), 10)
    assert chat.most == 4
    for i, owner in enumerate(owners):
        assert [c.id for c in svc.cases(owner)] == [cases[i]]  # nobody sees another's case
        stored = svc.drafts(owner, str(cases[i]))
        assert [r.version for r in stored] == [1] and stored[0].id == rows[i].id  # type: ignore[attr-defined]
        assert PLACE.findall(stored[0].draft["text"]) == [f"Ort{i}"]  # this case's own answer
        assert svc.case(owner, str(cases[i])).title == f"Motion om läxhjälp i Ort{i}"
    audit = svc.storage.audit()
    assert len(audit) == 10
    assert {(a["owner"], a["case_id"]) for a in audit} == set(zip(owners, cases, strict=True))
    assert len({a["draft_id"] for a in audit}) == 10


def test_revisions_of_one_case_at_once_take_turns_and_get_distinct_versions(
    make_service: Callable[..., Any],
) -> None:
    svc, _chat = make_service(SlowChat(crowd=2, hold=0.2), max_parallel_drafts=4)
    case_id = new_case(svc, "user:a", "Ort1")
    svc.draft("user:a", case_id)
    in_parallel(lambda i: svc.revise("user:a", case_id, "kortare"), 4)
    assert [r.version for r in svc.drafts("user:a", case_id)] == [1, 2, 3, 4, 5]
    assert [m.role for m in svc.messages("user:a", case_id)] == ["user", "assistant"] * 4


# ----------------------------------------------------------------------------- the page


def _streaming_page(fail: bool) -> None:
    import contextlib

    from agent.service import QUEUE_STEP, AppError, Event
    from ui.common import run_streaming

    waiting = "Du är nummer {n} i kön. Utkastet börjar skrivas när det är din tur."

    def work(on_event):  # type: ignore[no-untyped-def]  # (AppTest runs this function's source alone)
        for n in (2, 1):
            on_event(Event("info", QUEUE_STEP, waiting.format(n=n)))
        if fail:
            raise AppError("Avbrutet i testet.")
        on_event(Event("step", QUEUE_STEP, "Väntade i kön – nu är det din tur"))
        on_event(Event("token", "compose", "Förvaltningen har inga synpunkter."))
        return "klart"

    with contextlib.suppress(AppError):
        run_streaming(work)


@pytest.mark.parametrize("fail", [True, False])
def test_the_page_shows_the_place_in_line(fail: bool) -> None:
    at = AppTest.from_function(_streaming_page, kwargs={"fail": fail}, default_timeout=30)
    at.run()
    assert not at.exception
    shown = [i.value for i in at.info]
    if fail:  # stopped while waiting: the last place is still shown
        assert shown == ["Du är nummer 1 i kön. Utkastet börjar skrivas när det är din tur."]
    else:  # its turn came: the place is gone, the wait is one of the steps
        assert shown == []
        assert any("Väntade i kön" in m.value for m in at.markdown)
