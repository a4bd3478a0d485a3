"""What the app's pages get from the service besides rows: errors, the decision step, status, eval runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The pages import from `agent` only this module (and agent.config, agent.export): the names they
# show from lower layers are re-exported here ("X as X").
from agent.drafting.intake import (
    Intake,
    intake_to_json,
)
from agent.drafting.models import COMPETENCE_SV as COMPETENCE_SV
from agent.drafting.models import Standpoint
from agent.drafting.pipeline import STEP_LABELS as STEP_LABELS
from agent.drafting.pipeline import DraftState
from agent.sources.atlas import HOLDER_SV as HOLDER_SV
from agent.sources.models import Document as Document

MANUAL_NOTE = "Manuell ändring"
W_LEGACY = (
    "Version {n} skrevs av en tidigare version av Remissagenten och kan läsas, jämföras och exporteras, "
    "men inte revideras i dialog. Skriv ett nytt utkast för att fortsätta."
)
# While a run waits for the model (agent/service/admission.py) its events say where it stands in line:
# Event("info", QUEUE_STEP, W_QUEUE…) each time the place changes, Event("step", QUEUE_STEP, W_QUEUE_DONE)
# when its turn comes (nothing when it did not have to wait).
QUEUE_STEP = "queue"
W_QUEUE = "Du är nummer {n} i kön. {what} när det är din tur."
W_QUEUE_DONE = "Väntade i kön – nu är det din tur"
QUEUE_WHAT = {
    "propose": "Kompetensprövningen börjar",
    "decide": "Utkastet börjar skrivas",
    "revise": "Revideringen börjar",
}


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
class StandpointStep:
    """What the official sees before the text is written: the kompetensprövning, the sources found and
    the proposed standpoint (the case's thread waits for `DraftingService.decide`)."""

    proposals: list[str]
    proposed: Standpoint
    competence: str  # "within" / "outside" / "uncertain" (COMPETENCE_SV for the page)
    judgements: list[dict[str, Any]]  # per proposal: verdict, actor, atlas entry, paragraphs
    laws: list[Document]  # the competence frame, the governing law and the verdicts' paragraphs
    precedents: list[Document]  # earlier remiss answers
    positions: list[dict[str, Any]]  # what earlier answers concluded (the same organisation's first)
    warnings: list[str]


def standpoint_step(state: DraftState) -> StandpointStep:
    assert state.analysis is not None and state.competence is not None and state.evidence is not None
    laws = [d for d in state.sources() if d.kind == "law"]
    return StandpointStep(
        proposals=[p.text for p in state.proposals],
        proposed=state.analysis.standpoint,
        competence=state.competence.competence,
        judgements=state.competence.to_json(),
        laws=laws,
        precedents=list(state.evidence.precedents),
        positions=[
            {
                "body": p.body,
                "year": p.year,
                "sentence": p.sentence,
                "standpoint": p.standpoint,
                "same_body": p.same_body,
                "label": p.doc.label,
            }
            for p in state.positions
        ],
        warnings=list(state.warnings),
    )


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
