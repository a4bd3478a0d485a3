"""What every `remiss` command shares: the two consoles, the error exit, progress bars, the index."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agent.config import Settings, get_settings
from agent.index.search import Searcher
from agent.index.store import SearchIndexError

console = Console(stderr=True)  # steps, warnings and errors
out = Console(soft_wrap=True)  # the result (pipe it)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a Swedish error and return the exit to raise; the message is printed as text, never markup."""
    console.print(f"[bold red]Fel:[/] {escape(message)}")
    return typer.Exit(code)


def bar_progress(disable: bool = False) -> Progress:
    """The progress bar of long commands (index builds, eval runs) on stderr."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=disable,
    )


def open_searcher(settings: Settings | None = None) -> Searcher:
    try:
        return Searcher.open(settings or get_settings())
    except SearchIndexError as exc:
        raise fail(str(exc)) from exc


def settings_for(backend: str | None) -> Settings:
    """The settings, with `--backend` (local/openai) applied."""
    if backend not in (None, "local", "openai"):
        raise fail("--backend ska vara local eller openai.", 2)
    settings = get_settings()
    if backend is not None:
        settings = settings.model_copy(update={"llm_backend": backend})
    return settings
