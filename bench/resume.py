"""Benchmark: resuming a stored case to the point where the official can type (issue 11: < 1 s).

A case is drafted once and revised three times through the app's service (`DraftingService`) on the
default index, so its conversation holds four versions in `conversations.sqlite`. Then each measured
run is a fresh Python process that opens the service on that data dir and does what the Utkast page
does before the official can type: list the cases, read the versions and the chat, ask whether a
decision is pending, and load the newest version's state from its checkpoint (what the next chat
message runs from). Reported: that work the first time after a restart with the code loaded ("cold";
the target, < 1 s), the same work again ("warm", the next page render), the import of the code (once
per app process, part of the app's start, see bench/app_start.py), and all of it from process start.

Baseline in the same run: a fresh process that reads only the app's rows (cases, versions, chat) from
`app.sqlite`, as the page did before the conversation had checkpoints.

The case is the Stockholm motion (kompetenscenter mot transnationellt förtryck) with its real answer
kept out of the search. It lies outside the municipal competence, so drafting and the three revisions
need no model call: the bench gives the service a stand-in model that fails if it is ever asked.

    REMISS_DATA_DIR=<data dir with a built default index> python bench/resume.py [--runs 7]
        [--out bench/results/resume.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START = time.perf_counter()
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (
    "remissvar/stockholm_socialforvaltningen_2025_KS-2025-448_kompetenscenter_transnationellt_fortryck.txt"
)
REVISIONS = ["kortare", "lägg till att staden redan samverkar med polisen", "byt ståndpunkt till besvarad"]


class NoModel:
    """Stands in for the model: the bench's case never needs one."""

    kind = "local"
    model = "ingen modell (bench)"

    def complete_json(self, *args: object, **kwargs: object) -> dict[str, object]:
        raise AssertionError("the bench's case should not ask the model")

    def stream(self, *args: object, **kwargs: object) -> object:
        raise AssertionError("the bench's case should not ask the model")


def _service(data_dir: Path):  # type: ignore[no-untyped-def]
    from agent.config import Settings
    from agent.service import DraftingService

    DraftingService.backend = lambda self: NoModel()  # type: ignore[method-assign,assignment,return-value]
    return DraftingService(Settings(data_dir=data_dir))


def setup(data_dir: Path) -> dict[str, object]:
    svc = _service(data_dir)
    text = (ROOT / "corpus" / EXAMPLE).read_text(encoding="utf-8")
    _, intake = svc.read_remiss(text.encode("utf-8"), "")
    case_id = svc.create_case("ws:bench", text, "motion.txt", intake, exclude_sources=[EXAMPLE])
    svc.draft("ws:bench", case_id)
    for message in REVISIONS:
        svc.revise("ws:bench", case_id, message)
    versions = len(svc.drafts("ws:bench", case_id))
    svc.close()
    return {
        "case_id": case_id,
        "versions": versions,
        "conversations_sqlite_kb": round((data_dir / "conversations.sqlite").stat().st_size / 1024),
        "app_sqlite_kb": round((data_dir / "app.sqlite").stat().st_size / 1024),
    }


def resume(data_dir: Path, case_id: str, rows_only: bool) -> dict[str, float]:
    """In a fresh process: what the page needs before the official can type."""
    if rows_only:
        from agent.storage import Storage

        t0 = time.perf_counter()
        storage = Storage(data_dir / "app.sqlite")
        storage.cases("ws:bench")
        storage.drafts("ws:bench", case_id)
        storage.messages("ws:bench", case_id)
        return {"rows_s": time.perf_counter() - t0, "ready_s": time.perf_counter() - START}
    import agent.service  # noqa: F401  (the code, loaded once per app process)

    loaded = time.perf_counter()
    out: dict[str, float] = {"import_s": loaded - START}
    svc = _service(data_dir)
    for round_ in ("cold", "warm"):  # the first open after a restart, then the next page render
        t0 = time.perf_counter()
        svc.cases("ws:bench")
        drafts = svc.drafts("ws:bench", case_id)
        svc.messages("ws:bench", case_id)
        assert svc.pending("ws:bench", case_id) is None
        t_page = time.perf_counter()
        state = svc._thread(case_id).turn(drafts[-1].checkpoint).state  # what the next message runs from
        assert state.draft is not None and state.draft.text == drafts[-1].draft["text"]
        ready = time.perf_counter()
        out |= {
            f"{round_}_page_s": t_page - t0,
            f"{round_}_state_s": ready - t_page,
            f"{round_}_s": ready - t0,
        }
    out["ready_s"] = time.perf_counter() - START
    return out


def child(args: list[str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True, env=os.environ.copy()
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "resume.json")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # DATA_DIR CASE_ID rows|service
    parser.add_argument("--setup", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        print(json.dumps(setup(args.setup)))
        return
    if args.child:
        data_dir, case_id, mode = args.child
        print(json.dumps(resume(Path(data_dir), case_id, mode == "rows")))
        return

    source = Path(os.environ.get("REMISS_DATA_DIR", Path.home() / ".local/share/remissagent"))
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        for name in ("indexes", "cache"):  # the built index, shared read-only
            (data_dir / name).symlink_to(source / name)
        t0 = time.perf_counter()
        made = child(["--setup", str(data_dir)])
        setup_s = time.perf_counter() - t0
        runs: dict[str, list[dict[str, float]]] = {"service": [], "rows": []}
        for _ in range(args.runs):  # interleaved, so load on the machine hits both alike
            for mode in ("service", "rows"):
                runs[mode].append(child(["--child", str(data_dir), str(made["case_id"]), mode]))

    def median(mode: str, key: str) -> float:
        return round(statistics.median(r[key] for r in runs[mode]), 3)

    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "runs": args.runs,
        "setup": made | {"seconds": round(setup_s, 1)},
        "resume_cold_s_median": median("service", "cold_s"),  # the target (< 1 s): code loaded, data cold
        "resume_warm_s_median": median("service", "warm_s"),
        "cold_page_s_median": median("service", "cold_page_s"),
        "cold_state_s_median": median("service", "cold_state_s"),
        "import_s_median": median("service", "import_s"),
        "ready_s_median": median("service", "ready_s"),  # from process start, imports included
        "baseline_rows_only_s_median": median("rows", "rows_s"),  # the app's rows alone, code loaded
        "ratio_cold_vs_baseline": round(median("service", "cold_s") / median("rows", "rows_s"), 2),
        "raw": runs,
    }
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "raw"}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
