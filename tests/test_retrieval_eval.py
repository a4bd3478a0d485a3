from pathlib import Path

import pytest

from agent.config import PROJECT_ROOT
from agent.evals.retrieval import ModeResult, first_relevant_rank, load_gold
from agent.sources.laws import load_default_laws
from agent.sources.references import find_references


def test_gold_set_is_large_and_every_id_is_a_real_paragraph() -> None:
    gold = load_gold()
    assert len(gold) >= 60
    assert len({q.id for q in gold}) == len(gold)
    known = {p.id for p in load_default_laws(PROJECT_ROOT / "corpus")}
    unknown = sorted({r for q in gold for r in q.relevant} - known)
    assert unknown == []
    categories = {q.category for q in gold}
    assert categories == {"paraphrase", "terminology", "remiss", "exact"}


def test_exact_gold_queries_parse_to_their_relevant_paragraph() -> None:
    """Every exact-reference query must be read by the reference parser as exactly its answer."""
    for q in load_gold():
        if q.category == "exact":
            ids = [r.id for r in find_references(q.query)]
            assert ids[:1] == [q.relevant[0]], (q.id, q.query, ids)


def test_first_relevant_rank() -> None:
    assert first_relevant_rank(["a", "b", "c"], ("c", "b")) == 2
    assert first_relevant_rank(["a"], ("x",)) is None


def test_recall_and_mrr() -> None:
    res = ModeResult("hybrid", ranks={"q1": 1, "q2": 3, "q3": None, "q4": 7})
    assert res.recall(1) == pytest.approx(0.25)
    assert res.recall(5) == pytest.approx(0.5)
    assert res.recall(10) == pytest.approx(0.75)
    assert res.mrr() == pytest.approx((1 + 1 / 3 + 1 / 7) / 4)
    assert res.recall(5, ["q3"]) == 0.0


def test_gold_file_is_inside_the_repository() -> None:
    from agent.evals.retrieval import GOLD

    assert Path(GOLD).is_relative_to(PROJECT_ROOT)
