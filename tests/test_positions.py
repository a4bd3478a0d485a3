"""Earlier positions (agent/drafting/positions.py): what earlier answers concluded, the same organisation
first, quoted verbatim with attribution and compared with the standpoint proposed now.

The sentences and answers here are written for the test from general Swedish practice in motion
answers; none is taken from the eval cases."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from agent.config import Settings
from agent.drafting.competence import CompetenceResult
from agent.drafting.compose import assemble
from agent.drafting.intake import parse_intake
from agent.drafting.models import Analysis
from agent.drafting.pipeline import W_POSITION_PREFIX, DraftState, Pipeline
from agent.drafting.positions import earlier_positions, fields, stated_standpoint
from agent.drafting.prompts import load_prompts
from agent.drafting.retrieve import Evidence
from agent.drafting.verify import verify_draft
from agent.sources.models import Document

MOTION = (
    "Motion om fler lekplatser i ytterområdena\n\n"
    "Kommunstyrelsen har skickat motionen på remiss till socialnämnden.\n\n"
    "Jag föreslår att kommunfullmäktige beslutar\n"
    "att kommunen bygger fler lekplatser i ytterområdena för barn och familjer.\n"
)


@pytest.mark.parametrize(
    ("sentence", "standpoint"),
    [
        ("Nämnden föreslår att motionen avslås.", "avstyrker"),
        ("Fritidsförvaltningen avstyrker förslaget om nya lekplatser.", "avstyrker"),
        ("Kulturnämnden tillstyrker medborgarförslaget.", "tillstyrker"),
        ("Kommunstyrelsen föreslår att motionen bifalls.", "tillstyrker"),
        ("Motionen anses därmed besvarad.", "besvarad"),
        ("Förvaltningen föreslår att motionen ska anses besvarad i stället för att avslås.", "besvarad"),
        ("Nämnden ställer sig positiv till förslaget.", "tillstyrker"),
        # not an organ's position: a member's yrkande, no decision phrase, two standpoints at once
        ("Anna Berg (L) yrkade bifall till motionen.", None),
        ("Det är viktigt att barn har nära till en lekplats.", None),
        ("Nämnden avstyrker den första att-satsen men tillstyrker den andra.", None),
    ],
)
def test_the_stated_standpoint(sentence: str, standpoint: str | None) -> None:
    assert stated_standpoint(sentence) == standpoint


def test_fields_of_an_organisation() -> None:
    assert fields("socialnämnden") == fields("Exempelby kommun, socialförvaltningen") == {"social"}
    assert fields("Social- och omsorgsnämnden") == {"social", "omsorg"}
    assert fields("Tekniska nämnden") == {"teknisk"}
    assert fields("") == set()


def answer(source: str, body: str, sections: list[str], dnr: str = "SN 2019/12") -> list[Document]:
    meta = {"body": body, "date": "2019-05-02", "year": 2019, "dnr": dnr}
    return [
        Document(
            id=f"{source}#s{i}",
            kind="precedent",
            label=f"{body}, 2019, Dnr {dnr}: Svar på motion – avsnitt {i}",
            text=text,
            source=source,
            metadata=meta,
        )
        for i, text in enumerate(sections, 1)
    ]


SAME = answer(
    "remissvar/same.txt",
    "Exempelby kommun, socialförvaltningen",
    [
        "Lekplatser i ytterområdena är viktiga för barn och familjer. Förvaltningen har sett över behovet.",
        "Förvaltningen föreslår att motionen om fler lekplatser i ytterområdena avslås.",
    ],
)
OTHER = answer(
    "remissvar/other.txt",
    "Annanstad kommun, tekniska förvaltningen",
    ["Tekniska nämnden tillstyrker att fler lekplatser för barn och familjer byggs i ytterområdena."],
    dnr="TN 2020/3",
)


PROTOCOL = answer(  # a protocol with several matters: its position is on another one
    "remissvar/protocol.txt",
    "Exempelby kommun, kommunfullmäktige",
    [
        "Motionen om lekplatser för barn och familjer i ytterområdena behandlades under punkt 4.",
        "Fullmäktige avslår motionen om nya parkeringsavgifter i centrum.",
    ],
    dnr="KF 2018/7",
)


@dataclass
class Sections:
    """The one thing `earlier_positions` asks the index: every section of an answer."""

    docs: list[Document] = field(default_factory=lambda: [*SAME, *OTHER, *PROTOCOL])

    def documents_of(self, source: str) -> list[Document]:
        return [d for d in self.docs if d.source == source]


def test_positions_are_found_in_sibling_sections_and_the_same_organisation_comes_first() -> None:
    intake = parse_intake(MOTION)
    assert intake.addressed_to == "socialnämnden"
    evidence = Evidence(precedents=[OTHER[0], SAME[0], PROTOCOL[0]])  # the other answer ranked first
    positions = earlier_positions(intake, evidence, Sections())  # type: ignore[arg-type]
    # (the protocol's only position is on parking fees: not on this topic, not used)
    assert [(p.doc.id, p.standpoint, p.same_body) for p in positions] == [
        ("remissvar/same.txt#s2", "avstyrker", True),  # found in the section after the retrieved one
        ("remissvar/other.txt#s1", "tillstyrker", False),
    ]


@pytest.fixture
def prompts(drafting_settings: Settings):  # type: ignore[no-untyped-def]
    return load_prompts(drafting_settings.prompts_dir, drafting_settings.prompt_version)


def test_positions_are_quoted_with_attribution_and_verified(prompts) -> None:  # type: ignore[no-untyped-def]
    intake = parse_intake(MOTION)
    evidence = Evidence(precedents=[SAME[0], OTHER[0]])
    positions = earlier_positions(intake, evidence, Sections())  # type: ignore[arg-type]
    analysis = Analysis(standpoint="besvarad", competence="within")
    text = assemble(intake, evidence, CompetenceResult("within", []), analysis, prompts, positions=positions)
    assert (
        "Exempelby kommun, socialförvaltningen har tidigare tagit ställning i en liknande fråga "
        "(Exempelby kommun, socialförvaltningen, 2019-05-02, Dnr SN 2019/12): ”Förvaltningen föreslår att "
        "motionen om fler lekplatser i ytterområdena avslås”."
    ) in text
    sources = [*evidence.documents(), *(p.doc for p in positions)]
    citations, verification = verify_draft(text, sources)
    assert verification.ok, verification
    cited = {c.source_id for c in citations if c.source_id}
    assert any(i.startswith("remissvar/same.txt#") for i in cited)


def test_a_standpoint_unlike_the_same_organisations_earlier_answer_is_flagged(prompts) -> None:  # type: ignore[no-untyped-def]
    intake = parse_intake(MOTION)
    evidence = Evidence(precedents=[SAME[0]])
    state = DraftState(intake=intake, evidence=evidence, competence=CompetenceResult("within", []))
    state.positions = earlier_positions(intake, evidence, Sections())  # type: ignore[arg-type]
    state.analysis = Analysis(standpoint="avstyrker", competence="within")
    pipeline = Pipeline(Sections(), None, prompts)  # type: ignore[arg-type]  # no step runs here
    pipeline.set_standpoint(state, "avstyrker")
    assert not [w for w in state.warnings if w.startswith(W_POSITION_PREFIX)]  # the same as last time
    pipeline.set_standpoint(state, "tillstyrker")
    [warning] = [w for w in state.warnings if w.startswith(W_POSITION_PREFIX)]
    assert "Exempelby kommun, socialförvaltningen" in warning and "Dnr SN 2019/12" in warning
    assert "(ståndpunkt: avstyrker)" in warning and "föreslår nu tillstyrker" in warning
    pipeline.set_standpoint(state, "avstyrker")  # back again: the warning goes
    assert not [w for w in state.warnings if w.startswith(W_POSITION_PREFIX)]
