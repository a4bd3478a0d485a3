"""An eval run's folder: the manifest (what the run was made with), one JSON file per case, atomic writes."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import subprocess
import threading
from pathlib import Path
from typing import Any

from agent.config import PROJECT_ROOT
from agent.drafting.prompts import Prompts
from agent.evals.cases import EvalCase
from agent.index.search import Searcher
from agent.llm.backends import ChatModel

FORMAT = "remiss-eval-run/1"
# Manifest fields that must match to continue a run in the same folder.
COMPAT_KEYS = (
    "cases_sha256",
    "backend",
    "model",
    "prompt_version",
    "prose",
    "index_build",
    "keypoints",
    "notes",
)
FIELD_SV = {
    "cases_sha256": "fallen",
    "backend": "språkmodellstyp",
    "model": "modell",
    "prompt_version": "promptversion",
    "prose": "textläge",
    "index_build": "sökindex",
    "keypoints": "nyckelpunktsmatchning",
    "notes": "handläggarens underlag",
}


class RunDirError(Exception):
    """The output folder holds a run that cannot be continued with these settings (Swedish)."""


def case_filename(case_id: str) -> str:
    return re.sub(r"[^\w.-]", "_", case_id) + ".json"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to `path` via a temporary file and a rename: a crash never leaves half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def git_commit(root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The commit the code was run from, and whether the work tree had changes."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        return {"sha": sha, "dirty": bool(dirty)}
    except (OSError, subprocess.SubprocessError):
        return {"sha": None, "dirty": None}


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def base_manifest(
    *,
    cases_path: Path,
    cases_sha256: str,
    cases: list[EvalCase],
    chat: ChatModel,
    prompts: Prompts,
    prose: str,
    searcher: Searcher,
    matcher_name: str,
    notes: str | None = None,
) -> dict[str, Any]:
    m = searcher.manifest
    return {
        "format": FORMAT,
        "created": now(),
        "cases_path": str(cases_path),
        "cases_sha256": cases_sha256,
        "case_ids": [c.id for c in cases],
        "backend": chat.kind,
        "model": chat.model,
        "prompt_version": prompts.version,
        "prose": prose,
        "index_build": getattr(m, "build_id", None),
        "index": {
            "build_id": getattr(m, "build_id", None),
            "embedding": getattr(m, "embedding", None),
            "count": getattr(m, "count", None),
        },
        "keypoints": matcher_name,
        "notes": notes,  # "<notes file>@<sha256>" of a --with-notes run, else None
        "commit": git_commit(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.system()},
        "sessions": [],
    }


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    path = out_dir / "manifest.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def read_case_results(out_dir: Path) -> dict[str, dict[str, Any]]:
    """case id -> its result, for every case file in DIR/cases/."""
    out: dict[str, dict[str, Any]] = {}
    folder = out_dir / "cases"
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue  # a damaged file is recomputed
        out[data["case"]["id"]] = data
    return out
