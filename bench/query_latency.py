"""Benchmark: query latency of hybrid search on the current index (query embedding included),
with dense-only and BM25-only measured in the same run as baselines, plus retrieval quality
(recall@1/@5, MRR) on the gold set for dense, BM25, hybrid and, as the fusion baseline,
hybrid with reciprocal rank fusion.

    python bench/query_latency.py [--repeats 5] [--out bench/results/query_latency.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from agent.config import get_settings
from agent.evals.retrieval import evaluate, load_gold, report_markdown
from agent.index.search import Searcher


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench/results/query_latency.json"))
    args = parser.parse_args()
    start = time.perf_counter()
    searcher = Searcher.open(get_settings())
    open_ms = (time.perf_counter() - start) * 1000
    gold = load_gold()
    queries = [q.query for q in gold]
    for q in queries[:5]:  # warm-up
        searcher.search(q, k=10)
    latency: dict[str, dict[str, float]] = {}
    for mode in ("hybrid", "dense", "lexical"):
        samples = []
        for _ in range(args.repeats):
            for q in queries:
                t = time.perf_counter()
                searcher.search(q, k=10, mode=mode)  # type: ignore[arg-type]
                samples.append((time.perf_counter() - t) * 1000)
        latency[mode] = {
            "n": len(samples),
            "p50_ms": round(statistics.median(samples), 2),
            "p95_ms": round(percentile(samples, 95), 2),
            "max_ms": round(max(samples), 2),
        }
    quality = evaluate(searcher, gold, ["dense", "lexical", "hybrid"])
    searcher.fusion = "rrf"  # baseline: reciprocal rank fusion of the same two result lists
    quality["hybrid-rrf (baseline)"] = evaluate(searcher, gold, ["hybrid"])["hybrid"]
    searcher.fusion = "zscore"
    summary = {
        "index_documents": searcher.manifest.count,
        "embedding": searcher.manifest.embedding,
        "open_index_ms": round(open_ms, 1),
        "latency": latency,
        "quality": {
            mode: {"recall@1": r.recall(1), "recall@5": r.recall(5), "mrr": r.mrr()}
            for mode, r in quality.items()
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
    md = args.out.with_suffix(".md")
    md.write_text(report_markdown(quality, gold), encoding="utf-8")
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    print(f"Detaljer: {md}")


if __name__ == "__main__":
    main()
