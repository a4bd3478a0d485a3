"""Chat backends: one OpenAI-compatible code path for the local model and for remote servers.

The local default is a llama.cpp server (`llama_cpp.server` from llama-cpp-python) that the app
starts itself on 127.0.0.1 and a free port; OpenAI or any OpenAI-compatible server (vLLM, Ollama,
a llama.cpp server elsewhere, Azure's compatible endpoint) is used when `OPENAI_BASE_URL` or
`OPENAI_API_KEY` is configured. Either way the pipeline gets a `ChatBackend`, and every call goes
through one `langchain_openai.ChatOpenAI` (structured answers, streaming, callbacks for token
counts), so "local" and "OpenAI" never drift.

Structured output (`ChatBackend.complete_json`):
- llama-cpp-python's server (0.3.36) accepts `response_format={"type": "json_object", "schema": S}`
  and turns S into a grammar, so even a 135M model returns schema-valid JSON. It REJECTS
  `{"type": "json_schema", ...}` (HTTP 500, "Input should be 'text' or 'json_object'").
- OpenAI wants `{"type": "json_schema", "json_schema": {"name", "schema", "strict": true}}`
  (strict mode: every object needs `additionalProperties: false` and all properties required).
- For an "openai" backend we send json_schema first and, if the server rejects that format, fall
  back to json_object+schema once and remember it (a llama.cpp server behind OPENAI_BASE_URL).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from langchain_core.callbacks import BaseCallbackHandler

from agent.llm.local_model import LLMError, LLMTimeoutError, resolve_model_path
from agent.llm.server import LocalServer, free_cores
from agent.llm.structured import read_json_object

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI

    from agent.config import Settings

BackendKind = Literal["local", "openai"]

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
LOCAL_API_KEY = "lokal"  # the local server has no authentication; the client needs some key
NO_KEY = "ingen-nyckel"  # for OpenAI-compatible servers without authentication

Messages = list[dict[str, Any]]  # OpenAI chat messages ({"role": ..., "content": ...})
JsonObject = dict[str, Any]

__all__ = [
    "DEFAULT_OPENAI_MODEL",
    "LOCAL_API_KEY",
    "NO_KEY",
    "BackendKind",
    "ChatBackend",
    "ChatModel",
    "JsonObject",
    "LocalServer",
    "Messages",
    "choose_kind",
    "open_backend",
]


def _http_clients(kind: BackendKind) -> tuple[Any, Any]:
    """httpx clients for the openai SDK, owned by one backend: langchain-openai otherwise shares one
    client per URL across the process, and closing one backend would close it for every other. For
    the local server, proxies from the environment are ignored: with HTTP(S)_PROXY set and no
    NO_PROXY, 127.0.0.1 would otherwise go to the proxy."""
    import httpx

    local = kind == "local"
    timeout = httpx.Timeout(600.0, connect=5.0 if local else 10.0)
    return httpx.Client(trust_env=not local, timeout=timeout), httpx.AsyncClient(
        trust_env=not local, timeout=timeout
    )


class ChatModel(Protocol):
    """What the drafting pipeline needs from a chat model (`ChatBackend`, or a fake in tests).

    The defaults are written once, on `ChatBackend` (temperature 0.0, name "svar"); here `...` only
    says that the argument may be left out.
    """

    @property
    def model(self) -> str: ...

    @property
    def kind(self) -> BackendKind: ...

    def complete_json(
        self,
        messages: Messages,
        schema: JsonObject,
        max_tokens: int,
        *,
        temperature: float = ...,
        name: str = ...,
    ) -> JsonObject: ...

    def stream(
        self, messages: Messages, *, max_tokens: int | None = ..., temperature: float = ...
    ) -> Iterator[str]: ...


@dataclass
class ChatBackend:
    """An OpenAI-compatible chat endpoint: the local llama.cpp server or OpenAI/a compatible server.

    Every call goes through one `langchain_openai.ChatOpenAI` (`langchain()`); `callbacks` are LangChain
    callback handlers given to every call (the eval suite's token meter, agent/evals/usage.py).
    """

    base_url: str | None
    api_key: str = field(repr=False)
    model: str
    kind: BackendKind
    http_client: Any = field(default=None, repr=False)  # an httpx.Client to use (tests); default per kind
    callbacks: list[BaseCallbackHandler] = field(default_factory=list, repr=False)
    timeout: float | None = None  # deadline (s) of one call; None = the HTTP client's own (600 s local)
    last_finish_reason: str | None = field(default=None, init=False)
    _json_mode: Literal["json_schema", "json_object"] | None = field(default=None, init=False, repr=False)
    _chat: Any = field(default=None, init=False, repr=False)

    def langchain(self) -> ChatOpenAI:
        """The one chat client of this backend (made on first use)."""
        if self._chat is None:
            self._chat = self.as_langchain()
        return cast("ChatOpenAI", self._chat)

    def as_langchain(self, **kw: Any) -> ChatOpenAI:
        """A `langchain_openai.ChatOpenAI` for this endpoint; `kw` overrides (temperature, max_tokens…)."""
        from langchain_openai import ChatOpenAI

        params: dict[str, Any] = {
            "model": self.model,
            "base_url": self.base_url,
            "api_key": self.api_key,
            "temperature": 0.0,
        }
        if self.timeout is not None:  # a deadline, not a wait: no retry after a timeout
            params.update(timeout=self.timeout, max_retries=0 if self.kind == "local" else 1)
        if self.http_client is not None:
            params["http_client"] = self.http_client
        else:
            http_client, http_async_client = _http_clients(self.kind)
            params.update(http_client=http_client, http_async_client=http_async_client)
        params.update(kw)
        return ChatOpenAI(**params)

    def _limits(self, max_tokens: int | None, temperature: float) -> dict[str, Any]:
        """Call arguments. ChatOpenAI sends `max_completion_tokens`; the llama.cpp server (and other
        compatible servers behind OPENAI_BASE_URL) read `max_tokens`, so it goes in the body too."""
        kw: dict[str, Any] = {"temperature": temperature}
        if max_tokens is not None:
            kw["max_tokens"] = max_tokens
            if self.base_url is not None:
                kw["extra_body"] = {"max_tokens": max_tokens}
        return kw

    def _response_format(self, schema: JsonObject, name: str) -> JsonObject:
        mode = self._json_mode or ("json_object" if self.kind == "local" else "json_schema")
        if mode == "json_object":
            return {"type": "json_object", "schema": schema}
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}

    def complete_json(
        self,
        messages: Messages,
        schema: JsonObject,
        max_tokens: int,
        *,
        temperature: float = 0.0,
        name: str = "svar",
    ) -> JsonObject:
        """A JSON object constrained by `schema` (a grammar on llama.cpp, strict mode on OpenAI).

        Raises `LLMError` if the answer was cut off at `max_tokens`, is not JSON, or lacks a
        required top-level field.
        """
        import openai

        try:
            answer = self.langchain().invoke(
                messages,
                config={"callbacks": self.callbacks},
                response_format=self._response_format(schema, name),
                **self._limits(max_tokens, temperature),
            )
            if self._json_mode is None:
                self._json_mode = "json_object" if self.kind == "local" else "json_schema"
        except openai.APITimeoutError as exc:
            raise LLMTimeoutError(
                f"Modellen svarade inte inom {self.timeout or 600:.0f} s (REMISS_LLM_TIMEOUT)."
            ) from exc
        except openai.LengthFinishReasonError as exc:  # (the structured-output path says so itself)
            content = exc.completion.choices[0].message.content or "" if exc.completion.choices else ""
            raise LLMError(
                f"Modellens JSON-svar blev avbrutet efter {max_tokens} token (max_tokens): {content[:200]!r}"
            ) from exc
        except openai.APIStatusError as exc:
            # A llama.cpp server behind OPENAI_BASE_URL rejects json_schema (HTTP 500, "Input should
            # be 'text' or 'json_object'"). Other errors (e.g. OpenAI refusing a schema) are raised.
            message = str(exc)
            if (
                self._json_mode is not None
                or self.kind == "local"
                or "json_schema" not in message
                or "json_object" not in message
            ):
                raise
            self._json_mode = "json_object"
            return self.complete_json(messages, schema, max_tokens, temperature=temperature, name=name)
        content = answer.content if isinstance(answer.content, str) else ""
        if answer.response_metadata.get("finish_reason") == "length":
            raise LLMError(
                f"Modellens JSON-svar blev avbrutet efter {max_tokens} token (max_tokens): {content[:200]!r}"
            )
        return read_json_object(content, schema.get("required", []))

    def stream(
        self,
        messages: Messages,
        *,
        max_tokens: int | None = None,
        temperature: float = 0.0,
    ) -> Iterator[str]:
        """The answer as it is generated: non-empty text deltas.

        Afterwards `last_finish_reason` says why it ended ("stop", or "length" at `max_tokens`). A
        stream that ends without any finish reason was cut off by the server: `LLMError`.
        """
        import openai

        self.last_finish_reason = None
        chunks = self.langchain().stream(
            messages, config={"callbacks": self.callbacks}, **self._limits(max_tokens, temperature)
        )
        try:
            for chunk in chunks:
                if isinstance(chunk.content, str) and chunk.content:
                    yield chunk.content
                reason = chunk.response_metadata.get("finish_reason")
                if reason:
                    self.last_finish_reason = str(reason)
        except openai.APITimeoutError as exc:
            raise LLMTimeoutError(
                f"Modellen svarade inte inom {self.timeout or 600:.0f} s (REMISS_LLM_TIMEOUT)."
            ) from exc
        finally:
            close = getattr(chunks, "close", None)  # (a generator: closing it closes the HTTP stream)
            if callable(close):
                close()
        if self.last_finish_reason is None:
            raise LLMError("Svaret från modellen avbröts innan det var klart (servern avslutade strömmen).")

    def close(self) -> None:
        """Close the client's connections (its async client is never used, so it holds none)."""
        if self._chat is not None:
            self._chat.root_client.close()
            self._chat = None
        if self.http_client is not None:
            self.http_client.close()


def choose_kind(settings: Settings) -> BackendKind:
    """`local` or `openai`, from REMISS_LLM_BACKEND and whether OPENAI_* is configured."""
    configured = bool(settings.openai_base_url or settings.openai_api_key)
    if settings.llm_backend == "local":
        return "local"
    if settings.llm_backend == "openai":
        if not configured:
            raise LLMError(
                "REMISS_LLM_BACKEND=openai, men varken OPENAI_API_KEY eller OPENAI_BASE_URL är satt. "
                "Ange nyckeln (OpenAI) eller adressen till en OpenAI-kompatibel server, eller använd "
                "REMISS_LLM_BACKEND=auto för den lokala modellen."
            )
        return "openai"
    return "openai" if configured else "local"


@contextlib.contextmanager
def open_backend(settings: Settings, *, startup_timeout: float = 180.0) -> Iterator[ChatBackend]:
    """The chat backend the settings ask for; a local server is started and stopped around it.

    OPENAI_BASE_URL / OPENAI_API_KEY set (and REMISS_LLM_BACKEND not `local`) → that endpoint,
    model `settings.llm_model`. Otherwise a `LocalServer` on `resolve_model_path(settings)` with
    `settings.llm_context` tokens of context.
    """
    if choose_kind(settings) == "openai":
        backend = ChatBackend(
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key or NO_KEY,
            model=settings.llm_model or DEFAULT_OPENAI_MODEL,
            kind="openai",
            timeout=settings.llm_timeout,
        )
        try:
            yield backend
        finally:
            backend.close()
        return
    model_path = resolve_model_path(settings)
    threads = settings.llm_threads or free_cores()
    with LocalServer(
        model_path, n_ctx=settings.llm_context, n_threads=threads, startup_timeout=startup_timeout
    ) as server:
        backend = ChatBackend(
            base_url=server.base_url,
            api_key=LOCAL_API_KEY,
            model=server.model_alias,
            kind="local",
            timeout=settings.llm_timeout,
        )
        try:
            yield backend
        finally:
            backend.close()
