"""`remiss`: the command line of Remissagenten (Swedish for the user, English in the code)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from agent.config import Settings, get_settings
from agent.drafting.chat import Conversation
from agent.drafting.compose import prompt_budget
from agent.drafting.intake import Intake, bound_text, intake_to_json, parse_intake, read_remiss
from agent.drafting.models import COMPETENCE_SV, Draft
from agent.drafting.pipeline import DraftInputError, Event, Pipeline
from agent.drafting.prompts import PromptError, load_prompts
from agent.evals.cli import eval_app
from agent.index.build import BuildOptions, BuildReport, build_index
from agent.index.search import Filters, Searcher
from agent.index.status import index_status
from agent.index.store import IndexError_, IndexLayout
from agent.llm import LLMError, open_backend
from agent.sources.atlas import HOLDER_SV, AtlasError, load_atlas
from agent.sources.errors import SourceError
from agent.sources.references import law_id_for_name

app = typer.Typer(
    help="Remissagenten: utkast till förvaltningens synpunkter på remisser, förankrade i lag och "
    "tidigare remissvar. Allt körs lokalt som standard.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    epilog="Exempel:  remiss index build  ·  remiss draft motion.pdf  ·  "
    'remiss search "Får kommunen stödja ett enskilt företag?"  ·  remiss show "KL 2:2"  ·  '
    "remiss index add ~/arkiv/remissvar/   "
    "(Inställningar: miljövariabler REMISS_*, se README.)",
)
index_app = typer.Typer(help="Bygg, utöka och kontrollera sökindexet.", no_args_is_help=True)
app.add_typer(index_app, name="index")
app.add_typer(eval_app, name="eval")

console = Console(stderr=True)
out = Console(soft_wrap=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]Fel:[/] {message}")
    return typer.Exit(code)


class RichProgress:
    """Build progress as rich progress bars on stderr."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: int | None = None

    def stage(self, description: str, total: int | None = None) -> None:
        if self._task is not None:  # mark the previous stage done
            total = self._progress.tasks[-1].total or 1
            self._progress.update(self._task, total=total, completed=total)
            self._progress.stop_task(self._task)
        self._task = self._progress.add_task(description, total=total)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)


def _run_build(settings: Settings, options: BuildOptions, force: bool, as_json: bool) -> BuildReport:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=as_json or not console.is_terminal,
    )
    try:
        with progress:
            report = build_index(settings, options, progress=RichProgress(progress), force=force)
    except IndexError_ as exc:
        raise fail(str(exc)) from exc
    except KeyboardInterrupt:
        console.print("Avbrutet. Det tidigare indexet är oförändrat och används fortfarande.")
        raise typer.Exit(130) from None
    for err in report.errors:
        console.print(f"[yellow]Hoppade över[/] {err.path}: {err.reason}")
    for path in report.kept_from_previous:
        console.print(f"[yellow]Behöll tidigare indexerad version av[/] {path}")
    if as_json:
        out.print_json(
            data={
                "changed": report.changed,
                "build_id": report.build_id,
                "count": report.count,
                "embedded": report.embedded,
                "seconds": round(report.seconds, 2),
                "errors": [{"path": e.path, "reason": e.reason} for e in report.errors],
                "kept_from_previous": report.kept_from_previous,
            }
        )
    elif report.changed:
        console.print(
            f"[green]Klart:[/] {report.count} dokument indexerade ({report.embedded} nya embeddings) "
            f"på {report.seconds:.1f} s."
        )
    else:
        console.print(f"Indexet är redan aktuellt ({report.count} dokument). Inget ändrades.")
    return report


@index_app.command("build")
def index_build(
    sfs: Annotated[
        str,
        typer.Option(
            help="Ta med fler författningar ur SFS-arkivet: none, instructions (myndigheternas "
            "instruktionsförordningar), current (alla gällande), all (även upphävda)."
        ),
    ] = "",
    sfs_limit: Annotated[int, typer.Option(help="Högst så många författningar ur arkivet (0 = alla)")] = -1,
    dense: Annotated[
        bool, typer.Option("--dense/--no-dense", help="Semantisk sökning (embeddings) utöver BM25")
    ] = True,
    force: Annotated[bool, typer.Option(help="Bygg om även om inget har ändrats")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv resultatet som JSON")] = False,
) -> None:
    """Bygg sökindexet över lagarna och tidigare remissvar (och egna dokument som lagts till).

    Första gången tar det några minuter (embeddings beräknas lokalt); därefter byggs bara det
    som ändrats. Ett avbrutet bygge lämnar det tidigare indexet orört.
    """
    settings = get_settings()
    options = BuildOptions.load(IndexLayout(settings))
    if sfs:
        if sfs not in ("none", "instructions", "current", "all"):
            raise fail("--sfs ska vara none, instructions, current eller all.", 2)
        options.sfs = sfs  # type: ignore[assignment]
    if sfs_limit >= 0:
        options.sfs_limit = sfs_limit
    options.dense = dense
    _run_build(settings, options, force, as_json)


@index_app.command("add")
def index_add(
    paths: Annotated[list[Path], typer.Argument(help="PDF-, text- eller Markdown-filer eller mappar")],
    as_json: Annotated[bool, typer.Option("--json", help="Skriv resultatet som JSON")] = False,
) -> None:
    """Lägg till egna dokument (t.ex. tidigare remissvar som PDF) i indexet.

    Filer som inte går att läsa (krypterade, skannade utan textlager, trasiga) rapporteras med
    namn och skäl och hoppas över; resten indexeras, och inget som redan fanns försvinner.
    """
    settings = get_settings()
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise fail("Hittar inte: " + ", ".join(str(p) for p in missing), 2)
    options = BuildOptions.load(IndexLayout(settings))
    for path in paths:
        resolved = str(path.resolve())
        if resolved not in options.user_paths:
            options.user_paths.append(resolved)
    report = _run_build(settings, options, False, as_json)
    if report.errors and not as_json:
        console.print(f"{len(report.errors)} fil(er) kunde inte läsas; övriga är indexerade.")


@index_app.command("remove")
def index_remove(
    paths: Annotated[list[Path], typer.Argument(help="Tidigare tillagda filer eller mappar")],
) -> None:
    """Ta bort egna dokument från indexet."""
    settings = get_settings()
    options = BuildOptions.load(IndexLayout(settings))
    targets = {str(p.resolve()) for p in paths}
    unknown = targets - set(options.user_paths)
    if unknown:
        raise fail("Inte tillagda: " + ", ".join(sorted(unknown)), 2)
    options.user_paths = [p for p in options.user_paths if p not in targets]
    _run_build(settings, options, False, False)


@index_app.command("status")
def index_status_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Skriv resultatet som JSON")] = False,
) -> None:
    """Visa vad som är indexerat och kontrollera att indexet är helt (exit 1 om inte)."""
    status = index_status(get_settings())
    data = status.to_json()
    if as_json:
        out.print_json(data=data)
    elif status.current is None:
        out.print(f"Inget sökindex är byggt ännu ({data['path']}). Kör `remiss index build`.")
        for path in data["incomplete_builds"]:  # type: ignore[union-attr]
            out.print(f"[yellow]Avbrutet bygge:[/] {path} (rensas vid nästa bygge; används inte)")
    else:
        table = Table(show_header=False, box=None)
        table.add_row("Index", f"{data['index']} ({data['path']})")
        table.add_row("Bygge", f"{data['build_id']} ({data['created']})")
        table.add_row("Embeddings", str(data["embedding"] or "av (endast BM25)"))
        table.add_row("Chroma", str(data["chroma"]))
        counts = data["counts"] if isinstance(data["counts"], dict) else {}
        table.add_row(
            "Dokument",
            f"{data['count']} ({counts.get('law', 0)} lagparagrafer, {counts.get('precedent', 0)} "
            f"remissvarsavsnitt) från {data['sources']} källfiler",
        )
        cov = status.coverage
        table.add_row(
            "Författningar",
            f"{cov['indexed_laws']} lagar/förordningar och {cov['indexed_instructions']} "
            "myndighetsinstruktioner indexerade",
        )
        if "archive_instructions" in cov:
            instr, statutes = cov["archive_instructions"], cov["archive_statutes"]
            table.add_row(
                "Täckning (SFS-arkiven)",
                f"{instr['with_text']} av {instr['current']} gällande myndighetsinstruktioner har "
                "paragraftext; "
                f"{statutes['with_text']} av {statutes['current']} övriga gällande författningar. "
                "En författning utan text används aldrig som belägg.",
            )
        table.add_row("Egna källor", ", ".join(data["options"].get("user_paths", [])) or "inga")  # type: ignore[union-attr]
        if status.building:
            table.add_row("Pågår", "ett bygge körs just nu")
        for path in data["incomplete_builds"]:  # type: ignore[union-attr]
            table.add_row("[yellow]Avbrutet bygge[/]", f"{path} (rensas vid nästa bygge; används inte)")
        out.print(table)
        if status.ok:
            out.print("[green]Indexet är helt och används för sökning.[/]")
        else:
            for problem in data["problems"]:  # type: ignore[union-attr]
                out.print(f"[red]Problem:[/] {problem}")
            out.print("Kör `remiss index build` (eller `--force`) för att bygga om.")
    raise typer.Exit(0 if status.ok else 1)


def _open_searcher() -> Searcher:
    try:
        return Searcher.open(get_settings())
    except IndexError_ as exc:
        raise fail(str(exc)) from exc


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Fråga, sökord eller lagrum, t.ex. "KL 2:2"')],
    k: Annotated[int, typer.Option("--k", help="Antal träffar", min=1, max=200)] = 5,
    source: Annotated[
        str | None, typer.Option(help="law = bara lagar, precedent = bara tidigare remissvar")
    ] = None,
    law: Annotated[
        list[str] | None, typer.Option(help="Bara denna lag (id som sfs-2017-725, eller KL, SoL …)")
    ] = None,
    body: Annotated[
        list[str] | None, typer.Option(help="Bara remissvar från organ vars namn innehåller detta")
    ] = None,
    year_from: Annotated[int | None, typer.Option("--from", help="Remissvar från och med år")] = None,
    year_to: Annotated[int | None, typer.Option("--to", help="Remissvar till och med år")] = None,
    exclude_source: Annotated[
        list[str] | None, typer.Option(help="Uteslut ett källdokument, t.ex. remissvar/<fil>.txt")
    ] = None,
    mode: Annotated[str, typer.Option(help="hybrid, dense eller lexical")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Skriv träffarna som JSON")] = False,
) -> None:
    """Sök i lagar och tidigare remissvar (hybrid: exakta lagrum, BM25 och semantisk sökning)."""
    if source not in (None, "law", "precedent"):
        raise fail("--source ska vara law eller precedent.", 2)
    if mode not in ("hybrid", "dense", "lexical"):
        raise fail("--mode ska vara hybrid, dense eller lexical.", 2)
    if not query.strip():
        raise fail("Sökfrågan är tom.", 2)
    law_ids = [law_id_for_name(name) or name for name in law or []]
    filters = Filters(
        kind=source,  # type: ignore[arg-type]
        law_ids=law_ids,
        bodies=body or [],
        year_from=year_from,
        year_to=year_to,
        exclude_sources=exclude_source or [],
    )
    searcher = _open_searcher()
    hits = searcher.search(query, k=k, filters=filters, mode=mode)  # type: ignore[arg-type]
    if as_json:
        out.print_json(data={"query": query, "mode": mode, "hits": [h.to_json() for h in hits]})
        return
    if not hits:
        out.print("Inga träffar.")
        return
    for hit in hits:
        how = "exakt lagrum" if hit.match == "exact" else f"poäng {hit.score:.4f}"
        out.print(f"[bold]{hit.rank}. {hit.document.label}[/]  [dim]({hit.document.id}; {how})[/]")
        text = hit.document.text
        out.print(text if len(text) <= 400 else text[:400].rstrip() + " …", highlight=False)
        out.print()


@app.command()
def show(
    ref: Annotated[
        str,
        typer.Argument(
            help='Lagrum ("2 kap. 2 § KL", "KL 2:2"), dokument-id eller en post i ansvarsatlasen '
            '("ansvar/staten-polis"; "ansvar" listar alla)'
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Skriv som JSON")] = False,
) -> None:
    """Visa hela texten i ett lagrum, ett avsnitt ur ett tidigare remissvar eller en post i ansvarsatlasen."""
    if ref.strip().startswith("ansvar"):
        _show_atlas(ref.strip(), as_json)
        return
    searcher = _open_searcher()
    doc = searcher.get(ref.strip())
    docs = [doc] if doc else searcher.resolve_references(ref)
    if not docs:
        raise fail(f'Hittar inget lagrum eller dokument som motsvarar "{ref}".')
    if as_json:
        data = [
            {
                "id": d.id,
                "kind": d.kind,
                "label": d.label,
                "source": d.source,
                "text": d.text,
                "metadata": d.metadata,
            }
            for d in docs
        ]
        out.print_json(data={"ref": ref, "documents": data})
        return
    for d in docs:
        out.print(f"[bold]{d.label}[/]  [dim]({d.id})[/]")
        out.print(d.text, highlight=False)
        out.print()


def _show_atlas(ref: str, as_json: bool) -> None:
    """One ansvarsatlas entry with the text of its legal basis, or (for "ansvar") the list of entries."""
    try:
        atlas = load_atlas(get_settings().corpus_dir)
    except AtlasError as exc:
        raise fail(str(exc)) from exc
    if ref.rstrip("/") == "ansvar":
        if as_json:
            out.print_json(data={"entries": [e.to_json() for e in atlas.entries]})
            return
        for e in atlas.entries:  # one line per entry: the id must stay whole (it is what `show` takes)
            out.print(f"{e.doc_id}  [dim]{e.area} — {HOLDER_SV[e.holder]} ({e.actor})[/]", soft_wrap=True)
        return
    entry = atlas.get(ref)
    if entry is None:
        raise fail(f'Ansvarsatlasen har ingen post "{ref}". Lista posterna med `remiss show ansvar`.')
    searcher = _open_searcher()
    basis = [(pid, searcher.get(pid)) for pid in entry.legal_basis]
    if as_json:
        data = entry.to_json() | {
            "legal_basis_text": [
                {"id": pid, "label": d.label if d else None, "text": d.text if d else None}
                for pid, d in basis
            ]
        }
        out.print_json(data=data)
        return
    out.print(f"[bold]{entry.label}[/]  [dim]({entry.doc_id}, {entry.file})[/]")
    out.print(entry.statement, highlight=False)
    out.print(f"[dim]Stödord:[/] {', '.join(entry.cues)}", highlight=False)
    if entry.counter_cues:
        out.print(f"[dim]Motord:[/] {', '.join(entry.counter_cues)}", highlight=False)
    out.print(f"[dim]Källa:[/] {entry.source_note}\n", highlight=False)
    for pid, d in basis:
        if d is None:
            out.print(f"[red]{pid} finns inte i indexet[/]")
        else:
            out.print(f"[bold]{d.label}[/]  [dim]({d.id})[/]")
            out.print(d.text, highlight=False)
        out.print()


def _read_remiss(file: str, settings: Settings) -> Intake:
    """The remiss from a file or stdin ("-"), bounded to `max_remiss_chars`; Swedish errors."""
    try:
        if file == "-":
            text, cut = bound_text(sys.stdin.read(), settings.max_remiss_chars)
        else:
            path = Path(file)
            if not path.is_file():
                raise fail(f"Filen {file} finns inte.", 2)
            text, cut = read_remiss(
                path,
                max_chars=settings.max_remiss_chars,
                max_pdf_bytes=settings.max_pdf_bytes,
                max_pdf_pages=settings.max_pdf_pages,
            )
        intake = parse_intake(text)
    except SourceError as exc:
        raise fail(str(exc), 2) from exc
    return replace(intake, warnings=[*cut, *intake.warnings])


def _print_draft(draft: Draft) -> None:
    out.print(draft.text, highlight=False, markup=False)
    if draft.citations:
        out.print("[bold]Hänvisningar[/]")
        seen = set()
        for c in draft.citations:
            if c.source_id and c.source_id not in seen:
                seen.add(c.source_id)
                out.print(f"  • {c.label}  [dim]({c.source_id})[/]", highlight=False)
    v = draft.verification
    if v.ok:
        out.print("[green]Kontroll:[/] alla hänvisningar och citat stämmer mot källorna.")
    else:
        out.print(
            f"[red]Kontroll:[/] {len(v.unresolved)} okända hänvisningar, {len(v.misquoted)} felaktiga citat."
        )
    for sentence in v.unsupported_sentences:
        out.print(f"[yellow]Påstående utan hänvisning:[/] {sentence}", highlight=False)


@app.command()
def draft(
    file: Annotated[str, typer.Argument(help="Remissen: PDF, .txt eller .md, eller - för standard in")],
    backend: Annotated[
        str | None,
        typer.Option(
            help="local = den inbyggda modellen, openai = OpenAI/OpenAI-kompatibel server (OPENAI_*)"
        ),
    ] = None,
    exclude_source: Annotated[
        list[str] | None,
        typer.Option(help="Håll ett korpusdokument utanför sökningen, t.ex. remissvar/<fil>.txt"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv utkastet som JSON")] = False,
    stream: Annotated[
        bool, typer.Option("--stream", help="Visa stegen och texten medan de tas fram")
    ] = False,
    chat: Annotated[
        bool, typer.Option("--chat", help="Revidera utkastet i dialog efteråt (en rad per önskemål)")
    ] = False,
) -> None:
    """Skriv ett utkast till förvaltningens synpunkter på en remiss, med kontrollerade hänvisningar.

    Exempel: remiss draft motion.pdf  ·  remiss draft - --json < motion.txt  ·
    remiss draft motion.txt --chat  (skriv t.ex. "kortare" eller "byt ståndpunkt till besvarad")
    """
    if backend not in (None, "local", "openai"):
        raise fail("--backend ska vara local eller openai.", 2)
    settings = get_settings()
    if backend is not None:
        settings = settings.model_copy(update={"llm_backend": backend})
    intake = _read_remiss(file, settings)
    warnings: list[str] = []
    searcher = _open_searcher()
    try:
        prompts = load_prompts(settings.prompts_dir, settings.prompt_version)
    except PromptError as exc:
        raise fail(str(exc)) from exc

    def on_event(event: Event) -> None:
        if event.kind == "step":
            console.print(f"[dim]» {event.text} …[/]")
        elif event.kind == "token" and stream and not as_json:
            out.print(event.text, end="", highlight=False, markup=False)

    show_steps = (stream or console.is_terminal) and not as_json
    if show_steps:  # what was understood, at once (before the model server starts)
        listing = "\n".join(f"- {p.text}" for p in intake.proposals[:4])
        console.print(f"[bold]{intake.title or 'Remiss utan titel'}[/]\n{listing}", highlight=False)
        console.print("[dim]» Startar språkmodellen …[/]")
    try:
        with open_backend(settings) as model:
            context = settings.llm_context if model.kind == "local" else None
            pipeline = Pipeline(
                searcher,
                model,
                prompts,
                on_event=on_event if show_steps else None,
                prompt_chars=prompt_budget(context),
            )
            conversation = Conversation(pipeline)
            result = conversation.start(intake, exclude_sources=tuple(exclude_source or []))
            state = conversation.state
            assert state is not None
            warnings.extend(state.warnings)
            if stream and not as_json:
                out.print()
            if as_json:
                out.print_json(
                    data={**result.to_json(), "warnings": warnings, "intake": intake_to_json(intake)}
                )
            else:
                for w in warnings:
                    console.print(f"[yellow]Obs:[/] {w}", highlight=False)
                if not stream:
                    out.print(
                        f"[bold]Ståndpunkt:[/] {result.analysis.standpoint}  "
                        f"[bold]Kompetens:[/] {COMPETENCE_SV[result.analysis.competence]}"
                    )
                    _print_draft(result)
                else:
                    _print_draft(replace(result, text=""))
            if chat:
                _chat_loop(conversation, as_json)
    except DraftInputError as exc:
        raise fail(str(exc), 2) from exc
    except LLMError as exc:
        raise fail(str(exc)) from exc
    except KeyboardInterrupt:
        console.print("Avbrutet.")
        raise typer.Exit(130) from None
    final = conversation.draft
    if final is not None and not final.verification.ok:
        raise typer.Exit(3)


def _chat_loop(conversation: Conversation, as_json: bool) -> None:
    console.print('[dim]Skriv ett önskemål (t.ex. "kortare"), eller en tom rad för att avsluta.[/]')
    for line in sys.stdin:
        message = line.strip()
        if not message:
            break
        reply = conversation.send(message)
        if as_json:
            data = reply.draft.to_json() if reply.draft else None
            out.print_json(data={"reply": reply.text, "intent": reply.intent, "draft": data})
            continue
        out.print(f"[bold]Remissagenten:[/] {reply.text}", highlight=False)
        if reply.draft is not None:
            _print_draft(reply.draft)


def streamlit_command(port: int, host: str, script: Path | None = None) -> list[str]:
    """`streamlit run ui/app.py` (or `script`) with offline-safe flags (no usage statistics, no browser)."""
    from agent.config import PROJECT_ROOT

    return [
        sys.executable, "-m", "streamlit", "run", str(script or PROJECT_ROOT / "ui" / "app.py"),
        "--server.port", str(port), "--server.address", host, "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--global.developmentMode", "false",
        "--client.toolbarMode", "minimal",
    ]  # fmt: skip


@app.command("app")
def run_app(
    port: Annotated[int, typer.Option(help="Port")] = 8501,
    host: Annotated[
        str, typer.Option(help="Adress att lyssna på; 0.0.0.0 gör appen nåbar från andra datorer")
    ] = "127.0.0.1",
) -> None:
    """Starta webbappen (Streamlit) på http://127.0.0.1:8501 – utkast, jämförelser, utvärdering och källor."""
    import os

    if host not in ("127.0.0.1", "localhost") and not os.environ.get("REMISS_APP_PASSWORD"):
        console.print(
            "[yellow]Obs:[/] appen blir nåbar från andra datorer utan inloggning. Sätt REMISS_APP_PASSWORD "
            "eller konfigurera OIDC (se README)."
        )
    console.print(f"Startar Remissagenten på http://{host}:{port} (avsluta med Ctrl+C) …")
    command = streamlit_command(port, host)
    os.execv(command[0], command)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
