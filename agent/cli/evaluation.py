"""`remiss eval`: run the eval suite on real cases and compare runs (Swedish for the user).

Registered in `agent/cli/__init__.py` as `app.add_typer(eval_app, name="eval")`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from agent.cli.options import BackendOption
from agent.cli.output import bar_progress, console, fail, open_searcher, out, settings_for
from agent.config import PROJECT_ROOT, Settings
from agent.drafting.factory import PipelineFactory
from agent.drafting.prompts import PromptError, load_prompts
from agent.evals.cases import (
    DEFAULT_CASES,
    CaseError,
    EvalCase,
    attach_notes,
    cases_digest,
    default_notes_file,
    load_cases,
    load_notes_file,
)
from agent.evals.keypoints import JudgeError, LLMJudge, Matcher, default_matcher
from agent.evals.metrics import METRICS, fmt, fmt_ci
from agent.evals.report import SYSTEMS, write_reports
from agent.evals.run_dir import RunDirError, base_manifest, read_case_results
from agent.evals.runner import EvalRunner, Outcome
from agent.evals.runs import compare_runs
from agent.index.search import Searcher
from agent.llm import LLMError, open_backend
from agent.llm.backends import ChatModel, choose_kind

eval_app = typer.Typer(
    help="Utvärdera utkasten mot verkliga remissvar: kör fallen, skriv rapporter och jämför körningar.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
SUMMARY_METRICS = (
    "standpoint_acc",
    "competence_acc",
    "keypoint_recall",
    "must_cite_recall",
    "citation_validity",
)


def _default_out(kind: str, prompt_version: str) -> Path:
    return PROJECT_ROOT / "evals" / "results" / f"{dt.date.today().isoformat()}-{kind}-{prompt_version}"


def _summary_table(report: dict[str, Any]) -> Table:
    table = Table(title="Sammanställning (medel [95 % intervall] (n))")
    table.add_column("mått")
    for name in SYSTEMS.values():
        table.add_column(name)
    for key in SUMMARY_METRICS:
        cells = [fmt_ci((report["systems"].get(s) or {}).get("metrics", {}).get(key), key) for s in SYSTEMS]
        table.add_row(METRICS[key]["label"], *cells)
    return table


def _done_line(outcome: Outcome, out_dir: Path) -> str:
    if outcome.status != "ok":
        return f"[red]✗ {escape(outcome.case_id)}[/]: {escape(outcome.error)}"
    result = read_case_results(out_dir).get(outcome.case_id) or {}
    agent = (result.get("systems") or {}).get("agent") or {}
    m = agent.get("metrics", {})
    sp = (agent.get("details") or {}).get("standpoint")
    mark = "[green]godtagen[/]" if m.get("standpoint_acc") else "[red]ej godtagen[/]"
    return (
        f"[green]✓[/] {escape(outcome.case_id)}: {sp} ({mark}), nyckelpunkter "
        f"{fmt(m.get('keypoint_recall'), 'keypoint_recall')}, {outcome.seconds:.0f} s"
    )


CasesOption = Annotated[
    Path,
    typer.Option(
        "--cases", help="Fallfil (YAML) eller mapp med fallfiler (standard: evals/cases/public.yaml)"
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Mapp för körningen (standard: evals/results/<datum>-<modelltyp>-<prompt>)"),
]
JudgeOption = Annotated[
    str,
    typer.Option(
        help="Hur nyckelpunkter bedöms: embedding (lokal embeddingmodell, kalibrerad) eller llm "
        "(en stark modell bedömer; kräver --backend openai)"
    ),
]
WithNotesOption = Annotated[
    bool,
    typer.Option(
        "--with-notes",
        help="Ge varje fall handläggarens underlag (evals/notes/<fallfil>.yaml, eller --notes-file)",
    ),
]


@eval_app.command("run")
def run(
    cases: CasesOption = DEFAULT_CASES,
    backend: BackendOption = None,
    out_dir: OutOption = None,
    limit: Annotated[int | None, typer.Option(help="Kör bara de första N fallen", min=1)] = None,
    jobs: Annotated[int, typer.Option(help="Antal fall som körs samtidigt (trådar)", min=1, max=8)] = 1,
    judge: JudgeOption = "embedding",
    with_notes: WithNotesOption = False,
    notes_file: Annotated[
        Path | None, typer.Option(help="Fil med underlag per fall (med --with-notes)")
    ] = None,
) -> None:
    """Kör utkastagenten på varje fall och mät resultatet mot förvaltningens verkliga svar.

    Fallets eget dokument hålls utanför sökningen. En avbruten körning fortsätter där den slutade.
    I mappen skrivs report.json, report.md, report.html och varje utkast med sina källor. Med
    --with-notes får varje fall handläggarens underlag; jämför med en körning utan (eval compare).
    """
    if judge not in ("embedding", "llm"):
        raise fail("--judge ska vara embedding eller llm.", 2)
    settings = settings_for(backend)
    try:
        all_cases, notes_tag = _cases_with_notes(cases, notes_file, with_notes)
        prompts = load_prompts(settings.prompts_dir, settings.prompt_version)
        kind = choose_kind(settings)
        selected = all_cases[:limit] if limit else all_cases
        plan = RunPlan(settings, all_cases, selected, cases_digest(cases), cases)
    except (CaseError, PromptError, LLMError) as exc:
        raise fail(str(exc), 2) from exc
    target = out_dir or _default_out(kind, prompts.version + ("-notes" if with_notes else ""))
    if _announce(plan.selected, cases, target):
        main_searcher = open_searcher(settings)
        _run_cases(plan, target, prompts, main_searcher, jobs, judge, notes_tag)
    report = write_reports(target)
    out.print(_summary_table(report))
    console.print(
        f"Rapporter: {target / 'report.html'}, report.md, report.json", highlight=False, markup=False
    )
    if report["n_errors"]:
        raise typer.Exit(1)


def _cases_with_notes(
    cases: Path, notes_file: Path | None, with_notes: bool
) -> tuple[list[EvalCase], str | None]:
    """The cases, with their notes when asked for, and a tag of the notes file for the manifest."""
    all_cases = load_cases(cases)
    if not with_notes:
        return all_cases, None
    path = notes_file or default_notes_file(cases)
    all_cases = attach_notes(all_cases, load_notes_file(path), path)
    return all_cases, f"{path.name}@{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"


@dataclass(frozen=True)
class RunPlan:
    settings: Settings
    all_cases: list[EvalCase]  # the whole set (the majority baseline is computed on it)
    selected: list[EvalCase]  # the cases to run (--limit)
    digest: str
    cases_path: Path


def _run_cases(
    plan: RunPlan,
    target: Path,
    prompts: Any,
    main_searcher: Searcher,
    jobs: int,
    judge: str,
    notes_tag: str | None,
) -> None:
    settings = plan.settings
    console.print("[dim]» Startar språkmodellen …[/]")
    try:
        with open_backend(settings) as chat:
            make_matcher, matcher_name = _matchers(judge, chat, main_searcher)
            manifest = base_manifest(
                cases_path=plan.cases_path.resolve(),
                cases_sha256=plan.digest,
                cases=plan.all_cases,
                chat=chat,
                prompts=prompts,
                prose="auto",
                searcher=main_searcher,
                matcher_name=matcher_name,
                notes=notes_tag,
            )
            main_searcher.close()
            runner = EvalRunner(
                plan.selected,
                target,
                factory=PipelineFactory.from_settings(settings, chat, prompts),
                open_searcher=lambda: open_searcher(settings),
                make_matcher=make_matcher,
                all_cases=plan.all_cases,
                use_notes=notes_tag is not None,
            )
            runner.prepare(manifest)
            _run_with_progress(runner, target, jobs)
    except (JudgeError, RunDirError) as exc:
        raise fail(str(exc), 2) from exc
    except LLMError as exc:
        raise fail(str(exc)) from exc
    except KeyboardInterrupt:
        write_reports(target)
        console.print(
            "Avbrutet. Klara fall är sparade; kör samma kommando igen för att fortsätta där "
            "körningen slutade."
        )
        raise typer.Exit(130) from None


def _announce(selected: list[EvalCase], cases: Path, target: Path) -> int:
    """Say how many cases are done already; the number still to run."""
    done = {cid for cid, r in read_case_results(target).items() if r.get("status") == "ok"}
    todo = [c for c in selected if c.id not in done]
    console.print(
        f"{len(selected)} fall ({len(selected) - len(todo)} redan klara) från {cases} → {target}",
        highlight=False,
        markup=False,
    )
    return len(todo)


def _matchers(
    judge: str, chat: ChatModel, main_searcher: Searcher
) -> tuple[Callable[[Searcher], Matcher | None], str]:
    """The key-point matcher per worker (the LLM judge is shared; embeddings use each searcher's model)."""
    if judge == "llm":
        llm_judge = LLMJudge(chat)
        return (lambda searcher: llm_judge), llm_judge.name
    return (lambda searcher: default_matcher(searcher.embedder)), default_matcher(main_searcher.embedder).name


def _run_with_progress(runner: EvalRunner, target: Path, jobs: int) -> None:
    progress = bar_progress()
    with progress:
        task = progress.add_task("Utvärderar", total=len(runner.pending()))

        def on_start(case: EvalCase) -> None:
            progress.update(task, description=f"Utvärderar {escape(case.id[:48])}")

        def on_done(outcome: Outcome) -> None:
            progress.console.print(_done_line(outcome, target), highlight=False)
            progress.advance(task)

        runner.run(jobs=jobs, on_start=on_start, on_done=on_done)


@eval_app.command("compare")
def compare(
    run_a: Annotated[Path, typer.Argument(help="Den första körningens mapp (A)")],
    run_b: Annotated[Path, typer.Argument(help="Den andra körningens mapp (B)")],
    as_json: Annotated[bool, typer.Option("--json", help="Skriv jämförelsen som JSON")] = False,
) -> None:
    """Jämför två körningar: varje mått (B − A med 95 % intervall över gemensamma fall) och vad som
    ändrades per fall."""
    for path in (run_a, run_b):
        if not (path / "cases").is_dir():
            raise fail(f"{path} är ingen utvärderingskörning (mappen cases/ saknas).", 2)
    result = compare_runs(run_a, run_b)
    if as_json:
        out.print_json(data=result)
        return
    for name, path in (("A", run_a), ("B", run_b)):
        s = result["settings"][name.lower()]
        out.print(
            f"[bold]{name}[/] {escape(str(path))}: {s.get('model')} ({s.get('backend')}), "
            f"{s.get('prompt_version')}"
        )
    out.print(f"{result['shared_cases']} gemensamma fall.")
    if result["only_a"] or result["only_b"]:
        out.print(f"Bara i A: {len(result['only_a'])}, bara i B: {len(result['only_b'])} (räknas inte).")
    table = Table(title="Per mått (remissagenten)")
    for col in ("mått", "A", "B", "B − A [95 %]", "n"):
        table.add_column(col)
    for key, r in result["metrics"].items():
        d = r["diff"] or {}
        diff = f"{d.get('mean', 0):+.3f} [{d.get('lo', 0):+.3f}, {d.get('hi', 0):+.3f}]"
        table.add_row(METRICS[key]["label"], fmt(r["a"], key), fmt(r["b"], key), diff, str(r["n"]))
    out.print(table)
    if result["cases"]:
        table = Table(title="Per fall (det som ändrades, A → B)")
        table.add_column("fall")
        table.add_column("ändringar")
        for c in result["cases"]:
            parts = [
                f"{METRICS.get(k, {}).get('label', k)}: {_v(v[0], k)} → {_v(v[1], k)}"
                for k, v in c["changes"].items()
            ]
            table.add_row(c["id"], "; ".join(parts))
        out.print(table)
    else:
        out.print("Inga skillnader per fall.")


def _v(value: Any, key: str) -> str:
    if isinstance(value, float | int) and key in METRICS:
        return fmt(float(value), key)
    return "–" if value is None else str(value)


@eval_app.command("report")
def report(run_dir: Annotated[Path, typer.Argument(help="Körningens mapp")]) -> None:
    """Skriv om report.json, report.md och report.html för en körning (t.ex. en avbruten)."""
    if not (run_dir / "cases").is_dir():
        raise fail(f"{run_dir} är ingen utvärderingskörning (mappen cases/ saknas).", 2)
    data = write_reports(run_dir)
    out.print(_summary_table(data))
    console.print(
        f"Rapporter: {run_dir / 'report.html'}, report.md, report.json", highlight=False, markup=False
    )


if __name__ == "__main__":  # pragma: no cover
    eval_app()
