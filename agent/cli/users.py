"""`remiss user …`: the web app's user accounts (add, new password, remove, list)."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from agent.accounts import MIN_PASSWORD_CHARS, AccountError, Accounts, check_password, normalise_name
from agent.cli.output import console, fail, out
from agent.config import get_settings

users_app = typer.Typer(
    help="Hantera webbappens användarkonton. Finns minst ett konto kräver appen inloggning med namn och "
    "lösenord, och varje användare ser bara sina egna ärenden.",
    no_args_is_help=True,
)

NameArg = Annotated[
    str, typer.Argument(help="Användarnamnet (skiftläget spelar ingen roll)", show_default=False)
]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Läs lösenordet från första raden på standard in (för skript) i stället för att fråga.",
    ),
]


def _accounts() -> Accounts:
    return Accounts(get_settings().accounts_path)


def _checked(password: str) -> str:
    try:
        check_password(password)
    except AccountError as exc:
        raise fail(str(exc), 2) from exc
    return password


def _read_password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or asked twice without echo."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise fail("Inget lösenord på standard in.", 2)
        return _checked(line.rstrip("\r\n"))
    password = _checked(typer.prompt(f"Lösenord (minst {MIN_PASSWORD_CHARS} tecken)", hide_input=True))
    if typer.prompt("Upprepa lösenordet", hide_input=True) != password:
        raise fail("Lösenorden stämmer inte överens.", 2)
    return password


def _name(name: str, accounts: Accounts, should_exist: bool) -> str:
    """The normalised name, checked before a password is asked for."""
    try:
        norm = normalise_name(name)
    except AccountError as exc:
        raise fail(str(exc), 2) from exc
    if accounts.exists(norm) and not should_exist:
        raise fail(f"Det finns redan ett konto med namnet {norm}.", 2)
    if not accounts.exists(norm) and should_exist:
        raise fail(f"Det finns inget konto med namnet {norm}.", 2)
    return norm


@users_app.command("add")
def user_add(name: NameArg, password_stdin: PasswordStdin = False) -> None:
    """Skapa ett konto. Lösenordet efterfrågas två gånger (visas inte)."""
    accounts = _accounts()
    norm = _name(name, accounts, should_exist=False)
    try:
        accounts.add_user(norm, _read_password(password_stdin))
    except AccountError as exc:  # e.g. created meanwhile
        raise fail(str(exc), 2) from exc
    console.print(
        f"[green]Kontot {escape(norm)} är skapat.[/] Logga in i webbappen med namnet och lösenordet."
    )


@users_app.command("password")
def user_password(name: NameArg, password_stdin: PasswordStdin = False) -> None:
    """Ge ett konto ett nytt lösenord (och nollställ misslyckade inloggningsförsök)."""
    accounts = _accounts()
    norm = _name(name, accounts, should_exist=True)
    try:
        accounts.set_password(norm, _read_password(password_stdin))
    except AccountError as exc:
        raise fail(str(exc), 2) from exc
    console.print(f"[green]Nytt lösenord för {escape(norm)} är sparat.[/]")


@users_app.command("remove")
def user_remove(name: NameArg) -> None:
    """Ta bort ett konto. Ärendena sparas; ett nytt konto med samma namn kommer åt dem igen."""
    try:
        norm = _accounts().remove_user(name)
    except AccountError as exc:
        raise fail(str(exc), 2) from exc
    console.print(f"Kontot {escape(norm)} är borttaget.")


@users_app.command("list")
def user_list() -> None:
    """Visa alla konton (namn, när de skapades, senaste inloggning)."""
    users = _accounts().list_users()
    if not users:
        console.print(
            "Inga konton. Utan konton kräver webbappen ingen inloggning (skapa ett med remiss user add NAMN)."
        )
        return
    table = Table("Namn", "Skapat", "Lösenord bytt", "Senast inloggad")
    for user in users:
        table.add_row(escape(user.name), _when(user.created), _when(user.changed), _when(user.last_login))
    out.print(table)


def _when(at: float | None) -> str:
    return datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M") if at else "–"
