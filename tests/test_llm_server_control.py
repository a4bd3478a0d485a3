"""`agent.llm.server` without a model: the command line, port choice and the start/stop logic.

No llama.cpp server is started: `subprocess.Popen` is replaced by a fake process, and the "ready"
check talks to a tiny HTTP server on 127.0.0.1 in this process.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from agent.llm import LocalServer, backends
from agent.llm.local_model import LLMError
from agent.llm.server import free_port


class FakeProcess:
    """Stands in for the server process: writes `log` to its stdout and exits with `code` (None: runs)."""

    def __init__(self, command: list[str], *, stdout: Any, code: int | None, log: str, **kw: Any) -> None:
        self.command = command
        self.code = code
        self.pid = 4242
        self.terminated = False
        stdout.write(log.encode())
        stdout.flush()

    def poll(self) -> int | None:
        return self.code

    def terminate(self) -> None:
        self.terminated = True
        self.code = -15

    def kill(self) -> None:
        self.code = -9

    def wait(self, timeout: float | None = None) -> int | None:
        return self.code


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "liten-modell.gguf"
    path.write_bytes(b"GGUF")
    return path


@pytest.fixture
def fake_popen(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Replace `subprocess.Popen`; set `behaviour["code"]` and `behaviour["log"]` before starting."""
    behaviour: dict[str, Any] = {"code": None, "log": "", "processes": []}

    def popen(command: list[str], **kw: Any) -> FakeProcess:
        proc = FakeProcess(command, stdout=kw["stdout"], code=behaviour["code"], log=behaviour["log"])
        behaviour["processes"].append(proc)
        return proc

    monkeypatch.setattr(subprocess, "Popen", popen)
    yield behaviour


@pytest.fixture
def models_endpoint() -> Iterator[int]:
    """A port on 127.0.0.1 that answers GET /v1/models with 200, as a ready server does."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/v1/models" else 404)
            self.end_headers()
            self.wfile.write(b'{"data": []}')

        def log_message(self, *args: object) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_free_port_can_be_bound() -> None:
    port = free_port("127.0.0.1")
    assert 0 < port < 65536
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", port))


def test_command(model_file: Path) -> None:
    server = LocalServer(model_file, n_ctx=2048, n_threads=3)
    cmd = server.command(8765)
    assert cmd[:2] == [sys.executable, "-c"]
    assert "REMISS_LLM_PARENT_PID" in cmd[2] and "llama_cpp.server" in cmd[2]
    options = dict(zip(cmd[3::2], cmd[4::2], strict=True))
    assert options == {
        "--model": str(model_file),
        "--model_alias": "liten-modell",
        "--host": "127.0.0.1",
        "--port": "8765",
        "--n_ctx": "2048",
        "--n_threads": "3",
        "--n_threads_batch": "3",
        "--logits_all": "False",
        "--use_mlock": "False",
        "--interrupt_requests": "False",
        "--verbose": "False",
    }
    assert LocalServer(model_file, model_alias="qwen").command(1)[cmd.index("--model_alias") + 1] == "qwen"


def test_base_url_needs_a_port(model_file: Path) -> None:
    server = LocalServer(model_file)
    assert not server.running and server.pid is None and server.log_tail() == ""
    with pytest.raises(LLMError, match="inte startad"):
        _ = server.base_url
    assert LocalServer(model_file, port=8123).base_url == "http://127.0.0.1:8123/v1"


def test_missing_model_file(tmp_path: Path, fake_popen: dict[str, Any]) -> None:
    with pytest.raises(LLMError, match=r"Modellfilen .* finns inte"):
        LocalServer(tmp_path / "saknas.gguf").start()
    assert fake_popen["processes"] == []


def test_fixed_port_taken(model_file: Path, fake_popen: dict[str, Any]) -> None:
    fake_popen.update(code=1, log="error: [Errno 98] Address already in use\n")
    with pytest.raises(LLMError, match="porten 8123 är upptagen"):
        LocalServer(model_file, port=8123).start()
    assert len(fake_popen["processes"]) == 1


def test_free_port_taken_three_times(model_file: Path, fake_popen: dict[str, Any]) -> None:
    fake_popen.update(code=1, log="address already in use")
    server = LocalServer(model_file)
    with pytest.raises(LLMError, match="ingen ledig port hittades"):
        server.start()
    assert len(fake_popen["processes"]) == 3
    assert not server.running


def test_server_dies_during_startup(model_file: Path, fake_popen: dict[str, Any]) -> None:
    fake_popen.update(code=1, log="llama_model_load: error loading model\nfel i filen\n")
    with pytest.raises(LLMError, match=r"avslutades under starten \(kod 1\)") as info:
        LocalServer(model_file).start()
    assert str(info.value).endswith("llama_model_load: error loading model\nfel i filen")


def test_server_does_not_answer_in_time(model_file: Path, fake_popen: dict[str, Any]) -> None:
    server = LocalServer(model_file, startup_timeout=0.0)
    with pytest.raises(LLMError, match="svarade inte inom 0 s"):
        server.start()
    (proc,) = fake_popen["processes"]
    assert proc.terminated  # never left running
    assert server.port is None and not server.running


def test_start_waits_until_ready_and_stop(
    model_file: Path, fake_popen: dict[str, Any], models_endpoint: int
) -> None:
    with LocalServer(model_file, port=models_endpoint, startup_timeout=10) as server:
        assert server.running and server.pid == 4242
        assert server.base_url == f"http://127.0.0.1:{models_endpoint}/v1"
        assert server.startup_seconds is not None
        assert server.start() is server  # already running: nothing new is launched
        (proc,) = fake_popen["processes"]
        assert proc.command[proc.command.index("--port") + 1] == str(models_endpoint)
    assert proc.terminated and not server.running
    assert server.port == models_endpoint  # a fixed port is kept


def test_backends_reexports_the_server() -> None:
    assert backends.LocalServer is LocalServer
