"""The drafting conversation as a LangGraph graph: the pipeline's steps as nodes, the official's decisions
as interrupts, chat revisions as a loop back into the steps.

    START ─┬─> intake ─> review_intake ─> retrieve ─> competence ─> analysis ─> review_standpoint
           │                                              ^                              │
           │                                              │                              v
           └─> revise ──(re-run from the step the request changed)─────────────────> compose ─> verify ─> END
                  └──(a question: no new draft)──────────────────────────────────────────────────────> END

* **review_intake** and **review_standpoint** pause the run (`langgraph.types.interrupt`) when the
  input's `pause` names them: the official confirms or corrects what was read (the answer is the
  corrected intake as `intake_to_json`, or None), then sees the kompetensprövning and the proposed
  standpoint and answers `{"standpoint": "besvarad" | None, "notes": ["…", …]}`. Resume with
  `DraftThread.resume(answer)`, which sends `Command(resume={ANSWER: answer})`; a checkpointer is
  required then (agent/drafting/thread.py).
* **revise** handles a chat message (`{"request": "kortare"}` as the input of a new run on the thread;
  agent/drafting/chat.py) and routes to the step the request changed.
* Every node reads and writes the state as plain JSON (agent/drafting/state_codec.py), so checkpoints
  hold no pickled classes. `version` counts the drafts written on the thread.

Without a checkpointer and with no pause the graph is the plain pipeline (`run_draft`): the eval suite,
the benches and `remiss draft` without `--chat` run it that way.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Literal, Protocol, TypedDict, cast

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import interrupt

from agent.drafting.analysis import STANDPOINTS
from agent.drafting.chat import revise
from agent.drafting.intake import intake_from_json, intake_to_json
from agent.drafting.models import Standpoint
from agent.drafting.notes import notes_from_items
from agent.drafting.pipeline import DraftState, Pipeline
from agent.drafting.state_codec import dump_state, load_state

Pause = Literal["intake", "standpoint"]
ANSWER = "answer"  # the key the official's answer is wrapped in when a pause is resumed
PAUSES: tuple[Pause, ...] = ("intake", "standpoint")
STEPS = ("intake", "retrieve", "competence", "analysis", "compose", "verify")
STEP_METHODS: dict[str, Callable[[Pipeline, DraftState], None]] = {  # what each step node runs
    "intake": Pipeline.check_intake,
    "retrieve": Pipeline.search_sources,
    "competence": Pipeline.assess,
    "analysis": Pipeline.analyse,
    "compose": Pipeline.compose,
    "verify": Pipeline.verify,
}


class ConversationState(TypedDict, total=False):
    work: dict[str, Any]  # the DraftState as JSON (state_codec)
    pause: list[str]  # where this run waits for the official (PAUSES)
    version: int  # drafts written on this thread
    request: str  # the official's chat message (input of a revision run)
    reply: str  # the answer to it
    intent: str
    rerun: str  # the step a revision re-runs from ("" = the draft is unchanged)


DraftGraph = CompiledStateGraph[ConversationState, None, ConversationState, ConversationState]


class Node(Protocol):
    def __call__(self, state: ConversationState) -> dict[str, Any]: ...


def start_input(state: DraftState, pause: tuple[Pause, ...] = ()) -> ConversationState:
    """The input of a run that drafts from the beginning (a new thread, or a new draft on one)."""
    return {"work": dump_state(state), "pause": list(pause), "request": "", "reply": "", "rerun": ""}


PipelineFor = Callable[[], Pipeline]


def _step_node(pipeline_for: PipelineFor, name: str) -> Node:
    def node(state: ConversationState) -> dict[str, Any]:
        pipeline = pipeline_for()
        work = load_state(state["work"])
        if name == "intake":
            work.streamed = ""
        pipeline.timed(work, name, partial(STEP_METHODS[name], pipeline))
        if name != "verify":
            return {"work": dump_state(work)}
        work.timings["total"] = sum(v for k, v in work.timings.items() if k != "total")
        assert work.draft is not None
        work.draft.timings = dict(work.timings)
        pipeline.emit("done", "verify", "")
        return {"work": dump_state(work), "version": state.get("version", 0) + 1}

    return node


def _ask(question: dict[str, Any]) -> Any:
    """Pause for the official; the answer comes wrapped as `{ANSWER: value}` (DraftThread.resume)."""
    reply = interrupt(question)
    return reply.get(ANSWER) if isinstance(reply, dict) else reply


def _review_intake(pipeline_for: PipelineFor) -> Node:
    def node(state: ConversationState) -> dict[str, Any]:
        if "intake" not in state.get("pause", []):
            return {}
        work = load_state(state["work"])
        answer = _ask({"step": "intake", "intake": intake_to_json(work.intake)})
        if not answer:
            return {}
        work.intake = intake_from_json(work.intake.text, answer)
        pipeline_for().check_intake(work)
        return {"work": dump_state(work)}

    return node


def _review_standpoint(pipeline_for: PipelineFor) -> Node:
    def node(state: ConversationState) -> dict[str, Any]:
        if "standpoint" not in state.get("pause", []):
            return {}
        work = load_state(state["work"])
        assert work.analysis is not None
        answer = _ask({"step": "standpoint", "proposed": work.analysis.standpoint}) or {}
        standpoint = answer.get("standpoint")
        if standpoint in STANDPOINTS and standpoint != work.analysis.standpoint:
            pipeline_for().set_standpoint(work, cast(Standpoint, standpoint))
        if answer.get("notes"):
            work.notes = notes_from_items([str(n) for n in answer["notes"]])
            pipeline_for().check_notes(work)
        work.streamed = ""  # the opening shown before the pause is shown again with the whole draft
        return {"work": dump_state(work)}

    return node


def _revise(pipeline_for: PipelineFor) -> Node:
    def node(state: ConversationState) -> dict[str, Any]:
        work = load_state(state["work"])
        work.streamed, work.removed = "", []
        revision = revise(work, state.get("request", ""), pipeline_for())
        return {
            "work": dump_state(work),
            "reply": revision.reply,
            "intent": revision.intent,
            "rerun": revision.rerun or "",
        }

    return node


def build_graph(
    pipeline: Pipeline | PipelineFor, checkpointer: BaseCheckpointSaver[Any] | None = None
) -> DraftGraph:
    """The graph over `pipeline`, or over a function that gives it when a node first runs (the app: reading
    a stored thread then needs neither the index nor the model)."""
    pipeline_for: PipelineFor = (lambda: pipeline) if isinstance(pipeline, Pipeline) else pipeline
    g = StateGraph(ConversationState)
    for name in STEPS:
        g.add_node(name, _step_node(pipeline_for, name))
    g.add_node("review_intake", _review_intake(pipeline_for))
    g.add_node("review_standpoint", _review_standpoint(pipeline_for))
    g.add_node("revise", _revise(pipeline_for))
    g.add_conditional_edges(START, lambda s: "revise" if s.get("request") else "intake", ["revise", "intake"])
    for a, b in [
        ("intake", "review_intake"),
        ("review_intake", "retrieve"),
        ("retrieve", "competence"),
        ("competence", "analysis"),
        ("analysis", "review_standpoint"),
        ("review_standpoint", "compose"),
        ("compose", "verify"),
        ("verify", END),
    ]:
        g.add_edge(a, b)
    g.add_conditional_edges("revise", lambda s: s.get("rerun") or END, [*STEPS[2:], END])
    return g.compile(checkpointer=checkpointer)


def run_draft(graph: DraftGraph, state: DraftState) -> DraftState:
    """The whole pipeline in one run, no pauses (evals, benches, `remiss draft`)."""
    values = graph.invoke(start_input(state))
    return load_state(values["work"])
