"""The one place the drafting graph is assembled: the CLI, the app service, the eval runner and the benches.

    factory = PipelineFactory.from_settings(settings, chat)   # prompts and prompt budget from settings
    state = run_draft(factory.build_graph(searcher, on_event=print), DraftState(intake=intake))
    graph = factory.build_graph(searcher, checkpointer=saver)  # a conversation (agent/drafting/thread.py)

Everything but the searcher is fixed per run; the searcher is given per build because the eval runner
opens one per worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from agent.config import Settings
from agent.drafting.compose import DEFAULT_PROMPT_CHARS, prompt_budget
from agent.drafting.graph import DraftGraph, build_graph, run_draft
from agent.drafting.intake import Intake
from agent.drafting.pipeline import DraftState, EventHandler, Pipeline, ProseMode
from agent.drafting.prompts import Prompts, load_prompts
from agent.index.search import Searcher
from agent.llm.backends import ChatModel


@dataclass(frozen=True)
class PipelineFactory:
    chat: ChatModel
    prompts: Prompts
    prompt_chars: int = DEFAULT_PROMPT_CHARS  # source text in a strong model's prompt
    standpoint_tokens: int | None = (
        None  # the local model's standpoint prompt (Settings.llm_standpoint_tokens)
    )
    prose: ProseMode = "auto"

    @classmethod
    def from_settings(
        cls, settings: Settings, chat: ChatModel, prompts: Prompts | None = None, prose: ProseMode = "auto"
    ) -> PipelineFactory:
        """Prompts of the configured version (raises `PromptError`) and a prompt budget for the model.

        The local model's prompt is bounded by its context window; a remote model gets the default."""
        if prompts is None:
            prompts = load_prompts(settings.prompts_dir, settings.prompt_version)
        context = settings.llm_context if chat.kind == "local" else None
        return cls(
            chat=chat,
            prompts=prompts,
            prompt_chars=prompt_budget(context),
            prose=prose,
            standpoint_tokens=settings.llm_standpoint_tokens if chat.kind == "local" else None,
        )

    def build(self, searcher: Searcher, on_event: EventHandler | None = None) -> Pipeline:
        return Pipeline(
            searcher,
            self.chat,
            self.prompts,
            prose=self.prose,
            on_event=on_event,
            prompt_chars=self.prompt_chars,
            standpoint_tokens=self.standpoint_tokens,
        )

    def build_graph(
        self,
        searcher: Searcher,
        on_event: EventHandler | None = None,
        checkpointer: BaseCheckpointSaver[Any] | None = None,
    ) -> DraftGraph:
        """The drafting conversation (agent/drafting/graph.py) over a pipeline from `build`."""
        return build_graph(self.build(searcher, on_event), checkpointer)


def draft_remiss(
    intake: Intake,
    searcher: Searcher,
    chat: ChatModel,
    prompts: Prompts,
    *,
    exclude_sources: tuple[str, ...] = (),
    on_event: EventHandler | None = None,
    prose: ProseMode = "auto",
) -> DraftState:
    """Draft förvaltningens synpunkter for `intake` in one call (the whole pipeline, default budget)."""
    graph = PipelineFactory(chat, prompts, prose=prose).build_graph(searcher, on_event=on_event)
    return run_draft(graph, DraftState(intake=intake, exclude_sources=tuple(exclude_sources)))
