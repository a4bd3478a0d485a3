"""The app's library: everything the Streamlit pages do, as plain methods that tests call directly.

`DraftingService` owns the long-lived parts (the index searcher and the language-model backend, both
started on first use and shared by all browser sessions) and the persistent state (`Storage`). The
pages in `ui/` only render what it returns. Errors the user can act on are `AppError` with a Swedish
message saying what to do; nothing else should reach the page as a stack trace.

Model work waits in a fair queue (agent/service/admission.py) with as many places as the backend
serves: one for the local model, more for a server. A waiting official is told their place.
"""

from agent.drafting.analysis import STANDPOINTS
from agent.drafting.models import COMPETENCE_SV
from agent.drafting.pipeline import STEP_LABELS, Event
from agent.service.accounts import AccountService
from agent.service.core import DraftingService, EventHandler
from agent.service.views import QUEUE_STEP, AppError, EvalRun, ServiceStatus, StandpointStep
from agent.sources.atlas import HOLDER_SV
from agent.sources.models import Document

# The pages import from `agent` only this package (and agent.config, agent.export).
__all__ = [
    "COMPETENCE_SV",
    "HOLDER_SV",
    "QUEUE_STEP",
    "STANDPOINTS",
    "STEP_LABELS",
    "AccountService",
    "AppError",
    "Document",
    "DraftingService",
    "EvalRun",
    "Event",
    "EventHandler",
    "ServiceStatus",
    "StandpointStep",
]
