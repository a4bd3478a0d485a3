"""The versioned prompt and phrasing files in `prompts/` (`prompts/<version>.yaml`).

Every draft records the `version` of the file it was made with. Texts are Swedish; placeholders
are `{field}`s (literal braces doubled). What the model is sent is built by LangChain prompt templates
(`Prompts.messages`: a `ChatPromptTemplate` of a system and a user text); the phrasings of the
assembled local draft and the chat replies are filled with `str.format`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from langchain_core.messages import convert_to_openai_messages
from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel, ConfigDict, ValidationError


class PromptFile(BaseModel):
    """What a drafting prompt file must hold (more keys are allowed and kept)."""

    model_config = ConfigDict(extra="allow")

    version: str
    system_narrow: str
    standpoint: str
    phrasings: dict[str, str | dict[str, str]]  # a phrasing, or a group of them ("conclusion.besvarad")
    prose_system: str
    prose_user: str
    revise_system: str
    revise_user: str
    chat: dict[str, str]


REQUIRED = tuple(PromptFile.model_fields)


class PromptError(Exception):
    """A prompt file is missing or incomplete (Swedish message)."""


@dataclass(frozen=True)
class Prompts:
    version: str
    data: dict[str, Any]

    def phrase(self, key: str, **fields: Any) -> str:
        value: Any = self.data["phrasings"]
        for part in key.split("."):
            value = value[part]
        return str(value).format(**fields).strip()

    def chat(self, key: str, **fields: Any) -> str:
        return str(self.data["chat"][key]).format(**fields).strip()

    def template(self, system: str, user: str) -> ChatPromptTemplate:
        """The LangChain prompt template of a model call: the file's `system` and `user` texts."""
        return _template(str(self.data[system]), str(self.data[user]))

    def messages(self, system: str, user: str, **fields: Any) -> list[dict[str, Any]]:
        """The OpenAI chat messages of a model call, the template filled with `fields`."""
        filled = self.template(system, user).format_messages(**fields)
        return [
            {"role": m["role"], "content": str(m["content"]).strip()}
            for m in convert_to_openai_messages(filled)
        ]


@lru_cache(maxsize=32)
def _template(system: str, user: str) -> ChatPromptTemplate:
    return ChatPromptTemplate.from_messages([("system", system), ("user", user)])


@lru_cache(maxsize=8)
def load_prompts(prompts_dir: Path, version: str) -> Prompts:
    path = prompts_dir / f"{version}.yaml"
    if not path.is_file():
        raise PromptError(f"Promptfilen {path} finns inte (REMISS_PROMPT_VERSION={version}).")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise PromptError(f"Promptfilen {path} är inte giltig YAML ({exc}).") from None
    if not isinstance(data, dict):
        raise PromptError(f"Promptfilen {path} ska vara en YAML-mappning med {', '.join(REQUIRED)}.")
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise PromptError(f"Promptfilen {path} saknar {', '.join(missing)}.")
    try:
        checked = PromptFile.model_validate(data)
    except ValidationError as exc:
        where = ".".join(str(x) for x in exc.errors()[0]["loc"])
        raise PromptError(f"Promptfilen {path}: `{where}` ska vara text.") from None
    if checked.version != version:
        raise PromptError(f"Promptfilen {path} har versionen {checked.version!r}, inte {version!r}.")
    return Prompts(version=version, data=data)
