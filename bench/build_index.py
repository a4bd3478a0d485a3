"""Benchmark: build the default-corpus index (cold, warm, no-op), time and peak memory.

Each build runs in a child process (`remiss index build --json`) with its own empty data dir, so
peak RSS is the child's own. "Cold" is a fresh install: empty data dir, no local embedding cache,
the embeddings shipped in corpus/embeddings/ (median of --runs). Baselines in the same run: a cold
build that embeds everything itself (`--no-shipped-cache`, the first run before issue 13; --baseline-runs
of them, default 1 because one takes 10+ minutes) and a BM25-only build.

    python bench/build_index.py [--runs 3] [--baseline-runs 1] [--out bench/results/build_index.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Runs the CLI and reports the child's own peak RSS on stderr when it exits.
WRAPPER = (
    "import atexit, resource, sys;"
    "atexit.register(lambda: sys.stderr.write("
    "'MAXRSS_KB=%d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss));"
    "from agent.cli import main; sys.argv = ['remiss', *sys.argv[1:]]; main()"
)


def run_build(data_dir: Path, *extra: str) -> dict[str, float]:
    env = {**os.environ, "REMISS_DATA_DIR": str(data_dir)}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, "index", "build", "--json", *extra],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - start
    peak_kb = int(proc.stderr.rsplit("MAXRSS_KB=", 1)[1].split()[0])
    report = json.loads(proc.stdout)
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "count": report["count"],
        "embedded": report["embedded"],
        "shipped": report.get("shipped", 0),
        "changed": report["changed"],
    }


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median time, and every run's seconds."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    return {**ordered[len(ordered) // 2], "runs": len(runs), "all_seconds": [r["seconds"] for r in runs]}  # type: ignore[dict-item]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("bench/results/build_index.json"))
    parser.add_argument("--runs", type=int, default=3, help="cold builds with the shipped embeddings")
    parser.add_argument("--baseline-runs", type=int, default=1, help="cold builds that embed everything")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cold = [run_build(Path(tmp) / f"cold-{i}") for i in range(args.runs)]
        results["cold, shipped embeddings (median)"] = median_of(cold)
        data = Path(tmp) / "cold-0"
        results["no change (second run)"] = run_build(data)
        results["warm rebuild (--force, cached embeddings)"] = run_build(data, "--force")
        results["baseline: BM25 only"] = run_build(Path(tmp) / "bm25", "--no-dense")
        slow = [run_build(Path(tmp) / f"slow-{i}", "--no-shipped-cache") for i in range(args.baseline_runs)]
        if slow:
            results["baseline: cold, embeds everything (--no-shipped-cache, median)"] = median_of(slow)
        ratio = results["cold, shipped embeddings (median)"]["seconds"]
        if slow:
            results["ratio"] = {"baseline / shipped": round(median_of(slow)["seconds"] / ratio, 1)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
    for name, r in results.items():
        print(f"{name}: {r}")


if __name__ == "__main__":
    main()
