"""The drafting pipeline, step by step and whole, with a scripted chat model (no model loaded).

The index is the fixture corpus (kommunallagen 1–2 kap., förvaltningslagen 1–13 §§, three remiss
answers) plus Säkerhetspolisen's instruction; the hashing embedder is used, so retrieval is
deterministic but crude: these tests check the pipeline's logic and guarantees, not draft quality.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FIXTURE_CORPUS, SAPO, STOCKHOLM
from fake_chat import INJECTION, FakeChat

from agent.config import Settings
from agent.drafting.analysis import analyse
from agent.drafting.atlas_search import AtlasSearch
from agent.drafting.competence import (
    assess_competence,
    body_kind,
    is_task_paragraph,
    judge,
    side,
)
from agent.drafting.compose import drop_failing, law_quote
from agent.drafting.factory import draft_remiss
from agent.drafting.graph import build_graph, run_draft
from agent.drafting.guard import MARKER, neutralize
from agent.drafting.intake import load_intake, parse_intake
from agent.drafting.pipeline import DraftInputError, DraftState, Event, Pipeline
from agent.drafting.prompts import PromptError, load_prompts
from agent.drafting.retrieve import FRAME_IDS, background_of, retrieve
from agent.drafting.verify import verify_draft
from agent.index.search import Searcher
from agent.sources.atlas import Atlas, AtlasEntry
from agent.sources.errors import EmptyDocumentError

STOCKHOLM_FILE = FIXTURE_CORPUS / STOCKHOLM
KL21, KL22 = FRAME_IDS[0], FRAME_IDS[1]
DRAFT_KEYS = {
    "standpoint",
    "competence",
    "text",
    "citations",
    "verification",
    "sources",
    "arguments",
    "model",
    "prompt_version",
    "timings",
    "competence_evidence",
}
NO_PROPOSAL = (
    "Protokoll\n\nSammanträde\n\nNämnden sammanträdde i stadshuset och gick igenom det som har hänt under "
    "året. Ordföranden hälsade alla välkomna och tackade för ett gott samarbete. Det är inte första gången "
    "som nämnden träffas i den här lokalen, och det var många som var med på mötet.\n\n"
    "Mötet avslutades klockan åtta och nästa sammanträde är i december.\n"
) * 10
MOTION = (
    "Motion om ett kommunalt stöd för läxhjälp\n\n"
    "Anna Andersson (S) föreslår i en motion att kommunen ska erbjuda läxhjälp på biblioteken.\n\n"
    "Jag föreslår att kommunfullmäktige beslutar\n"
    "att kommunen erbjuder läxhjälp på alla bibliotek.\n"
)


@pytest.fixture(scope="module")
def prompts(drafting_settings: Settings):  # type: ignore[no-untyped-def]
    return load_prompts(drafting_settings.prompts_dir, drafting_settings.prompt_version)


@pytest.fixture(scope="module")
def stockholm():  # type: ignore[no-untyped-def]
    return load_intake(STOCKHOLM_FILE)


def run(searcher: Searcher, prompts, intake, chat: FakeChat, **kw) -> DraftState:  # type: ignore[no-untyped-def]
    return draft_remiss(intake, searcher, chat, prompts, exclude_sources=(STOCKHOLM,), **kw)


def assert_verified(state: DraftState) -> None:
    """Every citation resolves to a given source and every quotation is verbatim."""
    draft = state.draft
    assert draft is not None
    given = {d.id for d in draft.sources}
    assert draft.verification.ok, draft.verification
    assert all(c.source_id in given for c in draft.citations)
    # Independent re-check of the final text.
    _, again = verify_draft(draft.text, draft.sources, ignore_dnrs=[state.intake.dnr])
    assert again.ok


# --------------------------------------------------------------------------- steps


def test_retrieval_keeps_excluded_sources_out_and_always_has_the_competence_frame(
    drafting_searcher: Searcher, stockholm
) -> None:  # type: ignore[no-untyped-def]
    ev = retrieve(stockholm, drafting_searcher, exclude_sources=(STOCKHOLM,))
    assert [d.id for d in ev.frame] == [i for i in FRAME_IDS if drafting_searcher.get(i)]
    assert {KL21, KL22} <= {d.id for d in ev.frame}
    assert all(d.source != STOCKHOLM for d in ev.documents())
    assert ev.precedents, "the other fixture answers are found"
    assert ev.authority_names == {SAPO: "Säkerhetspolisen"}
    with_own = retrieve(stockholm, drafting_searcher)
    assert any(d.source == STOCKHOLM for d in with_own.precedents)


def test_background_is_the_text_before_the_proposals(stockholm) -> None:  # type: ignore[no-untyped-def]
    bg = background_of(stockholm)
    assert "förföljelse, hot och påtryckningar" in bg
    assert stockholm.proposals[0].text not in bg
    assert len(bg) <= 1200


def test_task_paragraph_gate(drafting_searcher: Searcher) -> None:
    assert is_task_paragraph(drafting_searcher.get(f"{SAPO}/3"))  # "Myndigheten ansvarar för att …"
    assert not is_task_paragraph(drafting_searcher.get(f"{SAPO}/4"))  # "… är beredskapsmyndighet …"


def _judge(searcher: Searcher, text: str, body: str = "kommun"):  # type: ignore[no-untyped-def]
    intake = parse_intake(text)
    ev = retrieve(intake, searcher)
    return assess_competence(intake.proposals, ev, searcher, body=body)  # type: ignore[arg-type]


def test_competence_outside_rests_on_an_atlas_entry_and_its_paragraphs(
    drafting_searcher: Searcher, stockholm
) -> None:  # type: ignore[no-untyped-def]
    ev = retrieve(stockholm, drafting_searcher, exclude_sources=(STOCKHOLM,))
    result = assess_competence(stockholm.proposals, ev, drafting_searcher)
    assert result.competence == "outside"
    decided = [j for j in result.judgements if j.outside]
    assert decided and decided[0].deciding is not None
    assert decided[0].deciding.entry.id == "staten-sakerhetspolisen"
    assert decided[0].actor == "Säkerhetspolisen"
    assert "transnationellt förtryck" in decided[0].deciding.cues  # the words that matched are kept
    ids = [d.id for d in result.evidence()]
    assert ids[0] == f"{SAPO}/1"  # the entry's legal basis first (it resolves, with text)
    evidence = result.to_json()
    assert evidence[0]["entry"]["id"] == "staten-sakerhetspolisen" and evidence[0]["paragraphs"]


def test_a_collision_with_a_principle_is_outside(drafting_searcher: Searcher) -> None:
    result = _judge(
        drafting_searcher,
        "Motion om stöd till en fabrik\n\nJag föreslår att kommunfullmäktige beslutar att kommunen "
        "ger ett bidrag till Exempelfabriken AB för att bygga ut fabriken i centrum.\n",
    )
    assert result.competence == "outside"
    j = result.judgements[0]
    assert j.deciding is not None and j.deciding.entry.holder == "forbjudet"
    assert j.deciding.patterns == ("bidrag till Exempelfabriken AB",)
    assert [d.id for d in j.evidence] == [f"{FRAME_IDS[0][:-1]}8"]  # 2 kap. 8 § kommunallagen


def test_within_rests_on_the_municipal_entry_or_on_the_general_competence(
    drafting_searcher: Searcher,
) -> None:
    result = _judge(drafting_searcher, MOTION)
    assert result.competence == "within"
    j = result.judgements[0]
    assert j.deciding is not None and j.deciding.entry.id == "kommunen-frivillig-lashjalp"
    assert [d.id for d in j.evidence] == [KL21]
    nothing = _judge(
        drafting_searcher,
        "Motion om parkbänkar\n\nJag föreslår att kommunfullmäktige beslutar att fler bänkar sätts upp "
        "längs promenadstråket vid ån.\n",
    )
    assert nothing.competence == "within" and nothing.judgements[0].deciding is None
    assert nothing.evidence() == []


def test_a_counter_cue_keeps_an_entry_from_deciding(drafting_searcher: Searcher) -> None:
    text = (
        "Motion om samtal\n\nJag föreslår att kommunfullmäktige beslutar att kommunen för en dialog med "
        "nationella aktörer om stöd till dem som utsätts för transnationellt förtryck från regimer.\n"
    )
    assert _judge(drafting_searcher, text).competence == "within"


def test_conflicting_evidence_is_uncertain_and_the_draft_says_what_to_check(
    drafting_searcher: Searcher, prompts
) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Motion om läxhjälp\n\nJag föreslår att kommunfullmäktige beslutar att biblioteken erbjuder "
        "läxhjälp om säkerhetshot från regimer.\n"
    )
    result = _judge(drafting_searcher, text)
    assert result.competence == "uncertain"
    j = result.judgements[0]
    assert j.evidence and j.competing_evidence
    state = draft_remiss(parse_intake(text), drafting_searcher, FakeChat(standpoint="besvarad"), prompts)
    assert "Handläggaren behöver därför pröva" in state.draft.text  # type: ignore[union-attr]
    assert_verified(state)


def test_an_entry_whose_legal_basis_has_no_text_is_never_evidence(drafting_searcher: Searcher) -> None:
    entry = AtlasEntry(
        id="staten-prov",
        area="Provverksamhet",
        holder="staten",
        actor="Provverket",
        statement="Provverket ansvarar för prov.",
        legal_basis=("sfs-1999-1/1",),  # not in the index
        cues=("provverksamhet", "provrör"),
        source_note="test",
        file="test.yaml",
    )
    atlas = AtlasSearch(Atlas([entry]))
    intake = parse_intake(
        "Motion om prov\n\nJag föreslår att kommunen bedriver provverksamhet med provrör.\n"
    )
    ev = retrieve(intake, drafting_searcher)
    j = judge(intake.proposals[0], ev, drafting_searcher, atlas, "kommun")
    assert j.verdict == "within" and j.deciding is None


def test_the_answering_body_decides_what_a_regional_task_means() -> None:
    region = parse_intake(
        "Motion om vårdcentraler\n\nJag föreslår att regionfullmäktige beslutar att Region Exempel "
        "öppnar en vårdcentral till.\n"
    )
    municipality = parse_intake(
        "Motion om vårdcentraler\n\nJag föreslår att kommunfullmäktige beslutar att kommunen öppnar "
        "en vårdcentral.\n"
    )
    assert body_kind(region) == "region" and body_kind(municipality) == "kommun"
    assert side("regionen", "region") == "within" and side("regionen", "kommun") == "outside"
    assert side("staten", "region") == "outside" and side("forbjudet", "region") == "outside"
    assert (
        side("kommunen-frivillig", "kommun") == "within" and side("kommunen-frivillig", "region") == "within"
    )
    assert side("kommunen", "kommun") == "within" and side("kommunen", "region") == "outside"


def test_outside_means_avstyrker_without_asking_the_model(
    drafting_searcher: Searcher, prompts, stockholm
) -> None:  # type: ignore[no-untyped-def]
    ev = retrieve(stockholm, drafting_searcher, exclude_sources=(STOCKHOLM,))
    chat = FakeChat(standpoint="tillstyrker")
    comp = assess_competence(stockholm.proposals, ev, drafting_searcher)
    analysis = analyse(stockholm.proposals, ev, comp, chat, prompts)
    assert analysis.standpoint == "avstyrker"
    assert "standpunkt" not in chat.questions()
    ids = [a.source_ids for a in analysis.arguments]
    assert (KL21,) in ids and (KL22,) in ids and (f"{SAPO}/1",) in ids


def test_within_asks_for_the_standpoint_and_ties_arguments_to_sources(
    drafting_searcher: Searcher, prompts, stockholm
) -> None:  # type: ignore[no-untyped-def]
    ev = retrieve(stockholm, drafting_searcher, exclude_sources=(STOCKHOLM,))
    chat = FakeChat(standpoint="besvarad", support=[1, 2])
    intake = parse_intake(MOTION)
    ev = retrieve(intake, drafting_searcher)
    comp = assess_competence(intake.proposals, ev, drafting_searcher)
    assert comp.competence == "within"
    analysis = analyse(intake.proposals, ev, comp, chat, prompts)
    assert analysis.standpoint == "besvarad"
    given = {d.id for d in ev.documents()}
    assert all(set(a.source_ids) <= given for a in analysis.arguments)
    assert len(analysis.arguments) == 3  # KL 2:1 + the two sources the model chose


def test_law_quote_is_verbatim_without_the_amendment_note(drafting_searcher: Searcher) -> None:
    kl21 = drafting_searcher.get(KL21)
    quote = law_quote(kl21)
    assert "Lag (2019:835)" in kl21.text and "Lag (" not in quote
    text = f"Av {kl21.label} framgår att ”{quote}”."
    assert verify_draft(text, [kl21])[1].ok
    point = law_quote(
        drafting_searcher.get(f"{SAPO}/3"), "brott där våld, hot eller tvång för politiska syften"
    )
    assert "[…]" in point and "politiska syften" in point
    assert verify_draft(
        f"Enligt 3 § förordningen (2022:1719) gäller ”{point}”.", [drafting_searcher.get(f"{SAPO}/3")]
    )[1].ok


def test_prompt_files_are_versioned(tmp_path: Path, drafting_settings: Settings) -> None:
    p = load_prompts(drafting_settings.prompts_dir, "drafting-v3")
    assert p.version == "drafting-v3"
    with pytest.raises(PromptError, match="finns inte"):
        load_prompts(tmp_path, "drafting-v9")
    (tmp_path / "drafting-v9.yaml").write_text("version: drafting-v9\n", encoding="utf-8")
    with pytest.raises(PromptError, match="saknar"):
        load_prompts(tmp_path, "drafting-v9")


def test_model_messages_come_from_langchain_prompt_templates(drafting_settings: Settings) -> None:
    p = load_prompts(drafting_settings.prompts_dir, "drafting-v3")
    template = p.template("system_narrow", "standpoint")
    assert set(template.input_variables) == {"proposals", "sources"}
    # A field value with braces is data, not a placeholder; the messages are the file's texts, filled.
    messages = p.messages("system_narrow", "standpoint", proposals="- att {x} byggs", sources="[1] a")
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"] == str(p.data["system_narrow"]).strip()
    assert "- att {x} byggs" in messages[1]["content"] and "[1] a" in messages[1]["content"]


# --------------------------------------------------------------------------- whole pipeline


def test_must_show_shape_on_the_transnational_motion_with_its_own_answer_excluded(
    drafting_searcher: Searcher, prompts, stockholm
) -> None:  # type: ignore[no-untyped-def]
    """With the model's narrow answer scripted: avstyrker, outside, KL 2:1 and 2:2 cited, all verified."""
    events: list[Event] = []
    state = run(drafting_searcher, prompts, stockholm, FakeChat(), on_event=events.append)
    draft = state.draft
    assert draft is not None
    assert (draft.analysis.standpoint, draft.analysis.competence) == ("avstyrker", "outside")
    cited = {c.source_id for c in draft.citations}
    assert {KL21, KL22, f"{SAPO}/1"} <= cited
    assert_verified(state)
    assert all(d.source != STOCKHOLM for d in draft.sources)
    assert "avstyrker" in draft.text.splitlines()[-1]
    assert draft.model == "fake-model" and draft.prompt_version == "drafting-v4"
    assert set(draft.to_json()) == DRAFT_KEYS
    assert set(draft.timings) >= {
        "intake",
        "retrieve",
        "competence",
        "analysis",
        "compose",
        "verify",
        "total",
    }
    # Progress is visible from the start: step events in pipeline order, the intake summary first.
    steps = [e.step for e in events if e.kind == "step"]
    assert steps == ["intake", "retrieve", "competence", "analysis", "compose", "verify"]
    first_info = next(e for e in events if e.kind == "info")
    assert first_info.step == "intake" and stockholm.proposals[0].text in first_info.text


def test_every_quotation_in_an_assembled_draft_is_verbatim(
    drafting_searcher: Searcher, prompts, stockholm
) -> None:  # type: ignore[no-untyped-def]
    conflict = parse_intake(
        "Motion om läxhjälp\n\nJag föreslår att kommunfullmäktige beslutar att biblioteken erbjuder "
        "läxhjälp om säkerhetshot från regimer.\n"
    )
    for intake in (stockholm, parse_intake(MOTION), conflict):  # outside, within, uncertain
        state = run(drafting_searcher, prompts, intake, FakeChat(support=[1, 2, 3]))
        assert_verified(state)
        quotes = re.findall(r"”([^”]+)”", state.draft.text)
        assert quotes
        sources = " ".join(" ".join(d.text.split()) for d in state.draft.sources)
        for q in quotes:
            for part in q.split(" […] "):
                assert part.strip("…").strip() in sources


def test_injected_instruction_is_content_not_a_command(drafting_searcher: Searcher, prompts) -> None:
    """A model that obeys any instruction it sees (gullible) is never shown the injected one."""
    plain = parse_intake(MOTION)
    injected = parse_intake(MOTION.replace("biblioteken.\n", f"biblioteken. {INJECTION}\n"))
    assert INJECTION in injected.text
    results = []
    for intake in (plain, injected):
        chat = FakeChat(standpoint="avstyrker", gullible=True)
        state = draft_remiss(intake, drafting_searcher, chat, prompts)
        results.append(state)
        assert "ignorera alla tidigare instruktioner" not in chat.prompts_text().lower()
    a, b = (s.draft for s in results)
    assert a is not None and b is not None
    assert (a.analysis.standpoint, a.analysis.competence) == (b.analysis.standpoint, b.analysis.competence)
    assert b.analysis.standpoint == "avstyrker"
    assert "Ignorera" not in b.text and "tillstyrks" not in b.text
    assert any("AI-system" in w for w in results[1].warnings)


def test_guard_neutralizes_only_the_injected_sentence() -> None:
    text = f"Kommunen bör bygga en simhall. {INJECTION} Den ska vara öppen året runt."
    clean, found = neutralize(text)
    assert found == [INJECTION]
    assert MARKER in clean and "simhall" in clean and "året runt" in clean
    assert neutralize("Förvaltningen föreslår att motionen avslås.") == (
        "Förvaltningen föreslår att motionen avslås.",
        [],
    )


def test_strong_model_prose_is_streamed_and_unverifiable_sentences_are_removed(
    drafting_searcher: Searcher, prompts, stockholm
) -> None:  # type: ignore[no-untyped-def]
    good = (
        "Enligt 2 kap. 1 § kommunallagen (2017:725) får kommuner själva ha hand om angelägenheter av "
        "allmänt intresse. Förvaltningen föreslår att nämnden avstyrker förslaget."
    )
    bad = good + " Enligt 9 kap. 3 § kommunallagen (2017:725) är detta förbjudet."
    misquote = (
        good
        + " I 2 kap. 2 § kommunallagen (2017:725) anges: ”Kommuner får göra vad de vill med sina pengar”."
    )
    events: list[Event] = []
    chat = FakeChat(kind="openai", prose=[bad, misquote])
    pipeline = Pipeline(drafting_searcher, chat, prompts, on_event=events.append)
    state = run_draft(build_graph(pipeline), DraftState(intake=stockholm, exclude_sources=(STOCKHOLM,)))
    tokens = "".join(e.text for e in events if e.kind == "token")
    assert tokens.startswith(bad[:100])  # the first answer was streamed as it came
    assert chat.questions().count("stream") == 2  # the prose, then one repair round
    assert_verified(state)
    assert "9 kap. 3 §" not in state.draft.text and "sina pengar" not in state.draft.text
    assert state.removed and any("togs bort" in w for w in state.warnings)
    assert state.draft.text.strip().startswith("Enligt 2 kap. 1 §")

    chat = FakeChat(kind="openai", prose=[good])
    state = draft_remiss(stockholm, drafting_searcher, chat, prompts, exclude_sources=(STOCKHOLM,))
    assert state.draft.text.strip() == good and not state.removed
    assert chat.questions().count("stream") == 1


def test_drop_failing_keeps_everything_else() -> None:
    from agent.drafting.models import Verification

    text = "Första meningen. Andra meningen hänvisar till 9 kap. 3 § KL.\n\nTredje stycket."
    out, removed = drop_failing(text, Verification(unresolved=["9 kap. 3 § KL"]))
    assert out == "Första meningen.\n\nTredje stycket.\n"
    assert removed == ["Andra meningen hänvisar till 9 kap. 3 § KL."]


def test_empty_non_swedish_and_proposal_less_input_get_clear_errors(
    drafting_searcher: Searcher, prompts
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(EmptyDocumentError, match="tom"):
        parse_intake("   \n ")
    english = parse_intake(
        "Motion on a new library. We propose that the council decides that the municipality builds a new "
        "library in the town centre, because the current one is too small and the building is old and the "
        "people of the town would like to have a place where they can read and meet each other."
    )
    chat = FakeChat()
    with pytest.raises(DraftInputError, match="svenska"):
        draft_remiss(english, drafting_searcher, chat, prompts)
    assert chat.calls == []  # nothing was sent to the model
    with pytest.raises(DraftInputError, match="förslag"):
        draft_remiss(parse_intake(NO_PROPOSAL), drafting_searcher, chat, prompts)


def test_a_very_long_remiss_is_bounded(drafting_searcher: Searcher, prompts) -> None:
    """200 pages of text: the work stays bounded (proposals capped, prompts clipped)."""
    page = "Kommunen bör förbättra belysningen på gång- och cykelvägar i hela kommunen. " * 40
    long = MOTION + "\n\n" + "\n\n".join(page for _ in range(200))
    intake = parse_intake(long)
    chat = FakeChat()
    state = draft_remiss(intake, drafting_searcher, chat, prompts)
    assert state.draft is not None and state.draft.verification.ok
    longest_prompt = max(len(m["content"]) for _, msgs in chat.calls for m in msgs)
    assert longest_prompt < 8000
    assert state.timings["total"] < 60


def test_the_opening_is_streamed_before_the_model_is_asked(
    drafting_searcher: Searcher, prompts, stockholm
) -> None:  # type: ignore[no-untyped-def]
    """First visible draft text comes after retrieval, before any model call; tokens add up to the text."""
    order: list[str] = []
    chat = FakeChat()
    original = chat.complete_json

    def spy(*args, **kw):  # type: ignore[no-untyped-def]
        order.append("model")
        return original(*args, **kw)

    chat.complete_json = spy  # type: ignore[method-assign]
    tokens: list[str] = []

    def on_event(e: Event) -> None:
        if e.kind == "token":
            order.append("token")
            tokens.append(e.text)

    state = run(drafting_searcher, prompts, parse_intake(MOTION), chat, on_event=on_event)  # within: asked
    assert order[0] == "token" and "model" in order
    assert tokens[0].startswith("Förvaltningen har tagit del av")
    assert "".join(tokens) == state.draft.text
