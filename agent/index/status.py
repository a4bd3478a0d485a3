"""What is indexed, and whether the index on disk is whole (`remiss index status`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.config import Settings
from agent.index.store import MANIFEST, DocStore, IndexLayout, Manifest, chroma_client
from agent.sources.sfs_archive import INSTRUCTION_MARK

COVERAGE_FILE = "statute-coverage.json"  # in the corpus dir, written by scripts/import_corpus.py


@dataclass
class BuildCheck:
    build_dir: Path
    manifest: Manifest | None
    problems: list[str] = field(default_factory=list)
    law_titles: dict[str, str] = field(default_factory=dict)  # law_id -> title of every indexed law


def coverage(settings: Settings, law_titles: dict[str, str]) -> dict[str, Any]:
    """Which statutes have text (the archives, per corpus/statute-coverage.json) and which are indexed."""
    indexed_instructions = sum(INSTRUCTION_MARK in t for t in law_titles.values())
    out: dict[str, Any] = {
        "indexed_laws": len(law_titles) - indexed_instructions,
        "indexed_instructions": indexed_instructions,
    }
    path = settings.corpus_dir / COVERAGE_FILE
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        out["archive_statutes"] = data["statutes"]
        out["archive_instructions"] = {k: v for k, v in data["instructions"].items() if k != "without_text"}
        out["instructions_without_text"] = data["instructions"]["without_text"]
    return out


def check_build(settings: Settings, build_dir: Path) -> BuildCheck:
    """Every part of a build must exist and hold exactly the manifest's number of documents."""
    if not (build_dir / MANIFEST).exists():
        return BuildCheck(build_dir, None, ["manifest saknas (bygget avbröts innan det blev klart)"])
    manifest = Manifest.read(build_dir)
    check = BuildCheck(build_dir, manifest)
    try:
        store = DocStore(build_dir / "docs.sqlite")
        n_docs = store.count()
        check.law_titles = store.law_titles()
        store.close()
    except Exception as exc:
        check.problems.append(f"dokumentlagret går inte att läsa ({exc})")
        n_docs = -1
    if n_docs != manifest.count and n_docs >= 0:
        check.problems.append(f"dokumentlagret har {n_docs} dokument, manifestet {manifest.count}")
    size_file = build_dir / "bm25" / "size.txt"
    if not size_file.exists():
        check.problems.append("BM25-indexet saknas")
    elif int(size_file.read_text()) != manifest.count:
        check.problems.append(
            f"BM25-indexet har {size_file.read_text()} dokument, manifestet {manifest.count}"
        )
    if manifest.embedding:
        try:
            n_vec = chroma_client(settings, build_dir).get_collection(manifest.collection).count()
        except Exception as exc:
            check.problems.append(f"Chroma-samlingen {manifest.collection} går inte att öppna ({exc})")
        else:
            if n_vec != manifest.count:
                check.problems.append(f"Chroma har {n_vec} vektorer, manifestet {manifest.count}")
    return check


@dataclass
class IndexStatus:
    name: str
    root: Path
    current: BuildCheck | None
    incomplete: list[Path]
    building: bool
    coverage: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.current is not None and not self.current.problems

    def to_json(self) -> dict[str, Any]:
        m = self.current.manifest if self.current else None
        return {
            "index": self.name,
            "path": str(self.root),
            "ok": self.ok,
            "building": self.building,
            "build_id": m.build_id if m else None,
            "created": m.created if m else None,
            "embedding": m.embedding if m else None,
            "chroma": m.chroma if m else None,
            "count": m.count if m else 0,
            "counts": m.counts if m else {},
            "sources": len(m.sources) if m else 0,
            "options": m.options if m else {},
            "problems": self.current.problems if self.current else ["inget index är byggt"],
            "incomplete_builds": [p.name for p in self.incomplete],
            "coverage": self.coverage,
        }


def index_status(settings: Settings) -> IndexStatus:
    layout = IndexLayout(settings)
    current_dir = layout.current_dir()
    current = check_build(settings, current_dir) if current_dir else None
    titles = current.law_titles if current else {}
    return IndexStatus(
        layout.name,
        layout.root,
        current,
        layout.incomplete_builds(),
        layout.is_locked(),
        coverage(settings, titles),
    )
