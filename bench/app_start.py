"""Benchmark: the web app on the embedded default — start to first interactive page, time to a draft
in the browser, and memory of the running app (Streamlit process + the local llama.cpp server).

Baseline in the same run: a bare Streamlit app (one title) started the same way, so the app's own
start-up cost is visible as a ratio. Each run starts a fresh server process; medians are reported.

    REMISS_DATA_DIR=<data dir with a built default index> python bench/app_start.py [--runs 3]
        [--out bench/results/app_start.json]

"First interactive page" = Debian's chromium (Playwright) has loaded the page and the "Läs in remissen"
button is enabled. Memory = the peak of the summed RSS (VmRSS from /proc) of the Streamlit process and
all its children, sampled every 0.2 s while the page loads and a draft is written.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from app_browser import CHROMIUM, CHROMIUM_ARGS, app_env, start_app  # noqa: E402
from pdf_factory import make_text_pdf, write_pdf  # noqa: E402

from agent.config import Settings  # noqa: E402

EXAMPLE = (
    ROOT
    / "corpus/remissvar"
    / ("stockholm_socialforvaltningen_2025_KS-2025-448_kompetenscenter_transnationellt_fortryck.txt")
)


def tree_rss_mb(pid: int) -> float:
    """Summed VmRSS of a process and all its descendants."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
            todo.extend(int(c) for c in children)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1024


class PeakSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self._halt = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            time.sleep(0.2)

    def stop(self) -> float:
        self._halt.set()
        self.join()
        return self.peak


def streamlit_pid(port: int) -> int:
    out = subprocess.run(
        ["pgrep", "-f", f"server.port {port}"], capture_output=True, text=True
    ).stdout.split()
    return int(out[0])


def first_page(url: str, ready_text: str, draft_pdf: Path | None) -> tuple[float, float | None]:
    """Seconds to an interactive page, and (with a PDF) seconds from the draft click to the draft."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(300_000)
        t0 = time.perf_counter()
        page.goto(url)
        page.get_by_text(ready_text).first.wait_for()
        if draft_pdf is not None:
            page.get_by_role("button", name="Läs in remissen").wait_for(state="visible")
        interactive = time.perf_counter() - t0
        drafted = None
        if draft_pdf is not None:
            page.locator("input[type=file]").set_input_files(str(draft_pdf))
            page.get_by_role("button", name="Läs in remissen").click()
            page.get_by_role("button", name="Skriv utkast").click()
            t1 = time.perf_counter()
            page.get_by_text("Hänvisningar – klicka för att se källtexten").wait_for()
            drafted = time.perf_counter() - t1
        browser.close()
    return interactive, drafted


def one_run(env: dict[str, str], tmp: Path, pdf: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    with start_app(env, tmp / "app.log", timeout=180) as url:
        healthy = time.perf_counter() - t0
        sampler = PeakSampler(streamlit_pid(int(url.rsplit(":", 1)[1])))
        sampler.start()
        interactive, drafted = first_page(url, "Nytt ärende", pdf)
        peak = sampler.stop()
    return {
        "server_healthy_s": healthy,
        "first_interactive_page_s": healthy + interactive,
        "draft_in_browser_s": drafted or 0.0,
        "peak_rss_mb": peak,
    }


def baseline_run(tmp: Path, env: dict[str, str]) -> float:
    """A bare Streamlit app (one title), started (same command and flags) and loaded the same way."""
    script = tmp / "bare.py"
    script.write_text("import streamlit as st\nst.title('Nytt ärende')\n")
    t0 = time.perf_counter()
    with start_app(env, tmp / "bare.log", script=script) as url:
        healthy = time.perf_counter() - t0
        interactive, _ = first_page(url, "Nytt ärende", None)
    return healthy + interactive


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/app_start.json")
    args = parser.parse_args()
    settings = Settings()
    runs, baselines = [], []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        text = EXAMPLE.read_text(encoding="utf-8").split("Förvaltningens synpunkter")[0]
        pdf = write_pdf(tmp / "motion.pdf", make_text_pdf(["\n".join(text.splitlines()[1:])]))
        for i in range(args.runs):
            data = tmp / f"data{i}"
            shutil.copytree(settings.data_dir / "indexes", data / "indexes")
            if (settings.data_dir / "models").exists():
                os.symlink(settings.data_dir / "models", data / "models")
            env = app_env(data, settings.corpus_dir, settings.llm_model_path, embedding=settings.embedding)
            runs.append(one_run(env, tmp, pdf))
            baselines.append(baseline_run(tmp, env))
            print(json.dumps(runs[-1] | {"baseline_first_page_s": baselines[-1]}), flush=True)
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": {"nproc": os.cpu_count(), "python": platform.python_version()},
        "runs": runs,
        "baseline_bare_streamlit_first_page_s": baselines,
        "median": med | {"baseline_first_page_s": statistics.median(baselines)},
        "ratio_first_page_vs_bare_streamlit": med["first_interactive_page_s"] / statistics.median(baselines),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(
        json.dumps(result["median"], indent=2), f"\nratio {result['ratio_first_page_vs_bare_streamlit']:.2f}"
    )


if __name__ == "__main__":
    main()
