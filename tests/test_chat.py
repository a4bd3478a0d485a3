"""Chat revisions of a draft (the "revise" node of the conversation graph), with a scripted chat model:
every revision is verified."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import FIXTURE_CORPUS, SAPO, STOCKHOLM
from fake_chat import FakeChat
from threads import Chat, chat_on

from agent.config import Settings
from agent.drafting.chat import classify
from agent.drafting.intake import load_intake
from agent.drafting.prompts import load_prompts
from agent.index.search import Searcher


@pytest.fixture(scope="module")
def prompts(drafting_settings: Settings):  # type: ignore[no-untyped-def]
    return load_prompts(drafting_settings.prompts_dir, drafting_settings.prompt_version)


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Chat]]:
    """Start a conversation on the Stockholm motion (each call gets its own SQLite file)."""
    files = itertools.count()
    with contextlib.ExitStack() as stack:

        def begin(searcher: Searcher, prompts, chat: FakeChat) -> Chat:  # type: ignore[no-untyped-def]
            path = tmp_path / f"conv-{next(files)}.sqlite"
            conv = stack.enter_context(chat_on(searcher, prompts, chat, path))
            conv.start(load_intake(FIXTURE_CORPUS / STOCKHOLM), exclude_sources=(STOCKHOLM,))
            return conv

        yield begin


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("kortare", "shorter"),
        ("Kan du göra den kortare?", "shorter"),
        ("lägg till att staden redan samverkar med polisen", "add"),
        ("byt ståndpunkt till besvarad", "standpoint"),
        ("Ändra förslaget så att nämnden tillstyrker", "standpoint"),
        ("varför citerar du 2 kap. 2 §?", "why"),
        ("Varför hänvisar du till KL 2:1?", "why"),
        ("ta även hänsyn till socialtjänstlagen", "law"),
        ("Skriv mer formellt", "free"),
    ],
)
def test_classify(message: str, intent: str) -> None:
    assert classify(message) == intent


def test_shorter_add_and_standpoint_are_revised_and_verified(
    drafting_searcher: Searcher, prompts, start
) -> None:  # type: ignore[no-untyped-def]
    chat = FakeChat(standpoint="avstyrker", support=[1, 2, 3])
    conv = start(drafting_searcher, prompts, chat)
    first = conv.draft
    assert first is not None and first.verification.ok
    n_questions = len(chat.calls)

    reply = conv.send("kortare")
    assert reply.draft is not None and len(reply.draft.text) < len(first.text)
    assert reply.draft.verification.ok

    reply = conv.send("lägg till att staden redan samverkar med polisen")
    assert "Förvaltningen vill tillägga att staden redan samverkar med polisen." in reply.draft.text
    assert reply.draft.verification.ok

    reply = conv.send("byt ståndpunkt till besvarad")
    assert reply.draft.analysis.standpoint == "besvarad"
    assert "anses besvarat" in reply.draft.text.splitlines()[-1]
    assert "staden redan samverkar" in reply.draft.text  # earlier revisions are kept
    assert len(chat.calls) == n_questions  # the local path revised without asking the model again
    assert len(conv.versions) == 4
    assert conv.last is not None and conv.last.version == 4
    # Sources are kept across revisions.
    assert {d.id for d in conv.versions[-1].sources} == {d.id for d in first.sources}


def test_why_explains_a_citation_from_the_analysis_without_changing_the_draft(
    drafting_searcher: Searcher, prompts, start
) -> None:  # type: ignore[no-untyped-def]
    conv = start(drafting_searcher, prompts, FakeChat())
    before = len(conv.versions)
    reply = conv.send("varför citerar du 2 kap. 2 §?")
    assert reply.draft is None and len(conv.versions) == before
    assert "2 kap. 2 § kommunallagen (2017:725) citeras eftersom" in reply.text
    assert "enbart staten" in reply.text  # the source text is shown
    reply = conv.send("Varför hänvisar du till 1 § förordningen (2022:1719)?")
    assert "Säkerhetspolisen" in reply.text
    reply = conv.send("varför citerar du 7 kap. 1 § KL?")
    assert reply.text.startswith("Utkastet hänvisar inte till")


def test_another_law_is_retrieved_and_the_draft_rewritten(
    drafting_searcher: Searcher, prompts, start
) -> None:  # type: ignore[no-untyped-def]
    conv = start(drafting_searcher, prompts, FakeChat(support=[1]))
    before = {d.id for d in conv.draft.sources}
    reply = conv.send("ta även hänsyn till förvaltningslagen")
    assert reply.draft is not None, reply.text
    after = {d.id for d in reply.draft.sources}
    assert before <= after  # nothing found before is lost
    assert any(i.startswith("sfs-2017-900/") for i in after - before)
    assert reply.draft.verification.ok
    reply = conv.send("ta även hänsyn till zyxellagen")
    assert reply.draft is None and "zyxellagen" in reply.text


def test_free_requests_need_a_strong_model(drafting_searcher: Searcher, prompts, start) -> None:  # type: ignore[no-untyped-def]
    conv = start(drafting_searcher, prompts, FakeChat())
    reply = conv.send("Skriv mer formellt")
    assert reply.draft is None and "kortare" in reply.text  # the local model says what it can do

    revised = (
        "Av 2 kap. 1 § kommunallagen (2017:725) följer att kommunen får ha hand om angelägenheter av allmänt "
        "intresse. Förvaltningen föreslår att nämnden avstyrker förslaget."
    )
    chat = FakeChat(kind="openai", prose=["Förvaltningen avstyrker.", revised])
    conv = start(drafting_searcher, prompts, chat)
    reply = conv.send("Skriv mer formellt")
    assert reply.draft is not None and reply.draft.text.strip() == revised
    assert reply.draft.verification.ok
    assert chat.questions().count("stream") == 2


def test_outside_competence_conversation_keeps_the_authority_evidence(
    drafting_searcher: Searcher, prompts, start
) -> None:  # type: ignore[no-untyped-def]
    conv = start(drafting_searcher, prompts, FakeChat())
    reply = conv.send("kortare")
    assert f"{SAPO}/1" in {c.source_id for c in reply.draft.citations}
    assert reply.draft.analysis.competence == "outside"
