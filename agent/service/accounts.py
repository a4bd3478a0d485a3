"""What the app's login needs from the accounts (agent/accounts.py): is any account set up, log in.

The pages import this through `agent.service`; accounts are created with `remiss user add`.
"""

from __future__ import annotations

from pathlib import Path

from agent.accounts import AccountError, Accounts, TooManyAttempts, normalise_name
from agent.service.views import AppError


class AccountService:
    """The login of the web app's password mode, on the accounts file `path` (Settings.accounts_path)."""

    def __init__(self, path: Path) -> None:
        self.accounts = Accounts(path)

    def has_users(self) -> bool:
        """Whether the password mode is on (at least one account exists)."""
        return self.accounts.has_users()

    def exists(self, name: str) -> bool:
        """Whether the (normalised) name still has an account."""
        return self.accounts.exists(name)

    def login(self, name: str, password: str) -> str | None:
        """The normalised name when name and password match, else None. AppError (Swedish message) when
        the name has too many failed attempts."""
        try:
            if self.accounts.authenticate(name, password):
                return normalise_name(name)
        except TooManyAttempts as exc:
            raise AppError(str(exc)) from exc
        except AccountError:
            return None
        return None
