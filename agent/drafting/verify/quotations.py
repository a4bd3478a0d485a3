"""Quotations in a draft: found with the shared quotation rules, attributed to a citation, and
checked to be verbatim in the attributed source."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from agent.drafting.intake import normalize_ws
from agent.drafting.models import Misquote
from agent.drafting.verify.citations import Cite
from agent.sources.models import Document
from agent.text.sentences import find_quotations

# User-facing reasons (Swedish).
R_NOT_VERBATIM = "Citatet finns inte ordagrant i källan."
R_OTHER_SOURCE = "Citatet finns i en annan källa än den som anges ({label})."

_ELLIPSIS_SPLIT_RE = re.compile(r"\s*(?:\[\s*(?:…|\.\.\.)\s*\]|\(\s*(?:…|\.\.\.)\s*\))\s*")
# PDF hyphenation: "kompe- tens" (a hyphen at a line end, joined by whitespace normalisation);
# never before a conjunction, where it is an elided compound ("hälso- och sjukvård").
_HYPHEN_RE = re.compile(
    r"(?<=[a-zåäöé])-\s(?!(?:och|eller|samt|respektive|resp|som|till|med|men|utan)\b)(?=[a-zåäöé])"
)


@dataclass(frozen=True)
class Quote:
    start: int  # span of the quotation including its marks
    end: int
    text: str  # inner text, whitespace normalised


def find_quotes(text: str) -> list[Quote]:
    return [Quote(q.start, q.end, normalize_ws(q.inner)) for q in find_quotations(text)]


def count_quotations(text: str) -> int:
    """How many quotations (as verification recognises them) the text holds."""
    return len(find_quotations(text))


class Verbatim:
    """Is a quotation verbatim in a source? Memoised per (quotation, source id)."""

    def __init__(self) -> None:
        self._norm: dict[str, tuple[str, str]] = {}
        self._memo: dict[tuple[str, str], bool] = {}

    def __call__(self, quote: str, doc: Document) -> bool:
        key = (quote, doc.id)
        if key not in self._memo:
            self._memo[key] = is_verbatim(quote, *self._normalised(doc))
        return self._memo[key]

    def _normalised(self, doc: Document) -> tuple[str, str]:
        """(whitespace-normalised text, the same with PDF hyphenation joined)."""
        if doc.id not in self._norm:
            t = normalize_ws(doc.text.replace("\u00ad", ""))
            self._norm[doc.id] = (t, _HYPHEN_RE.sub("", t))
        return self._norm[doc.id]


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
                part = _HYPHEN_RE.sub("", part)
            variants = [part] if k else [part, part[:1].swapcase() + part[1:]]
            found = [i for i in (hay.find(v, pos) for v in variants) if i >= 0]
            if not found:
                ok = False
                break
            pos = min(found) + len(part)
        if ok:
            return True
    return False


def check_quotations(
    quotes: list[Quote],
    cites: list[Cite],
    sentence_of: Callable[[int], int],
    sources: list[Document],
) -> tuple[dict[int, str], list[Misquote]]:
    """Attribute each quotation to a citation in its own sentence or the one before (nearest first,
    preferring one whose source holds it) and check it. Returns the verbatim quotation of each
    citation (by index; the first one) and the misquotations. A precedent cited by Dnr gets the
    section that holds its quotation as its source (`cites` is updated)."""
    verbatim = Verbatim()
    by_sentence: dict[int, list[int]] = {}
    for ci, c in enumerate(cites):
        by_sentence.setdefault(sentence_of(c.start), []).append(ci)
    quote_of: dict[int, str] = {}
    misquoted: list[Misquote] = []
    for q in quotes:
        si = sentence_of(q.start)

        def dist(ci: int, q: Quote = q) -> int:
            c = cites[ci]
            return q.start - c.end if c.end <= q.start else max(0, c.start - q.end)

        near = sorted(by_sentence.get(si, []), key=dist)
        if si > 0:
            near += sorted(by_sentence.get(si - 1, []), key=dist)
        holder = next(((ci, d) for ci in near for d in cites[ci].candidates if verbatim(q.text, d)), None)
        if holder:
            ci, doc = holder
            # a precedent cited by Dnr: the section that holds the quote becomes the source
            if ci not in quote_of and cites[ci].candidates[0] is not doc:
                cites[ci].candidates = [doc, *[d for d in cites[ci].candidates if d is not doc]]
            quote_of.setdefault(ci, q.text)
            continue
        elsewhere = next((d for d in sources if verbatim(q.text, d)), None)
        attributed = cites[near[0]] if near else None
        source_id = attributed.candidates[0].id if attributed and attributed.resolved else None
        if elsewhere is not None and attributed is not None:
            misquoted.append(Misquote(q.text, source_id, R_OTHER_SOURCE.format(label=elsewhere.label)))
        elif elsewhere is None:
            misquoted.append(Misquote(q.text, source_id, R_NOT_VERBATIM))
        # else: no citation near it, but verbatim in a given source — accepted as is.
    return quote_of, misquoted
