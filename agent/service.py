"""The app's library: everything the Streamlit pages do, as plain methods that tests call directly.

`DraftingService` owns the long-lived parts (the index searcher and the language-model backend, both
started on first use and shared by all browser sessions) and the persistent state (`Storage`). The
pages in `ui/` only render what it returns. Errors the user can act on are `AppError` with a Swedish
message saying what to do; nothing else should reach the page as a stack trace.

Drafting runs are serialised with a lock: the local model answers one request at a time anyway, and
the pipeline's searcher is not meant for concurrent use. A second user waits (the page says so).
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The pages import from `agent` only this module (and agent.config, agent.export): the names they
# show from lower layers are re-exported here ("X as X").
from agent.config import PROJECT_ROOT, Settings
from agent.drafting.chat import Conversation
from agent.drafting.factory import PipelineFactory
from agent.drafting.intake import Intake, Proposal, intake_to_json, parse_intake, read_remiss
from agent.drafting.models import COMPETENCE_SV as COMPETENCE_SV
from agent.drafting.pipeline import STEP_LABELS as STEP_LABELS
from agent.drafting.pipeline import DraftInputError, DraftState, Event, Pipeline
from agent.drafting.prompts import PromptError, Prompts, load_prompts
from agent.drafting.verify import verify_draft
from agent.evals.runs import compare_runs, list_runs
from agent.index.search import Filters, Hit, Searcher
from agent.index.store import SearchIndexError
from agent.llm import LLMError, choose_kind, open_backend
from agent.llm.backends import ChatModel
from agent.sources.atlas import HOLDER_SV as HOLDER_SV
from agent.sources.atlas import Atlas, AtlasError, load_atlas
from agent.sources.errors import SourceError
from agent.sources.models import Document as Document
from agent.sources.references import law_id_for_name
from agent.storage import CaseRow, DraftRow, MessageRow, Storage

EventHandler = Callable[[Event], None]
MANUAL_NOTE = "Manuell ändring"


class AppError(Exception):
    """Something the user can act on (Swedish message)."""


@dataclass(frozen=True)
class EvalRun:
    """A committed or local eval run folder with a report (for the Utvärdering page)."""

    path: Path
    name: str
    label: str
    case_ids: frozenset[str]
    report_html: Path | None


@dataclass(frozen=True)
class ServiceStatus:
    index_ok: bool
    index_message: str
    documents: int
    backend: str  # "local" or "openai"
    model: str  # the model file or the remote model name
    embedded_default: bool  # the bundled small model (drafts are rough)
    prompt_version: str


def intake_json(intake: Intake) -> dict[str, Any]:
    """The stored form of a case's intake (with its warnings, shown on the case page)."""
    return intake_to_json(intake) | {"warnings": intake.warnings}


def intake_from_json(text: str, data: dict[str, Any]) -> Intake:
    return Intake(
        text=text,
        doc_type=data.get("doc_type", "okänd"),
        title=data.get("title", ""),
        proposers=list(data.get("proposers", [])),
        dnr=data.get("dnr", ""),
        addressed_to=data.get("addressed_to", ""),
        sender=data.get("sender", ""),
        proposals=[Proposal(p["text"], p.get("kind", "summary")) for p in data.get("proposals", [])],
        language=data.get("language", "unknown"),
        warnings=list(data.get("warnings", [])),
    )


class DraftingService:
    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.settings = settings
        self.storage = storage or Storage(settings.data_dir / "app.sqlite")
        self._searcher: Searcher | None = None
        self._chat: ChatModel | None = None
        self._stack = contextlib.ExitStack()
        self._lock = threading.RLock()
        self._conversations: dict[str, Conversation] = {}
        atexit.register(self.close)

    # ------------------------------------------------------------------ long-lived parts
    def searcher(self) -> Searcher:
        with self._lock:
            if self._searcher is None:
                try:
                    self._searcher = Searcher.open(self.settings)
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
        self._chat = None
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
            raise AppError(str(exc)) from exc
        return text, dataclasses.replace(intake, warnings=[*cut, *intake.warnings])

    def create_case(
        self, owner: str, text: str, filename: str, intake: Intake, exclude_sources: list[str] | None = None
    ) -> str:
        return self.storage.create_case(
            owner,
            intake.title or filename or "Remiss utan titel",
            filename,
            text,
            intake_json(intake),
            exclude_sources=exclude_sources,
        )

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
        self._conversations.pop(case_id, None)
        return intake

    # ------------------------------------------------------------------ drafting
    def _pipeline(self, on_event: EventHandler | None) -> Pipeline:
        if on_event is not None and self._searcher is None:
            on_event(Event("step", "index", "Läser in sökindexet"))
        if on_event is not None and self._chat is None:
            on_event(Event("step", "model", "Startar språkmodellen (första gången tar det en stund)"))
        factory = PipelineFactory.from_settings(self.settings, self.backend(), self.prompts())
        return factory.build(self.searcher(), on_event=on_event)

    def _save(self, owner: str, case_id: str, conv: Conversation, origin: str, note: str) -> DraftRow:
        assert conv.state is not None and conv.draft is not None
        return self.storage.add_draft(
            owner,
            case_id,
            conv.draft.to_json() | {"warnings": list(conv.state.warnings)},
            origin=origin,
            note=note,
            state=conv.state,
            backend=conv.pipeline.chat.kind,
        )

    def draft(self, owner: str, case_id: str, on_event: EventHandler | None = None) -> DraftRow:
        """The first draft of a case (or a fresh one after corrections)."""
        case = self.storage.case(owner, case_id)
        intake = intake_from_json(case.remiss_text, case.intake)
        with self._lock:
            conv = Conversation(self._pipeline(on_event))
            try:
                conv.start(intake, exclude_sources=tuple(case.exclude_sources))
            except DraftInputError as exc:
                raise AppError(str(exc)) from exc
            except LLMError as exc:
                raise AppError(f"Språkmodellen svarade inte: {exc}") from exc
            conv.pipeline.on_event = None
            self._conversations[case_id] = conv
            return self._save(owner, case_id, conv, "pipeline", "")

    def _conversation(self, owner: str, case_id: str) -> Conversation:
        conv = self._conversations.get(case_id)
        drafts = self.storage.drafts(owner, case_id)
        if not drafts:
            raise AppError("Ärendet har inget utkast ännu. Skriv ett utkast först.")
        latest = drafts[-1]
        if conv is None or conv.draft is None or conv.draft.text != latest.draft["text"]:
            state = self.storage.state(owner, case_id, latest.version)
            if not isinstance(state, DraftState):
                raise AppError("Utkastets underlag kunde inte läsas; skriv ett nytt utkast.")
            conv = Conversation(
                self._pipeline(None), state=state, versions=[state.draft] if state.draft else []
            )
            self._conversations[case_id] = conv
        return conv

    def revise(
        self, owner: str, case_id: str, message: str, on_event: EventHandler | None = None
    ) -> tuple[str, DraftRow | None]:
        """A chat message: the assistant's reply, and the new version if the draft changed."""
        with self._lock:
            conv = self._conversation(owner, case_id)
            conv.pipeline.on_event = on_event
            self.storage.add_message(owner, case_id, "user", message)
            try:
                reply = conv.send(message)
            except LLMError as exc:
                raise AppError(f"Språkmodellen svarade inte: {exc}") from exc
            finally:
                conv.pipeline.on_event = None
            row = self._save(owner, case_id, conv, "chat", message) if reply.draft is not None else None
            self.storage.add_message(owner, case_id, "assistant", reply.text, row.version if row else None)
            return reply.text, row

    def edit(self, owner: str, case_id: str, text: str) -> DraftRow:
        """The official's own edit of the text: verified against the same sources, saved as a version."""
        with self._lock:
            conv = self._conversation(owner, case_id)
            state = conv.state
            assert state is not None and state.draft is not None
            ignore = [state.intake.dnr] if state.intake.dnr else []
            citations, verification = verify_draft(text, state.sources(), ignore_dnrs=ignore)
            state.text = text
            state.draft = dataclasses.replace(
                state.draft, text=text, citations=citations, verification=verification
            )
            conv.versions.append(state.draft)
            return self._save(owner, case_id, conv, "manual", MANUAL_NOTE)

    def restore(self, owner: str, case_id: str, version: int) -> DraftRow:
        """Go back to an earlier version: it becomes the newest version again."""
        with self._lock:
            state = self.storage.state(owner, case_id, version)
            if not isinstance(state, DraftState) or state.draft is None:
                raise AppError(f"Version {version} kunde inte läsas.")
            conv = Conversation(self._pipeline(None), state=state, versions=[state.draft])
            self._conversations[case_id] = conv
            return self._save(owner, case_id, conv, "manual", f"Återställd till version {version}")

    # ------------------------------------------------------------------ cases, versions, reviews (pages)
    def cases(self, owner: str) -> list[CaseRow]:
        return self.storage.cases(owner)

    def case(self, owner: str, case_id: str) -> CaseRow:
        return self.storage.case(owner, case_id)

    def intake(self, owner: str, case_id: str) -> Intake:
        """What was understood of the case's remiss (with the official's corrections and the warnings)."""
        case = self.storage.case(owner, case_id)
        return intake_from_json(case.remiss_text, case.intake)

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
