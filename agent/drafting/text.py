"""Small text helpers shared by the drafting steps."""

from __future__ import annotations

from agent.text.terms import tokenize


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
