"""`ChatBackend.complete_json` and `stream`: the real `langchain_openai.ChatOpenAI` and `openai` client
against a scripted HTTP endpoint (`httpx.MockTransport`; no server, no network)."""

from __future__ import annotations

import json
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
Answer = dict[str, Any] | list[dict[str, Any]] | int  # a completion, the chunks of a stream, or an HTTP error


def completion(content: str, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
    }


def chunk(text: str | None, finish_reason: str | None = None) -> dict[str, Any]:
    delta = {"content": text} if text is not None else {}
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


class Endpoint:
    """Answers POST /chat/completions with the scripted answers, in order; records every request body."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        answer = self.answers.pop(0)
        if isinstance(answer, int):
            error = {"error": {"message": "Input should be 'text' or 'json_object' (json_schema)"}}
            return httpx.Response(answer, json=error)
        if isinstance(answer, list):
            sse = "".join(f"data: {json.dumps(c)}\n\n" for c in answer) + "data: [DONE]\n\n"
            return httpx.Response(200, text=sse, headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json=answer)


def backend(
    kind: str, *answers: Answer, base_url: str | None = "http://127.0.0.1:9/v1"
) -> tuple[ChatBackend, Endpoint]:
    endpoint = Endpoint(*answers)
    client = httpx.Client(transport=httpx.MockTransport(endpoint))
    chat = ChatBackend(base_url=base_url, api_key="k", model="m", kind=kind, http_client=client)  # type: ignore[arg-type]
    chat._chat = chat.as_langchain(max_retries=0)  # an HTTP error is answered once, not retried
    return chat, endpoint


def test_local_uses_json_object_with_schema() -> None:
    chat, endpoint = backend("local", completion('{"svar": "ja"}'))
    assert chat.complete_json(MESSAGES, SCHEMA, 20) == {"svar": "ja"}
    (body,) = endpoint.bodies
    assert body["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert (body["model"], body["max_tokens"], body["temperature"]) == ("m", 20, 0.0)
    assert body["messages"] == MESSAGES


def test_openai_uses_strict_json_schema() -> None:
    chat, endpoint = backend("openai", completion('{"svar": "nej"}'), base_url=None)
    assert chat.complete_json(MESSAGES, SCHEMA, 20, name="bedomning") == {"svar": "nej"}
    body = endpoint.bodies[0]
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "bedomning", "schema": SCHEMA, "strict": True},
    }
    assert body["max_completion_tokens"] == 20 and "max_tokens" not in body  # OpenAI's own name


def test_openai_falls_back_to_json_object_once_and_remembers() -> None:
    chat, endpoint = backend("openai", 500, completion('{"svar": "ja"}'), completion('{"svar": "nej"}'))
    assert chat.complete_json(MESSAGES, SCHEMA, 20) == {"svar": "ja"}
    assert chat.complete_json(MESSAGES, SCHEMA, 20) == {"svar": "nej"}
    formats = [b["response_format"]["type"] for b in endpoint.bodies]
    assert formats == ["json_schema", "json_object", "json_object"]


def test_local_does_not_fall_back() -> None:
    chat, _ = backend("local", 500)
    with pytest.raises(openai.APIStatusError):
        chat.complete_json(MESSAGES, SCHEMA, 20)


def test_cut_off_and_invalid_answers() -> None:
    chat, _ = backend("local", completion('{"svar": "j', "length"), completion("inte json"), completion("{}"))
    with pytest.raises(LLMError, match=r"avbrutet efter 20 token \(max_tokens\)"):
        chat.complete_json(MESSAGES, SCHEMA, 20)
    with pytest.raises(LLMError, match="inte giltig JSON"):
        chat.complete_json(MESSAGES, SCHEMA, 20)
    with pytest.raises(LLMError, match="saknar fälten svar"):
        chat.complete_json(MESSAGES, SCHEMA, 20)


def test_stream_yields_text_and_records_the_finish_reason() -> None:
    chat, endpoint = backend("local", [chunk("Hej"), chunk(None), chunk(" då", "stop")])
    assert list(chat.stream(MESSAGES, max_tokens=5)) == ["Hej", " då"]
    assert chat.last_finish_reason == "stop"
    assert endpoint.bodies[0]["stream"] is True and endpoint.bodies[0]["max_tokens"] == 5


def test_stream_cut_off_by_the_server() -> None:
    chat, _ = backend("local", [chunk("Hej")])
    with pytest.raises(LLMError, match="avbröts innan det var klart"):
        list(chat.stream(MESSAGES))


def test_callbacks_see_every_call() -> None:
    from langchain_core.callbacks import BaseCallbackHandler

    seen: list[str] = []

    class Recorder(BaseCallbackHandler):
        def on_llm_end(self, response: Any, **kwargs: Any) -> None:
            seen.append(response.generations[0][0].message.content)

    chat, _ = backend("local", completion('{"svar": "ja"}'), [chunk("Hej", "stop")])
    chat.callbacks.append(Recorder())
    chat.complete_json(MESSAGES, SCHEMA, 20)
    list(chat.stream(MESSAGES))
    assert seen == ['{"svar": "ja"}', "Hej"]


@pytest.mark.parametrize("kind", ["local", "openai"])
def test_closing_one_backend_leaves_another_on_the_same_url_open(kind: str) -> None:
    """langchain-openai shares one HTTP client per URL unless given one; each backend owns its own."""
    first, second = (
        ChatBackend(base_url="http://127.0.0.1:9/v1", api_key="x", model="m", kind=kind, timeout=90)  # type: ignore[arg-type]
        for _ in range(2)
    )
    client = second.langchain().root_client._client
    assert first.langchain().root_client._client is not client
    first.close()
    assert not client.is_closed
    second.close()
    assert client.is_closed
