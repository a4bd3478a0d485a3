"""`remiss index …`: build, extend and check the search index."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, TaskID
from rich.table import Table

from agent.cli.output import bar_progress, console, fail, out
from agent.config import Settings, get_settings
from agent.index.build import BuildOptions, BuildReport, build_index, ship_embeddings
from agent.index.status import index_status
from agent.index.store import IndexLayout, SearchIndexError

index_app = typer.Typer(help="Bygg, utöka och kontrollera sökindexet.", no_args_is_help=True)


class RichProgress:
    """Build progress as rich progress bars on stderr."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def stage(self, description: str, total: int | None = None) -> None:
        if self._task is not None:  # mark the previous stage done
            done = self._progress.tasks[-1].total or 1
            self._progress.update(self._task, total=done, completed=done)
            self._progress.stop_task(self._task)
        self._task = self._progress.add_task(description, total=total)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)


def _run_build(
    settings: Settings, options: BuildOptions, force: bool, as_json: bool, use_shipped: bool = True
) -> BuildReport:
    progress = bar_progress(disable=as_json or not console.is_terminal)
    try:
        with progress:
            report = build_index(
                settings, options, progress=RichProgress(progress), force=force, use_shipped=use_shipped
            )
    except SearchIndexError as exc:
        raise fail(str(exc)) from exc
    except KeyboardInterrupt:
        console.print("Avbrutet. Det tidigare indexet är oförändrat och används fortfarande.")
        raise typer.Exit(130) from None
    for err in report.errors:
        console.print(f"[yellow]Hoppade över[/] {escape(err.path)}: {escape(err.reason)}")
    for path in report.kept_from_previous:
        console.print(f"[yellow]Behöll tidigare indexerad version av[/] {escape(path)}")
    for warning in report.warnings:
        console.print(f"[yellow]Obs:[/] {escape(warning)}")
    if as_json:
        out.print_json(
            data={
                "changed": report.changed,
                "build_id": report.build_id,
                "count": report.count,
                "embedded": report.embedded,
                "shipped": report.shipped,
                "warnings": report.warnings,
                "seconds": round(report.seconds, 2),
                "errors": [{"path": e.path, "reason": e.reason} for e in report.errors],
                "kept_from_previous": report.kept_from_previous,
            }
        )
    elif report.changed:
        console.print(
            f"[green]Klart:[/] {report.count} dokument indexerade ({report.embedded} nya embeddings, "
            f"{report.shipped} medskickade) på {report.seconds:.1f} s."
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
    shipped: Annotated[
        bool,
        typer.Option(
            "--shipped-cache/--no-shipped-cache",
            help="Använd embeddingarna som följer med projektet för standardkorpusen "
            "(--no-shipped-cache beräknar allt lokalt; det tar flera minuter)",
        ),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv resultatet som JSON")] = False,
) -> None:
    """Bygg sökindexet över lagarna och tidigare remissvar (och egna dokument som lagts till).

    Standardkorpusens embeddings följer med projektet, så ett första bygge tar ungefär en halv
    minut; egna dokument och --sfs-tillägg beräknas lokalt. Därefter byggs bara det som ändrats.
    Ett avbrutet bygge lämnar det tidigare indexet orört.
    """
    settings = get_settings()
    options = BuildOptions.load(IndexLayout(settings))
    if sfs:
        if sfs not in ("none", "instructions", "current", "all"):
            raise fail("--sfs ska vara none, instructions, current eller all.", 2)
        options.sfs = sfs  # type: ignore[assignment]  # validated above
    if sfs_limit >= 0:
        options.sfs_limit = sfs_limit
    options.dense = dense
    _run_build(settings, options, force, as_json, use_shipped=shipped)


@index_app.command("ship-embeddings")
def index_ship_embeddings() -> None:
    """Skriv om standardkorpusens medskickade embeddings (corpus/embeddings/) efter en ändring i korpusen.

    För den som underhåller projektet: beräknar det som ändrats (via den lokala cachen) och skriver
    en ny fil som ska checkas in. Ett test fallerar så länge korpusen och filen inte stämmer.
    """
    settings = get_settings()
    progress = bar_progress(disable=not console.is_terminal)
    with progress:
        path, count, embedded = ship_embeddings(settings, RichProgress(progress))
    size_mb = path.stat().st_size / 1e6
    console.print(
        f"[green]Klart:[/] {count} avsnitt ({embedded} nyberäknade) i {escape(str(path))} ({size_mb:.1f} MB)."
    )


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
        out.print(f"Inget sökindex är byggt ännu ({escape(str(data['path']))}). Kör `remiss index build`.")
        for path in data["incomplete_builds"]:
            out.print(
                f"[yellow]Avbrutet bygge:[/] {escape(str(path))} (rensas vid nästa bygge; används inte)"
            )
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
        table.add_row("Egna källor", ", ".join(data["options"].get("user_paths", [])) or "inga")
        if status.building:
            table.add_row("Pågår", "ett bygge körs just nu")
        for path in data["incomplete_builds"]:
            table.add_row("[yellow]Avbrutet bygge[/]", f"{path} (rensas vid nästa bygge; används inte)")
        out.print(table)
        if status.ok:
            out.print("[green]Indexet är helt och används för sökning.[/]")
        else:
            for problem in data["problems"]:
                out.print(f"[red]Problem:[/] {escape(str(problem))}")
            out.print("Kör `remiss index build` (eller `--force`) för att bygga om.")
    raise typer.Exit(0 if status.ok else 1)
