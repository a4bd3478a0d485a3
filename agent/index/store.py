"""On-disk layout of an index, its manifest, the docstore and the atomic switch between builds.

    <data_dir>/indexes/<name>/
        CURRENT              build id of the index queries use (replaced atomically)
        build.lock           held while a build runs
        builds/<build_id>/   docs.sqlite, bm25/, chroma/ (embedded mode), manifest.json

A build writes everything into a fresh `builds/<build_id>/`, writes `manifest.json` last, and only
then points CURRENT at it with `os.replace`. A crash at any point leaves CURRENT on the previous,
complete build; the half-built folder has no manifest, is reported by `status` and removed by the
next build. With a Chroma server, each build gets its own collection, named in the manifest.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings

from agent.config import Settings
from agent.sources.models import Document

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


class SearchIndexError(Exception):
    """An index problem with a clear Swedish message for the user."""


class IndexMissingError(SearchIndexError):
    pass


class IndexInconsistentError(SearchIndexError):
    pass


class IndexBusyError(SearchIndexError):
    pass


@dataclass
class Manifest:
    build_id: str
    created: str
    embedding: str | None  # embedder name; None = BM25 only
    dim: int
    collection: str
    chroma: str  # "embedded" or "http://host:port"
    count: int
    corpus_digest: str
    counts: dict[str, int] = field(default_factory=dict)  # per kind / per law
    sources: dict[str, str] = field(default_factory=dict)  # source -> digest of its documents
    options: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def write(self, build_dir: Path) -> None:
        tmp = build_dir / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(self.__dict__, ensure_ascii=False, indent=1), encoding="utf-8")
        _fsync_file(tmp)
        os.replace(tmp, build_dir / MANIFEST)

    @classmethod
    def read(cls, build_dir: Path) -> Manifest:
        data = json.loads((build_dir / MANIFEST).read_text(encoding="utf-8"))
        return cls(**data)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class IndexLayout:
    def __init__(self, settings: Settings, name: str | None = None) -> None:
        self.settings = settings
        self.name = name or settings.index_name
        self.root = settings.indexes_dir / self.name
        self.builds = self.root / "builds"

    @property
    def current_file(self) -> Path:
        return self.root / "CURRENT"

    def current_build_id(self) -> str | None:
        try:
            value = self.current_file.read_text().strip()
        except FileNotFoundError:
            return None
        return value or None

    def current_dir(self) -> Path | None:
        build_id = self.current_build_id()
        return self.builds / build_id if build_id else None

    def switch_to(self, build_id: str) -> None:
        tmp = self.root / "CURRENT.tmp"
        tmp.write_text(build_id + "\n")
        _fsync_file(tmp)
        os.replace(tmp, self.current_file)

    def incomplete_builds(self) -> list[Path]:
        if not self.builds.exists():
            return []
        return sorted(p for p in self.builds.iterdir() if p.is_dir() and not (p / MANIFEST).exists())

    def complete_builds(self) -> list[Path]:
        if not self.builds.exists():
            return []
        return sorted(p for p in self.builds.iterdir() if (p / MANIFEST).exists())

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "build.lock").open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IndexBusyError(
                    "Indexet byggs redan av en annan process. Vänta tills den är klar och försök igen."
                ) from exc
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def is_locked(self) -> bool:
        path = self.root / "build.lock"
        if not path.exists():
            return False
        with path.open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False


def chroma_client(settings: Settings, build_dir: Path) -> chromadb.ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
        )
    return chromadb.PersistentClient(path=str(build_dir / "chroma"), settings=chroma_settings)


def chroma_location(settings: Settings) -> str:
    return f"http://{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else "embedded"


def chroma_metadata(doc: Document) -> dict[str, str | int | float | bool]:
    """Flat, filterable metadata for Chroma (the full metadata stays in the docstore)."""
    meta = doc.metadata
    return {
        "kind": doc.kind,
        "source": doc.source,
        "law_id": str(meta.get("law_id", "")),
        "body": str(meta.get("body", "")),
        "year": int(meta.get("year", 0) or 0),
    }


class DocStore:
    """SQLite table of the documents of one build, in BM25 row order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False)

    @classmethod
    def create(cls, path: Path, docs: Iterable[Document]) -> DocStore:
        store = cls(path)
        store._db.execute(
            "CREATE TABLE docs (row INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, kind TEXT NOT NULL, "
            "label TEXT NOT NULL, text TEXT NOT NULL, source TEXT NOT NULL, embed_text TEXT NOT NULL, "
            "metadata TEXT NOT NULL, hash TEXT NOT NULL)"
        )
        store._db.executemany(
            "INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?)",
            (
                (
                    i,
                    d.id,
                    d.kind,
                    d.label,
                    d.text,
                    d.source,
                    d.embed_text,
                    json.dumps(d.metadata, ensure_ascii=False),
                    d.content_hash,
                )
                for i, d in enumerate(docs)
            ),
        )
        store._db.commit()
        return store

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM docs").fetchone()[0])

    @staticmethod
    def _doc(row: tuple[Any, ...]) -> Document:
        return Document(
            id=row[0],
            kind=row[1],
            label=row[2],
            text=row[3],
            source=row[4],
            embed_text=row[5],
            metadata=json.loads(row[6]),
        )

    _COLS = "id, kind, label, text, source, embed_text, metadata"

    def get(self, doc_id: str) -> Document | None:
        row = self._db.execute(f"SELECT {self._COLS} FROM docs WHERE id = ?", (doc_id,)).fetchone()
        return self._doc(row) if row else None

    def get_rows(self, rows: list[int]) -> list[Document]:
        if not rows:
            return []
        found = {
            r[0]: self._doc(r[1:])
            for r in self._db.execute(
                f"SELECT row, {self._COLS} FROM docs WHERE row IN ({','.join('?' * len(rows))})", rows
            )
        }
        return [found[r] for r in rows]

    def row_of(self, doc_ids: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for start in range(0, len(doc_ids), 500):
            chunk = doc_ids[start : start + 500]
            out.update(
                self._db.execute(
                    f"SELECT id, row FROM docs WHERE id IN ({','.join('?' * len(chunk))})", chunk
                ).fetchall()
            )
        return out

    def law_titles(self) -> dict[str, str]:
        """law_id -> the law's title ("Förordning med instruktion för Säkerhetspolisen"), in row order."""
        rows = self._db.execute(
            "SELECT json_extract(metadata, '$.law_id'), json_extract(metadata, '$.law_title') "
            "FROM docs WHERE kind = 'law' ORDER BY row"
        )
        out: dict[str, str] = {}
        for law_id, title in rows:
            out.setdefault(law_id, title or "")
        return out

    def columns(self) -> list[tuple[str, str, str, str]]:
        """(kind, source, law_id, body) for every row, in row order: the filter masks."""
        out = []
        for kind, source, meta in self._db.execute("SELECT kind, source, metadata FROM docs ORDER BY row"):
            m = json.loads(meta)
            out.append((kind, source, str(m.get("law_id", "")), str(m.get("body", ""))))
        return out

    def ids(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT id FROM docs ORDER BY row")]

    def years(self) -> list[int]:
        return [
            int(json.loads(meta).get("year", 0) or 0)
            for (meta,) in self._db.execute("SELECT metadata FROM docs ORDER BY row")
        ]

    def by_source(self, source: str) -> list[Document]:
        """Documents from `source`, or from any file below it when `source` is a folder."""
        folder = source.rstrip("/") + "/"
        return [
            self._doc(r)
            for r in self._db.execute(
                f"SELECT {self._COLS} FROM docs WHERE source = ? OR substr(source, 1, ?) = ? ORDER BY row",
                (source, len(folder), folder),
            )
        ]

    def hashes(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT id, hash FROM docs"))

    def close(self) -> None:
        self._db.close()


def collection_name(index_name: str, build_id: str) -> str:
    """The Chroma collection of a build (3-512 characters of [a-zA-Z0-9._-])."""
    return re.sub(r"[^a-zA-Z0-9._-]", "-", f"remiss-{index_name}-{build_id}")[:512]


def remove_build(settings: Settings, build_dir: Path) -> None:
    """Delete a build folder and, on a Chroma server, its collection (also of an unfinished build)."""
    if settings.chroma_host:
        name = collection_name(build_dir.parent.parent.name, build_dir.name)
        with contextlib.suppress(Exception):
            chroma_client(settings, build_dir).delete_collection(name)
    shutil.rmtree(build_dir, ignore_errors=True)
