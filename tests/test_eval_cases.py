"""Eval cases: the public set as copied into the repository, and the format evaluators write."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT, STOCKHOLM

from agent.evals.cases import (
    DEFAULT_CASES,
    CaseError,
    attach_notes,
    cases_digest,
    default_notes_file,
    load_cases,
    load_notes_file,
)

PUBLIC = DEFAULT_CASES
STOCKHOLM_ID = "stockholm-socn-2025-kompetenscenter-transnationellt-fortryck"

GOOD_CASE = """\
cases:
- id: {id}
  title: Motion om fler parkbänkar
  source: remissvar/egen_fil.txt
  motion:
  - Motionären föreslår att kommunen sätter upp fler parkbänkar i centrum.
  reference:
  - Förvaltningen ser positivt på förslaget och föreslår att motionen bifalls.
  standpoint: [tillstyrker]
  competence: within
  key_points:
  - Förvaltningen är positiv till fler parkbänkar
  must_cite: []
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_public_cases_load_with_their_annotations() -> None:
    cases = load_cases()
    assert len(cases) == 26
    assert len({c.id for c in cases}) == 26
    case = next(c for c in cases if c.id == STOCKHOLM_ID)
    assert case.source == STOCKHOLM
    assert case.standpoint == ("avstyrker",)
    assert case.competence == "outside"
    assert len(case.key_points) == 8
    assert case.must_cite == ("kommunallagen (2017:725) 2 kap. 1 §", "kommunallagen (2017:725) 2 kap. 2 §")
    for c in cases:
        assert c.motion and c.standpoint and c.competence in ("within", "outside")
        assert (PROJECT_ROOT / "corpus" / c.source).is_file(), c.source


def test_remiss_text_is_title_and_motion_never_the_answer() -> None:
    for case in load_cases():
        text = case.remiss_text()
        assert text.startswith(case.title + "\n\n")
        for paragraph in case.motion:
            assert paragraph.strip() in text
        # The real answer is not given to the drafter.
        assert case.reference_text()[:80] not in text


def test_public_copy_matches_its_recorded_provenance() -> None:
    readme = (DEFAULT_CASES.parent / "README.md").read_text(encoding="utf-8")
    digest = hashlib.sha256(PUBLIC.read_bytes()).hexdigest()
    assert digest in readme
    assert re.search(r"\d{4}-\d{2}-\d{2}", readme)


def test_a_folder_of_case_files_outside_the_repository(tmp_path: Path) -> None:
    folder = tmp_path / "mina-fall"
    write(folder / "a.yaml", GOOD_CASE.format(id="fall-a"))
    write(folder / "b.yml", GOOD_CASE.format(id="fall-b"))
    write(folder / "anteckningar.txt", "inte ett fall")
    cases = load_cases(folder)
    assert [c.id for c in cases] == ["fall-a", "fall-b"]
    assert cases[0].standpoint == ("tillstyrker",)
    assert cases[0].file.endswith("a.yaml")
    single = load_cases(folder / "b.yml")
    assert [c.id for c in single] == ["fall-b"]
    assert cases_digest(folder) != cases_digest(folder / "b.yml")


def test_optional_fields_may_be_left_out(tmp_path: Path) -> None:
    path = write(
        tmp_path / "min.yaml",
        "cases:\n- id: x\n  title: T\n  motion: Motionären föreslår en sak.\n"
        "  standpoint: besvarad\n  competence: within\n",
    )
    (case,) = load_cases(path)
    assert case.motion == ("Motionären föreslår en sak.",)
    assert case.standpoint == ("besvarad",)
    assert case.reference == () and case.key_points == () and case.must_cite == () and case.source == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD_CASE.format(id="a") + GOOD_CASE.format(id="a").removeprefix("cases:\n"), "finns två gånger"),
        (
            GOOD_CASE.format(id="a").replace("standpoint: [tillstyrker]", "standpoint: [bifall]"),
            "okänd ståndpunkt",
        ),
        (
            GOOD_CASE.format(id="a").replace("competence: within", "competence: kanske"),
            "`competence` ska vara",
        ),
        (GOOD_CASE.format(id="a").replace("key_points:", "keypoints:"), "okända fält: keypoints"),
        (
            GOOD_CASE.format(id="a").replace("  title: Motion om fler parkbänkar\n", ""),
            "obligatoriska fält saknas",
        ),
        ("cases: []\n", "är tom"),
        ("fall:\n- id: a\n", "lista `cases:`"),
        ("cases: [\n", "inte giltig YAML"),
        (GOOD_CASE.format(id="a").replace("must_cite: []", "must_cite: [1, 2]"), "fältet `must_cite`"),
    ],
)
def test_bad_case_files_give_swedish_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "fall.yaml", text)
    with pytest.raises(CaseError, match=re.escape(message)) as info:
        load_cases(path)
    assert "fall.yaml" in str(info.value)


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="finns inte"):
        load_cases(tmp_path / "saknas.yaml")
    (tmp_path / "tom").mkdir()
    with pytest.raises(CaseError, match="inga fallfiler"):
        load_cases(tmp_path / "tom")


def test_the_public_notes_are_facts_not_sentences_of_the_real_answer() -> None:
    """evals/notes/public.yaml: notes for real cases, at most 5 bullets, never 6 words in a row from the
    real answer (facts an official knows, not its sentences), and only for cases that exist."""
    cases = load_cases(DEFAULT_CASES)
    path = default_notes_file(DEFAULT_CASES)
    notes = load_notes_file(path)
    with_notes = attach_notes(cases, notes, path)
    assert {c.id for c in with_notes if c.notes} <= {c.id for c in cases}
    assert sum(bool(c.notes) for c in with_notes) >= 20
    words = lambda t: re.findall(r"\w+", t.lower())  # noqa: E731
    for case in with_notes:
        assert len(case.notes) <= 5, case.id
        ref = " ".join(words(case.reference_text()))
        for note in case.notes:
            w = words(note)
            runs = [" ".join(w[i : i + 6]) for i in range(len(w) - 5)]
            assert not any(f" {r} " in f" {ref} " for r in runs), (case.id, note)
    assert all(not c.notes for c in load_cases(DEFAULT_CASES))  # the plain cases never carry them


def test_notes_for_an_unknown_case_are_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "underlag.yaml", "notes:\n  finns-inte:\n  - en uppgift\n")
    with pytest.raises(CaseError, match="okända fall: finns-inte"):
        attach_notes(load_cases(DEFAULT_CASES), load_notes_file(path), path)
    bad = write(tmp_path / "fel.yaml", "underlag: []\n")
    with pytest.raises(CaseError, match="mappning `notes:`"):
        load_notes_file(bad)
