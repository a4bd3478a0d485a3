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

from agent.accounts import Accounts
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
        ("views/jamfor.py", "Jämför utkast"),
        ("views/utvardering.py", "Utvärdering"),
        ("views/kallor.py", "Källor"),
        ("views/installningar.py", "Inställningar"),
    ]:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert at.title[0].value == title
        if page == "views/kallor.py":  # the ansvarsatlas, each entry with its legal basis
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
    at.switch_page("views/jamfor.py").run()
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


def test_a_correction_of_what_was_read_keeps_the_earlier_version(app: Callable[[], AppTest]) -> None:
    at = app()
    at.text_area[0].input(MOTION).run()
    next(b for b in at.button if b.label == "Läs in remissen").click().run()
    read_title = at.title[0].value
    assert not any(e.label.startswith("Tidigare versioner") for e in at.expander)
    next(t for t in at.text_input if t.label == "Titel").input("Motion om ett rättat namn")
    next(b for b in at.button if b.label == "Spara rättelser").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Motion om ett rättat namn"
    history = next(e for e in at.expander if e.label.startswith("Tidigare versioner"))
    assert history.label.endswith("(1)") and read_title in "\n".join(m.value for m in history.markdown)


def test_bad_input_is_a_swedish_message_not_a_stack_trace(app: Callable[[], AppTest]) -> None:
    at = app()
    next(b for b in at.button if b.label == "Läs in remissen").click().run()
    assert "Ladda upp en fil eller klistra in" in at.error[0].value
    at.text_area[0].input("We propose that the council builds a new library in town. " * 20).run()
    next(b for b in at.button if b.label == "Läs in remissen").click().run()
    next(b for b in at.button if b.label == "Pröva kompetensen och föreslå ståndpunkt").click().run()
    assert not at.exception
    assert "svenska" in at.error[0].value


PASSWORD = "korrekt häst batteri"


def add_accounts(*names: str) -> None:
    """Accounts in the app's data folder (the `app` fixture has set REMISS_DATA_DIR)."""
    accounts = Accounts(Settings().accounts_path)
    for name in names:
        accounts.add_user(name, PASSWORD)


def log_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def assert_login_form_only(at: AppTest) -> None:
    assert [t.value for t in at.title] == ["Remissagenten"]
    assert [t.label for t in at.text_input] == ["Namn", "Lösenord"]
    assert [b.label for b in at.button] == ["Logga in"]
    assert not at.text_area and not at.sidebar.button and not at.sidebar.markdown


def test_password_login_with_accounts(app: Callable[[], AppTest]) -> None:
    add_accounts("Anna", "bertil")
    at = app()
    assert_login_form_only(at)  # nothing but the login form
    log_in(at, "anna", "fel lösenord!")
    assert [e.value for e in at.error] == ["Fel namn eller lösenord."]
    assert_login_form_only(at)
    log_in(at, "cecilia", PASSWORD)  # no such account
    assert [e.value for e in at.error] == ["Fel namn eller lösenord."]
    log_in(at, " ANNA ", PASSWORD)
    assert not at.error
    assert at.title[0].value == "Nytt ärende"
    assert at.session_state["user"] == "anna"
    assert any("Inloggad som **anna**" in c.value for c in at.sidebar.caption)
    at.button(key="logout").click().run()  # "Logga ut" returns to the form
    assert not at.exception, at.exception
    assert "user" not in at.session_state
    assert_login_form_only(at)
    log_in(at, "bertil", PASSWORD)
    assert at.session_state["user"] == "bertil"
    at.switch_page("views/installningar.py").run()  # the login holds across pages
    assert not at.exception and at.title[0].value == "Inställningar"


def test_a_page_reached_without_the_app_asks_for_the_login(app: Callable[[], AppTest]) -> None:
    """A page run without ui/app.py (as Streamlit would serve a pages/ folder) asks for the login itself."""
    add_accounts("anna")
    for page in ("utkast", "jamfor", "installningar"):
        at = AppTest.from_file(str(Path(APP).parent / "views" / f"{page}.py"), default_timeout=60).run()
        assert not at.exception, at.exception
        assert_login_form_only(at)
        log_in(at, "anna", PASSWORD)
        assert at.title[0].value != "Remissagenten", page


def test_too_many_failed_logins_are_refused(app: Callable[[], AppTest]) -> None:
    add_accounts("anna")
    at = app()
    for _ in range(5):
        log_in(at, "anna", "fel lösenord!")
    log_in(at, "anna", PASSWORD)  # the right password, refused
    assert [e.value for e in at.error] == ["För många misslyckade försök. Försök igen om 15 minuter."]
    assert_login_form_only(at)


def test_users_do_not_see_each_others_cases(app: Callable[[], AppTest]) -> None:
    from ui.common import get_service

    add_accounts("anna", "bertil")
    anna = log_in(app(), "anna", PASSWORD)
    anna.text_area[0].input(MOTION).run()
    next(b for b in anna.button if b.label == "Läs in remissen").click().run()
    assert not anna.exception, anna.exception
    case_buttons = [b for b in anna.sidebar.button if b.key and b.key.startswith("case-")]
    assert len(case_buttons) == 1
    assert get_service().cases("user:anna")[0].id == case_buttons[0].key.removeprefix("case-")

    bertil = log_in(app(), "bertil", PASSWORD)
    assert bertil.title[0].value == "Nytt ärende"
    assert not [b for b in bertil.sidebar.button if b.key and b.key.startswith("case-")]
    assert get_service().cases("user:bertil") == []
    # Not even with the case's address.
    bertil.query_params["arende"] = case_buttons[0].key.removeprefix("case-")
    bertil.run()
    assert bertil.title[0].value == "Nytt ärende"


def test_a_removed_account_is_logged_out(app: Callable[[], AppTest]) -> None:
    add_accounts("anna", "bertil")
    at = log_in(app(), "anna", PASSWORD)
    assert at.title[0].value == "Nytt ärende"
    Accounts(Settings().accounts_path).remove_user("anna")
    at.run()
    assert_login_form_only(at)


def test_the_shared_password_without_accounts_lets_no_one_in(
    app: Callable[[], AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMISS_APP_PASSWORD", "hemligt")
    at = app()
    assert [t.value for t in at.title] == ["Remissagenten"]
    assert "stöds inte längre" in at.error[0].value and "remiss user add NAMN" in at.error[0].value
    assert not at.text_input and not at.text_area and not at.button and not at.sidebar.button
    at.query_params["arbetsyta"] = "0123456789abcdef"
    at.run()
    assert not at.text_area and not at.button


def test_without_login_each_browser_has_its_own_workspace(app: Callable[[], AppTest]) -> None:
    at = app()
    assert at.title[0].value == "Nytt ärende"
    assert at.query_params["arbetsyta"] == at.session_state["workspace"]
    assert not [b for b in at.sidebar.button if b.label == "Logga ut"]


def test_evaluation_page_shows_committed_reports_and_compares_runs(app: Callable[[], AppTest]) -> None:
    from agent.config import PROJECT_ROOT

    runs = sorted((PROJECT_ROOT / "evals" / "results").glob("*/report.json"))
    if len(runs) < 2:
        pytest.skip("needs two committed eval runs under evals/results/")
    at = app()
    at.switch_page("views/utvardering.py").run()
    assert not at.exception, at.exception
    assert at.selectbox[0].options  # the runs are listed
    assert any("B − A" in str(df.value.columns.tolist()) for df in at.dataframe)
