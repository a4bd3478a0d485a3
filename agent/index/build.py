"""Build an index from the corpus and the user's own sources: parse -> docstore + BM25 + Chroma.

Incremental and idempotent: documents are compared by content hash, so re-running with nothing
changed does nothing, and a rebuild only embeds text whose embedding is not cached yet.
Crash-safe: see `store.py` (new build folder, manifest last, atomic switch).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from agent.config import Settings
from agent.index.embeddings import Embedder, EmbeddingCache, RemissEmbeddingFunction, make_embedder
from agent.index.lexical import LexicalIndex
from agent.index.shipped import ShippedEmbeddings, shipped_dir, write_shipped
from agent.index.store import (
    DocStore,
    IndexLayout,
    Manifest,
    chroma_client,
    chroma_location,
    chroma_metadata,
    collection_name,
    remove_build,
)
from agent.sources.errors import SourceError
from agent.sources.models import Document

SfsOption = Literal["none", "instructions", "current", "all"]
SUPPORTED_SUFFIXES = (".pdf", ".txt", ".md")


class Progress(Protocol):
    def stage(self, description: str, total: int | None = None) -> None: ...

    def advance(self, n: int = 1) -> None: ...


class SilentProgress:
    def stage(self, description: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass


@dataclass
class BuildOptions:
    """What goes into an index. Saved beside the index so `index add` keeps earlier choices."""

    default_corpus: bool = True
    sfs: SfsOption = "none"  # extra laws from the bundled SFS archive
    sfs_limit: int = 0  # 0 = no limit (the scale benchmark indexes growing slices)
    dense: bool = True  # False: BM25 + exact references only
    user_paths: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, layout: IndexLayout) -> BuildOptions:
        path = layout.root / "options.json"
        if not path.exists():
            return cls()
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def save(self, layout: IndexLayout) -> None:
        layout.root.mkdir(parents=True, exist_ok=True)
        tmp = layout.root / "options.json.tmp"
        tmp.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(layout.root / "options.json")


@dataclass
class BuildReport:
    changed: bool
    build_id: str | None
    count: int
    embedded: int = 0  # passages embedded now (the rest came from the caches)
    seconds: float = 0.0
    errors: list[SourceError] = field(default_factory=list)
    kept_from_previous: list[str] = field(default_factory=list)  # unreadable sources kept as indexed
    shipped: int = 0  # passages whose vectors came from the embeddings shipped with the project
    warnings: list[str] = field(default_factory=list)


def collect_documents(
    settings: Settings, options: BuildOptions, previous: DocStore | None, progress: Progress
) -> tuple[list[Document], list[SourceError], list[str]]:
    from agent.sources.laws import load_default_laws
    from agent.sources.remissvar import load_default_remissvar, load_folder

    docs: list[Document] = []
    if options.default_corpus:
        progress.stage("Läser lagar och tidigare remissvar", None)
        docs.extend(p.to_document() for p in load_default_laws(settings.corpus_dir))
        docs.extend(load_default_remissvar(settings.corpus_dir))
    if options.sfs != "none":
        docs.extend(_archive_documents(settings, options, {d.metadata.get("law_id") for d in docs}, progress))
    errors: list[SourceError] = []
    kept: list[str] = []
    if options.user_paths:
        progress.stage("Läser egna dokument", None)
        user_docs, errors = load_folder([Path(p) for p in options.user_paths])
        docs.extend(user_docs)
        if previous is not None:
            # A file (or a whole folder, e.g. an unmounted drive) that was indexed before and
            # cannot be read now keeps its indexed version.
            for err in errors:
                old = previous.by_source(err.path)
                if old:
                    docs.extend(old)
                    kept.append(err.path)
    return _dedupe(docs), errors, kept


def _archive_documents(
    settings: Settings, options: BuildOptions, present: set[object], progress: Progress
) -> Iterable[Document]:
    from agent.sources.sfs_archive import iter_archive_laws, statute_archives

    archives = statute_archives(settings.corpus_dir / "sfs")
    title_filter = None
    if options.sfs == "instructions":
        title_filter = lambda title: title.lower().startswith("förordning med instruktion för")  # noqa: E731
    progress.stage(f"Läser SFS-arkiven ({', '.join(a.name for a in archives)})", options.sfs_limit or None)
    laws = 0
    for _member, paragraphs in iter_archive_laws(
        archives, current_only=options.sfs != "all", title_filter=title_filter
    ):
        if not paragraphs or paragraphs[0].law_id in present:
            continue
        laws += 1
        progress.advance()
        for paragraph in paragraphs:
            yield paragraph.to_document()
        if options.sfs_limit and laws >= options.sfs_limit:
            break


def _dedupe(docs: list[Document]) -> list[Document]:
    seen: set[str] = set()
    out = []
    for doc in docs:
        if doc.id not in seen:
            seen.add(doc.id)
            out.append(doc)
    return out


def corpus_digest(docs: list[Document], embedding: str | None) -> str:
    h = hashlib.sha256((embedding or "bm25-only").encode())
    for doc_id, content_hash in sorted((d.id, d.content_hash) for d in docs):
        h.update(f"{doc_id}\0{content_hash}\n".encode())
    return h.hexdigest()


def _source_digests(docs: list[Document]) -> dict[str, str]:
    per: dict[str, hashlib._Hash] = {}
    for doc in docs:
        per.setdefault(doc.source, hashlib.sha256()).update(doc.content_hash.encode())
    return {source: h.hexdigest()[:16] for source, h in sorted(per.items())}


def _counts(docs: list[Document]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for doc in docs:
        counts[doc.kind] = counts.get(doc.kind, 0) + 1
        if doc.kind == "law":
            key = f"law:{doc.metadata.get('law_id')}"
            counts[key] = counts.get(key, 0) + 1
    return counts


def build_index(
    settings: Settings,
    options: BuildOptions | None = None,
    *,
    layout: IndexLayout | None = None,
    progress: Progress | None = None,
    force: bool = False,
    use_shipped: bool = True,
) -> BuildReport:
    """Build (or leave alone, if nothing changed) the index named in `settings`.

    `use_shipped=False` ignores the embeddings shipped with the project (the benchmark's baseline)."""
    layout = layout or IndexLayout(settings)
    progress = progress or SilentProgress()
    options = options or BuildOptions.load(layout)
    started = time.perf_counter()
    with layout.lock():
        for stale in layout.incomplete_builds():
            remove_build(settings, stale)  # left by an interrupted build
        current = layout.current_dir()
        docs, errors, kept, previous_manifest = _collect(settings, options, current, progress)
        embedder = make_embedder(settings) if options.dense else None
        digest = corpus_digest(docs, embedder.name if embedder else None)
        if (
            not force
            and previous_manifest is not None
            and previous_manifest.corpus_digest == digest
            and previous_manifest.chroma == chroma_location(settings)
            and _is_consistent(settings, current)  # type: ignore[arg-type]  # a manifest implies a build dir
        ):
            options.save(layout)
            return BuildReport(
                False, previous_manifest.build_id, len(docs), 0, time.perf_counter() - started, errors, kept
            )
        build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
        stats = _write_build(
            settings, layout, build_id, docs, embedder, digest, options, progress, use_shipped=use_shipped
        )
        layout.switch_to(build_id)
        options.save(layout)
        # Keep the previous build (a running app may still read it); remove anything older.
        for old in layout.complete_builds():
            if old.name not in (build_id, current.name if current else ""):
                remove_build(settings, old)
        seconds = time.perf_counter() - started
        return BuildReport(
            True, build_id, len(docs), stats.embedded, seconds, errors, kept, stats.shipped, stats.warnings
        )


def _collect(
    settings: Settings, options: BuildOptions, current: Path | None, progress: Progress
) -> tuple[list[Document], list[SourceError], list[str], Manifest | None]:
    """The corpus documents (reusing the current build's texts of files that can no longer be read)."""
    previous = None
    previous_manifest = None
    if current is not None and (current / "manifest.json").exists():
        previous_manifest = Manifest.read(current)
        previous = DocStore(current / "docs.sqlite")
    try:
        docs, errors, kept = collect_documents(settings, options, previous, progress)
    finally:
        if previous is not None:
            previous.close()
    return docs, errors, kept, previous_manifest


def _write_build(
    settings: Settings,
    layout: IndexLayout,
    build_id: str,
    docs: list[Document],
    embedder: Embedder | None,
    digest: str,
    options: BuildOptions,
    progress: Progress,
    *,
    use_shipped: bool = True,
) -> EmbedStats:
    """A complete new build folder (documents, BM25, vectors, manifest last); where vectors came from."""
    build_dir = layout.builds / build_id
    build_dir.mkdir(parents=True)
    stats = EmbedStats()
    DocStore.create(build_dir / "docs.sqlite", docs).close()
    progress.stage("Bygger BM25-index", None)
    texts = [d.embedding_input() for d in docs]
    LexicalIndex.build(texts).save(build_dir / "bm25")
    collection = collection_name(layout.name, build_id)
    if embedder is not None:
        vectors, stats = _embed(settings, embedder, texts, progress, use_shipped)
        _write_chroma(settings, build_dir, collection, docs, vectors, progress)
    Manifest(
        build_id=build_id,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        embedding=embedder.name if embedder else None,
        dim=embedder.dim if embedder else 0,
        collection=collection,
        chroma=chroma_location(settings),
        count=len(docs),
        corpus_digest=digest,
        counts=_counts(docs),
        sources=_source_digests(docs),
        options=asdict(options),
    ).write(build_dir)
    return stats


@dataclass
class EmbedStats:
    embedded: int = 0  # computed by the model now
    shipped: int = 0  # read from the shipped file
    warnings: list[str] = field(default_factory=list)


def _shipped_for(settings: Settings, embedder: Embedder, stats: EmbedStats, progress: Progress) -> Any:
    """The shipped vectors for this embedder, when there are any and they come from the same model."""
    shipped = ShippedEmbeddings.load(shipped_dir(settings.corpus_dir), embedder.name)
    if shipped is None:
        return None
    progress.stage("Kontrollerar medskickade embeddings", None)
    if shipped.matches(embedder):
        return shipped
    stats.warnings.append(
        f"De medskickade embeddingarna ({embedder.name}) stämmer inte med modellen på den här datorn "
        "(en annan modellversion?); alla avsnitt beräknas lokalt i stället."
    )
    return None


def _embed(
    settings: Settings, embedder: Embedder, texts: list[str], progress: Progress, use_shipped: bool
) -> tuple[Any, EmbedStats]:
    """Vectors of `texts`: the local cache, then the shipped file, then the model."""
    stats = EmbedStats()
    shipped = _shipped_for(settings, embedder, stats, progress) if use_shipped else None
    cache = EmbeddingCache(settings.cache_dir / f"embeddings-{embedder.name}.sqlite", embedder, shipped)
    progress.stage("Beräknar embeddings", len(texts))
    try:
        vectors = cache.embed(texts, progress=progress.advance)
        stats.embedded, stats.shipped = cache.last_embedded, cache.last_shipped
        return vectors, stats
    finally:
        cache.close()


def _write_chroma(
    settings: Settings,
    build_dir: Path,
    collection: str,
    docs: list[Document],
    vectors: Any,
    progress: Progress,
) -> None:
    progress.stage("Skriver till Chroma", len(docs))
    client = chroma_client(settings, build_dir)
    col = client.create_collection(
        collection,
        embedding_function=RemissEmbeddingFunction(  # type: ignore[arg-type]  # chroma's protocol: str|image
            settings.embedding,
            settings.openai_embedding_model if settings.embedding == "openai" else "",
        ),
        configuration={"hnsw": {"space": "cosine"}},
    )
    for start in range(0, len(docs), 1000):
        batch = docs[start : start + 1000]
        col.add(
            ids=[d.id for d in batch],
            embeddings=vectors[start : start + len(batch)],
            metadatas=[chroma_metadata(d) for d in batch],
            documents=[d.text for d in batch],
        )
        progress.advance(len(batch))


def _is_consistent(settings: Settings, build_dir: Path) -> bool:
    from agent.index.status import check_build

    return not check_build(settings, build_dir).problems


def ship_embeddings(settings: Settings, progress: Progress | None = None) -> tuple[Path, int, int]:
    """Regenerate corpus/embeddings/<model>.npz for the default corpus (run after a corpus change).

    Uses the local cache (only changed passages are embedded), never the old shipped file. Returns
    the file written, the number of passages, and how many were embedded now."""
    progress = progress or SilentProgress()
    docs, _errors, _kept = collect_documents(settings, BuildOptions(), None, progress)
    embedder = make_embedder(settings)
    texts = [d.embedding_input() for d in docs]
    vectors, stats = _embed(settings, embedder, texts, progress, use_shipped=False)
    progress.stage("Skriver de medskickade embeddingarna", None)
    path = write_shipped(shipped_dir(settings.corpus_dir), embedder.name, texts, vectors)
    return path, len(texts), stats.embedded
