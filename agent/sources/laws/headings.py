"""Mellanrubriker: telling a heading inside a statute from a line of statute text."""

from __future__ import annotations

import re

# Words a mellanrubrik never ends with; a tail ending with one is cut-off text, not a heading.
NON_FINAL_WORDS = frozenset(
    (
        *("och", "eller", "samt", "enligt", "att", "i", "av", "som", "för", "till", "med", "på", "från"),
        *("vid", "ska", "får", "den", "det", "en", "ett", "har", "är", "mot", "genom", "hos", "än"),
    )
)


def looks_like_heading(text: str, max_words: int = 12) -> bool:
    """A mellanrubrik: short, capitalised, no sentence-final punctuation, not ending mid-sentence."""
    words = text.split()
    if not words or len(words) > max_words or "\t" in text or "§" in text:
        return False
    if not text[0].isupper():
        return False
    if words[-1].lower() in NON_FINAL_WORDS:
        return False
    if text.endswith("m.m.") or text.endswith("?"):
        return len(words) <= 10
    return not re.search(r"[.,:;!\]-]$", text)
