"""Eval metrics and baselines without a model: citation validity, quotes, unsupported claims,
must-cite, bootstrap intervals, the majority and retrieval-only baselines, and the token meter.

Metric honesty that needs no embedding model is tested here (a fabricated citation lowers validity,
shuffled standpoints lower standpoint accuracy); key-point recall is in test_eval_honesty.py.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import numpy as np
import pytest
from conftest import PROJECT_ROOT, STOCKHOLM

from agent.evals import baselines
from agent.evals.cases import EvalCase, load_cases
from agent.evals.keypoints import THRESHOLD, EmbeddingMatcher, JudgeError, LLMJudge, recall
from agent.evals.metrics import (
    Candidate,
    aggregate,
    bootstrap_ci,
    failed,
    must_cite_ids,
    paired_difference,
    score,
)
from agent.evals.usage import TokenMeter
from agent.index.embeddings import HashingEmbedder
from agent.index.search import Searcher
from agent.llm.backends import ChatBackend

STOCKHOLM_ID = "stockholm-socn-2025-kompetenscenter-transnationellt-fortryck"


@pytest.fixture(scope="module")
def public() -> list[EvalCase]:
    return load_cases()


@pytest.fixture(scope="module")
def stockholm(public: list[EvalCase]) -> EvalCase:
    return next(c for c in public if c.id == STOCKHOLM_ID)


def reference_candidate(case: EvalCase, searcher: Searcher) -> Candidate:
    cand = baselines.reference(case, [], searcher)
    assert cand is not None
    return cand


# ------------------------------------------------------------------------------ citations and quotes


def test_the_reference_answer_cites_validly_with_the_paragraphs_it_names(
    stockholm: EvalCase, drafting_searcher: Searcher
) -> None:
    cand = reference_candidate(stockholm, drafting_searcher)
    assert {"sfs-2017-725/2/1", "sfs-2017-725/2/2"} <= {d.id for d in cand.sources}
    must, missing = must_cite_ids(stockholm, drafting_searcher.resolve_references)
    assert must == ["sfs-2017-725/2/1", "sfs-2017-725/2/2"] and missing == []
    scored = score(stockholm, cand, None, must)
    m = scored.metrics
    assert m["citation_validity"] == 1.0
    assert m["must_cite_recall"] == 1.0
    assert m["quote_accuracy"] == 1.0  # the reference quotes 2 kap. 2 § verbatim
    assert m["standpoint_acc"] == 1.0 and m["competence_acc"] == 1.0
    assert m["keypoint_recall"] is None  # no matcher given


def test_a_fabricated_citation_lowers_validity_below_one(
    stockholm: EvalCase, drafting_searcher: Searcher
) -> None:
    cand = reference_candidate(stockholm, drafting_searcher)
    must, _ = must_cite_ids(stockholm, drafting_searcher.resolve_references)
    for fabricated in (
        "Detta följer också av 7 kap. 3 § kommunallagen (2017:725).",  # not a given source
        "Så bedömde även kommunstyrelsen i Dnr KS 2099/999.",  # no such earlier answer
    ):
        bad = replace(cand, text=cand.text + "\n\n" + fabricated)
        m = score(stockholm, bad, None, must).metrics
        assert m["citation_validity"] is not None and m["citation_validity"] < 1.0, fabricated


def test_a_misquotation_lowers_quote_accuracy(stockholm: EvalCase, drafting_searcher: Searcher) -> None:
    cand = reference_candidate(stockholm, drafting_searcher)
    text = cand.text.replace(
        "sådana angelägenheter som enbart staten", "sådana angelägenheter som gärna staten"
    )
    assert text != cand.text
    m = score(stockholm, replace(cand, text=text), None, []).metrics
    assert m["quote_accuracy"] is not None and m["quote_accuracy"] < 1.0


def test_must_cite_recall_counts_only_the_annotated_paragraphs_cited(
    stockholm: EvalCase, drafting_searcher: Searcher
) -> None:
    must, _ = must_cite_ids(stockholm, drafting_searcher.resolve_references)
    sources = drafting_searcher.resolve_references("2 kap. 1 § KL, 2 kap. 2 § KL")
    half = Candidate(
        "agent",
        "avstyrker",
        "outside",
        text="Enligt 2 kap. 1 § kommunallagen (2017:725) får kommunen ha hand om vissa angelägenheter.",
        sources=sources,
    )
    m = score(stockholm, half, None, must).metrics
    assert m["must_cite_recall"] == 0.5
    assert m["citation_validity"] == 1.0
    none = replace(half, text="Förvaltningen avstyrker förslaget.")
    m = score(stockholm, none, None, must).metrics
    assert m["must_cite_recall"] == 0.0
    assert m["citation_validity"] is None  # no citations: left out, not counted as valid


def test_unsupported_legal_claims_raise_the_unsupported_rate(stockholm: EvalCase) -> None:
    text = "Förvaltningen har läst motionen. Kommunen får inte ha hand om detta enligt lagen."
    m = score(stockholm, Candidate("agent", "avstyrker", "outside", text=text), None, []).metrics
    assert m["unsupported_rate"] == 0.5
    m = score(
        stockholm,
        Candidate("agent", "avstyrker", "outside", text="Förvaltningen har läst motionen."),
        None,
        [],
    )
    assert m.metrics["unsupported_rate"] == 0.0


def test_a_failed_draft_scores_zero_rather_than_being_dropped(stockholm: EvalCase) -> None:
    s = failed(stockholm, ["sfs-2017-725/2/1"], "Modellen svarade inte")
    assert s.metrics == {
        "standpoint_acc": 0.0,
        "competence_acc": 0.0,
        "keypoint_recall": 0.0,
        "must_cite_recall": 0.0,
    }


# ------------------------------------------------------------------------------ standpoints and baselines


def test_shuffled_standpoints_lower_standpoint_accuracy(public: list[EvalCase]) -> None:
    true = [score(c, Candidate("reference", c.standpoint[0], c.competence), None, []) for c in public]
    assert np.mean([s.metrics["standpoint_acc"] for s in true]) == 1.0
    rng = np.random.default_rng(7)
    firsts = [c.standpoint[0] for c in public]
    for _ in range(5):
        shuffled = list(rng.permutation(firsts))
        scored = [
            score(c, Candidate("x", s, c.competence), None, []) for c, s in zip(public, shuffled, strict=True)
        ]
        assert np.mean([s.metrics["standpoint_acc"] for s in scored]) < 1.0


def test_majority_baseline_is_leave_one_out_and_the_most_accepted_standpoint(public: list[EvalCase]) -> None:
    accepted = Counter(s for c in public for s in c.standpoint)
    most, n_most = accepted.most_common(1)[0]
    assert accepted["avstyrker"] > len(public) / 3  # a standpoint score means nothing without the baseline
    cands = [baselines.majority(public, c) for c in public]
    assert {c.standpoint for c in cands} == {most}  # on the public cases: besvarad (15 of 26; avstyrker 13)
    assert {c.competence for c in cands} == {"within"}
    acc = np.mean(
        [score(c, m, None, []).metrics["standpoint_acc"] for c, m in zip(public, cands, strict=True)]
    )
    assert acc == pytest.approx(n_most / len(public))
    # Leave-one-out: a case's own annotation never decides its baseline; ties go to avstyrker, besvarad,
    # tillstyrker (in that order) and to "within".
    small = [
        EvalCase("a", "A", ("x",), ("tillstyrker",), "within"),
        EvalCase("b", "B", ("x",), ("tillstyrker",), "outside"),
        EvalCase("c", "C", ("x",), ("besvarad",), "outside"),
    ]
    assert baselines.majority(small, small[2]).standpoint == "tillstyrker"
    assert baselines.majority(small, small[0]).standpoint == "besvarad"  # tie 1–1
    assert baselines.majority(small, small[0]).competence == "outside"
    assert baselines.majority(small, small[1]).competence == "within"  # tie 1–1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Förvaltningen föreslår att motionen avslås.", "avstyrker"),
        ("Nämnden tillstyrker förslaget.", "tillstyrker"),
        ("Nämnden kan inte tillstyrka förslaget.", "avstyrker"),
        ("Förslaget tillstyrks inte i sin helhet. Motionen anses därmed besvarad.", "besvarad"),
        ("Förvaltningen har tagit del av motionen.", None),
    ],
)
def test_standpoint_from_text(text: str, expected: str | None) -> None:
    assert baselines.standpoint_from_text(text) == expected


def test_retrieval_only_baseline_never_uses_the_cases_own_source(
    stockholm: EvalCase, drafting_searcher: Searcher
) -> None:
    cand = baselines.retrieval_only(stockholm, drafting_searcher)
    assert cand.text
    assert all(d.source != STOCKHOLM for d in cand.sources)
    assert cand.sources[0].kind == "precedent"
    m = score(stockholm, cand, None, []).metrics
    assert m["citation_validity"] is not None and m["citations"]
    # Without leave-one-out the same search finds the case's own answer: the exclusion is what stops it.
    leaky = baselines.retrieval_only(replace(stockholm, source=""), drafting_searcher)
    assert leaky.sources[0].source == STOCKHOLM


# ------------------------------------------------------------------------------ key points (mechanics)


def test_embedding_matcher_mechanics_with_the_test_embedder() -> None:
    matcher = EmbeddingMatcher(HashingEmbedder(), threshold=0.6)
    points = ["kommunen saknar kompetens för juridisk rådgivning", "parkbänkar i centrum"]
    text = "Förvaltningen konstaterar att kommunen saknar kompetens för juridisk rådgivning. Inget mer."
    matches = matcher.match(points, text)
    assert [m.covered for m in matches] == [True, False]
    assert matches[0].sentence.startswith("Förvaltningen konstaterar")
    assert recall(matches) == 0.5
    assert recall([]) is None
    assert [m.covered for m in matcher.match(points, "")] == [False, False]


def test_the_threshold_is_the_calibrated_one() -> None:
    calibration = json.loads((PROJECT_ROOT / "evals" / "keypoint_calibration.json").read_text("utf-8"))
    assert calibration["threshold"] == THRESHOLD
    readme = (PROJECT_ROOT / "evals" / "README.md").read_text(encoding="utf-8")
    assert str(THRESHOLD).replace(".", ",") in readme or str(THRESHOLD) in readme


class _JudgeChat:
    kind = "openai"
    model = "domare"

    def complete_json(
        self, messages: list[dict[str, Any]], schema: dict[str, Any], max_tokens: int, **kw: Any
    ):  # type: ignore[no-untyped-def]
        draft = messages[-1]["content"]
        return {k: ("ja" if "bänk" in draft and k == "p1" else "nej") for k in schema["required"]}


def test_llm_judge_needs_a_strong_model_and_answers_per_key_point() -> None:
    judge = LLMJudge(_JudgeChat())
    matches = judge.match(["fler bänkar", "mindre buller"], "Förvaltningen vill ha fler bänkar.")
    assert [m.covered for m in matches] == [True, False]
    local = _JudgeChat()
    local.kind = "local"  # type: ignore[misc]
    with pytest.raises(JudgeError, match="stark modell"):
        LLMJudge(local)


# ------------------------------------------------------------------------------ aggregation


def test_bootstrap_interval() -> None:
    assert bootstrap_ci([]) is None
    assert bootstrap_ci([1.0, 1.0, 1.0]) == {"mean": 1.0, "lo": 1.0, "hi": 1.0, "n": 3}
    ci = bootstrap_ci([0.0, 1.0] * 10)
    assert ci is not None and ci["lo"] < 0.5 < ci["hi"] and ci["mean"] == 0.5
    assert ci == bootstrap_ci([0.0, 1.0] * 10)  # fixed seed: reproducible
    wide = bootstrap_ci([0.0, 1.0] * 3)
    assert wide is not None and (wide["hi"] - wide["lo"]) > (ci["hi"] - ci["lo"])  # fewer cases, wider
    diff = paired_difference({"a": 0.0, "b": 0.0, "c": 1.0}, {"a": 1.0, "b": 1.0, "c": 1.0, "d": 0.0})
    assert diff is not None and diff["n"] == 3 and diff["mean"] == pytest.approx(2 / 3)
    agg = aggregate([{"standpoint_acc": 1.0, "must_cite_recall": None}, {"standpoint_acc": 0.0}])
    assert agg["standpoint_acc"]["n"] == 2 and "must_cite_recall" not in agg  # type: ignore[index]


# ------------------------------------------------------------------------------ tokens


def _metered_backend() -> ChatBackend:
    """A real ChatBackend (ChatOpenAI, openai) against an endpoint that always answers the same: 100
    prompt and 7 completion tokens, or a stream of three chunks without usage."""

    def answer(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content).get("stream"):
            chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m"}
            body = "".join(
                "data: "
                + json.dumps(
                    chunk | {"choices": [{"index": 0, "delta": {"content": "ord"}, "finish_reason": end}]}
                )
                + "\n\n"
                for end in (None, None, "stop")
            )
            return httpx.Response(
                200, text=body + "data: [DONE]\n\n", headers={"content-type": "text/event-stream"}
            )
        message = {"role": "assistant", "content": "{}"}
        return httpx.Response(
            200,
            json={
                "id": "c", "object": "chat.completion", "created": 0, "model": "m",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 7, "total_tokens": 107},
            },
        )  # fmt: skip

    client = httpx.Client(transport=httpx.MockTransport(answer))
    return ChatBackend(
        base_url="http://127.0.0.1:9/v1", api_key="k", model="m", kind="local", http_client=client
    )


def test_token_meter_counts_per_thread_and_marks_estimates() -> None:
    chat = _metered_backend()
    meter = TokenMeter.attach(chat)
    assert meter is not None
    counts = {}
    schema = {"type": "object", "properties": {}, "required": []}

    def work(name: str, calls: int) -> None:
        counts[name] = meter.start()
        for _ in range(calls):
            chat.complete_json([{"role": "user", "content": "?"}], schema, 10)
        meter.stop()

    threads = [threading.Thread(target=work, args=(n, k)) for n, k in (("a", 2), ("b", 3))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (counts["a"].prompt, counts["a"].completion, counts["a"].calls) == (200, 14, 2)
    assert (counts["b"].prompt, counts["b"].calls) == (300, 3)
    assert not counts["a"].estimated
    streamed = meter.start()
    assert "".join(chat.stream([{"role": "user", "content": "?"}])) == "ordordord"
    meter.stop()
    assert streamed.completion == 3 and streamed.estimated
    assert TokenMeter.attach(SimpleNamespace(kind="local")) is None  # a fake chat: not measured


def test_public_cases_file_is_the_one_the_tests_read() -> None:
    assert (PROJECT_ROOT / "evals" / "cases" / "public.yaml").is_file()
    assert Path(PROJECT_ROOT / "evals" / "calibrate_keypoints.py").is_file()


def test_a_sentence_repeating_the_remiss_covers_no_key_point() -> None:
    matcher = EmbeddingMatcher(HashingEmbedder(), threshold=0.3)
    remiss = (
        "Motion om läxhjälp",
        "Jag föreslår att kommunen erbjuder läxhjälp på alla bibliotek i kommunen.",
    )
    point = ["kommunen erbjuder läxhjälp på alla bibliotek"]
    repeat = "I motionen föreslås följande: att kommunen erbjuder läxhjälp på alla bibliotek i kommunen."
    assert matcher.match(point, repeat)[0].covered  # similar, but it is the motion's own words
    assert not matcher.match(point, repeat, remiss=remiss)[0].covered
    own = "Förvaltningen anser att kommunen bör erbjuda läxhjälp på bibliotek."
    assert matcher.match(point, own, remiss=remiss)[0].covered


def test_holder_correct_scores_the_reason_not_only_the_label() -> None:
    """An outside verdict that names the wrong holder (or does not cite its paragraph) is wrong."""
    from agent.evals.metrics import holder_correct, parse_holder

    case = EvalCase(
        id="x", title="t", motion=("m",), standpoint=("avstyrker",), competence="outside",
        holder="staten (Säkerhetspolisen | Migrationsverket)",
    )  # fmt: skip

    def cand(actor: str, label: str, verdict: str = "outside", holder: str = "staten") -> Candidate:
        evidence = [
            {
                "verdict": verdict,
                "entry": {"holder": holder, "actor": actor},
                "paragraphs": [{"id": "p1", "label": label}],
            }
        ]
        return Candidate("agent", "avstyrker", "outside", text="", competence_evidence=evidence)

    sapo = cand("Säkerhetspolisen", "3 § förordningen (2022:1719) med instruktion för Säkerhetspolisen")
    assert holder_correct(case, sapo, {"p1"}, set()) == 1.0
    assert holder_correct(case, sapo, set(), set()) == 0.0  # the paragraph is not cited in the text
    pilots = cand("Sjöfartsverket", "2 § förordningen (2007:1161) med instruktion för Sjöfartsverket")
    assert holder_correct(case, pilots, {"p1"}, set()) == 0.0  # right label, wrong reason
    assert holder_correct(case, cand("regionen", "x", holder="regionen"), {"p1"}, set()) == 0.0
    principle = replace(case, holder="princip (2 kap. 8 § KL)")
    kl28 = cand("kommuner och regioner", "2 kap. 8 § kommunallagen (2017:725)", holder="forbjudet")
    assert holder_correct(principle, kl28, {"p1"}, {"p1"}) == 1.0
    assert holder_correct(principle, kl28, {"p1"}, {"p2"}) == 0.0
    within = replace(case, competence="within")
    assert holder_correct(within, sapo, {"p1"}, set()) is None  # applies only to annotated outside cases
    assert parse_holder("staten (Polismyndigheten)") == ("staten", ["Polismyndigheten"])
    assert parse_holder("regionen") == ("regionen", [])
