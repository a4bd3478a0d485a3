"""Calibrate and check the kompetensprövning rule (agent/drafting/competence.py) without a language model.

For every case of a case file: intake -> retrieve -> assess_competence, exactly as the pipeline does
(leave-one-out: the case's `source` is kept out of retrieval), then the verdict is compared with the
annotation and, for outside verdicts, the holder with the case's `holder`. Fast (no model: ≈0.2 s a case).

    .venv/bin/python evals/calibrate_competence.py evals/cases/competence-dev.yaml            # one setting
    .venv/bin/python evals/calibrate_competence.py evals/cases/competence-dev.yaml --grid     # all settings
    .venv/bin/python evals/calibrate_competence.py evals/cases/synthetic-competence.yaml --verbose

The grid is run on the calibration set (competence-dev.yaml) only; the chosen constants are then
checked once, unchanged, on the held-out synthetic set and the public cases (docs/competence.md).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.config import get_settings  # noqa: E402
from agent.drafting import competence  # noqa: E402
from agent.drafting.atlas_search import AtlasSearch  # noqa: E402
from agent.drafting.intake import parse_intake  # noqa: E402
from agent.drafting.retrieve import retrieve  # noqa: E402
from agent.evals.cases import EvalCase, load_cases  # noqa: E402
from agent.evals.metrics import Candidate, holder_correct, principle_ids  # noqa: E402
from agent.index.search import Searcher  # noqa: E402

GRID = {
    "MIN_CUES_ALONE": [1.5, 2.0, 3.0],
    "DENSE_TOP": [1, 3, 5],
    "DENSE_BONUS": [0.5, 1.0],
    "MARGIN": [0.5, 1.0, 2.0],
}


@dataclass
class Outcome:
    case: EvalCase
    verdict: str
    holder_ok: bool | None
    reason: str


def holder_ok(case: EvalCase, result: competence.CompetenceResult, searcher: Searcher) -> bool | None:
    """The eval's "holder correct" (agent/evals/metrics.py) on the verdict's own evidence."""
    evidence = result.to_json()
    cand = Candidate("agent", None, result.competence, competence_evidence=evidence)
    cited = {p["id"] for j in evidence for p in j["paragraphs"]}
    ok = holder_correct(case, cand, cited, principle_ids(case, searcher.resolve_references))
    return None if ok is None else ok == 1.0


_EVIDENCE: dict[str, tuple[Any, Any]] = {}


def memoize_retrieval() -> None:
    """The grid changes only the decision: retrieval and atlas matching are computed once per text."""
    match, paragraphs = AtlasSearch.match, competence.authority_paragraphs

    matches: dict[tuple[int, str], list[Any]] = {}

    def cached_match(self: AtlasSearch, text: str) -> list[Any]:
        key = (id(self), text)
        if key not in matches:
            matches[key] = match(self, text)
        return matches[key]

    @functools.cache
    def cached_paragraphs(
        searcher: Searcher, law_id: str, query: str, k: int, exclude: tuple[str, ...]
    ) -> Any:
        return paragraphs(searcher, law_id, query, k, exclude)

    AtlasSearch.match = cached_match  # type: ignore[method-assign,assignment]
    competence.authority_paragraphs = cached_paragraphs  # type: ignore[assignment]


def run(cases: list[EvalCase], searcher: Searcher) -> list[Outcome]:
    out = []
    for case in cases:
        if case.id not in _EVIDENCE:
            intake = parse_intake(case.remiss_text())
            exclude = (case.source,) if case.source else ()
            _EVIDENCE[case.id] = (intake, retrieve(intake, searcher, exclude_sources=exclude))
        intake, evidence = _EVIDENCE[case.id]
        proposals = intake.proposals[:4]
        result = competence.assess_competence(
            proposals, evidence, searcher, body=competence.body_kind(intake)
        )
        out.append(
            Outcome(
                case,
                result.competence,
                holder_ok(case, result, searcher),
                competence.competence_summary(result),
            )
        )
    return out


def summary(outcomes: list[Outcome]) -> dict[str, float]:
    n = len(outcomes)
    outside = [o for o in outcomes if o.case.competence == "outside"]
    within = [o for o in outcomes if o.case.competence == "within"]
    found = sum(o.verdict == "outside" for o in outside)
    false_alarms = sum(o.verdict == "outside" for o in within)
    holders = [o.holder_ok for o in outcomes if o.holder_ok is not None]
    return {
        "accuracy": sum(o.verdict == o.case.competence for o in outcomes) / n,
        "outside_found": found,
        "outside_total": len(outside),
        "false_alarms": false_alarms,
        "within_total": len(within),
        "uncertain": sum(o.verdict == "uncertain" for o in outcomes),
        "holder_correct": sum(holders) / len(holders) if holders else float("nan"),
        # outside found with the right holder, minus twice the false alarms (a false alarm is worse)
        "objective": sum(bool(o.holder_ok) for o in outside) - 2 * false_alarms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("cases", type=Path)
    parser.add_argument(
        "--grid", action="store_true", help="try every setting in GRID (calibration set only)"
    )
    parser.add_argument("--verbose", action="store_true", help="one line per case")
    args = parser.parse_args()
    cases = load_cases(args.cases)
    searcher = Searcher.open(get_settings())
    if args.grid:
        memoize_retrieval()
        rows = []
        for values in itertools.product(*GRID.values()):
            for name, value in zip(GRID, values, strict=True):
                setattr(competence, name, value)
            rows.append((summary(run(cases, searcher)), dict(zip(GRID, values, strict=True))))
        rows.sort(key=lambda r: (-r[0]["objective"], -r[0]["accuracy"], r[0]["uncertain"]))
        for s, setting in rows[:15]:
            print(f"{setting}  {fmt(s)}")
        return
    outcomes = run(cases, searcher)
    if args.verbose:
        for o in outcomes:
            mark = "ok " if o.verdict == o.case.competence else "FEL"
            holder = "" if o.holder_ok is None else (" ansvarig rätt" if o.holder_ok else " ANSVARIG FEL")
            print(f"{mark} {o.case.id:55} {o.case.competence:8} -> {o.verdict:9}{holder}  {o.reason[:160]}")
    print(fmt(summary(outcomes)))
    print(Counter((o.case.competence, o.verdict) for o in outcomes))


def fmt(s: dict[str, float]) -> str:
    return (
        f"accuracy {s['accuracy']:.2f} | outside {s['outside_found']}/{s['outside_total']} | "
        f"false alarms {s['false_alarms']}/{s['within_total']} | uncertain {s['uncertain']} | "
        f"holder correct {s['holder_correct']:.2f}"
    )


if __name__ == "__main__":
    main()
