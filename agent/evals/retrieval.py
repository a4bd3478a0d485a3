"""Retrieval quality against the gold set in `evals/retrieval/gold.yaml`.

recall@k = share of queries with at least one relevant id among the first k hits;
MRR = mean of 1/rank of the first relevant hit (0 when none in the first `depth` hits).
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from agent.index.search import Filters, Mode, Searcher

GOLD = Path(__file__).resolve().parent.parent.parent / "evals" / "retrieval" / "gold.yaml"


@dataclass(frozen=True)
class GoldQuery:
    id: str
    category: str
    query: str
    relevant: tuple[str, ...]


def load_gold(path: Path = GOLD) -> list[GoldQuery]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [GoldQuery(q["id"], q["category"], q["query"], tuple(q["relevant"])) for q in data["queries"]]


def first_relevant_rank(ranked_ids: list[str], relevant: tuple[str, ...]) -> int | None:
    for i, doc_id in enumerate(ranked_ids, start=1):
        if doc_id in relevant:
            return i
    return None


@dataclass
class ModeResult:
    mode: str
    ranks: dict[str, int | None] = field(default_factory=dict)  # query id -> first relevant rank
    latencies_ms: list[float] = field(default_factory=list)

    def recall(self, k: int, ids: list[str] | None = None) -> float:
        ids = ids if ids is not None else list(self.ranks)
        if not ids:
            return 0.0
        return sum(1 for q in ids if (r := self.ranks[q]) is not None and r <= k) / len(ids)

    def mrr(self, ids: list[str] | None = None) -> float:
        ids = ids if ids is not None else list(self.ranks)
        if not ids:
            return 0.0
        return sum(1.0 / r for q in ids if (r := self.ranks[q]) is not None) / len(ids)


def evaluate(
    searcher: Searcher, gold: list[GoldQuery], modes: list[Mode], depth: int = 10
) -> dict[str, ModeResult]:
    results: dict[str, ModeResult] = {}
    law_only = Filters(kind="law")
    for mode in modes:
        res = ModeResult(mode)
        for q in gold:
            start = time.perf_counter()
            hits = searcher.search(q.query, k=depth, filters=law_only, mode=mode)
            res.latencies_ms.append((time.perf_counter() - start) * 1000)
            res.ranks[q.id] = first_relevant_rank([h.document.id for h in hits], q.relevant)
        results[mode] = res
    return results


def report_markdown(results: dict[str, ModeResult], gold: list[GoldQuery]) -> str:
    by_cat: dict[str, list[str]] = defaultdict(list)
    for q in gold:
        by_cat[q.category].append(q.id)
    lines = [
        "| läge | kategori | n | recall@1 | recall@5 | MRR | median ms |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for mode, res in results.items():
        for cat, ids in [("alla", [q.id for q in gold]), *sorted(by_cat.items())]:
            lines.append(
                f"| {mode} | {cat} | {len(ids)} | {res.recall(1, ids):.3f} | {res.recall(5, ids):.3f} | "
                f"{res.mrr(ids):.3f} | {statistics.median(res.latencies_ms):.1f} |"
            )
    misses = []
    for mode, res in results.items():
        for q in gold:
            rank = res.ranks[q.id]
            if rank is None or rank > 5:
                misses.append(f'- {mode}: {q.id} ({q.category}) "{q.query}" → rank {rank or ">10"}')
    if misses:
        lines += ["", "Missar (inte bland de 5 första):", *misses]
    return "\n".join(lines) + "\n"
