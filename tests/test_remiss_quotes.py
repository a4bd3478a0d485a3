"""A draft's quotations of the remiss it answers are checked against the remiss (issue 13).

The remiss is a source for quotations only: a quotation found verbatim in it is verified, one that is
close to it but altered is a misquotation of "remissen", one that is in neither the given sources nor
the remiss is flagged as before, and a quotation of the remiss never supports a legal claim (it is
not a law or a precedent, and it is never a citation). No model and no index: the pipeline's compose
and verify steps run on hand-built evidence with a scripted chat model.
"""

from __future__ import annotations

from typing import cast

import pytest
from fake_chat import FakeChat

from agent.config import PROJECT_ROOT, Settings
from agent.drafting.competence import CompetenceResult
from agent.drafting.intake import parse_intake
from agent.drafting.models import Analysis, Misquote
from agent.drafting.pipeline import DraftState, Pipeline
from agent.drafting.prompts import Prompts, load_prompts
from agent.drafting.retrieve import Evidence
from agent.drafting.verify import R_NOT_VERBATIM, R_NOT_VERBATIM_REMISS, REMISS_ID, verify_draft
from agent.index.search import Searcher
from agent.llm.backends import ChatModel
from agent.sources.models import Document

# A motion as PDF text: lines broken mid-sentence, one word hyphenated at a line end.
MOTION = (
    "Motion om ett kompetenscenter mot transnationellt förtryck\n\n"
    "Transnationellt förtryck innebär att stater förföljer människor utanför sina egna gränser. Många\n"
    "som har flytt till Sverige lever med hot mot sig själva och sina anhöriga. Kommunen har enligt\n"
    "lag ett ansvar för att stödja den som har utsatts för brott.\n\n"
    "Vi föreslår att kommunfullmäktige beslutar\n"
    "att kommunen inrättar ett kompetenscenter mot transnationellt förtryck som stöd till social-\n"
    "tjänsten, skolan och civilsamhället.\n"
)
PROPOSAL_QUOTE = (
    "att kommunen inrättar ett kompetenscenter mot transnationellt förtryck som stöd till "
    "socialtjänsten, skolan och civilsamhället"
)
KL_2_1 = Document(
    id="sfs-2017-725/2/1",
    kind="law",
    label="2 kap. 1 § kommunallagen (2017:725)",
    text="Kommuner och regioner får själva ha hand om angelägenheter av allmänt intresse som har "
    "anknytning till kommunens eller regionens område eller deras medlemmar. Lag (2019:835).",
    source="sfs/2017/sfs-2017-725.md",
    metadata={"law_id": "sfs-2017-725", "sfs": "2017:725", "chapter": "2", "section": "1"},
)
LAW_SENTENCE = (
    "Enligt 2 kap. 1 § kommunallagen (2017:725) får kommuner själva ha hand om angelägenheter av allmänt "
    "intresse."
)
CLOSING = "Förvaltningen föreslår att motionen anses besvarad."


@pytest.fixture(scope="module")
def prompts() -> Prompts:
    return load_prompts(PROJECT_ROOT / "prompts", str(Settings.model_fields["prompt_version"].default))


def drafted(prompts: Prompts, chat: FakeChat, remiss: str = MOTION) -> DraftState:
    """The compose and verify steps of the pipeline on a motion, with kommunallagen 2:1 as the only
    given source (the searcher is never asked)."""
    pipeline = Pipeline(cast(Searcher, None), cast(ChatModel, chat), prompts)
    state = DraftState(
        intake=parse_intake(remiss),
        evidence=Evidence(frame=[KL_2_1]),
        competence=CompetenceResult("within", []),
        analysis=Analysis(standpoint="besvarad", competence="within"),
    )
    pipeline.compose(state)
    pipeline.verify(state)
    return state


def test_strong_model_quoting_the_motion_across_a_line_break_passes(prompts: Prompts) -> None:
    prose = (
        f"I motionen föreslås ”{PROPOSAL_QUOTE}”. Motionärerna skriver att ”Många som har flytt till "
        f"Sverige lever med hot” mot sig själva. {LAW_SENTENCE} {CLOSING}"
    )
    chat = FakeChat(kind="openai", prose=[prose])
    state = drafted(prompts, chat)
    assert state.draft is not None
    assert state.draft.verification.ok, state.draft.verification
    assert state.removed == [] and state.draft.text.strip() == prose
    assert chat.questions().count("stream") == 1  # no repair round
    # The remiss is not a citation: only the law is cited.
    assert [c.source_id for c in state.draft.citations] == [KL_2_1.id]


def test_a_quote_altered_by_one_word_is_a_misquotation_of_the_remiss(prompts: Prompts) -> None:
    altered = PROPOSAL_QUOTE.replace("inrättar", "bygger")
    sentence = f"I motionen föreslås ”{altered}”."
    _, v = verify_draft(f"{sentence} {LAW_SENTENCE}", [KL_2_1], remiss=MOTION)
    assert v.misquoted == [Misquote(altered, REMISS_ID, R_NOT_VERBATIM_REMISS)]
    # Close to the remiss without naming it: still reported against the remiss.
    _, v = verify_draft(f"Förslaget är ”{altered}”.", [KL_2_1], remiss=MOTION)
    assert [(m.source_id, m.reason) for m in v.misquoted] == [(REMISS_ID, R_NOT_VERBATIM_REMISS)]
    # In the pipeline: the repair round is asked about it, and what still fails is removed.
    chat = FakeChat(kind="openai", prose=[f"{sentence} {LAW_SENTENCE} {CLOSING}"])
    state = drafted(prompts, chat)
    assert state.draft is not None and state.draft.verification.ok
    assert chat.questions().count("stream") == 2 and altered in chat.prompts_text()
    assert state.removed == [sentence] and "bygger" not in state.draft.text
    assert state.draft.text.strip() == f"{LAW_SENTENCE} {CLOSING}"


def test_a_quote_in_neither_the_sources_nor_the_remiss_is_flagged_as_before() -> None:
    invented = "att kommunen bygger en ny simhall vid torget"
    for text, source_id in (
        (f"I motionen föreslås ”{invented}”.", None),
        (f"Enligt 2 kap. 1 § kommunallagen (2017:725) gäller ”{invented}”.", KL_2_1.id),
    ):
        before = verify_draft(text, [KL_2_1])[1].misquoted
        after = verify_draft(text, [KL_2_1], remiss=MOTION)[1].misquoted
        assert after == before == [Misquote(invented, source_id, R_NOT_VERBATIM)]


def test_the_remiss_words_attributed_to_a_law_are_a_misattribution() -> None:
    text = f"Enligt 2 kap. 1 § kommunallagen (2017:725) gäller ”{PROPOSAL_QUOTE}”."
    _, v = verify_draft(text, [KL_2_1], remiss=MOTION)
    assert v.misquoted == [
        Misquote(PROPOSAL_QUOTE, KL_2_1.id, "Citatet finns i en annan källa än den som anges (remissen).")
    ]
    # ... unless the sentence names the remiss after the citation and before the quotation.
    text = f"Med stöd av 2 kap. 1 § kommunallagen (2017:725) föreslår motionärerna ”{PROPOSAL_QUOTE}”."
    assert verify_draft(text, [KL_2_1], remiss=MOTION)[1].ok
    # The citation in the sentence before does not take a quotation of the remiss.
    assert verify_draft(f"{LAW_SENTENCE} Förslaget är ”{PROPOSAL_QUOTE}”.", [KL_2_1], remiss=MOTION)[1].ok


def test_a_quote_of_the_remiss_is_no_support_for_a_legal_claim() -> None:
    claim = "Kommunen har ”enligt lag ett ansvar för att stödja den som har utsatts för brott”."
    citations, v = verify_draft(f"{claim} {CLOSING}", [KL_2_1], remiss=MOTION, ignore_dnrs=["KS 2025/448"])
    assert v.ok  # the quotation is verbatim in the remiss ...
    assert v.unsupported_sentences == [claim]  # ... but the legal claim has no law behind it
    assert citations == []  # and the remiss is never a citation
    cited = f"{claim} Detta framgår av 2 kap. 1 § kommunallagen (2017:725)."
    assert verify_draft(cited, [KL_2_1], remiss=MOTION)[1].unsupported_sentences == []


def test_without_the_remiss_a_quote_of_it_is_flagged() -> None:
    _, v = verify_draft(f"I motionen föreslås ”{PROPOSAL_QUOTE}”.", [KL_2_1])
    assert [(m.source_id, m.reason) for m in v.misquoted] == [(None, R_NOT_VERBATIM)]


def test_the_title_and_proposals_as_corrected_count_as_the_remiss() -> None:
    corrected = "att kommunen inrättar ett regionalt kompetenscenter mot hedersförtryck"
    text = f"I motionen föreslås ”{corrected}”."
    assert not verify_draft(text, [], remiss=MOTION)[1].ok
    assert verify_draft(text, [], remiss=[MOTION, "Motion om hedersförtryck", corrected])[1].ok


def test_quotation_marks_inside_a_quotation_are_typography() -> None:
    remiss = "Vi föreslår att kommunen inför ”Trygg hemväg” i alla stadsdelar."
    text = 'I motionen föreslås ”att kommunen inför "Trygg hemväg" i alla stadsdelar”.'
    assert verify_draft(text, [], remiss=remiss)[1].ok


def test_the_assembled_draft_quoting_the_title_passes(prompts: Prompts) -> None:
    motion = MOTION.replace(
        "Motion om ett kompetenscenter mot transnationellt förtryck",
        "Motion om ”Ett kompetenscenter mot transnationellt förtryck”",
    )
    state = drafted(prompts, FakeChat(), remiss=motion)
    assert state.draft is not None
    assert "”Ett kompetenscenter mot transnationellt förtryck”" in state.draft.text
    assert state.draft.verification.misquoted == []


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        # a citation right after the quotation claims it ...
        (f"”{PROPOSAL_QUOTE}” (2 kap. 1 § kommunallagen (2017:725)).", False),
        # ... one further on in the sentence does not
        (
            f"Förslaget ”{PROPOSAL_QUOTE}” ryms enligt förvaltningen i 2 kap. 1 § kommunallagen (2017:725).",
            True,
        ),
    ],
)
def test_a_citation_right_after_the_quotation_claims_it(text: str, ok: bool) -> None:
    assert verify_draft(text, [KL_2_1], remiss=MOTION)[1].ok is ok
