"""The drafting pipeline, top to bottom: remiss -> verified draft of förvaltningens synpunkter.

    STEPS = intake check -> retrieve -> kompetensprövning -> analysis -> compose -> verify

Each step is a plain function of the `DraftState` (testable alone, see tests/test_pipeline.py) and
reports progress through `on_event` (the CLI prints it, the app shows it, `--stream` streams model
tokens through it). The same steps run for the local model and for OpenAI/compatible servers; only
`compose` differs: the local path assembles the prose from verified material, a strong model writes
it, and then verification removes what does not check out.

    graph = PipelineFactory.from_settings(settings, chat).build_graph(searcher)  # agent/drafting/factory.py
    state = run_draft(graph, DraftState(intake=intake, exclude_sources=("remissvar/x.txt",)))
    state.draft.to_json()

The steps are driven by the LangGraph graph in agent/drafting/graph.py (one node per step, plus the
official's decisions and chat revisions).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from agent.drafting.analysis import analyse
from agent.drafting.competence import CompetenceResult, assess_competence, body_kind, competence_summary
from agent.drafting.compose import (
    DEFAULT_PROMPT_CHARS,
    assemble,
    drop_failing,
    intro_paragraph,
    precedent_ref,
    revise_prose,
    write_prose,
)
from agent.drafting.guard import W_INJECTION, W_INJECTION_PREFIX, addressed_sentences
from agent.drafting.intake import W_NO_PROPOSAL, Intake, Proposal
from agent.drafting.models import Analysis, Citation, Draft, Standpoint, Verification
from agent.drafting.note_check import W_NOTE_PREFIX, note_conflicts
from agent.drafting.positions import Position, earlier_positions
from agent.drafting.prompts import Prompts
from agent.drafting.retrieve import MAX_PROPOSALS_USED, Evidence, retrieve
from agent.drafting.verify import verify_draft
from agent.index.search import Searcher
from agent.llm.backends import ChatModel
from agent.sources.models import Document

EventKind = Literal["step", "info", "token", "done"]
ProseMode = Literal["auto", "assembled", "model"]

# Step names shown to the user (Swedish).
STEP_LABELS = {
    "intake": "Läser remissen",
    "retrieve": "Hämtar lagrum och tidigare remissvar",
    "competence": "Prövar den kommunala kompetensen",
    "analysis": "Väljer ståndpunkt och argument",
    "compose": "Skriver utkastet",
    "verify": "Kontrollerar hänvisningar och citat",
}
W_NOT_SWEDISH_STOP = (
    "Remissen verkar inte vara skriven på svenska. Förvaltningens synpunkter skrivs utifrån en svensk "
    "remisstext; klistra in den svenska versionen."
)
W_REMOVED = "Meningar som inte gick att kontrollera mot källorna togs bort: {items}"
W_POSITION_PREFIX = "Tidigare ställningstagande:"
W_POSITION_DIFFERS = (
    W_POSITION_PREFIX + " {body} har svarat på en liknande fråga ({ref}): ”{sentence}” (ståndpunkt: "
    "{earlier}). Utkastet föreslår nu {now}; om nämnden bedömer annorlunda än förra gången bör skälet anges."
)
W_OVERRIDE_PREFIX = "Du valde ståndpunkten"
W_OVERRIDE_OUTSIDE = (
    W_OVERRIDE_PREFIX + " {s}, men kompetensprövningen fann förslaget utanför den kommunala "
    "kompetensen. Kontrollera att texten håller ihop, eller ange skälet till att kommunen ändå får göra det."
)


def _replace_warnings(state: DraftState, prefix: str, warnings: list[str]) -> None:
    """The warnings of one kind (those starting with `prefix`) replaced by `warnings`: a check that is
    run again after the official changes something never leaves a stale warning behind."""
    state.warnings = [w for w in state.warnings if not w.startswith(prefix)] + warnings


def remiss_texts(intake: Intake) -> list[str]:
    """What verification takes as the remiss a draft may quote (never cite): its whole text, and its
    title and proposals, which the official may have corrected after reading."""
    return [intake.text, intake.title, *(p.text for p in intake.proposals)]


class DraftInputError(Exception):
    """The remiss cannot be drafted from (Swedish message for the user)."""


@dataclass(frozen=True)
class Event:
    kind: EventKind
    step: str
    text: str


EventHandler = Callable[[Event], None]


@dataclass
class DraftState:
    """Everything the steps produce; the conversation keeps it between chat turns."""

    intake: Intake
    exclude_sources: tuple[str, ...] = ()
    extra_law_ids: tuple[str, ...] = ()
    standpoint_override: Standpoint | None = None
    short: bool = False
    additions: list[str] = field(default_factory=list)
    notes: list[Document] = field(default_factory=list)  # Handläggarens underlag (agent/drafting/notes.py)
    evidence: Evidence | None = None
    positions: list[Position] = field(default_factory=list)  # earlier answers' positions (positions.py)
    competence: CompetenceResult | None = None
    analysis: Analysis | None = None
    text: str = ""
    draft: Draft | None = None
    warnings: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    streamed: str = ""  # draft text already shown during this run (the assembled draft's opening)

    def sources(self) -> list[Document]:
        """Every source the draft was given: retrieved documents, confirmed competence evidence, the
        sections holding earlier answers' positions, and the official's notes."""
        docs = self.evidence.documents() if self.evidence else []
        seen = {d.id for d in docs}
        competence = self.competence.evidence() if self.competence else []
        for doc in [*competence, *(p.doc for p in self.positions), *self.notes]:
            if doc.id not in seen:
                seen.add(doc.id)
                docs.append(doc)
        return docs

    @property
    def proposals(self) -> list[Proposal]:
        """The proposals the steps judge (the first `MAX_PROPOSALS_USED`)."""
        return self.intake.proposals[:MAX_PROPOSALS_USED]


@dataclass
class Pipeline:
    searcher: Searcher
    chat: ChatModel
    prompts: Prompts
    prose: ProseMode = "auto"
    on_event: EventHandler | None = None
    prompt_chars: int = DEFAULT_PROMPT_CHARS  # source text in a strong model's prompt (`prompt_budget`)
    standpoint_tokens: int | None = None  # token budget of the local model's standpoint prompt

    # ------------------------------------------------------------------ plumbing
    def emit(self, kind: EventKind, step: str, text: str) -> None:
        if self.on_event is not None:
            self.on_event(Event(kind, step, text))

    def timed(self, state: DraftState, step: str, fn: Callable[[DraftState], None]) -> None:
        self.emit("step", step, STEP_LABELS[step])
        t0 = time.perf_counter()
        fn(state)
        state.timings[step] = state.timings.get(step, 0.0) + time.perf_counter() - t0

    @property
    def assembled(self) -> bool:
        return self.prose == "assembled" or (self.prose == "auto" and self.chat.kind == "local")

    # ------------------------------------------------------------------ the steps, in order
    def check_intake(self, state: DraftState) -> None:
        intake = state.intake
        if intake.language == "other":
            raise DraftInputError(W_NOT_SWEDISH_STOP)
        if not intake.proposals:
            raise DraftInputError(f"{W_NO_PROPOSAL} Klistra in motionens eller förslagets text.")
        state.warnings = list(dict.fromkeys([*state.warnings, *intake.warnings]))
        injected = addressed_sentences(intake.text)
        examples = "; ".join(f"”{s[:120]}”" for s in injected[:3])
        # Replaced, not appended: the check runs again when a stored case is resumed.
        _replace_warnings(
            state,
            W_INJECTION_PREFIX,
            [W_INJECTION.format(n=len(injected), examples=examples)] if injected else [],
        )
        listing = "\n".join(f"- {p.text}" for p in state.proposals)
        self.emit("info", "intake", f"{intake.title or 'Remiss utan titel'}\n{listing}")

    def search_sources(self, state: DraftState) -> None:
        state.evidence = retrieve(
            state.intake,
            self.searcher,
            exclude_sources=state.exclude_sources,
            extra_law_ids=state.extra_law_ids,
        )
        ev = state.evidence
        state.positions = earlier_positions(state.intake, ev, self.searcher)
        if self.assembled and not state.short:  # the opening does not wait for the model: show it now
            state.streamed = intro_paragraph(state.intake, self.prompts) + "\n\n"
            self.emit("token", "compose", state.streamed)
        self.emit(
            "info",
            "retrieve",
            f"{len(ev.laws) + len(ev.frame)} lagrum, {len(ev.precedents)} tidigare remissvar",
        )

    def assess(self, state: DraftState) -> None:
        assert state.evidence is not None
        state.competence = assess_competence(
            state.proposals, state.evidence, self.searcher, body=body_kind(state.intake)
        )
        self.emit("info", "competence", competence_summary(state.competence))

    def analyse(self, state: DraftState) -> None:
        assert state.evidence is not None and state.competence is not None
        state.analysis = analyse(
            state.proposals,
            state.evidence,
            state.competence,
            self.chat,
            self.prompts,
            standpoint_override=state.standpoint_override,
            token_budget=self.standpoint_tokens,
        )
        if state.standpoint_override is not None:
            self.set_standpoint(state, state.standpoint_override)
        else:
            self._compare_positions(state)
        self.check_notes(state)
        self.emit("info", "analysis", state.analysis.standpoint)

    def check_notes(self, state: DraftState) -> None:
        """Flag the official's notes that contradict the kompetensprövning (note_check.py)."""
        _replace_warnings(state, W_NOTE_PREFIX, note_conflicts(state.notes, state.competence))

    def set_standpoint(self, state: DraftState, standpoint: Standpoint) -> None:
        """The official's standpoint replaces the proposed one (the arguments and sources stay); a
        warning when it does not fit a verdict of "outside the municipal competence"."""
        assert state.analysis is not None and state.competence is not None
        state.standpoint_override = standpoint
        state.analysis = replace(state.analysis, standpoint=standpoint)
        outside = state.competence.competence == "outside" and standpoint != "avstyrker"
        _replace_warnings(
            state, W_OVERRIDE_PREFIX, [W_OVERRIDE_OUTSIDE.format(s=standpoint)] if outside else []
        )
        self._compare_positions(state)

    def _compare_positions(self, state: DraftState) -> None:
        """A warning for each earlier answer of the same organisation that took another standpoint."""
        assert state.analysis is not None
        now = state.analysis.standpoint
        differing = [
            W_POSITION_DIFFERS.format(
                body=p.body or "Samma organisation",
                ref=precedent_ref(p.doc),
                sentence=p.sentence.rstrip("."),
                earlier=p.standpoint,
                now=now,
            )
            for p in state.positions
            if p.same_body and p.standpoint != now
        ]
        _replace_warnings(state, W_POSITION_PREFIX, differing)

    def compose(self, state: DraftState) -> None:
        assert state.evidence is not None and state.competence is not None and state.analysis is not None
        if self.assembled:
            state.text = assemble(
                state.intake,
                state.evidence,
                state.competence,
                state.analysis,
                self.prompts,
                short=state.short,
                additions=state.additions,
                notes=state.notes,
                positions=state.positions,
            )
            rest = state.text
            if state.streamed and state.text.startswith(state.streamed):
                rest = state.text[len(state.streamed) :]
            elif state.streamed:  # cannot happen with the same phrasings; never show two texts
                self.emit("info", "compose", "Utkastets inledning ändrades; här är hela texten.")
            self.emit("token", "compose", rest)
        else:
            state.text = write_prose(
                state.intake,
                state.sources(),
                state.analysis,
                self.chat,
                self.prompts,
                self._token,
                budget=self.prompt_chars,
            )
            if state.additions:
                state.text = state.text.rstrip() + "\n\n" + "\n\n".join(state.additions) + "\n"

    def verify(self, state: DraftState) -> None:
        assert state.analysis is not None
        sources = state.sources()
        ignore = [state.intake.dnr] if state.intake.dnr else []
        citations, verification = verify_draft(
            state.text, sources, ignore_dnrs=ignore, remiss=remiss_texts(state.intake)
        )
        if not verification.ok and not self.assembled:
            state.text, citations, verification = self.repair(state, sources, verification, ignore)
        state.draft = Draft(
            text=state.text,
            analysis=state.analysis,
            sources=sources,
            citations=citations,
            verification=verification,
            model=self.chat.model,
            prompt_version=self.prompts.version,
            timings=dict(state.timings),
            competence_evidence=state.competence.to_json() if state.competence else [],
        )

    def repair(
        self, state: DraftState, sources: list[Document], verification: Verification, ignore: list[str]
    ) -> tuple[str, list[Citation], Verification]:
        """One revision round by the model, then drop whatever still fails."""
        problems = [*verification.unresolved, *(m.quote for m in verification.misquoted)]
        request = (
            "Rätta utkastet: följande hänvisningar eller citat finns inte i källorna och ska tas bort eller "
            "ersättas med ordagranna citat ur de givna källorna: " + "; ".join(problems)
        )
        self.emit("info", "verify", "Rättar hänvisningar som inte gick att kontrollera")
        text = revise_prose(state.text, request, sources, self.chat, self.prompts, budget=self.prompt_chars)
        remiss = remiss_texts(state.intake)
        citations, verification = verify_draft(text, sources, ignore_dnrs=ignore, remiss=remiss)
        if not verification.ok:
            text, removed = drop_failing(text, verification)
            state.removed.extend(removed)
            state.warnings.append(W_REMOVED.format(items="; ".join(removed)))
            citations, verification = verify_draft(text, sources, ignore_dnrs=ignore, remiss=remiss)
        return text, citations, verification

    def _token(self, chunk: str) -> None:
        self.emit("token", "compose", chunk)
