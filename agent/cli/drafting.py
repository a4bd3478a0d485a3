"""`remiss draft`: a draft of förvaltningens synpunkter on a remiss, optionally revised in a chat."""

from __future__ import annotations

import contextlib
import functools
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from agent.cli.options import BackendOption
from agent.cli.output import console, fail, open_searcher, out, settings_for
from agent.config import Settings
from agent.drafting.analysis import STANDPOINTS
from agent.drafting.factory import PipelineFactory
from agent.drafting.graph import DraftGraph, run_draft
from agent.drafting.intake import Intake, intake_to_json, parse_intake, read_remiss
from agent.drafting.models import COMPETENCE_SV, Draft, Standpoint
from agent.drafting.notes import parse_notes
from agent.drafting.pipeline import DraftInputError, DraftState, Event
from agent.drafting.prompts import PromptError, load_prompts
from agent.drafting.state_codec import StateFormatError
from agent.drafting.thread import DraftThread, ThreadError, open_checkpointer
from agent.llm import LLMError, choose_kind, open_backend
from agent.llm.backends import ChatModel
from agent.llm.lazy import LazyChat
from agent.sources.errors import SourceError
from agent.sources.models import Document


def _read_remiss(file: str, settings: Settings) -> Intake:
    """The remiss from a file or stdin ("-"), bounded to `max_remiss_chars`; Swedish errors."""
    try:
        if file == "-":  # bytes, as pasted text: decoded and checked like an upload, PDFs read as PDFs
            text, cut = read_remiss(
                sys.stdin.buffer.read(),
                max_chars=settings.max_remiss_chars,
                max_pdf_bytes=settings.max_pdf_bytes,
                max_pdf_pages=settings.max_pdf_pages,
            )
        else:
            path = Path(file)
            if path.is_dir():
                raise fail(f"{file} är en mapp. Ange en fil: PDF, textfil (.txt) eller Markdown (.md).", 2)
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
        raise fail(exc.reason if file == "-" else str(exc), 2) from exc
    return replace(intake, warnings=[*cut, *intake.warnings])


def _print_draft(draft: Draft) -> None:
    out.print(draft.text, highlight=False, markup=False)
    if draft.citations:
        out.print("[bold]Hänvisningar[/]")
        seen = set()
        for c in draft.citations:
            if c.source_id and c.source_id not in seen:
                seen.add(c.source_id)
                out.print(f"  • {escape(c.label)}  [dim]({escape(c.source_id)})[/]", highlight=False)
    v = draft.verification
    if v.ok:
        out.print("[green]Kontroll:[/] alla hänvisningar och citat stämmer mot källorna.")
    else:
        out.print(
            f"[red]Kontroll:[/] {len(v.unresolved)} okända hänvisningar, {len(v.misquoted)} felaktiga citat."
        )
    for sentence in v.unsupported_sentences:
        out.print(f"[yellow]Påstående utan hänvisning:[/] {escape(sentence)}", highlight=False)


ExcludeOption = Annotated[
    list[str] | None,
    typer.Option(help="Håll ett korpusdokument utanför sökningen, t.ex. remissvar/<fil>.txt"),
]
StreamOption = Annotated[bool, typer.Option("--stream", help="Visa stegen och texten medan de tas fram")]
ChatOption = Annotated[
    bool, typer.Option("--chat", help="Revidera utkastet i dialog efteråt (en rad per önskemål)")
]
StandpointOption = Annotated[
    str | None,
    typer.Option(
        help="Förvaltningens ståndpunkt om den redan är bestämd: tillstyrker, besvarad eller avstyrker "
        "(annars föreslår Remissagenten en)"
    ),
]
NotesOption = Annotated[
    Path | None,
    typer.Option(
        help="Handläggarens underlag: en textfil med egna fakta (vad förvaltningen redan gör, kostnader, "
        "beslut), en punkt per rad; de citeras i utkastet som Handläggarens underlag"
    ),
]


def draft(
    file: Annotated[str, typer.Argument(help="Remissen: PDF, .txt eller .md, eller - för standard in")],
    backend: BackendOption = None,
    exclude_source: ExcludeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv utkastet som JSON")] = False,
    stream: StreamOption = False,
    chat: ChatOption = False,
    standpoint: StandpointOption = None,
    notes: NotesOption = None,
) -> None:
    """Skriv ett utkast till förvaltningens synpunkter på en remiss, med kontrollerade hänvisningar.

    Exempel: remiss draft motion.pdf  ·  remiss draft - --json < motion.txt  ·
    remiss draft motion.txt --chat  (skriv t.ex. "kortare" eller "byt ståndpunkt till besvarad")  ·
    remiss draft motion.pdf --standpoint besvarad --notes underlag.txt
    """
    settings = settings_for(backend)
    if standpoint not in (None, *STANDPOINTS):
        raise fail("--standpoint ska vara tillstyrker, besvarad eller avstyrker.", 2)
    intake = _read_remiss(file, settings)
    underlag = _read_notes(notes)
    searcher = open_searcher()
    try:
        prompts = load_prompts(settings.prompts_dir, settings.prompt_version)
    except PromptError as exc:
        raise fail(str(exc)) from exc
    show_steps = (stream or console.is_terminal) and not as_json
    if show_steps:  # what was understood, at once (before the model server starts)
        _show_understood(intake)
    request = DraftRequest(intake, tuple(exclude_source or []), standpoint, underlag)
    try:
        with open_backend(settings) as model:
            factory = PipelineFactory.from_settings(settings, model, prompts)
            on_event = _event_printer(stream and not as_json) if show_steps else None
            graph_for = functools.partial(factory.build_graph, searcher, on_event)
            final = _draft_and_print(graph_for, settings, request, as_json=as_json, stream=stream, chat=chat)
    except DraftInputError as exc:
        raise fail(str(exc), 2) from exc
    except LLMError as exc:
        raise fail(str(exc)) from exc
    except KeyboardInterrupt:
        console.print("Avbrutet.")
        raise typer.Exit(130) from None
    if not final.verification.ok:
        raise typer.Exit(3)


@dataclass(frozen=True)
class DraftRequest:
    """What the official asks for: the remiss, sources kept out, a decided standpoint, own notes."""

    intake: Intake
    exclude_sources: tuple[str, ...]
    standpoint: Standpoint | None
    notes: list[Document]


def _show_understood(intake: Intake) -> None:
    listing = "\n".join(f"- {p.text}" for p in intake.proposals[:4])
    console.print(f"[bold]{escape(intake.title or 'Remiss utan titel')}[/]", highlight=False)
    console.print(listing, highlight=False, markup=False)
    console.print("[dim]» Startar språkmodellen …[/]")


def _draft_and_print(
    graph_for: Callable[..., DraftGraph],
    settings: Settings,
    request: DraftRequest,
    *,
    as_json: bool,
    stream: bool,
    chat: bool,
) -> Draft:
    """The draft, printed; with `chat` the conversation goes on, stored as a thread in the data dir.
    Returns the last draft."""
    state = DraftState(
        intake=request.intake,
        exclude_sources=request.exclude_sources,
        standpoint_override=request.standpoint,
        notes=list(request.notes),
    )
    if not chat:
        state = run_draft(graph_for(), state)
        assert state.draft is not None
        _print_result(state.draft, request.intake, state.warnings, as_json=as_json, stream=stream)
        return state.draft
    with open_checkpointer(settings.conversations_path) as saver:
        thread = DraftThread(graph_for(checkpointer=saver), f"cli-{uuid.uuid4().hex[:12]}")
        turn = thread.start(state)
        assert turn.state.draft is not None
        _print_result(turn.state.draft, request.intake, turn.state.warnings, as_json=as_json, stream=stream)
        return _chat_loop(thread, turn.state.draft, as_json)


def _read_notes(path: Path | None) -> list[Document]:
    if path is None:
        return []
    if not path.is_file():
        raise fail(f"Filen med underlag {path} finns inte.", 2)
    try:
        notes = parse_notes(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise fail(f"Filen med underlag {path} är inte UTF-8-kodad text.", 2) from None
    if not notes:
        raise fail(f"Filen med underlag {path} är tom.", 2)
    return notes


def _event_printer(stream_text: bool) -> Callable[[Event], None]:
    """Steps on stderr; with `stream_text` the draft's text on stdout as it is written."""

    def on_event(event: Event) -> None:
        if event.kind == "step":
            console.print(f"[dim]» {escape(event.text)} …[/]")
        elif event.kind == "token" and stream_text:
            out.print(event.text, end="", highlight=False, markup=False)

    return on_event


def _print_result(result: Draft, intake: Intake, warnings: list[str], *, as_json: bool, stream: bool) -> None:
    if as_json:
        out.print_json(
            data={**result.to_json(), "warnings": list(warnings), "intake": intake_to_json(intake)}
        )
        return
    if stream:
        out.print()
    for w in warnings:
        console.print(f"[yellow]Obs:[/] {escape(w)}", highlight=False)
    if stream:  # the text was shown while it was written
        _print_draft(replace(result, text=""))
        return
    out.print(
        f"[bold]Ståndpunkt:[/] {result.analysis.standpoint}  "
        f"[bold]Kompetens:[/] {COMPETENCE_SV[result.analysis.competence]}"
    )
    _print_draft(result)


def _chat_loop(thread: DraftThread, draft: Draft, as_json: bool) -> Draft:
    console.print(
        f'[dim]Samtalet sparas som {thread.thread_id}. Skriv ett önskemål (t.ex. "kortare"), '
        "eller en tom rad för att avsluta.[/]"
    )
    for line in sys.stdin:
        message = line.strip()
        if not message:
            break
        turn = thread.send(message)
        new = turn.state.draft if turn.changed else None
        draft = new or draft
        if as_json:
            data = new.to_json() if new else None
            out.print_json(data={"reply": turn.reply, "intent": turn.intent, "draft": data})
            continue
        out.print(f"[bold]Remissagenten:[/] {escape(turn.reply)}", highlight=False)
        if new is not None:
            _print_draft(new)
    return draft


def chat(
    thread_id: Annotated[str, typer.Argument(help="Samtalets namn, t.ex. cli-3f2a9c1b0d4e")],
    backend: BackendOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv utkast och svar som JSON")] = False,
) -> None:
    """Fortsätt ett sparat utkastsamtal (från remiss draft --chat): senaste utkastet visas, sedan tas nya
    önskemål emot, en rad i taget.

    Exempel: remiss chat cli-3f2a9c1b0d4e   (namnet visas när remiss draft --chat börjar)
    """
    settings = settings_for(backend)
    if not settings.conversations_path.is_file():
        raise fail(f"Det finns inga sparade samtal i {settings.data_dir}.", 2)
    searcher = open_searcher()
    try:
        prompts = load_prompts(settings.prompts_dir, settings.prompt_version)
        with contextlib.ExitStack() as stack:

            @functools.cache  # the model starts at the first message that needs it
            def model() -> ChatModel:
                return stack.enter_context(open_backend(settings))

            saver = stack.enter_context(open_checkpointer(settings.conversations_path))
            factory = PipelineFactory.from_settings(settings, LazyChat(choose_kind(settings), model), prompts)
            thread = DraftThread(factory.build_graph(searcher, checkpointer=saver), thread_id)
            turn = thread.turn()
            if turn.state.draft is None:
                raise fail(f"Samtalet {thread_id} har inget utkast ännu.", 2)
            _print_result(
                turn.state.draft, turn.state.intake, turn.state.warnings, as_json=as_json, stream=False
            )
            _chat_loop(thread, turn.state.draft, as_json)
    except (PromptError, LLMError) as exc:
        raise fail(str(exc)) from exc
    except (ThreadError, StateFormatError) as exc:
        raise fail(str(exc), 2) from exc
    except KeyboardInterrupt:
        console.print("Avbrutet.")
        raise typer.Exit(130) from None
