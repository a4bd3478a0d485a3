"""The app's library: everything the Streamlit pages do, as plain methods that tests call directly.

`DraftingService` owns the long-lived parts (the index searcher and the language-model backend, both
started on first use and shared by all browser sessions) and the persistent state (`Storage`). The
pages in `ui/` only render what it returns. Errors the user can act on are `AppError` with a Swedish
message saying what to do; nothing else should reach the page as a stack trace.

Many officials at once: model work waits in a fair queue (agent/service/admission.py) with as many places
as the backend serves at once (`Settings.max_parallel_drafts`), and a waiting run hears its place through
`on_event`. Runs on one case take turns; `_lock` only guards starting the long-lived parts.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import functools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The pages import from `agent` only this module (and agent.config, agent.export): the names they
# show from lower layers are re-exported here ("X as X").
from agent.config import PROJECT_ROOT, Settings
from agent.drafting.factory import PipelineFactory
from agent.drafting.graph import DraftGraph, build_graph
from agent.drafting.intake import (
    Intake,
    Proposal,
    intake_from_json,
    parse_intake,
    read_remiss,
)
from agent.drafting.models import COMPETENCE_SV as COMPETENCE_SV
from agent.drafting.models import Standpoint
from agent.drafting.notes import note_items
from agent.drafting.pipeline import STEP_LABELS as STEP_LABELS
from agent.drafting.pipeline import DraftInputError, DraftState, Event, Pipeline
from agent.drafting.prompts import PromptError, Prompts, load_prompts
from agent.drafting.state_codec import StateFormatError
from agent.drafting.thread import DraftThread, ThreadError, Turn, open_checkpointer
from agent.drafting.verify import verify_draft
from agent.evals.runs import compare_runs, list_runs
from agent.index.search import Filters, Hit, Searcher
from agent.index.store import SearchIndexError
from agent.llm import LLMError, choose_kind, open_backend
from agent.llm.backends import ChatModel
from agent.llm.lazy import LazyChat
from agent.service.admission import DraftTurns, shared_searcher
from agent.service.views import (
    MANUAL_NOTE,
    W_LEGACY,
    AppError,
    EvalRun,
    ServiceStatus,
    StandpointStep,
    intake_json,
    standpoint_step,
)
from agent.sources.atlas import HOLDER_SV as HOLDER_SV
from agent.sources.atlas import Atlas, AtlasError, load_atlas
from agent.sources.errors import SourceError
from agent.sources.models import Document as Document
from agent.sources.references import law_id_for_name
from agent.storage import CaseRow, DraftRow, MessageRow, Storage

if TYPE_CHECKING:
    from langgraph.checkpoint.sqlite import SqliteSaver

EventHandler = Callable[[Event], None]


class DraftingService:
    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.settings = settings
        self.storage = storage or Storage(settings.data_dir / "app.sqlite")
        self._searcher: Searcher | None = None
        self._chat: ChatModel | None = None
        self._stack = contextlib.ExitStack()
        self._lock = threading.RLock()
        self._saver: SqliteSaver | None = None
        self._plain_graph: DraftGraph | None = None
        self.turns = DraftTurns(settings, lambda: self.backend(), self._stack)  # the model queue, case locks
        atexit.register(self.close)

    # ------------------------------------------------------------------ long-lived parts
    def searcher(self) -> Searcher:
        with self._lock:
            if self._searcher is None:
                try:
                    self._searcher = shared_searcher(Searcher.open(self.settings))
                except SearchIndexError as exc:
                    raise AppError(
                        f"{exc} Bygg indexet med `remiss index build` (eller `make run`)."
                    ) from exc
            return self._searcher

    def backend(self) -> ChatModel:
        with self._lock:
            if self._chat is None:
                try:
                    self._chat = self._stack.enter_context(open_backend(self.settings))
                except LLMError as exc:
                    raise AppError(str(exc)) from exc
            return self._chat

    def prompts(self) -> Prompts:
        try:
            return load_prompts(self.settings.prompts_dir, self.settings.prompt_version)
        except PromptError as exc:
            raise AppError(str(exc)) from exc

    def status(self) -> ServiceStatus:
        try:
            searcher = self.searcher()
            index_ok, message, docs = True, "Indexet är helt.", searcher.store.count()
        except AppError as exc:
            index_ok, message, docs = False, str(exc), 0
        try:
            kind = choose_kind(self.settings)
        except LLMError as exc:
            return ServiceStatus(index_ok, message, docs, "?", str(exc), False, self.settings.prompt_version)
        if kind == "openai":
            where = self.settings.openai_base_url or "api.openai.com"
            model = f"{self.settings.llm_model} ({where})"
        else:
            path = self.settings.llm_model_path
            model = Path(path).name if path else "Qwen2.5-Coder-1.5B (inbyggd, lokal)"
        embedded = kind == "local" and self.settings.llm_model_path is None
        return ServiceStatus(index_ok, message, docs, kind, model, embedded, self.settings.prompt_version)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._stack.close()
        self._chat, self._saver, self._plain_graph = None, None, None
        self.turns.slots.clear()
        if self._searcher is not None:
            with contextlib.suppress(Exception):
                self._searcher.close()
            self._searcher = None

    # ------------------------------------------------------------------ intake
    def read_remiss(self, data: bytes, filename: str) -> tuple[str, Intake]:
        """Text and intake of an uploaded file (PDF, .txt, .md) or pasted text (`filename` "")."""
        try:
            text, cut = read_remiss(
                data,
                filename,
                max_chars=self.settings.max_remiss_chars,
                max_pdf_bytes=self.settings.max_pdf_bytes,
                max_pdf_pages=self.settings.max_pdf_pages,
            )
            intake = parse_intake(text)
        except SourceError as exc:
            raise AppError(str(exc) if filename else exc.reason) from exc
        return text, dataclasses.replace(intake, warnings=[*cut, *intake.warnings])

    def create_case(
        self, owner: str, text: str, filename: str, intake: Intake, exclude_sources: list[str] | None = None
    ) -> str:
        """A new case; its conversation starts and waits for the official to confirm the intake."""
        case_id = self.storage.create_case(
            owner,
            intake.title or filename or "Remiss utan titel",
            filename,
            text,
            intake_json(intake),
            exclude_sources=exclude_sources,
        )
        self._begin(case_id, intake, exclude_sources or [])
        return case_id

    def correct_intake(
        self, owner: str, case_id: str, *, title: str, proposals: list[str], proposers: list[str], dnr: str
    ) -> Intake:
        """The official's corrections of what was understood; the next draft uses them."""
        case = self.storage.case(owner, case_id)
        intake = intake_from_json(case.remiss_text, case.intake)
        kinds = {p.text: p.kind for p in intake.proposals}
        intake = dataclasses.replace(
            intake,
            title=title.strip(),
            proposals=[Proposal(p.strip(), kinds.get(p.strip(), "summary")) for p in proposals if p.strip()],
            proposers=[p.strip() for p in proposers if p.strip()],
            dnr=dnr.strip(),
        )
        self.storage.update_case(owner, case_id, title=intake.title or case.title, intake=intake_json(intake))
        return intake

    # ------------------------------------------------------------------ drafting (one thread per case)
    def _checkpointer(self) -> SqliteSaver:
        with self._lock:
            if self._saver is None:
                self._saver = self._stack.enter_context(open_checkpointer(self.settings.conversations_path))
            return self._saver

    def _chat_for_graph(self) -> ChatModel:
        """The backend if it runs, else one that starts it on the first model call."""
        if self._chat is not None:
            return self._chat
        try:
            return LazyChat(kind=choose_kind(self.settings), open=self.backend)
        except LLMError as exc:
            raise AppError(str(exc)) from exc

    def _thread(
        self, case_id: str, on_event: EventHandler | None = None, chat: ChatModel | None = None
    ) -> DraftThread:
        """The case's conversation; the index and the model (`chat`: a queue place's) are opened when a step
        first needs them. The plain graph (no events, no `chat`) is built once: reading needs no more."""
        plain = on_event is None and chat is None
        if plain and self._plain_graph is not None:
            return DraftThread(self._plain_graph, case_id)

        @functools.cache  # built when the first step runs, then the same for every step
        def pipeline() -> Pipeline:
            model = chat or self._chat_for_graph()
            factory = PipelineFactory.from_settings(self.settings, model, self.prompts())
            if on_event is not None and self._searcher is None:
                on_event(Event("step", "index", "Läser in sökindexet"))
            return factory.build(self.searcher(), on_event=on_event)

        graph = build_graph(pipeline, self._checkpointer())
        if plain:
            self._plain_graph = graph
        return DraftThread(graph, case_id)

    @contextlib.contextmanager
    def _turn(self, case_id: str, action: str, on_event: EventHandler | None) -> Iterator[ChatModel]:
        """Hold the case and a place in the model queue for one run; yields that place's model. While
        the run waits in line, `on_event` hears its place each time it changes (QUEUE_STEP)."""
        with self.turns.take(case_id, action, on_event) as slot:
            yield self.turns.slots.chat(slot, self._chat_for_graph())

    def _run(self, work: Callable[[], Turn]) -> Turn:
        try:
            return work()
        except DraftInputError as exc:
            raise AppError(str(exc)) from exc
        except LLMError as exc:
            raise AppError(f"Språkmodellen svarade inte: {exc}") from exc
        except (StateFormatError, ThreadError) as exc:
            raise AppError(str(exc)) from exc

    def _save(self, owner: str, case_id: str, turn: Turn, origin: str, note: str) -> DraftRow:
        assert turn.state.draft is not None
        return self.storage.add_draft(
            owner,
            case_id,
            turn.state.draft.to_json() | {"warnings": list(turn.state.warnings)},
            origin=origin,
            note=note,
            checkpoint=turn.checkpoint_id,
            backend=self._chat_for_graph().kind,
        )

    def _begin(self, case_id: str, intake: Intake, exclude: list[str]) -> None:
        """A new case's thread: the intake is checked and the thread waits for the official's
        confirmation (a remiss that cannot be drafted from waits too; its warnings say why)."""
        state = DraftState(intake=intake, exclude_sources=tuple(exclude))
        # A remiss that cannot be drafted from, or a missing index, is reported when the official goes on.
        with contextlib.suppress(DraftInputError, AppError):  # (a new case: no one else runs on it)
            self._thread(case_id).start(state, pause=("intake", "standpoint"))

    def propose(self, owner: str, case_id: str, on_event: EventHandler | None = None) -> StandpointStep:
        """Read the sources, try the competence and propose a standpoint; the thread then waits for the
        official's decision (`decide`). Continues from the intake confirmation, or starts anew."""
        case = self.storage.case(owner, case_id)
        intake = intake_from_json(case.remiss_text, case.intake)
        with self._turn(case_id, "propose", on_event) as chat:
            thread = self._thread(case_id, on_event, chat)
            if thread.waiting_for() == "intake":
                turn = self._run(lambda: thread.resume(intake_json(intake)))
            else:
                fresh = DraftState(intake=intake, exclude_sources=tuple(case.exclude_sources))
                turn = self._run(lambda: thread.start(fresh, pause=("standpoint",)))
        assert turn.waiting_for == "standpoint"
        return standpoint_step(turn.state)

    def pending(self, owner: str, case_id: str) -> StandpointStep | None:
        """The decision the case waits for: the kompetensprövning and the proposed standpoint."""
        self.storage.case(owner, case_id)
        thread = self._thread(case_id)
        if thread.waiting_for() != "standpoint":  # (the state is loaded only when it is needed)
            return None
        return standpoint_step(self._run(thread.turn).state)

    def decide(
        self,
        owner: str,
        case_id: str,
        standpoint: Standpoint | None = None,
        notes: str = "",
        on_event: EventHandler | None = None,
    ) -> DraftRow:
        """The official's decision: the standpoint and Handläggarens underlag (bullets or paragraphs of
        text; agent/drafting/notes.py). The draft is written and stored."""
        self.storage.case(owner, case_id)
        answer = {"standpoint": standpoint, "notes": [n for n in note_items(notes) if n.strip()]}
        with self._turn(case_id, "decide", on_event) as chat:
            thread = self._thread(case_id, on_event, chat)
            if thread.waiting_for() != "standpoint":
                raise AppError("Ärendet väntar inte på ett ställningstagande; pröva kompetensen först.")
            turn = self._run(lambda: thread.resume(answer))
            return self._save(owner, case_id, turn, "pipeline", "")

    def draft(self, owner: str, case_id: str, on_event: EventHandler | None = None) -> DraftRow:
        """A draft in one go: the proposed standpoint is taken as it is, without notes."""
        self.propose(owner, case_id, on_event)
        return self.decide(owner, case_id, on_event=on_event)

    def _latest_checkpoint(self, owner: str, case_id: str) -> str:
        drafts = self.storage.drafts(owner, case_id)
        if not drafts:
            raise AppError("Ärendet har inget utkast ännu. Skriv ett utkast först.")
        latest = drafts[-1]
        if latest.checkpoint is None:
            raise AppError(W_LEGACY.format(n=latest.version))
        return latest.checkpoint

    def revise(
        self, owner: str, case_id: str, message: str, on_event: EventHandler | None = None
    ) -> tuple[str, DraftRow | None]:
        """A chat message on the newest version: the assistant's reply, and the new version if the draft
        changed (from an older version this is a new branch of the conversation)."""
        self._latest_checkpoint(owner, case_id)  # (an unknown case or one without a draft waits in no line)
        with self._turn(case_id, "revise", on_event) as chat:
            at = self._latest_checkpoint(owner, case_id)  # (after a run on the case that was under way)
            thread = self._thread(case_id, on_event, chat)
            self.storage.add_message(owner, case_id, "user", message)
            turn = self._run(lambda: thread.send(message, at=at))
            row = self._save(owner, case_id, turn, "chat", message) if turn.changed else None
            self.storage.add_message(owner, case_id, "assistant", turn.reply, row.version if row else None)
            return turn.reply, row

    def edit(self, owner: str, case_id: str, text: str) -> DraftRow:
        """The official's own edit of the text: verified against the same sources, saved as a version."""
        with self.turns.cases.hold(case_id):
            at = self._latest_checkpoint(owner, case_id)
            thread = self._thread(case_id)
            state = self._run(lambda: thread.turn(at)).state
            assert state.draft is not None
            ignore = [state.intake.dnr] if state.intake.dnr else []
            citations, verification = verify_draft(text, state.sources(), ignore_dnrs=ignore)
            state.text = text
            state.draft = dataclasses.replace(
                state.draft, text=text, citations=citations, verification=verification
            )
            turn = self._run(lambda: thread.replace_state(state, at=at))
            return self._save(owner, case_id, turn, "manual", MANUAL_NOTE)

    def restore(self, owner: str, case_id: str, version: int) -> DraftRow:
        """Go back to an earlier version: it becomes the newest version again, and the conversation goes
        on from its checkpoint."""
        row = self.storage.draft_by_ref(owner, f"{case_id}:{version}")
        return self.storage.add_draft(
            owner,
            case_id,
            row.draft,
            origin="manual",
            note=f"Återställd till version {version}",
            checkpoint=row.checkpoint,
            backend=self._chat_for_graph().kind,
        )

    # ------------------------------------------------------------------ cases, versions, reviews (pages)
    def cases(self, owner: str) -> list[CaseRow]:
        return self.storage.cases(owner)

    def case(self, owner: str, case_id: str) -> CaseRow:
        return self.storage.case(owner, case_id)

    def intake(self, owner: str, case_id: str) -> Intake:
        """What was understood of the case's remiss (with the official's corrections and the warnings)."""
        case = self.storage.case(owner, case_id)
        return intake_from_json(case.remiss_text, case.intake)

    def intake_history(self, owner: str, case_id: str) -> list[tuple[float, Intake]]:
        """The intakes the official's corrections replaced, oldest first (the first is what was read)."""
        text, revisions = (
            self.storage.case(owner, case_id).remiss_text,
            self.storage.intake_history(owner, case_id),
        )
        return [(r.replaced, intake_from_json(text, r.intake)) for r in revisions]

    def drafts(self, owner: str, case_id: str) -> list[DraftRow]:
        return self.storage.drafts(owner, case_id)

    def draft_by_ref(self, owner: str, ref: str) -> DraftRow:
        return self.storage.draft_by_ref(owner, ref)

    def messages(self, owner: str, case_id: str) -> list[MessageRow]:
        return self.storage.messages(owner, case_id)

    def set_feedback(self, owner: str, draft_id: int, score: int, comment: str = "") -> None:
        self.storage.set_feedback(owner, draft_id, score, comment)

    def add_review(self, owner: str, left_ref: str, right_ref: str, verdict: str, comment: str) -> None:
        self.storage.add_review(owner, left_ref, right_ref, verdict, comment)

    def reviews(self, owner: str) -> list[dict[str, Any]]:
        return self.storage.reviews(owner)

    def audit(self, owner: str) -> list[dict[str, Any]]:
        return self.storage.audit(owner)

    # ------------------------------------------------------------------ sources (the Källor page)
    def search(self, query: str, k: int, kind: str | None = None, law: str = "") -> list[Hit]:
        """Hits for a query; `kind` "law"/"precedent", `law` an id or a name such as "KL" or "SoL"."""
        law_ids = [law_id_for_name(law) or law.strip()] if law.strip() else []
        filters = Filters(kind=kind, law_ids=law_ids)  # type: ignore[arg-type]  # page passes law/precedent/None
        return self.searcher().search(query, k=k, filters=filters)

    def source(self, doc_id: str) -> Document | None:
        return self.searcher().get(doc_id)

    def law_titles(self) -> dict[str, str]:
        return self.searcher().law_titles()

    def law_paragraph_ids(self, law_id: str) -> list[str]:
        return self.searcher().law_paragraph_ids(law_id)

    def atlas(self) -> Atlas:
        try:
            return load_atlas(self.settings.corpus_dir)
        except AtlasError as exc:
            raise AppError(str(exc)) from exc

    # ------------------------------------------------------------------ eval runs (the Utvärdering page)
    def eval_runs(self) -> list[EvalRun]:
        """Runs with a report: the committed ones and the user's own, newest first."""
        roots = [PROJECT_ROOT / "evals" / "results", self.settings.data_dir / "evals"]
        found = sorted(
            (r for root in roots for r in list_runs(root)), key=lambda r: r["created"], reverse=True
        )
        return [
            EvalRun(
                path=Path(r["path"]),
                name=r["name"],
                label=f"{r['name']} ({Path(r['path']).parent.parent.name}/{Path(r['path']).parent.name})",
                case_ids=frozenset(r["case_ids"]),
                report_html=Path(r["html"]) if Path(r["html"]).is_file() else None,
            )
            for r in found
        ]

    def compare_runs(self, a: EvalRun, b: EvalRun) -> dict[str, Any]:
        return compare_runs(a.path, b.path)
