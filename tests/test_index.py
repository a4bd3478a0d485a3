"""Building the index: completeness, idempotency, incremental updates, crash safety, consistency
checks, locking, bad input files and the registered Chroma embedding function."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings as ChromaSettings
from conftest import (
    FIXTURE_CORPUS,
    FL,
    KL,
    N_DOCS,
    N_FL,
    N_KL,
    N_PRECEDENTS,
    current_build,
    docstore_kind_counts,
)
from pdf_factory import (
    make_encrypted_pdf,
    make_scanned_pdf,
    make_text_pdf,
    make_truncated_pdf,
    write_pdf,
)

from agent.config import Settings
from agent.index.build import BuildOptions, build_index
from agent.index.embeddings import EmbeddingCache, HashingEmbedder
from agent.index.lexical import LexicalIndex
from agent.index.search import Filters, Searcher
from agent.index.status import index_status
from agent.index.store import (
    IndexBusyError,
    IndexInconsistentError,
    IndexLayout,
    IndexMissingError,
    Manifest,
)
from agent.sources.errors import CorruptPdfError, EmptyDocumentError, EncryptedPdfError, NoTextLayerError


def _ids(hits: list) -> list[str]:
    return [h.document.id for h in hits]


def _search(settings: Settings, query: str, **kwargs: object) -> list:
    searcher = Searcher.open(settings)
    try:
        return searcher.search(query, **kwargs)  # type: ignore[arg-type]
    finally:
        searcher.close()


# -- a complete build -------------------------------------------------------------------------------


def test_build_produces_a_complete_index(shared_settings: Settings) -> None:
    layout = IndexLayout(shared_settings)
    status = index_status(shared_settings)
    assert status.ok
    assert status.current is not None and status.current.problems == []
    assert status.incomplete == [] and not status.building

    build_dir = current_build(shared_settings)
    assert (build_dir / "manifest.json").is_file()
    assert (build_dir / "docs.sqlite").is_file()
    assert (build_dir / "bm25" / "size.txt").is_file()
    assert (build_dir / "chroma").is_dir()
    assert layout.current_build_id() == build_dir.name
    assert [p.name for p in layout.complete_builds()] == [build_dir.name]

    manifest = Manifest.read(build_dir)
    kinds = docstore_kind_counts(build_dir)
    assert kinds == {"law": N_KL + N_FL, "precedent": N_PRECEDENTS}
    assert manifest.count == N_DOCS == sum(kinds.values())
    assert manifest.counts == {
        "law": kinds["law"],
        "precedent": kinds["precedent"],
        f"law:{KL}": N_KL,
        f"law:{FL}": N_FL,
    }
    assert manifest.embedding == HashingEmbedder.name and manifest.dim == HashingEmbedder.dim
    assert manifest.chroma == "embedded"
    assert len(manifest.sources) == 5  # two laws, three remiss answers

    data = status.to_json()
    assert data["ok"] is True
    assert data["build_id"] == manifest.build_id
    assert data["count"] == N_DOCS
    assert data["counts"] == manifest.counts
    assert data["problems"] == [] and data["incomplete_builds"] == []


def test_second_build_changes_nothing(fresh_settings: Settings) -> None:
    layout = IndexLayout(fresh_settings)
    before = sorted(p.name for p in layout.builds.iterdir())
    report = build_index(fresh_settings)
    assert report.changed is False
    assert report.build_id == layout.current_build_id()
    assert report.count == N_DOCS and report.embedded == 0
    assert sorted(p.name for p in layout.builds.iterdir()) == before


def test_forced_rebuild_reuses_cached_embeddings_and_keeps_one_previous_build(
    fresh_settings: Settings,
) -> None:
    layout = IndexLayout(fresh_settings)
    first = layout.current_build_id()
    second = build_index(fresh_settings, force=True)
    assert second.changed is True and second.build_id != first
    assert second.embedded == 0  # everything came from the embedding cache
    assert layout.current_build_id() == second.build_id
    assert {p.name for p in layout.complete_builds()} == {first, second.build_id}

    third = build_index(fresh_settings, force=True)
    # The build before last is removed; current and previous remain.
    assert {p.name for p in layout.complete_builds()} == {second.build_id, third.build_id}
    assert index_status(fresh_settings).ok
    assert _ids(_search(fresh_settings, "KL 2:2", k=1)) == [f"{KL}/2/2"]


def test_changing_the_embedder_rebuilds(fresh_settings: Settings) -> None:
    bm25_only = build_index(fresh_settings, BuildOptions(dense=False))
    assert bm25_only.changed is True
    manifest = Manifest.read(current_build(fresh_settings))
    assert manifest.embedding is None
    assert index_status(fresh_settings).ok
    hits = _search(fresh_settings, "kommunala angelägenheter", k=3, mode="dense")
    assert hits and all(h.match == "lexical" for h in hits)  # no vectors: falls back to BM25
    assert build_index(fresh_settings, BuildOptions(dense=False)).changed is False


# -- incremental updates ----------------------------------------------------------------------------


def test_user_folder_is_indexed_and_edits_are_picked_up(
    fresh_settings: Settings, user_answer_dir: Path
) -> None:
    answer = user_answer_dir / "svar_zyxelbadhus.txt"
    options = BuildOptions(user_paths=[str(user_answer_dir)])

    added = build_index(fresh_settings, options)
    assert added.changed is True and added.errors == []
    assert added.count > N_DOCS
    hits = _search(fresh_settings, "zyxelbadhus", k=5, mode="lexical")
    assert hits and hits[0].document.source == str(answer)
    assert hits[0].document.kind == "precedent"
    assert hits[0].document.metadata["year"] == 2023

    # Options are saved beside the index: a plain build keeps the user folder and changes nothing.
    assert BuildOptions.load(IndexLayout(fresh_settings)).user_paths == [str(user_answer_dir)]
    assert build_index(fresh_settings).changed is False

    answer.write_text(
        answer.read_text(encoding="utf-8").replace("zyxelbadhus", "quorrlekplats"), encoding="utf-8"
    )
    edited = build_index(fresh_settings)
    assert edited.changed is True and edited.build_id != added.build_id
    assert edited.embedded > 0  # only the changed passages are embedded
    assert edited.embedded < edited.count
    new_hits = _search(fresh_settings, "quorrlekplats", k=5, mode="lexical")
    assert new_hits and new_hits[0].document.source == str(answer)
    assert _search(fresh_settings, "zyxelbadhus", k=5, mode="lexical") == []
    searcher = Searcher.open(fresh_settings)
    try:
        texts = [d.text for d in searcher.store.by_source(str(answer))]
    finally:
        searcher.close()
    assert texts and not any("zyxelbadhus" in t for t in texts)

    again = build_index(fresh_settings)
    assert again.changed is False and again.build_id == edited.build_id


def test_removing_a_user_folder_removes_its_documents(
    fresh_settings: Settings, user_answer_dir: Path
) -> None:
    build_index(fresh_settings, BuildOptions(user_paths=[str(user_answer_dir)]))
    assert _search(fresh_settings, "zyxelbadhus", k=5, mode="lexical")
    removed = build_index(fresh_settings, BuildOptions(user_paths=[]))
    assert removed.changed is True and removed.count == N_DOCS
    assert _search(fresh_settings, "zyxelbadhus", k=5, mode="lexical") == []


# -- crash safety -----------------------------------------------------------------------------------


class SimulatedCrash(RuntimeError):
    pass


def _crash(*args: object, **kwargs: object) -> None:
    raise SimulatedCrash("simulated crash")


@pytest.mark.parametrize(
    "target",
    [
        (LexicalIndex, "save"),
        (EmbeddingCache, "embed"),
        (Manifest, "write"),
    ],
    ids=["bm25-save", "embedding", "manifest-write"],
)
def test_crash_mid_build_leaves_the_previous_build_in_use(
    fresh_settings: Settings, user_answer_dir: Path, monkeypatch: pytest.MonkeyPatch, target: tuple
) -> None:
    layout = IndexLayout(fresh_settings)
    previous = layout.current_build_id()
    query = "kommunen får inte ha hand om statens angelägenheter"
    expected = _ids(_search(fresh_settings, query, k=5))

    with monkeypatch.context() as patch:
        patch.setattr(*target, _crash)
        with pytest.raises(SimulatedCrash):
            build_index(fresh_settings, BuildOptions(user_paths=[str(user_answer_dir)]))

    assert layout.current_build_id() == previous
    incomplete = layout.incomplete_builds()
    assert len(incomplete) == 1 and incomplete[0].name != previous
    status = index_status(fresh_settings)
    assert status.ok and not status.building
    assert status.to_json()["incomplete_builds"] == [incomplete[0].name]
    assert (
        _ids(_search(fresh_settings, "kommunen får inte ha hand om statens angelägenheter", k=5)) == expected
    )
    assert _search(fresh_settings, "zyxelbadhus", k=5, mode="lexical") == []

    report = build_index(fresh_settings, BuildOptions(user_paths=[str(user_answer_dir)]))
    assert report.changed is True
    assert not incomplete[0].exists()
    assert layout.incomplete_builds() == []
    assert index_status(fresh_settings).ok
    assert _search(fresh_settings, "zyxelbadhus", k=5, mode="lexical")


_KILLED_BUILD = """
import sys, time
from pathlib import Path
from agent.config import Settings
from agent.index.build import BuildOptions, build_index
from agent.index.embeddings import EmbeddingCache

marker = Path(sys.argv[2])

def hang(self, texts, *args, **kwargs):
    marker.write_text("embedding")
    time.sleep(120)

EmbeddingCache.embed = hang
settings = Settings(data_dir=Path(sys.argv[1]), corpus_dir=Path(sys.argv[3]), embedding="hashing")
build_index(settings, BuildOptions(user_paths=[sys.argv[4]]))
"""


@pytest.mark.slow
def test_build_killed_with_sigkill_is_never_used_and_cleaned_up(
    fresh_settings: Settings, user_answer_dir: Path, tmp_path: Path
) -> None:
    layout = IndexLayout(fresh_settings)
    previous = layout.current_build_id()
    expected = _ids(_search(fresh_settings, "likställighetsprincipen", k=5))
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _KILLED_BUILD,
            str(fresh_settings.data_dir),
            str(marker),
            str(FIXTURE_CORPUS),
            str(user_answer_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the build never reached the embedding stage"
            time.sleep(0.05)
        assert index_status(fresh_settings).building  # the lock is held while it runs
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
    assert proc.returncode == -signal.SIGKILL

    assert layout.current_build_id() == previous
    status = index_status(fresh_settings)
    assert status.ok and not status.building  # the kernel released the dead process's lock
    assert len(status.incomplete) == 1
    assert _ids(_search(fresh_settings, "likställighetsprincipen", k=5)) == expected

    report = build_index(fresh_settings, BuildOptions(user_paths=[str(user_answer_dir)]))
    assert report.changed is True
    assert layout.incomplete_builds() == []
    assert {p.name for p in layout.complete_builds()} == {previous, report.build_id}
    assert _search(fresh_settings, "zyxelbadhus", k=5, mode="lexical")


# -- inconsistent and missing index -----------------------------------------------------------------


def _drop_bm25(build_dir: Path) -> None:
    shutil.rmtree(build_dir / "bm25")


def _drop_docstore_rows(build_dir: Path) -> None:
    with sqlite3.connect(build_dir / "docs.sqlite") as db:
        db.execute("DELETE FROM docs WHERE row >= 40")


@pytest.mark.parametrize(
    ("damage", "problem_word"),
    [(_drop_bm25, "BM25"), (_drop_docstore_rows, "dokumentlagret")],
    ids=["bm25-missing", "docstore-rows-missing"],
)
@pytest.mark.parametrize("force", [True, False], ids=["force", "plain"])
def test_inconsistent_index_is_detected_refused_and_repaired(
    fresh_settings: Settings, damage: object, problem_word: str, force: bool
) -> None:
    build_dir = current_build(fresh_settings)
    damage(build_dir)  # type: ignore[operator]

    status = index_status(fresh_settings)
    assert not status.ok
    assert status.current is not None
    assert any(problem_word in p for p in status.current.problems), status.current.problems
    assert status.to_json()["problems"] == status.current.problems
    with pytest.raises(IndexInconsistentError) as excinfo:
        Searcher.open(fresh_settings)
    assert problem_word in str(excinfo.value)
    assert "remiss index build --force" in str(excinfo.value)

    report = build_index(fresh_settings, force=force)
    assert report.changed is True and report.build_id != build_dir.name
    assert index_status(fresh_settings).ok
    assert _ids(_search(fresh_settings, "KL 2:2", k=1)) == [f"{KL}/2/2"]


def test_missing_index(empty_settings: Settings) -> None:
    status = index_status(empty_settings)
    assert not status.ok
    assert status.to_json()["problems"] == ["inget index är byggt"]
    with pytest.raises(IndexMissingError) as excinfo:
        Searcher.open(empty_settings)
    message = str(excinfo.value)
    assert "remiss index build" in message
    assert "Det finns inget sökindex" in message


def test_current_pointing_at_a_vanished_build_is_reported(fresh_settings: Settings) -> None:
    shutil.rmtree(current_build(fresh_settings))
    assert not index_status(fresh_settings).ok
    with pytest.raises(IndexMissingError):
        Searcher.open(fresh_settings)
    assert build_index(fresh_settings).changed is True
    assert index_status(fresh_settings).ok


# -- locking ----------------------------------------------------------------------------------------


def test_a_second_concurrent_build_is_refused(fresh_settings: Settings) -> None:
    layout = IndexLayout(fresh_settings)
    with layout.lock():
        assert index_status(fresh_settings).building
        with pytest.raises(IndexBusyError) as excinfo:
            build_index(fresh_settings, force=True)
        assert "byggs redan" in str(excinfo.value)
        # Searching is not blocked by a build.
        assert _ids(_search(fresh_settings, "KL 2:2", k=1)) == [f"{KL}/2/2"]
    assert not index_status(fresh_settings).building
    assert build_index(fresh_settings, force=True).changed is True


# -- bad input files --------------------------------------------------------------------------------


def _bad_pdf_folder(root: Path) -> tuple[Path, Path, dict[str, tuple[type, str]]]:
    """A good PDF plus four unreadable files: (folder, good, {bad file: (error type, reason word)})."""
    folder = root / "pdfer"
    good = write_pdf(folder / "svar_utegym.pdf", make_text_pdf())
    write_pdf(folder / "krypterad.pdf", make_encrypted_pdf("hemligt"))
    write_pdf(folder / "inskannad.pdf", make_scanned_pdf(1))
    write_pdf(folder / "trasig.pdf", make_truncated_pdf())
    write_pdf(folder / "tom.pdf", b"")
    expected = {
        str(folder / "krypterad.pdf"): (EncryptedPdfError, "krypterad"),
        str(folder / "inskannad.pdf"): (NoTextLayerError, "ocr"),
        str(folder / "trasig.pdf"): (CorruptPdfError, "ofullständig"),
        str(folder / "tom.pdf"): (EmptyDocumentError, "tom"),
    }
    return folder, good, expected


def test_bad_files_in_a_batch_are_reported_and_the_rest_is_indexed(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    folder, good, expected = _bad_pdf_folder(tmp_path)
    report = build_index(fresh_settings, BuildOptions(user_paths=[str(folder)]))
    assert report.changed is True
    assert {e.path: e.reason for e in report.errors}.keys() == expected.keys()
    for err in report.errors:
        error_type, word = expected[err.path]
        assert isinstance(err, error_type), err
        assert word in err.reason.lower(), err.reason
    assert report.kept_from_previous == []
    assert index_status(fresh_settings).ok

    hits = _search(fresh_settings, "utegym Åkersberga", k=5, filters=Filters(kind="precedent"))
    assert hits and hits[0].document.source == str(good)
    assert not any(h.document.source in expected for h in hits)


def _indexed_ids(settings: Settings, source: str) -> list[str]:
    """Ids of the current index's documents from `source` (a file, or every file below a folder)."""
    searcher = Searcher.open(settings)
    try:
        return [d.id for d in searcher.store.by_source(source)]
    finally:
        searcher.close()


def test_an_indexed_file_that_becomes_unreadable_keeps_its_documents(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    folder, good, _ = _bad_pdf_folder(tmp_path)
    options = BuildOptions(user_paths=[str(folder)])
    build_index(fresh_settings, options)
    before = _indexed_ids(fresh_settings, str(good))
    assert before

    good.write_bytes(make_truncated_pdf())  # the file on disk is damaged after indexing
    report = build_index(fresh_settings, options)
    assert report.kept_from_previous == [str(good)]
    assert str(good) in {e.path for e in report.errors}
    searcher = Searcher.open(fresh_settings)
    try:
        assert [d.id for d in searcher.store.by_source(str(good))] == before
        hits = searcher.search("utegym Åkersberga", k=5, filters=Filters(kind="precedent"))
        assert hits and hits[0].document.source == str(good)
    finally:
        searcher.close()

    # Still kept on a forced rebuild (the previous build is the source of the kept documents).
    forced = build_index(fresh_settings, options, force=True)
    assert forced.kept_from_previous == [str(good)]
    assert _search(fresh_settings, "utegym Åkersberga", k=5, filters=Filters(kind="precedent"))


# -- the registered Chroma embedding function -------------------------------------------------------


def test_persisted_collection_reopens_offline_with_the_registered_embedding_function(
    shared_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    build_dir = current_build(shared_settings)
    manifest = Manifest.read(build_dir)
    # A copy, so no client of this process has the folder open already.
    shutil.copytree(build_dir / "chroma", tmp_path / "chroma")
    client = chromadb.PersistentClient(
        path=str(tmp_path / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_collection(manifest.collection)  # no embedding function passed
    assert collection.count() == N_DOCS
    ef = collection.configuration["embedding_function"]
    assert ef is not None and ef.name() == "remissagent"
    assert ef.get_config() == {"embedding": "hashing", "model": ""}
    assert json.dumps(collection.configuration_json).count("remissagent") >= 1

    # Querying by text embeds with the project's embedder (not Chroma's downloading default).
    query = "kommunen får inte ha hand om statens angelägenheter"
    by_text = collection.query(query_texts=[query], n_results=5, include=[])["ids"][0]
    vector = HashingEmbedder().embed_query(query)
    by_vector = collection.query(query_embeddings=[vector], n_results=5, include=[])["ids"][0]
    assert by_text == by_vector
    assert np.asarray(ef.embed_query([query])[0]).shape == (HashingEmbedder.dim,)


def test_an_indexed_folder_that_disappears_keeps_its_documents(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    """An added folder on a drive that is not mounted right now must not silently drop out."""
    folder, good, _ = _bad_pdf_folder(tmp_path)
    options = BuildOptions(user_paths=[str(folder)])
    build_index(fresh_settings, options)
    before = _indexed_ids(fresh_settings, str(folder))
    assert any(doc_id.startswith(str(good)) for doc_id in before)

    folder.rename(tmp_path / "flyttad")
    report = build_index(fresh_settings, options)
    assert report.kept_from_previous == [str(folder)]
    assert _indexed_ids(fresh_settings, str(folder)) == before
