"""Benchmark: drafting one remiss with the embedded default (local llama.cpp server, 2 threads).

Each run is a fresh child process (`bench/draft.py --one ...`, one JSON line on stdout) that opens
the index, starts the local model server with `open_backend`, runs the whole `Pipeline` once and
stops the server, so every run pays the server start and its memory peaks are its own. Reported
(medians over the runs, every run's raw numbers in the JSON):

- backend start: `open_backend` until the local server answers (model loaded);
- first visible output: time to the first pipeline event of kind "info"/step "intake" (what the CLI
  shows first: title + proposals) and to the first "token" event (the draft text), measured from the
  start of drafting (backend up), including the backend start, and from the start of the child
  (imports, reading the remiss, opening the index, backend start: what `remiss draft` costs);
- total draft time and the per-step split (`state.timings`: intake, retrieve, competence, analysis,
  compose, verify, total), plus the time spent inside model calls and their number;
- peak RSS of the benchmark process (RUSAGE_SELF) and of the llama.cpp server (RUSAGE_CHILDREN,
  read after the server has stopped and been reaped);
- the outcome: standpoint, competence, citations, verification, cited source labels, model.

Baseline in the same runs: the steps that use no model (intake + retrieve + competence + verify), so
the model's share is visible; model share = (analysis + compose) / total (the competence step asks
no model since issue 10; its time is reported on its own).

The index comes from REMISS_DATA_DIR (it is only read). Run from the repository root:

    REMISS_DATA_DIR=... python bench/draft.py [--file F] [--exclude-source S]... [--runs 3]
        [--out bench/results/draft.json]

Without --exclude-source, a file inside corpus/ is held out of retrieval (its own answer must not
be found as a precedent).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = Path(
    "corpus/remissvar/stockholm_socialforvaltningen_2025_KS-2025-448_kompetenscenter_transnationellt_fortryck.txt"
)
STEPS = ("intake", "retrieve", "competence", "analysis", "compose", "verify", "total")
# Since issue 10 the kompetensprövning is a rule over the ansvarsatlas (no model call).
MODEL_STEPS = ("analysis", "compose")
NO_MODEL_STEPS = ("intake", "retrieve", "competence", "verify")
TARGET_FIRST_OUTPUT_S = 10.0
TARGET_DRAFT_S = 90.0
RESULT_PREFIX = "DRAFT_BENCH_RESULT "


@dataclass
class TimedChat:
    """Wraps the chat backend: counts model calls and the seconds spent in them."""

    inner: Any
    calls: int = 0
    seconds: float = 0.0
    per_call: list[float] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (prompt, answer) per call

    @property
    def model(self) -> str:
        return str(self.inner.model)

    @property
    def kind(self) -> str:
        return str(self.inner.kind)

    def _add(self, seconds: float, messages: list[dict[str, Any]], answer: str) -> None:
        self.calls += 1
        self.seconds += seconds
        self.per_call.append(round(seconds, 3))
        self.texts.append(("\n".join(str(m.get("content", "")) for m in messages), answer))

    def complete_json(
        self, messages: list[dict[str, Any]], schema: dict[str, Any], max_tokens: int, **kw: Any
    ) -> dict[str, Any]:
        t = time.perf_counter()
        answer: dict[str, Any] = {}
        try:
            answer = self.inner.complete_json(messages, schema, max_tokens, **kw)
            return answer
        finally:
            self._add(time.perf_counter() - t, messages, json.dumps(answer, ensure_ascii=False))

    def stream(self, messages: list[dict[str, Any]], **kw: Any) -> Iterator[str]:
        t = time.perf_counter()
        chunks: list[str] = []
        try:
            for chunk in self.inner.stream(messages, **kw):
                chunks.append(chunk)
                yield chunk
        finally:
            self._add(time.perf_counter() - t, messages, "".join(chunks))

    def token_counts(self, base_url: str) -> list[dict[str, int | None]]:
        """Approximate prompt/answer token counts per call, from the local server's tokenizer (the
        chat template's few extra tokens are not counted). Asked after the draft, outside the timings."""
        url = base_url.removesuffix("/v1") + "/extras/tokenize/count"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

        def count(text: str) -> int | None:
            request = urllib.request.Request(
                url, json.dumps({"input": text}).encode(), {"Content-Type": "application/json"}
            )
            try:
                with opener.open(request, timeout=10) as response:
                    return int(json.load(response)["count"])
            except (OSError, ValueError, KeyError):
                return None

        return [{"prompt": count(p), "answer": count(a)} for p, a in self.texts]


def run_one(file: Path, exclude: tuple[str, ...]) -> dict[str, Any]:
    """One measured run in this process (called in the child)."""
    launch = time.perf_counter()
    from agent.config import get_settings
    from agent.drafting.factory import PipelineFactory
    from agent.drafting.graph import run_draft
    from agent.drafting.intake import load_intake
    from agent.drafting.pipeline import DraftState, Event
    from agent.drafting.prompts import load_prompts
    from agent.index.search import Searcher
    from agent.llm import open_backend

    imported = time.perf_counter()
    settings = get_settings()
    intake = load_intake(file)
    prompts = load_prompts(settings.prompts_dir, settings.prompt_version)
    searcher = Searcher.open(settings)
    ready = time.perf_counter()

    first: dict[str, float] = {}

    def on_event(event: Event) -> None:
        now = time.perf_counter()
        if event.kind == "info" and event.step == "intake":
            first.setdefault("intake_info", now)
        elif event.kind == "token":
            first.setdefault("token", now)

    t0 = time.perf_counter()
    with open_backend(settings) as backend:
        up = time.perf_counter()
        chat = TimedChat(backend)
        factory = PipelineFactory.from_settings(settings, chat, prompts)  # type: ignore[arg-type]
        graph = factory.build_graph(searcher, on_event=on_event)
        state = run_draft(graph, DraftState(intake=intake, exclude_sources=exclude))
        done = time.perf_counter()
        tokens = chat.token_counts(backend.base_url) if backend.kind == "local" else []
        stop_from = time.perf_counter()
    stopped = time.perf_counter()
    server_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    d = state.draft
    assert d is not None and d.analysis is not None
    backend_s = up - t0
    labels = list(dict.fromkeys(c.label for c in d.citations if c.source_id))
    since_up = {k: v - up for k, v in first.items()}
    return {
        "backend_kind": backend.kind,
        "model": d.model,
        "prompt_version": d.prompt_version,
        "index_documents": searcher.manifest.count,
        "imports_s": round(imported - launch, 3),
        "open_index_and_read_remiss_s": round(ready - imported, 3),
        "backend_start_s": round(backend_s, 3),
        "first_intake_info_s": round(since_up["intake_info"], 3),
        "first_token_s": round(since_up["token"], 3) if "token" in since_up else None,
        "first_intake_info_with_backend_s": round(since_up["intake_info"] + backend_s, 3),
        "first_token_with_backend_s": (
            round(since_up["token"] + backend_s, 3) if "token" in since_up else None
        ),
        "first_intake_info_from_launch_s": round(first["intake_info"] - launch, 3),
        "first_token_from_launch_s": round(first["token"] - launch, 3) if "token" in first else None,
        "draft_s": round(done - up, 3),
        "draft_with_backend_s": round(done - t0, 3),
        "draft_from_launch_s": round(done - launch, 3),
        "backend_stop_s": round(stopped - stop_from, 3),
        "steps_s": {k: round(state.timings.get(k, 0.0), 3) for k in STEPS},
        "model_calls": chat.calls,
        "model_call_s": round(chat.seconds, 3),
        "model_call_each_s": chat.per_call,
        "model_call_tokens_approx": tokens,
        "peak_rss_process_mb": round(self_kb / 1024, 1),
        "peak_rss_server_mb": round(server_kb / 1024, 1),
        "outcome": {
            "standpoint": d.analysis.standpoint,
            "competence": d.analysis.competence,
            "citations": len(d.citations),
            "resolved_citations": sum(1 for c in d.citations if c.source_id),
            "verification_ok": d.verification.ok,
            "unresolved": len(d.verification.unresolved),
            "misquoted": len(d.verification.misquoted),
            "cited_labels": labels,
            "text_chars": len(d.text),
            "warnings": len(state.warnings),
            "removed_sentences": len(state.removed),
        },
    }


def run_child(file: Path, exclude: tuple[str, ...]) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", "--file", str(file)]
    for source in exclude:
        cmd += ["--exclude-source", source]
    load = os.getloadavg()[0]
    busy0, ours0 = busy_cpu_s(), children_cpu_s()
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    busy, ours = busy_cpu_s() - busy0, children_cpu_s() - ours0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"run failed (exit {proc.returncode})")
    line = next(x for x in proc.stdout.splitlines() if x.startswith(RESULT_PREFIX))
    result: dict[str, Any] = json.loads(line.removeprefix(RESULT_PREFIX))
    result["child_wall_s"] = round(wall, 3)
    result["load_average_1min_before"] = round(load, 2)
    # CPU seconds the run used (child + server) and what other processes used meanwhile (of 2 x wall):
    # a busy machine shows here, not only as slower numbers.
    result["cpu_s_this_run"] = round(ours, 1)
    result["cpu_s_other_processes"] = round(max(0.0, busy - ours), 1)
    return result


def busy_cpu_s() -> float:
    """CPU seconds the whole machine has been busy (all cores, from /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return round(statistics.median(values), 3) if values else None


def default_exclude(file: Path) -> tuple[str, ...]:
    try:
        return (file.resolve().relative_to(ROOT / "corpus").as_posix(),)
    except ValueError:
        return ()


def machine() -> dict[str, Any]:
    cpu, mem_kb = "", 0
    with contextlib.suppress(OSError, StopIteration):
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next(x for x in lines if x.startswith("model name")).split(":", 1)[1].strip()
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 1024**2, 1),
        "python": platform.python_version(),
    }


def code_state() -> dict[str, Any]:
    """The commit and the uncommitted changes to the code that drafts (agent/, prompts/)."""

    def git(*cmd: str) -> str:
        return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True, check=False).stdout

    diff = git("diff", "HEAD", "--", "agent", "prompts")
    return {
        "git_commit": git("rev-parse", "HEAD").strip(),
        "uncommitted_changes_in": git("diff", "HEAD", "--name-only", "--", "agent", "prompts").split(),
        "diff_sha1": hashlib.sha1(diff.encode()).hexdigest()[:12],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="the remiss to draft from")
    parser.add_argument(
        "--exclude-source",
        action="append",
        default=None,
        help="corpus document kept out of retrieval (repeatable); default: --file itself if in corpus/",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/results/draft.json"))
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a single run (child)
    args = parser.parse_args()
    exclude = tuple(args.exclude_source) if args.exclude_source is not None else default_exclude(args.file)

    if args.one:
        print(RESULT_PREFIX + json.dumps(run_one(args.file, exclude), ensure_ascii=False), flush=True)
        return

    code_before = code_state()
    runs = []
    for i in range(args.runs):
        r = run_child(args.file, exclude)
        runs.append(r)
        o = r["outcome"]
        print(
            f"run {i + 1}/{args.runs}: backend {r['backend_start_s']:.1f} s, draft {r['draft_s']:.1f} s, "
            f"first token {r['first_token_s']} s, {o['standpoint']}/{o['competence']}, "
            f"{o['citations']} citations, verified={o['verification_ok']}; "
            f"other processes used {r['cpu_s_other_processes']} CPU s meanwhile",
            flush=True,
        )

    steps = {k: round(statistics.median(r["steps_s"][k] for r in runs), 3) for k in STEPS}
    shares = [sum(r["steps_s"][k] for k in MODEL_STEPS) / r["steps_s"]["total"] for r in runs]
    keys = [
        "backend_start_s",
        "first_intake_info_s",
        "first_intake_info_with_backend_s",
        "first_intake_info_from_launch_s",
        "first_token_s",
        "first_token_with_backend_s",
        "first_token_from_launch_s",
        "draft_s",
        "draft_with_backend_s",
        "draft_from_launch_s",
        "imports_s",
        "open_index_and_read_remiss_s",
        "backend_stop_s",
        "model_calls",
        "model_call_s",
        "peak_rss_process_mb",
        "peak_rss_server_mb",
        "child_wall_s",
        "cpu_s_this_run",
        "cpu_s_other_processes",
    ]
    med = {k: median(runs, k) for k in keys}
    first_output = med["first_token_with_backend_s"]
    summary = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join(
            [f"REMISS_DATA_DIR={os.environ.get('REMISS_DATA_DIR', '')}", "python", *sys.argv]
        ),
        "machine": machine(),
        # agent/ and prompts/ as the runs saw them; "changed_during_runs" means someone edited them meanwhile
        "code": {**code_before, "changed_during_runs": code_state() != code_before},
        "file": str(args.file),
        "exclude_sources": list(exclude),
        "runs": args.runs,
        "backend_kind": runs[0]["backend_kind"],
        "model": runs[0]["model"],
        "prompt_version": runs[0]["prompt_version"],
        "index_documents": runs[0]["index_documents"],
        "median": {**med, "steps_s": steps},
        "baseline_no_model": {
            "steps": list(NO_MODEL_STEPS),
            "median_s": round(
                statistics.median(sum(r["steps_s"][k] for k in NO_MODEL_STEPS) for r in runs), 3
            ),
            "retrieve_plus_verify_median_s": round(
                statistics.median(r["steps_s"]["retrieve"] + r["steps_s"]["verify"] for r in runs), 3
            ),
        },
        "model_share": {
            "steps": list(MODEL_STEPS),
            "median": round(statistics.median(shares), 3),
            "model_calls_of_total_median": round(
                statistics.median(r["model_call_s"] / r["steps_s"]["total"] for r in runs), 3
            ),
        },
        "targets": {
            "first_visible_output_s": TARGET_FIRST_OUTPUT_S,
            "first_intake_info_with_backend_met": (med["first_intake_info_with_backend_s"] or 1e9)
            <= TARGET_FIRST_OUTPUT_S,
            "first_token_with_backend_met": (first_output or 1e9) <= TARGET_FIRST_OUTPUT_S,
            "complete_draft_s": TARGET_DRAFT_S,
            "complete_draft_with_backend_met": (med["draft_with_backend_s"] or 1e9) <= TARGET_DRAFT_S,
            "complete_draft_from_launch_met": (med["draft_from_launch_s"] or 1e9) <= TARGET_DRAFT_S,
        },
        "outcomes": [r["outcome"] for r in runs],
        "per_run": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
    shown = ("median", "baseline_no_model", "model_share", "targets")
    print(json.dumps({k: summary[k] for k in shown}, ensure_ascii=False, indent=1))
    print(f"Detaljer: {args.out}")


if __name__ == "__main__":
    main()
