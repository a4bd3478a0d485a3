"""Options that several `remiss` commands share (one help text each)."""

from __future__ import annotations

from typing import Annotated

import typer

BackendOption = Annotated[
    str | None,
    typer.Option(help="local = den inbyggda modellen, openai = OpenAI/OpenAI-kompatibel server (OPENAI_*)"),
]
