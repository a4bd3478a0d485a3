"""The verbatim test: is a quotation, as written in a draft, in a source text?

One normalisation for every source (laws, earlier answers, notes and the remiss): whitespace
collapsed, soft hyphens dropped, quotation marks folded, and PDF hyphenation joined. Accepted too,
as the usual ways of shortening a quotation: a changed case of its first letter, trailing ".,;:"
dropped, omissions marked "[…]", "[...]" or "(…)" (each part verbatim, in order), and leading or
trailing "…".
"""

from __future__ import annotations

import re

from agent.drafting.intake import normalize_ws
from agent.sources.models import Document

_ELLIPSIS_SPLIT_RE = re.compile(r"\s*(?:\[\s*(?:…|\.\.\.)\s*\]|\(\s*(?:…|\.\.\.)\s*\))\s*")
# PDF hyphenation: "kompe- tens" (a hyphen at a line end, joined by whitespace normalisation);
# never before a conjunction, where it is an elided compound ("hälso- och sjukvård").
HYPHEN_RE = re.compile(
    r"(?<=[a-zåäöé])-\s(?!(?:och|eller|samt|respektive|resp|som|till|med|men|utan)\b)(?=[a-zåäöé])"
)
# Quotation marks and apostrophes are typography, not wording: a nested ”Trygg hemväg” may be quoted
# as "Trygg hemväg". Folded in the source and in the quotation alike.
_MARKS = str.maketrans(dict.fromkeys("”“„«»″", '"') | dict.fromkeys("’‘‚′", "'"))


class Verbatim:
    """Is a quotation verbatim in a source? Memoised per (quotation, source id)."""

    def __init__(self) -> None:
        self._norm: dict[str, tuple[str, str]] = {}
        self._memo: dict[tuple[str, str], bool] = {}

    def __call__(self, quote: str, doc: Document) -> bool:
        return self.in_text(quote, doc.id, doc.text)

    def in_text(self, quote: str, key: str, text: str) -> bool:
        """Is `quote` verbatim in `text` (`key` names the text for the memo)?"""
        if (quote, key) not in self._memo:
            self._memo[quote, key] = is_verbatim(quote.translate(_MARKS), *self.normalised(key, text))
        return self._memo[quote, key]

    def normalised(self, key: str, text: str) -> tuple[str, str]:
        """(whitespace-normalised text, the same with PDF hyphenation joined), memoised per key."""
        if key not in self._norm:
            self._norm[key] = normalise_source(text)
        return self._norm[key]


def normalise_source(text: str) -> tuple[str, str]:
    """A source text as the verbatim test reads it: whitespace normalised, soft hyphens dropped and
    quotation marks folded; and the same with its PDF hyphenation joined."""
    t = normalize_ws(text.replace("\u00ad", "")).translate(_MARKS)
    return t, HYPHEN_RE.sub("", t)


def is_verbatim(quote: str, plain: str, dehyph: str) -> bool:
    """Is `quote` in the source text `plain` (or `dehyph`, its PDF hyphenation joined), allowing a changed
    case of its first letter, trailing ".,;:", omissions marked "[…]" and leading/trailing "…"?"""
    parts = [p.strip(" …").strip() for p in _ELLIPSIS_SPLIT_RE.split(quote)]
    parts = [re.sub(r"^\.\.\.\s*|\s*\.\.\.$", "", p) for p in parts]
    parts = [p for p in parts if p]
    if not parts:
        return False
    parts[-1] = parts[-1].rstrip(".,;:").rstrip()
    for hay, fix in ((plain, False), (dehyph, True)):
        pos, ok = 0, True
        for k, part in enumerate(parts):
            if fix:
                part = HYPHEN_RE.sub("", part)
            variants = [part] if k else [part, part[:1].swapcase() + part[1:]]
            found = [i for i in (hay.find(v, pos) for v in variants) if i >= 0]
            if not found:
                ok = False
                break
            pos = min(found) + len(part)
        if ok:
            return True
    return False
