"""The remiss the draft answers, as a source for quotations only (see `docs/verification.md`).

A draft quotes the remiss it answers ("I motionen föreslås ”att kommunen inrättar …”"). Such a
quotation is checked with the same verbatim test as any other (`verbatim.py`). The remiss is never a
citation: it is not a law or an earlier answer, so it never resolves a reference and never supports a
legal claim. A quotation that is not verbatim in it but close to a stretch of it (`RemissSource.close`)
is a misquotation of "remissen"; that closeness test only decides which source a misquotation is
reported against, never whether a quotation passes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from difflib import SequenceMatcher
from itertools import chain

from agent.drafting.verify.verbatim import Verbatim, normalise_source
from agent.text.sentences import sentence_spans

REMISS_ID = "remissen"  # `Misquote.source_id` of a misquotation of the remiss (no given source has it)
REMISS_LABEL = "remissen"
# User-facing reason (Swedish).
R_NOT_VERBATIM_REMISS = "Citatet finns inte ordagrant i remissen."

# Words that say a quotation is the remiss's, when they come between the last citation before the
# quotation in its sentence and the quotation ("I motionen, som nämner 2 kap. 1 § KL, föreslås ”…”").
# Not "förslaget" or "föreslås": they also speak of a law's or an earlier answer's proposal.
_NAMES_REMISS_RE = re.compile(
    r"\b(?:motion(?:en|ens|är|ären|ärens|ärer|ärerna|ärernas|erna)?|medborgarförslag(?:et|ets)?"
    r"|förslagsställare(?:n|ns|na)?|remiss(?:en|ens|texten)|utredning(?:en|ens)|betänkande(?:t|ts))\b",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"\w+")

CLOSE_SHARE = 0.6  # share of a quotation's words found, in order, in one stretch of the remiss
MIN_CLOSE_WORDS = 3  # ... and at least this many
MAX_CLOSE_CANDIDATES = 20  # remiss sentences compared word by word with one quotation
_INDEXED_WORD_LEN = 4  # shorter words ("att", "och") do not pick candidate sentences


def names_remiss(text: str, start: int, end: int) -> bool:
    """Does `text[start:end]` name the remiss ("motionen", "förslagsställaren", "remissen" …)?"""
    return _NAMES_REMISS_RE.search(text, start, end) is not None


class RemissSource:
    """The remiss's texts (its whole text, and its title and proposals as the official corrected them),
    checked with the shared verbatim test (`verbatim`, memoised per text)."""

    def __init__(self, texts: Sequence[str], verbatim: Verbatim) -> None:
        self.texts = [t for t in texts if t and t.strip()]
        self.verbatim = verbatim
        self._sentences: list[list[str]] | None = None
        self._index: dict[str, list[int]] = {}

    def holds(self, quote: str) -> bool:
        """Is `quote` verbatim in one of the remiss's texts?"""
        return any(self.verbatim.in_text(quote, f"{REMISS_ID}#{i}", t) for i, t in enumerate(self.texts))

    def close(self, quote: str) -> bool:
        """Is `quote` close to a sentence (or two adjacent ones) of the remiss: at least `CLOSE_SHARE`
        of its words, and `MIN_CLOSE_WORDS`, found in order in a stretch at most twice its length?"""
        words = _words(quote)
        if len(words) < MIN_CLOSE_WORDS:
            return False
        sentences = self._indexed()
        hits: Counter[int] = Counter()
        for w in {w for w in words if len(w) >= _INDEXED_WORD_LEN}:
            hits.update(self._index.get(w, ()))
        for si, _ in hits.most_common(MAX_CLOSE_CANDIDATES):
            for a, b in ((si, si + 1), (si - 1, si + 1), (si, si + 2)):
                if a >= 0 and b <= len(sentences) and _close(words, list(chain(*sentences[a:b]))):
                    return True
        return False

    def _indexed(self) -> list[list[str]]:
        """The words of each sentence of the remiss (PDF hyphenation joined), and which sentences hold
        each word of `_INDEXED_WORD_LEN` letters or more; built once, on first use."""
        if self._sentences is None:
            self._sentences = []
            for text in self.texts:
                self._sentences.extend(
                    _words(normalise_source(text[s:e])[1]) for s, e in sentence_spans(text)
                )
            for si, sentence in enumerate(self._sentences):
                for w in set(sentence):
                    if len(w) >= _INDEXED_WORD_LEN:
                        self._index.setdefault(w, []).append(si)
        return self._sentences


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def _close(quote: list[str], stretch: list[str]) -> bool:
    blocks = [
        b for b in SequenceMatcher(None, quote, stretch, autojunk=False).get_matching_blocks() if b.size
    ]
    matched = sum(b.size for b in blocks)
    if matched < max(MIN_CLOSE_WORDS, CLOSE_SHARE * len(quote)):
        return False
    span = blocks[-1].b + blocks[-1].size - blocks[0].b
    return span <= 2 * len(quote)
