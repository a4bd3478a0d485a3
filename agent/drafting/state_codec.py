"""The drafting state as plain JSON, for the conversation's checkpoints (agent/drafting/graph.py).

A checkpoint holds only JSON values (dicts, lists, strings, numbers), never pickled classes: a stored
case stays readable when the drafting classes gain a field (pydantic fills the default), and a state
that no longer fits the classes fails with `StateFormatError` (a Swedish message) instead of loading
wrongly. pydantic's `TypeAdapter` does the work for the stdlib dataclasses as they are.

    data = dump_state(state)          # dict of JSON values
    state = load_state(data)          # DraftState, equal to the one dumped
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from agent.drafting.pipeline import DraftState

# Bumped when a change to DraftState cannot be read from older checkpoints by pydantic's defaults.
STATE_FORMAT = 1


class StateFormatError(ValueError):
    """A stored drafting state that this version of Remissagenten cannot read (Swedish message)."""


@cache
def _adapter() -> TypeAdapter[DraftState]:
    return TypeAdapter(DraftState)


def dump_state(state: DraftState) -> dict[str, Any]:
    return {"format": STATE_FORMAT, "state": _adapter().dump_python(state, mode="json")}


def load_state(data: dict[str, Any]) -> DraftState:
    if data.get("format") != STATE_FORMAT:
        raise StateFormatError(
            f"Utkastets underlag är sparat i format {data.get('format')!r}, men den här versionen av "
            f"Remissagenten läser format {STATE_FORMAT}."
        )
    try:
        return _adapter().validate_python(data["state"])
    except (ValidationError, KeyError) as exc:
        raise StateFormatError(
            "Utkastets underlag kunde inte läsas med den här versionen av Remissagenten."
        ) from exc
