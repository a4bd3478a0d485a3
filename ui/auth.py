"""Who is working: the login, the logout, and the owner of the cases.

Three modes, chosen by the configuration:
- OIDC: an [auth] section in .streamlit/secrets.toml; Streamlit's `st.login` / `st.logout`.
- Accounts: at least one account in `accounts.sqlite` (`remiss user add NAMN`); name and password,
  checked by `agent.service.AccountService` (scrypt hashes, a limit on failed attempts).
- Neither: each browser has its own workspace, kept in the address (`?arbetsyta=<hex>`).
The shared password of earlier releases (REMISS_APP_PASSWORD) is refused with an explanation.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import streamlit as st

from agent.config import Settings
from agent.service import AccountService, AppError

LEGACY_PASSWORD_ENV = "REMISS_APP_PASSWORD"
USER_KEY = "user"

# oidc: st.login; accounts: name + password; legacy: REMISS_APP_PASSWORD without accounts (closed);
# open: no login, a workspace per browser.
Mode = Literal["oidc", "accounts", "legacy", "open"]


@st.cache_resource(show_spinner=False)
def _account_service(path: str) -> AccountService:
    return AccountService(Path(path))


def accounts() -> AccountService:
    return _account_service(str(Settings().accounts_path))


def owner() -> str:
    """The user: the logged-in name, or (without any login configured) this browser's own workspace,
    kept in the address. A page run without passing `login_gate` shows the login here and stops: defence
    in depth (the pages live in ui/views/, not pages/, so Streamlit does not serve them on their own)."""
    mode = _mode()
    if mode != "open":
        if not _authorised(mode):
            st.stop()
        return f"user:{st.session_state[USER_KEY]}"
    # The session remembers it across pages; the address keeps it across reloads and restarts.
    workspace = st.session_state.get("workspace") or st.query_params.get("arbetsyta")
    if not workspace or not re.fullmatch(r"[0-9a-f]{16}", workspace):
        workspace = secrets.token_hex(8)
    st.session_state["workspace"] = workspace
    if st.query_params.get("arbetsyta") != workspace:
        st.query_params["arbetsyta"] = workspace
    return f"ws:{workspace}"


def login_gate() -> bool:
    """True when the user may continue (the sidebar then shows who is logged in, with "Logga ut").
    False when the page shows the login, or the error of a shared password without accounts."""
    mode = _mode()
    if mode == "open":
        return True
    if not _authorised(mode):
        return False
    _logged_in_sidebar(_oidc_logout if mode == "oidc" else _logout)
    return True


def _mode() -> Mode:
    if _oidc_configured():
        return "oidc"
    if accounts().has_users():
        return "accounts"
    return "legacy" if os.environ.get(LEGACY_PASSWORD_ENV) else "open"


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all
        return False


def _authorised(mode: Mode) -> bool:
    """Whether this session's user may continue; if not, the page shows the login (or the error)."""
    if mode == "oidc":
        if not st.user.is_logged_in:
            st.title("Remissagenten")
            st.button("Logga in", on_click=st.login, type="primary")
            return False
        st.session_state[USER_KEY] = str(st.user.get("email") or st.user.get("name") or "okänd")
        return True
    if mode == "legacy":
        _legacy_password_page()
        return False
    user = st.session_state.get(USER_KEY)
    if user and accounts().exists(user):
        return True
    if user:  # the account was removed since the login
        _logout()
    _password_form(accounts())
    return False


def _password_form(service: AccountService) -> None:
    st.title("Remissagenten")
    with st.form("login"):
        name = st.text_input("Namn")
        given = st.text_input("Lösenord", type="password")
        if st.form_submit_button("Logga in", type="primary"):
            try:
                user = service.login(name, given)
            except AppError as exc:  # too many failed attempts
                st.error(str(exc))
            else:
                if user:
                    st.session_state[USER_KEY] = user
                    st.rerun()
                st.error("Fel namn eller lösenord.")


def _legacy_password_page() -> None:
    st.title("Remissagenten")
    st.error(
        "Inloggning med ett gemensamt lösenord (`REMISS_APP_PASSWORD`) stöds inte längre, så appen är "
        "stängd. Den som driftar Remissagenten behöver skapa ett konto per användare med "
        "`remiss user add NAMN` och sedan ta bort `REMISS_APP_PASSWORD`.",
        icon="🔒",
    )


def _logged_in_sidebar(logout: Callable[[], None]) -> None:
    with st.sidebar:
        st.caption(f"Inloggad som **{_md(str(st.session_state.get(USER_KEY, '')))}**")
        st.button("Logga ut", key="logout", on_click=logout)


def _logout() -> None:
    """Forget everything of this session (the next user of the browser starts afresh)."""
    st.session_state.clear()


def _oidc_logout() -> None:
    st.session_state.clear()
    st.logout()


def _md(text: str) -> str:
    """A name safe for st.markdown."""
    return re.sub(r"([\\`*_{}\[\]<>#+!|$~:])", r"\\\1", text)
