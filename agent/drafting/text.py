"""Small text helpers shared by the drafting steps."""

from __future__ import annotations

from collections.abc import Iterator

from agent.text.normalise import collapse_whitespace
from agent.text.sentences import sentence_spans
from agent.text.terms import tokenize


def plain_sentences(text: str, max_chars: int) -> Iterator[str]:
    """The sentences of a source text (whitespace normalised) that hold no quotation and are at most
    `max_chars` long: the ones a draft may quote whole."""
    text = collapse_whitespace(text)
    for start, end in sentence_spans(text):
        sentence = text[start:end].strip()
        if len(sentence) <= max_chars and "”" not in sentence and '"' not in sentence:
            yield sentence


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


# Words that say nothing about *which* task (they occur in every instruction or every remiss).
_COMMON_WORDS = (
    "myndighet myndigheten myndigheter kommun kommunen kommuner stad staden stockholm förslag förslaget "
    "motion motionen verksamhet verksamheten arbete arbeta uppgift uppgifter ansvar ansvara särskilt svenska "
    "sverige samhället föreslår skribenten andra annan samt även också genom enligt inom mellan gäller"
)
_COMMON: set[str] = set()


def content_terms(text: str) -> set[str]:
    """Stemmed content words (Swedish stemmer and stop words, minus `_COMMON_WORDS`)."""
    if not _COMMON:
        _COMMON.update(tokenize([_COMMON_WORDS])[0])
    return {t for t in tokenize([text])[0] if len(t) >= 3} - _COMMON
