"""The managed llama.cpp server: starting it on a GGUF file, waiting until it answers, stopping it.

`LocalServer` runs `llama_cpp.server` (from llama-cpp-python) in a child process on 127.0.0.1 and a
free port (or a fixed one), with a fixed number of threads, and returns once `GET /v1/models`
answers. The chat client that talks to it is `agent.llm.backends.ChatBackend`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from agent.llm.local_model import LLMError

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


def free_port(host: str) -> int:
    """A port on `host` that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class _PortTaken(Exception):
    """The server exited at startup because its port was taken (try another free port)."""


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
            port = self.port if fixed_port else free_port(self.host)
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


def _cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat (Linux), or None."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def free_cores(sample_seconds: float = 0.5) -> int:
    """Threads for the local model server: the cores this process may use, less those busy with other
    work right now (sampled over `sample_seconds`). llama.cpp's threads wait for each other at every
    step, so a thread on a core that something else holds slows the whole model far more than the
    core's share: on 2 cores beside another model process, 1 thread beats 2."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if (os.cpu_count() or cores) != cores:  # a share of a bigger machine: /proc/stat is the machine's
        return cores
    before = _cpu_times()
    if before is None:
        return cores
    time.sleep(sample_seconds)
    after = _cpu_times()
    if after is None or after[1] <= before[1]:
        return cores
    busy = cores * (after[0] - before[0]) / (after[1] - before[1])
    return max(1, min(cores, round(cores - busy)))
