"""Retrieval over the ansvarsatlas: which entries does a proposal touch, and by which words?

Hybrid in the project's sense: a lexical part (the entry's cue phrases, stemmed, must all occur in the
proposal; counter-cues likewise; `patterns` as regular expressions) and a dense part (cosine similarity of
the proposal and the entry's area + statement + cues under the index's embedding model). The entry
vectors are computed once and kept in the embedding cache of the data dir (a few seconds the first time).

The decision what a match means is not taken here but in `agent/drafting/competence.py`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from agent.config import Settings
from agent.index.embeddings import Embedder, EmbeddingCache
from agent.sources.atlas import Atlas, AtlasEntry, Cue, load_atlas
from agent.text.terms import stems


@dataclass(frozen=True)
class EntryMatch:
    """How one atlas entry matches one text."""

    entry: AtlasEntry
    cues: tuple[str, ...]  # the cue phrases found
    counter_cues: tuple[str, ...]
    patterns: tuple[str, ...]  # the text each pattern matched
    dense: float  # cosine similarity (0 when the index has no embeddings)
    dense_rank: int  # 1 = the most similar entry
    cue_weight: float = 0.0  # `cue_weight(found cues)`


def cue_weight(cues: list[Cue]) -> float:
    """Found cues, a cue of several content words counting for more (it is more specific). Counted in
    stems, not words: stop words do not make a cue specific ("regionen ska" is as weak as "regionen")."""
    return sum(1.0 + 0.5 * (len(set(c.stems)) - 1) for c in cues)


@dataclass
class AtlasSearch:
    atlas: Atlas
    vectors: np.ndarray | None = None  # one row per entry, normalised
    embedder: Embedder | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def match(self, text: str) -> list[EntryMatch]:
        """Every entry with its cue, counter-cue, pattern and dense evidence for `text`, best first."""
        text_stems = set(stems(text))
        dense: np.ndarray = np.zeros(len(self.atlas.entries), dtype=np.float32)
        if self.vectors is not None and self.embedder is not None and len(self.atlas.entries):
            with self._lock:  # the embedding engine is not re-entrant
                q = self.embedder.embed_query(text)
            dense = self.vectors @ (q / (np.linalg.norm(q) or 1.0))
        order = np.argsort(-dense)
        rank = np.empty(len(order), dtype=int)
        rank[order] = np.arange(1, len(order) + 1)
        out = []
        for i, entry in enumerate(self.atlas.entries):
            found = [c for c in entry.cue_list if c.found_in(text_stems)]
            out.append(
                EntryMatch(
                    entry=entry,
                    cues=tuple(c.phrase for c in found),
                    counter_cues=tuple(c.phrase for c in entry.counter_cue_list if c.found_in(text_stems)),
                    patterns=tuple(m.group(0) for p in entry.compiled_patterns if (m := p.search(text))),
                    dense=float(dense[i]),
                    dense_rank=int(rank[i]),
                    cue_weight=cue_weight(found),
                )
            )
        out.sort(key=lambda m: (-m.cue_weight - len(m.patterns), m.dense_rank))
        return out


_CACHE: dict[tuple[str, str], AtlasSearch] = {}
_CACHE_LOCK = threading.Lock()


def atlas_search(settings: Settings, embedder: Embedder | None) -> AtlasSearch:
    """The atlas of `settings.corpus_dir` with entry vectors for `embedder` (cached per process)."""
    key = (str(settings.corpus_dir), getattr(embedder, "name", "none"))
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is None:
            atlas = load_atlas(settings.corpus_dir)
            vectors = None
            if embedder is not None and atlas.entries:
                cache = EmbeddingCache(settings.cache_dir / f"embeddings-{embedder.name}.sqlite", embedder)
                try:
                    vectors = cache.embed([e.embed_text for e in atlas.entries])
                finally:
                    cache.close()
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-9)
            found = _CACHE[key] = AtlasSearch(atlas, vectors, embedder)
        return found
