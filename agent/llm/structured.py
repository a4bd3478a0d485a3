"""Structured answers: pydantic models that describe a JSON answer and read it.

A `JsonAnswer` subclass is both the JSON schema sent with a question (`answer_schema()`) and the
reader of the answer (`ask_json` validates the answer with it). The schema is generated in the
strict form that OpenAI's json_schema mode requires and that llama.cpp turns into a grammar: no
titles, descriptions of the model class or defaults; every property required; no additional
properties; a single allowed value written as an `enum` of one. Defaults and validators on a model
only make *reading* lenient (the caller's fallbacks); they never loosen what the model is asked for.

`read_json_object` is the check every JSON answer gets whatever its schema
(`ChatBackend.complete_json`, which takes the schema as a plain dict).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from agent.llm.local_model import LLMError

if TYPE_CHECKING:
    from agent.llm.backends import ChatModel

AnswerT = TypeVar("AnswerT", bound="JsonAnswer")


class StrictSchema(GenerateJsonSchema):
    """Pydantic's JSON schema in the strict form a constrained model answer needs (see the module)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def literal_schema(self, schema: core_schema.LiteralSchema) -> JsonSchemaValue:
        result = super().literal_schema(schema)
        if "const" in result:
            result = {"enum": [result.pop("const")], **result}
        return result

    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        result = super().model_schema(schema)
        result.pop("title", None)
        result.pop("description", None)
        result["required"] = list(result.get("properties", {}))
        result["additionalProperties"] = False
        return result


class JsonAnswer(BaseModel):
    """Base of the models that describe and read a chat model's JSON answer."""

    model_config = ConfigDict(frozen=True)

    @classmethod
    def answer_schema(cls) -> dict[str, Any]:
        """The JSON schema sent with the question (strict form, see the module)."""
        return cls.model_json_schema(schema_generator=StrictSchema)


def ask_json(
    chat: ChatModel,
    messages: list[dict[str, Any]],
    answer_type: type[AnswerT],
    *,
    max_tokens: int,
    name: str = "svar",
) -> AnswerT:
    """Ask `chat` for a JSON answer under `answer_type`'s schema and read the answer with that model."""
    data = chat.complete_json(messages, answer_type.answer_schema(), max_tokens=max_tokens, name=name)
    return answer_type.model_validate(data)


def read_json_object(content: str, required: Iterable[str]) -> dict[str, Any]:
    """`content` as a JSON object that has every `required` top-level field, else `LLMError`."""
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        raise LLMError(f"Modellen gav inte giltig JSON ({exc.msg}): {content[:200]!r}") from None
    if not isinstance(data, dict):
        raise LLMError(f"Modellen gav inte ett JSON-objekt: {content[:200]!r}")
    missing = [key for key in required if key not in data]
    if missing:
        raise LLMError(f"Modellens JSON-svar saknar fälten {', '.join(missing)}: {content[:200]!r}")
    return data
