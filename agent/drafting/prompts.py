"""The versioned prompt and phrasing files in `prompts/` (`prompts/<version>.yaml`).

Every draft records the `version` of the file it was made with. Texts are Swedish; placeholders
are `str.format` fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

REQUIRED = (
    "version",
    "system_narrow",
    "standpoint",
    "phrasings",
    "prose_system",
    "prose_user",
    "revise_system",
    "revise_user",
    "chat",
)


class PromptError(Exception):
    """A prompt file is missing or incomplete (Swedish message)."""


@dataclass(frozen=True)
class Prompts:
    version: str
    data: dict[str, Any]

    def text(self, key: str, **fields: Any) -> str:
        return str(self.data[key]).format(**fields).strip()

    def phrase(self, key: str, **fields: Any) -> str:
        value: Any = self.data["phrasings"]
        for part in key.split("."):
            value = value[part]
        return str(value).format(**fields).strip()

    def chat(self, key: str, **fields: Any) -> str:
        return str(self.data["chat"][key]).format(**fields).strip()


@lru_cache(maxsize=8)
def load_prompts(prompts_dir: Path, version: str) -> Prompts:
    path = prompts_dir / f"{version}.yaml"
    if not path.is_file():
        raise PromptError(f"Promptfilen {path} finns inte (REMISS_PROMPT_VERSION={version}).")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise PromptError(f"Promptfilen {path} saknar {', '.join(missing)}.")
    if data["version"] != version:
        raise PromptError(f"Promptfilen {path} har versionen {data['version']!r}, inte {version!r}.")
    return Prompts(version=version, data=data)
