"""Swedish BM25 (bm25s over the terms of `agent.text.terms`), persisted beside Chroma."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from agent.text.terms import STEMMER, STOPWORDS, tokenize

__all__ = ["LexicalIndex", "tokenize"]


class LexicalIndex:
    """BM25 over a fixed, ordered list of documents; row i is document i of the docstore."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        retriever = bm25s.BM25()
        tokens = bm25s.tokenize(list(texts), stopwords=STOPWORDS, stemmer=STEMMER, show_progress=False)
        retriever.index(tokens, show_progress=False)
        return cls(retriever, len(texts))

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._retriever.save(str(directory))
        (directory / "size.txt").write_text(str(self.size))

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        retriever = bm25s.BM25.load(str(directory))
        return cls(retriever, int((directory / "size.txt").read_text()))

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Return (row, score) pairs with score > 0, best first; `mask` (0/1 per row) filters rows."""
        if self.size == 0:
            return []
        tokens = tokenize([query])
        if not tokens[0]:
            return []
        k = min(k, self.size)
        rows, scores = self._retriever.retrieve(
            tokens, k=k, show_progress=False, weight_mask=mask, n_threads=1
        )
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if s > 0]
