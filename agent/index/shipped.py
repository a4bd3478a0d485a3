"""Embeddings of the default corpus shipped with the project (corpus/embeddings/<model>.npz).

The default corpus is the same on every machine, so its passage vectors are too: computing them on
each install took 6.5–11 minutes of a first run. The shipped file is content-addressed (a key is the
first 16 bytes of sha256(model name, NUL, passage text), the same key the local cache uses), stored
as float16 (cosine similarities move by < 1e-3), and read before anything is embedded.

It is only used when it comes from the same model: the file names the model, and a few of its
passages (the probes) are embedded again at build time and must come out the same (cosine ≥ 0.99);
otherwise it is ignored and everything is embedded locally, as before. `remiss index
ship-embeddings` regenerates it after a corpus change; a test fails when corpus and file disagree.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from agent.index.embeddings import Embedder

FORMAT = 1
KEY_BYTES = 16
PROBES = 3
MIN_PROBE_COSINE = 0.99


def shipped_dir(corpus_dir: Path) -> Path:
    return corpus_dir / "embeddings"


def text_key(model: str, text: str) -> bytes:
    return hashlib.sha256(f"{model}\0{text}".encode()).digest()[:KEY_BYTES]


def texts_digest(model: str, texts: Sequence[str]) -> str:
    """Order-independent digest of a set of passages: what the file must cover."""
    h = hashlib.sha256(model.encode())
    for key in sorted({text_key(model, t) for t in texts}):
        h.update(key)
    return h.hexdigest()


@dataclass
class ShippedEmbeddings:
    model: str
    dim: int
    keys: np.ndarray  # (n, KEY_BYTES) uint8
    vectors: np.ndarray  # (n, dim) float16
    probes: list[str]  # passage texts embedded again to check the model
    meta: dict[str, object]

    @classmethod
    def paths(cls, directory: Path, model: str) -> tuple[Path, Path]:
        return directory / f"{model}.npz", directory / f"{model}.json"

    @classmethod
    def load(cls, directory: Path, model: str) -> ShippedEmbeddings | None:
        """The shipped file for `model`, or None when there is none (or it is unreadable)."""
        data_path, meta_path = cls.paths(directory, model)
        if not data_path.exists() or not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            with np.load(data_path) as data:
                keys, vectors = data["keys"], data["vectors"]
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return None
        if meta.get("format") != FORMAT or meta.get("model") != model or len(keys) != len(vectors):
            return None
        return cls(model, int(meta["dim"]), keys, vectors, list(meta.get("probes", [])), meta)

    def lookup(self) -> dict[bytes, int]:
        return {bytes(k): i for i, k in enumerate(self.keys)}

    def vector(self, text: str, index: dict[bytes, int]) -> np.ndarray | None:
        row = index.get(text_key(self.model, text))
        return None if row is None else self.vectors[row].astype(np.float32)

    def matches(self, embedder: Embedder) -> bool:
        """True when `embedder` is the model the file was made with (its probes embed the same)."""
        if embedder.name != self.model or embedder.dim != self.dim or not self.probes:
            return False
        index = self.lookup()
        stored = [self.vector(p, index) for p in self.probes]
        if any(v is None for v in stored):
            return False
        fresh = embedder.embed_passages(self.probes)
        for old, new in zip(stored, fresh, strict=True):
            assert old is not None
            cosine = float(old @ new / ((np.linalg.norm(old) * np.linalg.norm(new)) or 1.0))
            if cosine < MIN_PROBE_COSINE:
                return False
        return True


def write_shipped(directory: Path, model: str, texts: Sequence[str], vectors: np.ndarray) -> Path:
    """Write the shipped file for these passages (deduplicated, sorted by key: reproducible bytes)."""
    rows: dict[bytes, int] = {}
    for i, text in enumerate(texts):
        rows.setdefault(text_key(model, text), i)
    order = sorted(rows)
    keys = np.frombuffer(b"".join(order), dtype=np.uint8).reshape(len(order), KEY_BYTES)
    data = np.asarray(vectors, dtype=np.float32)[[rows[k] for k in order]].astype(np.float16)
    # Probes: the shortest few distinct passages (cheap to embed again), chosen deterministically.
    probes = sorted({t for t in texts if len(t) > 40}, key=lambda t: (len(t), t))[:PROBES]
    directory.mkdir(parents=True, exist_ok=True)
    data_path, meta_path = ShippedEmbeddings.paths(directory, model)
    tmp = data_path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, keys=keys, vectors=data)
    tmp.replace(data_path)
    meta = {
        "format": FORMAT,
        "model": model,
        "dim": int(data.shape[1]) if len(data) else 0,
        "count": len(order),
        "dtype": "float16",
        "key": f"sha256(model NUL text)[:{KEY_BYTES}]",
        "texts_digest": texts_digest(model, texts),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "made_by": "remiss index ship-embeddings",
        "probes": probes,
    }
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return data_path
