"""The ansvarsatlas (corpus/ansvar/*.yaml): format checks, and every legal basis resolves to real text."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from agent.sources.atlas import HOLDERS, AtlasError, load_atlas
from agent.sources.laws import load_default_laws

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def atlas():  # type: ignore[no-untyped-def]
    return load_atlas(CORPUS)


def test_the_atlas_covers_the_division_of_responsibility(atlas) -> None:  # type: ignore[no-untyped-def]
    assert len(atlas.entries) >= 80
    holders = Counter(e.holder for e in atlas.entries)
    assert set(holders) == set(HOLDERS), holders
    # the state's areas the kompetensprövning most often meets are there, by authority
    actors = {e.actor for e in atlas.entries if e.holder == "staten"}
    for authority in ("Polismyndigheten", "Säkerhetspolisen", "Migrationsverket", "Trafikverket"):
        assert any(authority in a for a in actors), authority
    for entry in atlas.entries:
        assert entry.cues and entry.statement and entry.source_note
        assert entry.legal_basis


def test_every_legal_basis_resolves_to_a_paragraph_with_text(atlas) -> None:  # type: ignore[no-untyped-def]
    """A title without text is never evidence: each id is a § of the default law set, with text."""
    paragraphs = {p.id: p for p in load_default_laws(CORPUS)}
    missing = {e.id: [pid for pid in e.legal_basis if pid not in paragraphs] for e in atlas.entries}
    assert not {k: v for k, v in missing.items() if v}
    assert all(paragraphs[pid].text.strip() for pid in atlas.legal_basis_ids())


def test_patterns_compile_and_cues_stem(atlas) -> None:  # type: ignore[no-untyped-def]
    for entry in atlas.entries:
        assert len(entry.compiled_patterns) == len(entry.patterns)
        assert all(c.stems for c in entry.cue_list), entry.id  # a cue of stop words only can never match


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("entries:\n- id: a\n  area: A\n  holder: kungen\n", "saknar"),
        (
            "entries:\n- {id: a, area: A, holder: kungen, actor: x, statement: s, legal_basis: [x/1], "
            "cues: [c], source_note: n}\n",
            "holder ska vara",
        ),
        (
            "entries:\n- {id: a, area: A, holder: staten, actor: x, statement: s, legal_basis: [x/1], "
            "cues: [c], source_note: n, exempel: e}\n",
            "okända fält",
        ),
        (
            "entries:\n- {id: a, area: A, holder: staten, actor: x, statement: s, legal_basis: [x/1], "
            "cues: [c], source_note: n}\n- {id: a, area: B, holder: staten, actor: x, statement: s, "
            "legal_basis: [x/1], cues: [c], source_note: n}\n",
            "finns redan",
        ),
        (
            "entries:\n- {id: a, area: A, holder: forbjudet, actor: x, statement: s, legal_basis: [x/1], "
            "cues: [c], source_note: n, patterns: ['(']}\n",
            "ogiltigt mönster",
        ),
    ],
)
def test_a_malformed_entry_gets_a_swedish_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "ansvar").mkdir()
    (tmp_path / "ansvar" / "x.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(AtlasError, match=message):
        load_atlas(tmp_path)
