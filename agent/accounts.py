"""The web app's user accounts: names, scrypt password hashes and a limit on failed logins.

One SQLite file (`Settings().accounts_path`, WAL mode); every call opens its own short connection, so
Streamlit's threads never share one. Passwords are hashed with the standard library's `hashlib.scrypt`
(a random 16-byte salt per user); the parameters are stored with each hash, so they can be raised later
(a login with older parameters rehashes the password). Hashes never leave this module.

Failed logins are recorded per user name (also for names without an account, so the answer does not
tell which names exist). After `MAX_FAILURES` failures within `WINDOW_SECONDS`, further attempts for
that name are refused without checking the password (`TooManyAttempts`) until the window has passed.
A successful login clears the name's failures. Accounts are managed with `remiss user …`
(agent/cli/users.py); the app logs in through `agent.service.AccountService`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import math
import secrets
import sqlite3
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, password TEXT NOT NULL, created REAL NOT NULL, changed REAL NOT NULL,
    last_login REAL
);
CREATE TABLE IF NOT EXISTS failures (name TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_name ON failures(name, at);
"""

MAX_NAME_CHARS = 64
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60

# scrypt cost: n (CPU/memory), r (block size), p (parallelism); 2**14, 8, 1 needs 16 MiB and ~50 ms.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_MAXMEM = 256 * 1024 * 1024  # room for raised parameters (OpenSSL's default allows 32 MiB)
SALT_BYTES = 16
KEY_BYTES = 32


class AccountError(ValueError):
    """A bad name or password, or an account that does (not) exist (Swedish message)."""


class TooManyAttempts(AccountError):
    """Too many failed logins for this name; `retry_after` seconds until the next attempt is checked."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        minutes = max(1, math.ceil(retry_after / 60))
        unit = "minut" if minutes == 1 else "minuter"
        super().__init__(f"För många misslyckade försök. Försök igen om {minutes} {unit}.")


@dataclass(frozen=True)
class UserInfo:
    """An account as listed (never the hash)."""

    name: str
    created: float
    changed: float  # when the password was last set
    last_login: float | None


def normalise_name(name: str) -> str:
    """The account name as stored: NFKC, surrounding space removed, case folded; AccountError if invalid."""
    norm = unicodedata.normalize("NFKC", name).strip().casefold()
    if not norm:
        raise AccountError("Namnet får inte vara tomt.")
    if len(norm) > MAX_NAME_CHARS:
        raise AccountError(f"Namnet får vara högst {MAX_NAME_CHARS} tecken.")
    if any(unicodedata.category(ch).startswith("C") for ch in norm):
        raise AccountError("Namnet får inte innehålla kontrolltecken eller osynliga tecken.")
    return norm


def check_password(password: str) -> None:
    """AccountError unless the password is long enough (and not absurdly long)."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"Lösenordet måste vara minst {MIN_PASSWORD_CHARS} tecken.")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"Lösenordet får vara högst {MAX_PASSWORD_CHARS} tecken.")


def hash_password(password: str, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """`scrypt$n$r$p$salt$key` (salt and key in hex), with a new random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, n, r, p, KEY_BYTES)
    return f"scrypt${n}${r}${p}${salt.hex()}${key.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches a `hash_password` result (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        expected = bytes.fromhex(key)
        params = int(n), int(r), int(p)
        salt_bytes = bytes.fromhex(salt)
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    return hmac.compare_digest(_scrypt(password, salt_bytes, *params, len(expected)), expected)


def _current(stored: str) -> bool:
    return stored.split("$")[1:4] == [str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P)]


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=dklen)


# Compared against when the name has no account, so an unknown name takes as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_hex(16))


class Accounts:
    """The accounts in one SQLite file. `clock` (seconds, like time.time) is replaceable for tests."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:
                yield db
        finally:
            db.close()

    # ----------------------------------------------------------------------- managing accounts

    def add_user(self, name: str, password: str) -> str:
        """Create an account; returns the normalised name."""
        norm = normalise_name(name)
        check_password(password)
        stored = hash_password(password)
        now = self.clock()
        try:
            with self._db() as db:
                db.execute(
                    "INSERT INTO users (name, password, created, changed) VALUES (?, ?, ?, ?)",
                    (norm, stored, now, now),
                )
                db.execute("DELETE FROM failures WHERE name = ?", (norm,))
        except sqlite3.IntegrityError:
            raise AccountError(f"Det finns redan ett konto med namnet {norm}.") from None
        return norm

    def set_password(self, name: str, password: str) -> str:
        """Give an existing account a new password (and clear its failed logins)."""
        norm = normalise_name(name)
        check_password(password)
        stored = hash_password(password)
        with self._db() as db:
            cur = db.execute(
                "UPDATE users SET password = ?, changed = ? WHERE name = ?", (stored, self.clock(), norm)
            )
            db.execute("DELETE FROM failures WHERE name = ?", (norm,))
        if cur.rowcount == 0:
            raise AccountError(f"Det finns inget konto med namnet {norm}.")
        return norm

    def remove_user(self, name: str) -> str:
        norm = normalise_name(name)
        with self._db() as db:
            cur = db.execute("DELETE FROM users WHERE name = ?", (norm,))
            db.execute("DELETE FROM failures WHERE name = ?", (norm,))
        if cur.rowcount == 0:
            raise AccountError(f"Det finns inget konto med namnet {norm}.")
        return norm

    def list_users(self) -> list[UserInfo]:
        with self._db() as db:
            rows = db.execute("SELECT name, created, changed, last_login FROM users ORDER BY name").fetchall()
        return [UserInfo(*row) for row in rows]

    def has_users(self) -> bool:
        with self._db() as db:
            return db.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def exists(self, name: str) -> bool:
        try:
            norm = normalise_name(name)
        except AccountError:
            return False
        with self._db() as db:
            return db.execute("SELECT 1 FROM users WHERE name = ?", (norm,)).fetchone() is not None

    # ----------------------------------------------------------------------- logging in

    def authenticate(self, name: str, password: str) -> bool:
        """True when the name has an account and this password. TooManyAttempts (without checking the
        password) after MAX_FAILURES failures for the name within WINDOW_SECONDS."""
        try:
            norm = normalise_name(name)
        except AccountError:
            return False
        now = self.clock()
        with self._db() as db:
            recent = [
                at
                for (at,) in db.execute(
                    "SELECT at FROM failures WHERE name = ? AND at > ? ORDER BY at DESC",
                    (norm, now - WINDOW_SECONDS),
                )
            ]
            row = db.execute("SELECT password FROM users WHERE name = ?", (norm,)).fetchone()
        if len(recent) >= MAX_FAILURES:
            raise TooManyAttempts(recent[MAX_FAILURES - 1] + WINDOW_SECONDS - now)
        stored = row[0] if row else _DUMMY_HASH
        if row is not None and verify_password(password, stored):
            self._succeeded(norm, password, stored, now)
            return True
        if row is None:
            verify_password(password, stored)  # the same work as for a wrong password
        self._failed(norm, now)
        return False

    def _succeeded(self, norm: str, password: str, stored: str, now: float) -> None:
        rehashed = None if _current(stored) else hash_password(password)  # older parameters: today's
        with self._db() as db:
            db.execute("DELETE FROM failures WHERE name = ?", (norm,))
            db.execute("UPDATE users SET last_login = ? WHERE name = ?", (now, norm))
            if rehashed is not None:
                db.execute("UPDATE users SET password = ? WHERE name = ?", (rehashed, norm))

    def _failed(self, norm: str, now: float) -> None:
        with self._db() as db:
            db.execute("DELETE FROM failures WHERE at <= ?", (now - WINDOW_SECONDS,))  # keep the table small
            db.execute("INSERT INTO failures (name, at) VALUES (?, ?)", (norm, now))
