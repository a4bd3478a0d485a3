"""The Streamlit app's page logic with Streamlit's AppTest (no browser), a scripted chat model.

The real browser test is tests/test_app_browser.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import FIXTURE_CORPUS, STOCKHOLM
from fake_chat import FakeChat
from streamlit.testing.v1 import AppTest

from agent.config import Settings
from agent.service import DraftingService

APP = str(Path(__file__).resolve().parent.parent / "ui" / "app.py")
MOTION = (FIXTURE_CORPUS / STOCKHOLM).read_text(encoding="utf-8")


@pytest.fixture
def app(
    drafting_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], AppTest]]:
    """A fresh app (own data folder with a copy of the drafting index), the model replaced by FakeChat."""
    data_dir = tmp_path / "data"
    shutil.copytree(drafting_settings.data_dir, data_dir)
    monkeypatch.setenv("REMISS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("REMISS_CORPUS_DIR", str(drafting_settings.corpus_dir))
    monkeypatch.setenv("REMISS_EMBEDDING", "hashing")
    chat = FakeChat()
    monkeypatch.setattr(DraftingService, "backend", lambda self: chat)
    from ui.common import get_service

    get_service.clear()

    def make() -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        assert not at.exception, at.exception
        return at

    yield make
    get_service.clear()


def test_pages_render_without_errors(app: Callable[[], AppTest]) -> None:
    at = app()
    assert at.title[0].value == "Nytt ärende"
    for page, title in [
        ("pages/jamfor.py", "Jämför utkast"),
        ("pages/utvardering.py", "Utvärdering"),
        ("pages/kallor.py", "Källor"),
        ("pages/installningar.py", "Inställningar"),
    ]:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert at.title[0].value == title
        if page == "pages/kallor.py":  # the ansvarsatlas, each entry with its legal basis
            labels = [e.label for e in at.expander]
            assert any(
                label.startswith("Stöd till enskilda näringsidkare — inte tillåtet") for label in labels
            )


def test_paste_draft_revise_and_compare(app: Callable[[], AppTest]) -> None:
    at = app()
    at.text_area[0].input(MOTION).run()
    next(b for b in at.button if b.label == "Läs in remissen").click().run()
    assert not at.exception, at.exception
    assert "kompetenscenter" in at.title[0].value.lower()
    # What was understood is shown for correction.
    assert any("Åsa Nilsson Söderström" in t.value for t in at.text_input)
    next(b for b in at.button if b.label == "Pröva kompetensen och föreslå ståndpunkt").click().run()
    assert not at.exception, at.exception
    # The decision step: the verdict and the proposed standpoint, before any text is written.
    assert [m.value for m in at.metric][:2] == ["utanför", "avstyrker"]
    assert any(e.label == "Kompetensprövningen: utanför" for e in at.expander)
    assert at.radio[0].value == "avstyrker"
    next(b for b in at.button if b.label == "Skriv utkastet").click().run()
    assert not at.exception, at.exception
    markdown = "\n".join(m.value for m in at.markdown)
    assert "2 kap. 2 § kommunallagen" in markdown
    assert any(e.label.startswith("[1] ") for e in at.expander)  # citations are expandable
    assert [m.value for m in at.metric][:2] == ["avstyrker", "utanför"]
    # … and what the competence verdict rests on: the atlas entry and the words that matched
    assert any(e.label == "Kompetensprövningen: utanför" for e in at.expander)
    assert "staten-sakerhetspolisen" in markdown or "staten-sakerhetspolisen" in "\n".join(
        m.value for m in at.markdown
    )
    # Revise by chat: a new version.
    at.chat_input[0].set_value("byt ståndpunkt till besvarad").run()
    assert not at.exception, at.exception
    assert at.metric[0].value == "besvarad"
    assert "Ståndpunkten är ändrad till besvarad." in "\n".join(m.value for m in at.markdown)
    assert len(at.selectbox[0].options) == 2
    # Compare the two versions.
    at.switch_page("pages/jamfor.py").run()
    assert not at.exception, at.exception
    assert len(at.multiselect[0].value) == 2
    html = "\n".join(m.value for m in at.markdown)
    assert "<del" in html and "<ins" in html  # the word diff
    at.radio[0].set_value(at.radio[0].options[1])
    next(b for b in at.button if b.label == "Spara bedömningen").click().run()
    assert not at.exception, at.exception
    assert any("sparad" in s.value for s in at.success)


def test_the_official_changes_the_standpoint_and_adds_notes(app: Callable[[], AppTest]) -> None:
    at = app()
    at.text_area[0].input(MOTION).run()
    next(b for b in at.button if b.label == "Läs in remissen").click().run()
    next(b for b in at.button if b.label == "Pröva kompetensen och föreslå ståndpunkt").click().run()
    at.radio[0].set_value("besvarad")
    notes = (
        "- Stadens krisstöd har redan en mottagning för utsatta familjer.\n"
        "- Kostnaden vore 2 miljoner kronor."
    )
    next(t for t in at.text_area if t.label.startswith("Handläggarens underlag")).input(notes)
    next(b for b in at.button if b.label == "Skriv utkastet").click().run()
    assert not at.exception, at.exception
    assert at.metric[0].value == "besvarad"
    markdown = "\n".join(m.value for m in at.markdown)
    assert "Stadens krisstöd har redan en mottagning för utsatta familjer" in markdown
    assert "Handläggarens underlag, punkt 2" in markdown
    # Deciding against an "outside" verdict is allowed, with a warning.
    assert any("utanför den kommunala kompetensen" in w.value for w in at.warning)


def test_bad_input_is_a_swedish_message_not_a_stack_trace(app: Callable[[], AppTest]) -> None:
    at = app()
    next(b for b in at.button if b.label == "Läs in remissen").click().run()
    assert "Ladda upp en fil eller klistra in" in at.error[0].value
    at.text_area[0].input("We propose that the council builds a new library in town. " * 20).run()
    next(b for b in at.button if b.label == "Läs in remissen").click().run()
    next(b for b in at.button if b.label == "Pröva kompetensen och föreslå ståndpunkt").click().run()
    assert not at.exception
    assert "svenska" in at.error[0].value


def test_password_login_when_configured(app: Callable[[], AppTest], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMISS_APP_PASSWORD", "hemligt")
    at = app()
    assert at.title[0].value == "Remissagenten" and not at.text_area  # nothing but the login form
    at.text_input[0].input("Anna")
    at.text_input[1].input("fel")
    at.button[0].click().run()
    assert "Fel namn eller lösenord" in at.error[0].value
    at.text_input[1].input("hemligt")
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value == "Nytt ärende"


def test_evaluation_page_shows_committed_reports_and_compares_runs(app: Callable[[], AppTest]) -> None:
    from agent.config import PROJECT_ROOT

    runs = sorted((PROJECT_ROOT / "evals" / "results").glob("*/report.json"))
    if len(runs) < 2:
        pytest.skip("needs two committed eval runs under evals/results/")
    at = app()
    at.switch_page("pages/utvardering.py").run()
    assert not at.exception, at.exception
    assert at.selectbox[0].options  # the runs are listed
    assert any("B − A" in str(df.value.columns.tolist()) for df in at.dataframe)
