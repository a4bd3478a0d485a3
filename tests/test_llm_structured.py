"""Structured answers: schemas derived from pydantic models, and reading the model's JSON with them."""

from __future__ import annotations

import json
from typing import Any, Literal

import jsonschema
import pytest
from fake_chat import FakeChat
from pydantic import BaseModel, Field

from agent.drafting.analysis import STANDPOINTS, StandpointAnswer, standpoint_answer
from agent.llm.local_model import LLMError
from agent.llm.structured import JsonAnswer, StrictSchema, ask_json, read_json_object


def legacy_standpoint_schema(n_sources: int) -> dict[str, Any]:
    """The schema `agent/drafting/analysis.py` built by hand before it was derived from a model."""
    return {
        "type": "object",
        "properties": {
            "standpunkt": {"type": "string", "enum": ["tillstyrker", "besvarad", "avstyrker"]},
            "stod": {"type": "array", "items": {"type": "integer", "enum": list(range(1, n_sources + 1))}},
        },
        "required": ["standpunkt", "stod"],
        "additionalProperties": False,
    }


# --- the schema sent to the model ---------------------------------------------------------------


@pytest.mark.parametrize("n_sources", range(1, 9))
def test_standpoint_schema_is_the_hand_built_one(n_sources: int) -> None:
    derived = standpoint_answer(n_sources).answer_schema()
    legacy = legacy_standpoint_schema(n_sources)
    assert derived == legacy
    assert json.dumps(derived, sort_keys=True) == json.dumps(legacy, sort_keys=True)
    assert list(derived["properties"]) == list(legacy["properties"])  # the order the grammar writes keys
    assert list(derived["required"]) == list(legacy["required"])


def test_standpoint_answer_types_are_cached() -> None:
    assert standpoint_answer(3) is standpoint_answer(3)
    assert standpoint_answer(3) is not standpoint_answer(4)
    assert issubclass(standpoint_answer(3), StandpointAnswer)


class _Example(JsonAnswer):
    """A docstring that must not reach the model."""

    zeta: str
    alpha: Literal["only"] = "only"
    numbers: list[int] = Field(default_factory=list)
    flag: bool = False


def test_strict_schema_form() -> None:
    """No titles, descriptions or defaults; every property required, in declaration order; no extras."""
    assert _Example.answer_schema() == {
        "type": "object",
        "properties": {
            "zeta": {"type": "string"},
            "alpha": {"type": "string", "enum": ["only"]},
            "numbers": {"type": "array", "items": {"type": "integer"}},
            "flag": {"type": "boolean"},
        },
        "required": ["zeta", "alpha", "numbers", "flag"],
        "additionalProperties": False,
    }
    assert list(_Example.answer_schema()["properties"]) == ["zeta", "alpha", "numbers", "flag"]


def test_strict_schema_generator_on_a_plain_model() -> None:
    class Plain(BaseModel):
        b: int
        a: str = "x"

    schema = Plain.model_json_schema(schema_generator=StrictSchema)
    assert schema == {
        "type": "object",
        "properties": {"b": {"type": "integer"}, "a": {"type": "string"}},
        "required": ["b", "a"],
        "additionalProperties": False,
    }


def test_answer_schema_is_a_valid_json_schema() -> None:
    for n in (1, 8):
        jsonschema.Draft202012Validator.check_schema(standpoint_answer(n).answer_schema())


# --- reading the answer -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "standpoint", "support"),
    [
        ({"standpunkt": "tillstyrker", "stod": [2, 1]}, "tillstyrker", [2, 1]),
        ({"standpunkt": "besvarad", "stod": []}, "besvarad", []),
        ({}, "avstyrker", []),  # missing fields: the old `.get` fallbacks
        ({"standpunkt": "kanske", "stod": [1]}, "avstyrker", [1]),  # unknown standpoint
        ({"standpunkt": None, "stod": "12"}, "avstyrker", []),  # not a list: no numbers
        (
            {"standpunkt": "besvarad", "stod": [0, 4, -1, "2", 2.0, 3]},
            "besvarad",
            [3],
        ),  # out of range, not int
        ({"standpunkt": "besvarad", "stod": [True, 1]}, "besvarad", [1, 1]),  # bool is an int (as before)
        ({"standpunkt": "besvarad", "stod": [1], "extra": "ignored"}, "besvarad", [1]),
    ],
)
def test_standpoint_answer_is_read_leniently(
    answer: dict[str, Any], standpoint: str, support: list[int]
) -> None:
    read = standpoint_answer(3).model_validate(answer)
    assert (read.standpunkt, read.stod) == (standpoint, support)
    assert read.standpunkt in STANDPOINTS


def test_fake_chat_answers_are_checked_against_the_schema() -> None:
    schema = standpoint_answer(2).answer_schema()
    jsonschema.validate({"standpunkt": "besvarad", "stod": [1, 2]}, schema)
    for wrong in (
        {"standpunkt": "kanske", "stod": []},
        {"standpunkt": "besvarad", "stod": [3]},
        {"standpunkt": "besvarad"},
        {"standpunkt": "besvarad", "stod": [], "extra": 1},
        {"standpunkt": "besvarad", "stod": [True]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wrong, schema)


def test_ask_json_sends_the_derived_schema_and_reads_the_answer() -> None:
    chat = FakeChat(standpoint="tillstyrker", support=[2, 5])
    messages = [{"role": "user", "content": "Vilken ståndpunkt?"}]
    answer = ask_json(chat, messages, standpoint_answer(3), max_tokens=60, name="standpunkt")
    assert isinstance(answer, StandpointAnswer)
    assert (answer.standpunkt, answer.stod) == ("tillstyrker", [2])  # the fake keeps to the enum
    assert chat.calls == [("standpunkt", messages)]


# --- the check every JSON answer gets -----------------------------------------------------------


def test_read_json_object() -> None:
    assert read_json_object('{"a": 1, "b": [2]}', ["a", "b"]) == {"a": 1, "b": [2]}
    assert read_json_object('{"a": 1}', []) == {"a": 1}
    with pytest.raises(LLMError, match=r"^Modellen gav inte giltig JSON \(Expecting value\): 'nej'$"):
        read_json_object("nej", ["a"])
    with pytest.raises(LLMError, match=r"^Modellen gav inte ett JSON-objekt: '\[1\]'$"):
        read_json_object("[1]", ["a"])
    with pytest.raises(LLMError, match=r"^Modellens JSON-svar saknar fälten b, c: "):
        read_json_object('{"a": 1}', ["a", "b", "c"])
    long = '{"text": "' + "x" * 500
    with pytest.raises(LLMError) as info:
        read_json_object(long, [])
    assert repr(long[:200]) in str(info.value)
