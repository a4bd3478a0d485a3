"""Swedish terms: the stemmed content words of a text.

One tokenizer for everything that compares words: the BM25 index (`agent.index.lexical`), the
drafting steps' shared-word tests (`agent.drafting.text.content_terms`) and the ansvarsatlas cues.
Words of at least two letters or digits, lower-cased, Swedish stop words (bm25s's list) removed,
stemmed with the Snowball Swedish stemmer (PyStemmer).
"""

from __future__ import annotations

from collections.abc import Sequence

import bm25s
import Stemmer

STOPWORDS = "sv"  # bm25s's Swedish stop-word list
STEMMER = Stemmer.Stemmer("swedish")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """The stems of each text's words, in order, without stop words."""
    return bm25s.tokenize(
        list(texts), stopwords=STOPWORDS, stemmer=STEMMER, return_ids=False, show_progress=False
    )


def stems(text: str) -> tuple[str, ...]:
    """The stems of one text's words, in order, without stop words."""
    return tuple(tokenize([text])[0])
