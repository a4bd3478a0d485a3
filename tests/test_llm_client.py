"""`ChatBackend.complete_json` and `stream` against a fake OpenAI client (no server, no network)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx
import openai
import pytest

from agent.llm.backends import ChatBackend
from agent.llm.local_model import LLMError

SCHEMA = {
    "type": "object",
    "properties": {"svar": {"type": "string", "enum": ["ja", "nej"]}},
    "required": ["svar"],
    "additionalProperties": False,
}
MESSAGES = [{"role": "user", "content": "Ja eller nej?"}]


def reply(content: str, finish_reason: str = "stop") -> Any:
    message = SimpleNamespace(content=content)
    return SimpleNamespace(choices=[SimpleNamespace(message=message, finish_reason=finish_reason)])


def chunk(text: str | None, finish_reason: str | None = None) -> Any:
    choice = SimpleNamespace(delta=SimpleNamespace(content=text), finish_reason=finish_reason)
    return SimpleNamespace(choices=[choice])


class FakeStream(list):  # type: ignore[type-arg]
    closed = False

    def close(self) -> None:
        self.closed = True


class FakeCompletions:
    def __init__(self, *replies: Any) -> None:
        self.replies = list(replies)
        self.calls: list[dict[str, Any]] = []

    def create(self, **kw: Any) -> Any:
        self.calls.append(kw)
        answer = self.replies.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def backend(kind: str, *replies: Any) -> tuple[ChatBackend, FakeCompletions]:
    chat = ChatBackend(base_url="http://127.0.0.1:9/v1", api_key="k", model="m", kind=kind)  # type: ignore[arg-type]
    completions = FakeCompletions(*replies)
    chat._client = SimpleNamespace(chat=SimpleNamespace(completions=completions), close=lambda: None)
    return chat, completions


def rejected_json_schema() -> openai.APIStatusError:
    request = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    return openai.InternalServerError(
        "Input should be 'text' or 'json_object' (json_schema)",
        response=httpx.Response(500, request=request),
        body=None,
    )


def test_local_uses_json_object_with_schema() -> None:
    chat, completions = backend("local", reply('{"svar": "ja"}'))
    assert chat.complete_json(MESSAGES, SCHEMA, 20) == {"svar": "ja"}
    (call,) = completions.calls
    assert call["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert (call["model"], call["max_tokens"], call["temperature"]) == ("m", 20, 0.0)


def test_openai_uses_strict_json_schema() -> None:
    chat, completions = backend("openai", reply('{"svar": "nej"}'))
    assert chat.complete_json(MESSAGES, SCHEMA, 20, name="bedomning") == {"svar": "nej"}
    assert completions.calls[0]["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "bedomning", "schema": SCHEMA, "strict": True},
    }


def test_openai_falls_back_to_json_object_once_and_remembers() -> None:
    chat, completions = backend(
        "openai", rejected_json_schema(), reply('{"svar": "ja"}'), reply('{"svar": "nej"}')
    )
    assert chat.complete_json(MESSAGES, SCHEMA, 20) == {"svar": "ja"}
    assert chat.complete_json(MESSAGES, SCHEMA, 20) == {"svar": "nej"}
    formats = [c["response_format"]["type"] for c in completions.calls]
    assert formats == ["json_schema", "json_object", "json_object"]


def test_local_does_not_fall_back() -> None:
    chat, _ = backend("local", rejected_json_schema())
    with pytest.raises(openai.APIStatusError):
        chat.complete_json(MESSAGES, SCHEMA, 20)


def test_cut_off_and_invalid_answers() -> None:
    chat, _ = backend("local", reply('{"svar": "j', "length"), reply("inte json"), reply("{}"))
    with pytest.raises(LLMError, match=r"avbrutet efter 20 token \(max_tokens\)"):
        chat.complete_json(MESSAGES, SCHEMA, 20)
    with pytest.raises(LLMError, match="inte giltig JSON"):
        chat.complete_json(MESSAGES, SCHEMA, 20)
    with pytest.raises(LLMError, match="saknar fälten svar"):
        chat.complete_json(MESSAGES, SCHEMA, 20)


def test_stream_yields_text_and_records_the_finish_reason() -> None:
    chunks = FakeStream([chunk("Hej"), chunk(None), SimpleNamespace(choices=[]), chunk(" då", "stop")])
    chat, completions = backend("local", chunks)
    assert list(chat.stream(MESSAGES, max_tokens=5)) == ["Hej", " då"]
    assert chat.last_finish_reason == "stop" and chunks.closed
    assert completions.calls[0]["stream"] is True and completions.calls[0]["max_tokens"] == 5


def test_stream_cut_off_by_the_server() -> None:
    chat, _ = backend("local", FakeStream([chunk("Hej")]))
    with pytest.raises(LLMError, match="avbröts innan det var klart"):
        list(chat.stream(MESSAGES))
