"""`remiss app`: start the Streamlit web app with offline-safe flags."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from agent.accounts import Accounts
from agent.cli.output import console
from agent.config import PROJECT_ROOT, get_settings


def streamlit_command(port: int, host: str, script: Path | None = None) -> list[str]:
    """`streamlit run ui/app.py` (or `script`) with offline-safe flags (no usage statistics, no browser)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(script or PROJECT_ROOT / "ui" / "app.py"),
        "--server.port", str(port), "--server.address", host, "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--global.developmentMode", "false",
        "--client.toolbarMode", "minimal",
        "--client.showErrorDetails", "none",  # no stack trace in the browser; the server log has it
    ]  # fmt: skip


def _login_configured() -> bool:
    """Accounts exist, or OIDC is configured (an [auth] section in .streamlit/secrets.toml)."""
    places = (PROJECT_ROOT, Path.cwd(), Path.home())  # where Streamlit looks for .streamlit/secrets.toml
    for secrets in (place / ".streamlit" / "secrets.toml" for place in places):
        if secrets.is_file() and "[auth]" in secrets.read_text(encoding="utf-8", errors="replace"):
            return True
    return Accounts(get_settings().accounts_path).has_users()


def run_app(
    port: Annotated[int, typer.Option(help="Port")] = 8501,
    host: Annotated[
        str, typer.Option(help="Adress att lyssna på; 0.0.0.0 gör appen nåbar från andra datorer")
    ] = "127.0.0.1",
) -> None:
    """Starta webbappen (Streamlit) på http://127.0.0.1:8501 – utkast, jämförelser, utvärdering och källor."""
    if host not in ("127.0.0.1", "localhost") and not _login_configured():
        console.print(
            "[yellow]Obs:[/] appen blir nåbar från andra datorer utan inloggning. Skapa konton med "
            "`remiss user add NAMN` eller konfigurera OIDC (se README)."
        )
    console.print(f"Startar Remissagenten på http://{host}:{port} (avsluta med Ctrl+C) …")
    command = streamlit_command(port, host)
    os.execv(command[0], command)
