"""Chat backends: one OpenAI-compatible code path for the local model and for remote servers.

The local default is a llama.cpp server (`llama_cpp.server` from llama-cpp-python) that the app
starts itself on 127.0.0.1 and a free port; OpenAI or any OpenAI-compatible server (vLLM, Ollama,
a llama.cpp server elsewhere, Azure's compatible endpoint) is used when `OPENAI_BASE_URL` or
`OPENAI_API_KEY` is configured. Either way the pipeline gets a `ChatBackend` and talks to it
through the `openai` client or `langchain_openai.ChatOpenAI`, so "local" and "OpenAI" never drift.

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
import json
import os
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from agent.llm.local_model import LLMError, resolve_model_path

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI
    from openai import OpenAI

    from agent.config import Settings

BackendKind = Literal["local", "openai"]

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
LOCAL_API_KEY = "lokal"  # the local server has no authentication; the client needs some key
NO_KEY = "ingen-nyckel"  # for OpenAI-compatible servers without authentication

# Run `llama_cpp.server` as `__main__`, plus a watchdog: if the app that started the server dies
# without stopping it (SIGKILL, crash, Streamlit killed), the server exits too instead of keeping
# 1-3 GB of RAM. PR_SET_PDEATHSIG is not used: it fires when the *thread* that started the child
# ends, which in a threaded app (Streamlit) is not the app ending.
_SERVER_BOOTSTRAP = """\
import os, runpy, sys, threading, time
_parent = int(os.environ.get("REMISS_LLM_PARENT_PID", "0"))
def _watch():
    while os.getppid() == _parent:
        time.sleep(1.0)
    os._exit(0)
if _parent:
    threading.Thread(target=_watch, daemon=True).start()
sys.argv = ["llama_cpp.server", *sys.argv[1:]]
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"""


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _http_clients(kind: BackendKind) -> tuple[Any, Any]:
    """httpx clients for the openai SDK. For the local server, proxies from the environment are
    ignored: with HTTP(S)_PROXY set and no NO_PROXY, 127.0.0.1 would otherwise go to the proxy."""
    if kind != "local":
        return None, None
    import httpx

    timeout = httpx.Timeout(600.0, connect=5.0)
    return httpx.Client(trust_env=False, timeout=timeout), httpx.AsyncClient(trust_env=False, timeout=timeout)


class LocalServer:
    """A llama.cpp server (OpenAI-compatible) for one GGUF file, on 127.0.0.1 and a free port.

    Use as a context manager, or `start()` / `stop()`. `start()` returns when `GET /v1/models`
    answers (the model is loaded by then); if the process dies first, or does not answer within
    `startup_timeout` seconds, it raises an `LLMError` with the end of the server's log.
    """

    def __init__(
        self,
        model_path: Path | str,
        *,
        n_ctx: int = 4096,
        n_threads: int = 2,
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout: float = 180.0,
        model_alias: str | None = None,
    ) -> None:
        self.model_path = Path(model_path)
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.host = host
        self.port = port
        self._fixed_port = port is not None
        self.startup_timeout = startup_timeout
        self.model_alias = model_alias or self.model_path.stem
        self.startup_seconds: float | None = None
        self._proc: Any = None
        self._log: Any = None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise LLMError("Den lokala modellservern är inte startad.")
        return f"http://{self.host}:{self.port}/v1"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def command(self, port: int) -> list[str]:
        return [
            sys.executable,
            "-c",
            _SERVER_BOOTSTRAP,
            "--model",
            str(self.model_path),
            "--model_alias",
            self.model_alias,
            "--host",
            self.host,
            "--port",
            str(port),
            "--n_ctx",
            str(self.n_ctx),
            "--n_threads",
            str(self.n_threads),
            "--n_threads_batch",
            str(self.n_threads),
            # The server defaults to logits_all=True: an n_ctx × vocabulary float array (2.5 GB for
            # Qwen2.5 at 4096 tokens) and slower prefill. Logprobs are not needed.
            "--logits_all",
            "False",
            # Default True: would pin the whole model in RAM (or warn when RLIMIT_MEMLOCK is low).
            "--use_mlock",
            "False",
            # Default True: a new request silently ENDS a running stream (it gets [DONE] with no
            # finish_reason). With False, concurrent requests wait for the model in turn.
            "--interrupt_requests",
            "False",
            "--verbose",
            "False",
            # No --chat_format: the chat template stored in the GGUF is used (ChatML for Qwen2.5).
        ]

    def log_tail(self, lines: int = 15) -> str:
        """The last lines the server wrote (stdout and stderr)."""
        if self._log is None:
            return ""
        try:
            fd = self._log.fileno()
            size = os.fstat(fd).st_size
            start = max(0, size - 32_768)
            # pread: the server shares the file offset, so the handle must not be seeked.
            text = os.pread(fd, size - start, start).decode("utf-8", errors="replace")
        except (OSError, ValueError):
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def start(self) -> LocalServer:
        if self.running:
            return self
        if not self.model_path.is_file():
            raise LLMError(
                f"Modellfilen {self.model_path} finns inte; den lokala modellservern kan inte starta."
            )
        fixed_port = self._fixed_port
        for _attempt in range(3):
            port = self.port if fixed_port else _free_port(self.host)
            assert port is not None
            try:
                self._launch(port)
                return self
            except _PortTaken:
                if fixed_port:
                    raise LLMError(
                        f"Den lokala modellservern kunde inte starta: porten {port} är upptagen."
                    ) from None
        raise LLMError("Den lokala modellservern kunde inte starta: ingen ledig port hittades.")

    def _launch(self, port: int) -> None:
        import subprocess

        self._close_log()
        # An anonymous file (already unlinked on POSIX): nothing is left behind even if we are killed.
        self._log = tempfile.TemporaryFile(prefix="remiss-llama-server-", suffix=".log")  # noqa: SIM115
        env = dict(os.environ, REMISS_LLM_PARENT_PID=str(os.getpid()))
        started = time.monotonic()
        self._proc = subprocess.Popen(
            self.command(port),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self.port = port
        try:
            self._wait_until_ready(started)
        except BaseException:  # also Ctrl-C while the model loads: never leave the server running
            self.stop()
            raise

    def _wait_until_ready(self, started: float) -> None:
        port = self.port
        deadline = started + self.startup_timeout
        url = f"http://{self.host}:{port}/v1/models"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
        while True:
            code = self._proc.poll()
            if code is not None:
                tail = self.log_tail()
                self._proc = None
                self._close_log()
                if "address already in use" in tail.lower():
                    raise _PortTaken
                raise LLMError(
                    f"Den lokala modellservern (llama.cpp) avslutades under starten (kod {code}) "
                    f"med modellen {self.model_path}. Är filen en giltig GGUF-modell och räcker minnet? "
                    f"Sista raderna från servern:\n{tail}"
                )
            try:
                with opener.open(url, timeout=2.0) as response:
                    if response.status == 200:
                        self.startup_seconds = time.monotonic() - started
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                tail = self.log_tail()
                raise LLMError(
                    f"Den lokala modellservern svarade inte inom {self.startup_timeout:.0f} s "
                    f"(modell {self.model_path}). Sista raderna från servern:\n{tail}"
                )
            time.sleep(0.1)

    def stop(self, timeout: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if not self._fixed_port:
            self.port = None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except Exception:
                proc.kill()
                proc.wait(timeout=timeout)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __del__(self) -> None:  # last resort; callers should use `with` or stop()
        with contextlib.suppress(Exception):
            if self._proc is not None and self._proc.poll() is None:
                self._proc.kill()


class ChatModel(Protocol):
    """What the drafting pipeline needs from a chat model (`ChatBackend`, or a fake in tests)."""

    model: str
    kind: BackendKind

    def complete_json(
        self,
        messages: list[dict[str, Any]],
        schema: dict[str, Any],
        max_tokens: int,
        *,
        temperature: float = 0.0,
        name: str = "svar",
    ) -> dict[str, Any]: ...

    def stream(
        self, messages: list[dict[str, Any]], *, max_tokens: int | None = None, temperature: float = 0.0
    ) -> Iterator[str]: ...


class _PortTaken(Exception):
    pass


@dataclass
class ChatBackend:
    """An OpenAI-compatible chat endpoint: the local llama.cpp server or OpenAI/a compatible server."""

    base_url: str | None
    api_key: str = field(repr=False)
    model: str
    kind: BackendKind
    last_finish_reason: str | None = field(default=None, init=False)
    _json_mode: Literal["json_schema", "json_object"] | None = field(default=None, init=False, repr=False)
    _client: Any = field(default=None, init=False, repr=False)

    def client(self) -> OpenAI:
        if self._client is None:
            from openai import OpenAI

            http_client, _ = _http_clients(self.kind)
            kwargs: dict[str, Any] = {"base_url": self.base_url, "api_key": self.api_key}
            if http_client is not None:
                kwargs["http_client"] = http_client
            self._client = OpenAI(**kwargs)
        return self._client

    def chat_model(self, **kw: Any) -> ChatOpenAI:
        """A `langchain_openai.ChatOpenAI` for this endpoint; `kw` overrides (temperature, max_tokens…)."""
        from langchain_openai import ChatOpenAI

        http_client, http_async_client = _http_clients(self.kind)
        params: dict[str, Any] = {
            "model": self.model,
            "base_url": self.base_url,
            "api_key": self.api_key,
            "temperature": 0.0,
        }
        if http_client is not None:
            params.update(http_client=http_client, http_async_client=http_async_client)
        params.update(kw)
        return ChatOpenAI(**params)

    def _response_format(self, schema: dict[str, Any], name: str) -> dict[str, Any]:
        mode = self._json_mode or ("json_object" if self.kind == "local" else "json_schema")
        if mode == "json_object":
            return {"type": "json_object", "schema": schema}
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}

    def complete_json(
        self,
        messages: list[dict[str, Any]],
        schema: dict[str, Any],
        max_tokens: int,
        *,
        temperature: float = 0.0,
        name: str = "svar",
    ) -> dict[str, Any]:
        """A JSON object constrained by `schema` (a grammar on llama.cpp, strict mode on OpenAI).

        Raises `LLMError` if the answer was cut off at `max_tokens`, is not JSON, or lacks a
        required top-level field.
        """
        import openai

        try:
            response = self.client().chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                response_format=self._response_format(schema, name),  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
            )
            if self._json_mode is None:
                self._json_mode = "json_object" if self.kind == "local" else "json_schema"
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
        choice = response.choices[0]
        content = choice.message.content or ""
        if choice.finish_reason == "length":
            raise LLMError(
                f"Modellens JSON-svar blev avbrutet efter {max_tokens} token (max_tokens): {content[:200]!r}"
            )
        try:
            data = json.loads(content)
        except json.JSONDecodeError as exc:
            raise LLMError(f"Modellen gav inte giltig JSON ({exc.msg}): {content[:200]!r}") from None
        if not isinstance(data, dict):
            raise LLMError(f"Modellen gav inte ett JSON-objekt: {content[:200]!r}")
        missing = [key for key in schema.get("required", []) if key not in data]
        if missing:
            raise LLMError(f"Modellens JSON-svar saknar fälten {', '.join(missing)}: {content[:200]!r}")
        return data

    def stream(
        self,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.0,
    ) -> Iterator[str]:
        """The answer as it is generated: non-empty text deltas.

        Afterwards `last_finish_reason` says why it ended ("stop", or "length" at `max_tokens`). A
        stream that ends without any finish reason was cut off by the server: `LLMError`.
        """
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": temperature}
        if max_tokens is not None:
            kwargs["max_tokens"] = max_tokens
        self.last_finish_reason = None
        chunks = self.client().chat.completions.create(stream=True, **kwargs)
        try:
            for chunk in chunks:
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                if choice.delta.content:
                    yield choice.delta.content
                if choice.finish_reason:
                    self.last_finish_reason = choice.finish_reason
        finally:
            chunks.close()
        if self.last_finish_reason is None:
            raise LLMError("Svaret från modellen avbröts innan det var klart (servern avslutade strömmen).")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


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
        )
        try:
            yield backend
        finally:
            backend.close()
        return
    model_path = resolve_model_path(settings)
    with LocalServer(model_path, n_ctx=settings.llm_context, startup_timeout=startup_timeout) as server:
        backend = ChatBackend(
            base_url=server.base_url, api_key=LOCAL_API_KEY, model=server.model_alias, kind="local"
        )
        try:
            yield backend
        finally:
            backend.close()
