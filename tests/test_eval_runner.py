"""The eval runner and `remiss eval` with a scripted chat model (no language model is started).

The index is the drafting fixture index (hashing embedder); key points are matched with the test
embedder, so these tests check the runner's mechanics and guarantees — leave-one-out, resuming,
manifest checks, parallel cases, the reports and the CLI — not draft quality.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import STOCKHOLM, squash
from fake_chat import FakeChat
from typer.testing import CliRunner

from agent.cli import evaluation as eval_cli
from agent.cli.evaluation import eval_app
from agent.config import Settings
from agent.drafting.factory import PipelineFactory
from agent.drafting.prompts import load_prompts
from agent.evals.cases import EvalCase, load_cases
from agent.evals.keypoints import EmbeddingMatcher
from agent.evals.report import build_report, render_html, write_reports
from agent.evals.run_dir import RunDirError, base_manifest, read_case_results
from agent.evals.runner import EvalRunner, Outcome
from agent.evals.runs import list_runs
from agent.index.embeddings import HashingEmbedder
from agent.index.search import Searcher
from agent.llm.local_model import LLMError

STOCKHOLM_ID = "stockholm-socn-2025-kompetenscenter-transnationellt-fortryck"
OWN_CASES = """\
cases:
- id: egen-lexhjalp
  title: Motion om läxhjälp på biblioteken
  source: remissvar/finns_inte.txt
  motion:
  - Anna Andersson (S) föreslår i en motion att kommunen ska erbjuda läxhjälp på biblioteken.
  - Jag föreslår att kommunfullmäktige beslutar att kommunen erbjuder läxhjälp på alla bibliotek.
  reference:
  - Förvaltningen delar motionärens syn på läxhjälpens betydelse och föreslår att motionen anses besvarad.
  standpoint: [besvarad]
  competence: within
  key_points:
  - Läxhjälpen är betydelsefull
  must_cite: []
"""


@pytest.fixture(scope="module")
def prompts(drafting_settings: Settings):  # type: ignore[no-untyped-def]
    return load_prompts(drafting_settings.prompts_dir, drafting_settings.prompt_version)


@pytest.fixture(scope="module")
def stockholm_case() -> EvalCase:
    return next(c for c in load_cases() if c.id == STOCKHOLM_ID)


@pytest.fixture
def own_case(tmp_path: Path) -> EvalCase:
    path = tmp_path / "egna" / "fall.yaml"
    path.parent.mkdir()
    path.write_text(OWN_CASES, encoding="utf-8")
    return load_cases(path)[0]


def hashing_matcher(searcher: Searcher) -> EmbeddingMatcher:
    return EmbeddingMatcher(HashingEmbedder(), threshold=0.5)


def make_runner(
    cases: list[EvalCase], out: Path, searcher_factory: Any, prompts: Any, chat: Any | None = None
) -> EvalRunner:
    chat = chat or FakeChat(standpoint="avstyrker")
    return EvalRunner(
        cases,
        out,
        factory=PipelineFactory(chat, prompts),
        open_searcher=searcher_factory,
        make_matcher=hashing_matcher,
    )


def manifest_for(
    runner: EvalRunner, searcher: Searcher, cases: list[EvalCase], **over: Any
) -> dict[str, Any]:
    m = base_manifest(
        cases_path=Path("fall.yaml"),
        cases_sha256="abc",
        cases=cases,
        chat=runner.chat,
        prompts=runner.prompts,
        prose="auto",
        searcher=searcher,
        matcher_name="hashing@0.5",
    )
    m.update(over)
    return m


class _SharedSearcher:
    """Hands out the session's searcher (the runner closes what it opened: here, nothing)."""

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher

    def __call__(self) -> Searcher:
        return _Unclosable(self.searcher)  # type: ignore[return-value]


class _Unclosable:
    def __init__(self, inner: Searcher) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def close(self) -> None:
        pass


def test_a_case_run_leaves_its_own_source_out_and_scores_draft_and_baselines(
    tmp_path: Path, drafting_searcher: Searcher, prompts: Any, stockholm_case: EvalCase
) -> None:
    runner = make_runner([stockholm_case], tmp_path / "run", _SharedSearcher(drafting_searcher), prompts)
    runner.prepare(manifest_for(runner, drafting_searcher, [stockholm_case]))
    outcomes = runner.run()
    assert [o.status for o in outcomes] == ["ok"]
    result = read_case_results(tmp_path / "run")[STOCKHOLM_ID]
    draft = result["draft"]
    # Leave-one-out: the case's own answer is in the index but never among the draft's sources.
    assert drafting_searcher.store.by_source(STOCKHOLM)
    assert result["excluded_sources"] == [STOCKHOLM] and result["source_in_index"]
    assert all(s["source"] != STOCKHOLM for s in draft["sources"])
    assert result["leaked_sources"] == []
    # The drafter was given the title and the motion, not the source file.
    assert result["remiss_text"] == stockholm_case.remiss_text()
    assert set(result["systems"]) == {"agent", "reference", "retrieval", "majority"}
    agent = result["systems"]["agent"]
    assert agent["details"]["standpoint"] == draft["standpoint"]
    assert agent["metrics"]["standpoint_acc"] == float(draft["standpoint"] in stockholm_case.standpoint)
    assert agent["metrics"]["citation_validity"] == 1.0  # the pipeline only cites given sources
    assert agent["metrics"]["must_cite_in_sources"] == 1.0  # KL 2:1 and 2:2 are always given
    assert {"retrieval_recall@5", "retrieval_recall@10"} <= set(agent["metrics"])
    assert len(agent["key_points"]) == len(stockholm_case.key_points)
    assert "prompt_tokens" not in agent["metrics"]  # the fake chat is not metered: not guessed
    ref = result["systems"]["reference"]
    assert ref["metrics"]["standpoint_acc"] == 1.0 and ref["metrics"]["must_cite_recall"] == 1.0
    assert result["systems"]["majority"]["metrics"].get("keypoint_recall") is None  # writes no text


def test_notes_reach_the_draft_only_in_a_with_notes_run(
    tmp_path: Path, drafting_searcher: Searcher, prompts: Any, own_case: EvalCase
) -> None:
    case = dataclasses.replace(own_case, notes=("Läxhjälp finns redan på två av fem bibliotek",))
    texts = {}
    for use_notes in (False, True):
        out = tmp_path / f"run-{use_notes}"
        runner = EvalRunner(
            [case],
            out,
            factory=PipelineFactory(FakeChat(standpoint="besvarad"), prompts),
            open_searcher=_SharedSearcher(drafting_searcher),
            make_matcher=hashing_matcher,
            use_notes=use_notes,
        )
        runner.prepare(
            manifest_for(runner, drafting_searcher, [case], notes="x.yaml@1" if use_notes else None)
        )
        assert [o.status for o in runner.run()] == ["ok"]
        draft = read_case_results(out)[case.id]["draft"]
        texts[use_notes] = draft["text"]
        assert draft["verification"]["unresolved"] == []
    assert "Handläggarens underlag, punkt 1" not in texts[False]
    assert "Läxhjälp finns redan på två av fem bibliotek (Handläggarens underlag, punkt 1)." in texts[True]


def test_an_interrupted_run_resumes_without_recomputing_finished_cases(
    tmp_path: Path,
    drafting_searcher: Searcher,
    prompts: Any,
    stockholm_case: EvalCase,
    own_case: EvalCase,
) -> None:
    out = tmp_path / "run"
    cases = [stockholm_case, own_case]
    first = make_runner(cases, out, _SharedSearcher(drafting_searcher), prompts)
    first.prepare(manifest_for(first, drafting_searcher, cases))

    def interrupt(outcome: Outcome) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        first.run(on_done=interrupt)
    done = read_case_results(out)
    assert list(done) == [STOCKHOLM_ID]
    stamp = done[STOCKHOLM_ID]["finished"]
    assert json.loads((out / "manifest.json").read_text())["sessions"][0]["cases_run"] == 1

    chat = FakeChat(standpoint="besvarad")
    second = make_runner(cases, out, _SharedSearcher(drafting_searcher), prompts, chat)
    second.prepare(manifest_for(second, drafting_searcher, cases))
    started: list[str] = []
    outcomes = second.run(on_start=lambda c: started.append(c.id))
    assert started == ["egen-lexhjalp"] and [o.status for o in outcomes] == ["ok"]
    results = read_case_results(out)
    assert results[STOCKHOLM_ID]["finished"] == stamp  # not recomputed
    assert results["egen-lexhjalp"]["warnings"] == [
        "Källan remissvar/finns_inte.txt finns inte i indexet: inget uteslöts ur sökningen."
    ]
    assert len(json.loads((out / "manifest.json").read_text())["sessions"]) == 2
    assert second.run() == []  # nothing left


class _BrokenChat(FakeChat):
    def complete_json(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise LLMError("Den lokala modellservern svarade inte.")


def test_a_failed_case_is_recorded_scored_zero_and_retried(
    tmp_path: Path, drafting_searcher: Searcher, prompts: Any, stockholm_case: EvalCase
) -> None:
    out = tmp_path / "run"
    # a proposal within the competence, so the model is asked (for the standpoint) and fails
    stockholm_case = dataclasses.replace(
        stockholm_case, motion=("Jag föreslår att kommunen erbjuder läxhjälp på alla bibliotek.",)
    )
    broken = make_runner([stockholm_case], out, _SharedSearcher(drafting_searcher), prompts, _BrokenChat())
    broken.prepare(manifest_for(broken, drafting_searcher, [stockholm_case]))
    assert [o.status for o in broken.run()] == ["error"]
    result = read_case_results(out)[STOCKHOLM_ID]
    assert result["error"] == "Den lokala modellservern svarade inte."
    assert result["systems"]["agent"]["metrics"]["standpoint_acc"] == 0.0
    assert "reference" in result["systems"]  # the baselines are still scored
    report = build_report(out)
    assert report["n_errors"] == 1
    fixed = make_runner([stockholm_case], out, _SharedSearcher(drafting_searcher), prompts)
    fixed.prepare(manifest_for(fixed, drafting_searcher, [stockholm_case]))
    assert [o.status for o in fixed.run()] == ["ok"]


def test_a_run_with_other_settings_is_not_continued(
    tmp_path: Path, drafting_searcher: Searcher, prompts: Any, stockholm_case: EvalCase
) -> None:
    runner = make_runner([stockholm_case], tmp_path / "run", _SharedSearcher(drafting_searcher), prompts)
    runner.prepare(manifest_for(runner, drafting_searcher, [stockholm_case]))
    with pytest.raises(RunDirError, match=r"andra inställningar: modell \('fake-model' → 'annan'\)"):
        runner.prepare(manifest_for(runner, drafting_searcher, [stockholm_case], model="annan"))


def test_parallel_cases_give_the_same_results(
    tmp_path: Path,
    drafting_settings: Settings,
    drafting_searcher: Searcher,
    prompts: Any,
    stockholm_case: EvalCase,
    own_case: EvalCase,
) -> None:
    cases = [stockholm_case, own_case]
    serial = make_runner(cases, tmp_path / "a", _SharedSearcher(drafting_searcher), prompts)
    serial.prepare(manifest_for(serial, drafting_searcher, cases))
    serial.run()
    opened: list[Searcher] = []

    def open_own() -> Searcher:  # each worker thread its own searcher
        s = Searcher.open(drafting_settings)
        opened.append(s)
        return s

    parallel = make_runner(cases, tmp_path / "b", open_own, prompts)
    parallel.prepare(manifest_for(parallel, drafting_searcher, cases))
    assert sorted(o.status for o in parallel.run(jobs=2)) == ["ok", "ok"]
    assert 1 <= len(opened) <= 2
    a, b = read_case_results(tmp_path / "a"), read_case_results(tmp_path / "b")
    for cid in a:
        assert a[cid]["draft"]["text"] == b[cid]["draft"]["text"]
        assert (
            a[cid]["systems"]["agent"]["metrics"]["keypoint_recall"]
            == (b[cid]["systems"]["agent"]["metrics"]["keypoint_recall"])
        )


def test_reports_are_written_and_the_html_is_self_contained(
    tmp_path: Path, drafting_searcher: Searcher, prompts: Any, stockholm_case: EvalCase, own_case: EvalCase
) -> None:
    out = tmp_path / "run"
    cases = [stockholm_case, own_case]
    runner = make_runner(cases, out, _SharedSearcher(drafting_searcher), prompts)
    runner.prepare(manifest_for(runner, drafting_searcher, cases))
    runner.run()
    report = write_reports(out)
    assert report["n_ok"] == 2 and report["not_run"] == []
    for name in ("report.json", "report.md", "report.html"):
        assert (out / name).stat().st_size > 0
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    agent = data["systems"]["agent"]["metrics"]
    assert agent["standpoint_acc"]["n"] == 2 and {"mean", "lo", "hi"} <= set(agent["standpoint_acc"])
    assert set(data["systems"]) == {"agent", "majority", "retrieval", "reference"}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert not re.search(r"<script|<link|<img|src=|@import|url\(", html, re.IGNORECASE)
    assert not re.search(r"href=\"(?!#)", html)  # only links within the page
    assert STOCKHOLM_ID in html and "Det verkliga svaret" in html
    assert "Sammanställning" in html and "Majoritetsbaslinje" in html
    draft_text = read_case_results(out)[STOCKHOLM_ID]["draft"]["text"]
    first_line = draft_text.split("\n")[0][:60]
    assert first_line.replace("”", "&quot;")[:20] in html or first_line[:20] in html
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| Ståndpunkt godtagen |" in md and STOCKHOLM_ID in md
    (listed,) = list_runs(tmp_path)
    assert listed["name"] == "run" and listed["n_ok"] == 2 and listed["html"].endswith("report.html")
    assert listed["metrics"]["standpoint_acc"]["n"] == 2
    # Text from a case is escaped, never markup.
    evil = {**report, "cases": [{**report["cases"][0], "title": "<script>alert(1)</script>"}]}
    assert "<script>" not in render_html(evil, {})


# ------------------------------------------------------------------------------------------------ CLI


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, drafting_settings: Settings) -> None:
    monkeypatch.setenv("REMISS_DATA_DIR", str(drafting_settings.data_dir))
    monkeypatch.setenv("REMISS_CORPUS_DIR", str(drafting_settings.corpus_dir))
    monkeypatch.setenv("REMISS_EMBEDDING", "hashing")
    monkeypatch.setenv("COLUMNS", "200")

    @contextlib.contextmanager
    def fake_backend(settings: Settings) -> Iterator[FakeChat]:
        yield FakeChat(standpoint="avstyrker")

    monkeypatch.setattr(eval_cli, "open_backend", fake_backend)
    monkeypatch.setattr(
        eval_cli, "default_matcher", lambda embedder=None: EmbeddingMatcher(HashingEmbedder(), 0.5)
    )


def test_cli_run_resume_and_compare(tmp_path: Path, cli_env: None, own_case: EvalCase) -> None:
    runner = CliRunner()
    cases = Path(own_case.file).parent
    a, b = tmp_path / "a", tmp_path / "b"
    res = runner.invoke(eval_app, ["run", "--cases", str(cases), "--out", str(a), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert "egen-lexhjalp" in res.output and "Ståndpunkt godtagen" in res.output
    assert (a / "report.html").is_file() and (a / "cases" / "egen-lexhjalp.json").is_file()
    res = runner.invoke(eval_app, ["run", "--cases", str(cases), "--out", str(a)])
    assert res.exit_code == 0 and "(1redanklara)" in squash(res.output)  # resumed: nothing recomputed
    res = runner.invoke(eval_app, ["run", "--cases", str(cases), "--out", str(b), "--limit", "1"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(eval_app, ["compare", str(a), str(b)])
    assert res.exit_code == 0, res.output
    assert "1 gemensamma fall" in res.output and "Ståndpunkt godtagen" in res.output
    res = runner.invoke(eval_app, ["compare", str(a), str(b), "--json"])
    data = json.loads(res.stdout)
    assert data["shared_cases"] == 1 and data["metrics"]["standpoint_acc"]["diff"]["mean"] == 0.0
    res = runner.invoke(eval_app, ["report", str(a)])
    assert res.exit_code == 0 and "report.html" in squash(res.output)


def test_cli_bad_input_gives_swedish_errors(tmp_path: Path, cli_env: None) -> None:
    runner = CliRunner()
    res = runner.invoke(eval_app, ["run", "--cases", str(tmp_path / "saknas"), "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "finns inte" in res.output
    res = runner.invoke(eval_app, ["run", "--backend", "gpt", "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "--backend ska vara local eller openai" in res.output
    res = runner.invoke(eval_app, ["run", "--judge", "llm", "--limit", "1", "--out", str(tmp_path / "y")])
    assert res.exit_code == 2 and "kräverenstarkmodell" in squash(res.output)
    res = runner.invoke(eval_app, ["compare", str(tmp_path), str(tmp_path)])
    assert res.exit_code == 2 and "ingen utvärderingskörning" in res.output
    res = runner.invoke(eval_app, ["--help"])
    assert res.exit_code == 0 and "Utvärdera utkasten" in res.output


def test_a_copy_of_the_answer_in_another_document_is_flagged(stockholm_case: EvalCase) -> None:
    from agent.evals.runner import answer_copies
    from agent.sources.models import Document

    sentence = stockholm_case.reference[0].split(". ")[0]
    copy = Document(
        id="remissvar/kopia.txt#text",
        kind="precedent",
        label="Kopia",
        text="Ur yttrandet: " + sentence,
        source="remissvar/kopia.txt",
    )
    other = Document(
        id="remissvar/annat.txt#text",
        kind="precedent",
        label="Annat",
        text="Något helt annat.",
        source="remissvar/annat.txt",
    )
    assert answer_copies(stockholm_case, [copy, other]) == ["remissvar/kopia.txt#text"]
