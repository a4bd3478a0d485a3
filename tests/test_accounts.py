"""The web app's user accounts (agent/accounts.py): hashing, the login limit, names, `remiss user …`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from agent.accounts import (
    MAX_FAILURES,
    WINDOW_SECONDS,
    AccountError,
    Accounts,
    TooManyAttempts,
    hash_password,
    normalise_name,
    verify_password,
)
from agent.cli import app
from agent.config import Settings, get_settings
from agent.service import AccountService, AppError

PASSWORD = "korrekt häst batteri"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(tmp_path: Path, clock: Clock) -> Accounts:
    return Accounts(tmp_path / "accounts.sqlite", clock=clock)


def stored_hashes(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT name, password FROM users"))


# --------------------------------------------------------------------------- hashing


def test_passwords_are_stored_as_salted_scrypt_hashes(accounts: Accounts) -> None:
    accounts.add_user("Anna", PASSWORD)
    accounts.add_user("Bertil", PASSWORD)
    hashes = stored_hashes(accounts.path)
    assert set(hashes) == {"anna", "bertil"}
    for stored in hashes.values():
        assert PASSWORD not in stored and PASSWORD.encode().hex() not in stored
        scheme, n, r, p, salt, key = stored.split("$")
        assert (scheme, int(n), int(r), int(p)) == ("scrypt", 2**14, 8, 1)
        assert len(bytes.fromhex(salt)) == 16 and len(bytes.fromhex(key)) == 32
    assert hashes["anna"] != hashes["bertil"]  # the same password, different salts
    assert hashes["anna"].split("$")[4] != hashes["bertil"].split("$")[4]


def test_verify_password() -> None:
    stored = hash_password(PASSWORD)
    assert verify_password(PASSWORD, stored)
    assert not verify_password(PASSWORD + "x", stored)
    assert not verify_password(PASSWORD, "inte en hash")
    assert hash_password(PASSWORD) != stored


def test_authenticate(accounts: Accounts) -> None:
    accounts.add_user("Anna", PASSWORD)
    assert accounts.authenticate("anna", PASSWORD)
    assert accounts.authenticate("  ANNA ", PASSWORD)  # the name is normalised
    assert not accounts.authenticate("anna", "fel lösenord!")
    assert not accounts.authenticate("bertil", PASSWORD)  # no such account
    assert not accounts.authenticate("", PASSWORD)
    assert not accounts.authenticate("anna\x00", PASSWORD)


def test_older_parameters_are_rehashed_on_login(accounts: Accounts) -> None:
    accounts.add_user("anna", PASSWORD)
    with sqlite3.connect(accounts.path) as db:
        db.execute("UPDATE users SET password = ?", (hash_password(PASSWORD, n=2**12),))
    assert accounts.authenticate("anna", PASSWORD)
    assert stored_hashes(accounts.path)["anna"].split("$")[1] == str(2**14)
    assert accounts.authenticate("anna", PASSWORD)


def test_list_never_returns_hashes(accounts: Accounts, clock: Clock) -> None:
    accounts.add_user("Bertil", PASSWORD)
    accounts.add_user("anna", PASSWORD)
    clock.now += 60
    accounts.authenticate("anna", PASSWORD)
    users = accounts.list_users()
    assert [u.name for u in users] == ["anna", "bertil"]
    assert users[0].last_login == clock.now and users[1].last_login is None
    assert not any("scrypt" in str(value) for u in users for value in vars(u).values())


def test_add_set_and_remove(accounts: Accounts) -> None:
    assert not accounts.has_users()
    assert accounts.add_user(" Anna ", PASSWORD) == "anna"
    assert accounts.has_users() and accounts.exists("ANNA")
    with pytest.raises(AccountError, match="finns redan"):
        accounts.add_user("anna", PASSWORD)
    with pytest.raises(AccountError, match="minst 10 tecken"):
        accounts.add_user("bertil", "kort")
    accounts.set_password("Anna", "ett nytt lösenord")
    assert not accounts.authenticate("anna", PASSWORD)
    assert accounts.authenticate("anna", "ett nytt lösenord")
    with pytest.raises(AccountError, match="inget konto"):
        accounts.set_password("bertil", PASSWORD)
    with pytest.raises(AccountError, match="minst 10 tecken"):
        accounts.set_password("anna", "123456789")
    assert accounts.remove_user("ANNA") == "anna"
    assert not accounts.has_users() and not accounts.authenticate("anna", "ett nytt lösenord")
    with pytest.raises(AccountError, match="inget konto"):
        accounts.remove_user("anna")


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("given", "expected"),
    [("Anna", "anna"), ("  Anna Svensson\t", "anna svensson"), ("ÅSA", "åsa"), ("Straße", "strasse")],
)
def test_names_are_normalised(given: str, expected: str) -> None:
    assert normalise_name(given) == expected


def test_composed_and_decomposed_names_are_the_same() -> None:
    assert normalise_name("A\u030asa") == normalise_name("Åsa") == "åsa"


@pytest.mark.parametrize("bad", ["", "   ", "x" * 65, "anna\nbertil", "anna\x1b[31m", "an\u200bna"])
def test_bad_names_are_refused(bad: str, accounts: Accounts) -> None:
    with pytest.raises(AccountError):
        normalise_name(bad)
    with pytest.raises(AccountError):
        accounts.add_user(bad, PASSWORD)


def test_a_name_of_64_characters_is_fine() -> None:
    assert normalise_name("x" * 64) == "x" * 64


# --------------------------------------------------------------------------- the login limit


def test_too_many_failures_lock_the_name_until_the_window_passes(accounts: Accounts, clock: Clock) -> None:
    accounts.add_user("anna", PASSWORD)
    accounts.add_user("bertil", PASSWORD)
    for _ in range(MAX_FAILURES):
        clock.now += 10
        assert not accounts.authenticate("anna", "fel lösenord!")
    first_failure = clock.now - 10 * (MAX_FAILURES - 1)
    with pytest.raises(TooManyAttempts) as refused:
        accounts.authenticate("Anna", PASSWORD)  # the right password, but not even checked
    assert refused.value.retry_after == pytest.approx(first_failure + WINDOW_SECONDS - clock.now)
    assert str(refused.value) == "För många misslyckade försök. Försök igen om 15 minuter."
    assert accounts.authenticate("bertil", PASSWORD)  # per name
    clock.now = first_failure + WINDOW_SECONDS - 30
    with pytest.raises(TooManyAttempts, match="Försök igen om 1 minut\\."):
        accounts.authenticate("anna", PASSWORD)
    clock.now = first_failure + WINDOW_SECONDS + 1  # the oldest failure is out of the window
    assert accounts.authenticate("anna", PASSWORD)
    # … and the success cleared the failures: five new ones are needed to lock again
    for _ in range(MAX_FAILURES - 1):
        assert not accounts.authenticate("anna", "fel lösenord!")
    assert accounts.authenticate("anna", PASSWORD)


def test_refused_attempts_do_not_extend_the_lock(accounts: Accounts, clock: Clock) -> None:
    accounts.add_user("anna", PASSWORD)
    for _ in range(MAX_FAILURES):
        accounts.authenticate("anna", "fel lösenord!")
    for _ in range(10):
        clock.now += 60
        with pytest.raises(TooManyAttempts):
            accounts.authenticate("anna", "fel lösenord!")
    clock.now += WINDOW_SECONDS - 10 * 60 + 1
    assert accounts.authenticate("anna", PASSWORD)


def test_unknown_names_are_limited_too(accounts: Accounts) -> None:
    for _ in range(MAX_FAILURES):
        assert not accounts.authenticate("ingen", PASSWORD)
    with pytest.raises(TooManyAttempts):
        accounts.authenticate("ingen", PASSWORD)


def test_a_new_password_clears_the_lock(accounts: Accounts) -> None:
    accounts.add_user("anna", PASSWORD)
    for _ in range(MAX_FAILURES):
        accounts.authenticate("anna", "fel lösenord!")
    accounts.set_password("anna", "ett nytt lösenord")
    assert accounts.authenticate("anna", "ett nytt lösenord")


def test_the_service_login(tmp_path: Path) -> None:
    service = AccountService(tmp_path / "accounts.sqlite")
    assert not service.has_users()
    service.accounts.add_user("Anna", PASSWORD)
    assert service.has_users() and service.exists("anna") and not service.exists("bertil")
    assert service.login(" ANNA", PASSWORD) == "anna"
    assert service.login("anna", "fel lösenord!") is None
    assert service.login("\x00", PASSWORD) is None
    for _ in range(MAX_FAILURES - 1):
        service.login("anna", "fel lösenord!")
    with pytest.raises(AppError, match="För många misslyckade försök"):
        service.login("anna", PASSWORD)


def test_settings_path(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).accounts_path == tmp_path / "accounts.sqlite"


# --------------------------------------------------------------------------- remiss user …


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Result]:
    """`cli(*args, input=…)` runs `remiss ARGS` in-process against a fresh data folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REMISS_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        get_settings.cache_clear()
        try:
            return runner.invoke(app, list(args), input=input)
        finally:
            get_settings.cache_clear()

    return run


def cli_accounts(tmp_path: Path) -> Accounts:
    return Accounts(tmp_path / "data" / "accounts.sqlite")


def test_cli_add_list_password_remove(cli: Callable[..., Result], tmp_path: Path) -> None:
    result = cli("user", "add", "Anna", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Kontot anna är skapat" in result.output
    assert PASSWORD not in result.output  # hidden input
    result = cli("user", "add", "bertil", "--password-stdin", input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert cli_accounts(tmp_path).authenticate("anna", PASSWORD)
    assert cli_accounts(tmp_path).authenticate("bertil", PASSWORD)

    result = cli("user", "list")
    assert result.exit_code == 0, result.output
    assert "anna" in result.stdout and "bertil" in result.stdout and "scrypt" not in result.stdout

    result = cli("user", "password", "ANNA", input="ett nytt lösenord\nett nytt lösenord\n")
    assert result.exit_code == 0, result.output
    assert cli_accounts(tmp_path).authenticate("anna", "ett nytt lösenord")
    assert not cli_accounts(tmp_path).authenticate("anna", PASSWORD)

    result = cli("user", "remove", "anna")
    assert result.exit_code == 0, result.output
    assert [u.name for u in cli_accounts(tmp_path).list_users()] == ["bertil"]


@pytest.mark.parametrize(
    ("args", "input", "message"),
    [
        (["add", "anna"], "kort\n", "minst 10 tecken"),
        (["add", "anna"], f"{PASSWORD}\nannat lösenord\n", "stämmer inte överens"),
        (["add", "anna", "--password-stdin"], "", "Inget lösenord"),
        (["add", "anna", "--password-stdin"], "kort\n", "minst 10 tecken"),
        (["add", "[red]x\x07"], f"{PASSWORD}\n{PASSWORD}\n", "kontrolltecken"),
        (["add", "x" * 65], None, "högst 64 tecken"),
        (["password", "ingen"], None, "inget konto"),
        (["remove", "ingen"], None, "inget konto"),
    ],
)
def test_cli_bad_input_exits_with_2(
    cli: Callable[..., Result], tmp_path: Path, args: list[str], input: str | None, message: str
) -> None:
    result = cli("user", *args, input=input)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not cli_accounts(tmp_path).has_users()


def test_cli_add_twice_and_markup_in_names(cli: Callable[..., Result], tmp_path: Path) -> None:
    name = "[bold]anna[/bold]"
    result = cli("user", "add", name, "--password-stdin", input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert name in result.output  # printed as text, not as markup
    result = cli("user", "add", name.upper(), "--password-stdin", input=f"{PASSWORD}\n")
    assert result.exit_code == 2 and "finns redan" in result.output
    assert name in cli("user", "list").stdout


def test_cli_list_without_accounts(cli: Callable[..., Result]) -> None:
    result = cli("user", "list")
    assert result.exit_code == 0 and "Inga konton" in result.output


def test_cli_help_is_swedish(cli: Callable[..., Result]) -> None:
    result = cli("user", "--help")
    assert result.exit_code == 0
    assert "användarkonton" in result.output
    for command in ("add", "password", "remove", "list"):
        assert command in result.output


def test_remiss_app_warns_about_an_open_network_app_until_an_account_exists(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr("agent.cli.webapp.os.execv", lambda _exe, command: started.append(command))
    monkeypatch.setattr("agent.cli.webapp.Path.home", lambda: tmp_path)
    result = cli("app", "--host", "0.0.0.0")
    assert result.exit_code == 0 and "utan inloggning" in result.output and started
    cli("user", "add", "anna", "--password-stdin", input=f"{PASSWORD}\n")
    result = cli("app", "--host", "0.0.0.0")
    assert result.exit_code == 0 and "utan inloggning" not in result.output and len(started) == 2
