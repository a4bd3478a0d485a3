"""Swedish sentences and quotations, as character spans of the original text.

`sentence_spans(text)` is the one sentence splitter that verification, composition and the eval
key-point matcher share: a sentence ends at ".", "!", "?" or "…" (with any closing quotation marks or
brackets) before an upper-case letter or an opening mark, but not inside a quotation and not after
an abbreviation ("bl.a.", "t.ex.", "kap." …); it also ends at a blank line and before a list item
or a Markdown heading, and a heading is a sentence of its own. Spans are stripped of surrounding
whitespace and never empty.

`find_quotations(text)` finds the quotations the splitter respects: text inside ”…”, "…", „…“, «…» or
“…” with at least `MIN_QUOTE_WORDS` words, at most `MAX_QUOTE_CHARS` characters and no blank line,
so an unbalanced mark cannot swallow the rest of the text.

Both are linear in the length of the text (bounded quotation regexes that cannot rescan, a bounded
look-behind for abbreviations).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

MIN_QUOTE_WORDS = 4
# The inner text of a quotation never contains its opening mark or a blank line and is at most this
# long, so an unbalanced mark cannot swallow the rest of the text and a failed match never rescans.
MAX_QUOTE_CHARS = 3000


def _quote_alt(group: str, open_: str, close: str, exclude: str) -> str:
    return rf"{open_}(?P<{group}>(?:[^{exclude}\n]|\n(?![ \t]*\n)){{1,{MAX_QUOTE_CHARS}}}){close}"


_QUOTE_RE = re.compile(
    "|".join(
        [
            _quote_alt("a", "”", "”", "”"),
            _quote_alt("b", '"', '"', '"'),
            _quote_alt("c", "„", '[“”"]', '„“”"'),
            _quote_alt("d", "«", "»", "«»"),
            _quote_alt("e", "“", "[”“]", "“”"),
        ]
    )
)
_WORD_RE = re.compile(r"\w+")

# Sentence boundaries: end punctuation (+ closing marks) before an upper-case start; blank lines;
# before a list item or Markdown heading.
_SENT_BOUNDARY_RE = re.compile(
    r"[.!?…]+[\"”»’)\]]*(?=\s+[\"”“„«(\[]?[A-ZÅÄÖÉÜ])"
    r"|\n[ \t]*\n"
    r"|\n(?=[ \t]*(?:#|[-*•–]\s|\d{1,2}[.)]\s))"
)
# A "." that ends one of these abbreviations does not end a sentence.
_ABBREV_END_RE = re.compile(
    r"(?:(?<![\w.])(?:bl\.a|t\.ex|m\.fl|s\.k|d\.v\.s|dvs|jfr|kap|prop|bet|nr|ca|resp|p\.g\.a|enl|st|f\.d)\.)$",
    re.IGNORECASE,
)
_END_PUNCTUATION = tuple(".!?…")


@dataclass(frozen=True)
class Quotation:
    start: int  # span of the quotation including its marks
    end: int
    inner: str  # the text between the marks, as written


def find_quotations(text: str) -> list[Quotation]:
    """The quotations of `text` with at least `MIN_QUOTE_WORDS` words, in order."""
    out = []
    for m in _QUOTE_RE.finditer(text):
        inner = next(g for g in m.groups() if g is not None)
        if len(_WORD_RE.findall(inner)) >= MIN_QUOTE_WORDS:
            out.append(Quotation(m.start(), m.end(), inner))
    return out


class _Inside:
    """Is a span strictly inside one of some sorted, non-overlapping spans?"""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]

    def __call__(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start) - 1
        return i >= 0 and self.spans[i][0] < start and end < self.spans[i][1]


def sentence_spans(text: str, quotations: Iterable[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """The sentences of `text` as (start, end) character spans, in order (see the module docstring).

    `quotations` are the (start, end) spans inside which no sentence ends; by default those of
    `find_quotations(text)`.
    """
    if quotations is None:
        quotations = ((q.start, q.end) for q in find_quotations(text))
    inside_quotation = _Inside(quotations)
    cuts: list[int] = []
    for m in _SENT_BOUNDARY_RE.finditer(text):
        if inside_quotation(m.start(), m.end()):
            continue
        if m.group().startswith(_END_PUNCTUATION) and _ABBREV_END_RE.search(
            text[max(0, m.start() - 8) : m.start() + 1]
        ):
            continue
        cuts.append(m.end())
    spans: list[tuple[int, int]] = []
    prev = 0
    for cut in [*cuts, len(text)]:
        _add_stripped(text, prev, cut, spans)
        prev = cut
    # A Markdown heading is a sentence of its own.
    out: list[tuple[int, int]] = []
    for s, e in spans:
        nl = text.find("\n", s, e) if text.startswith("#", s) else -1
        if nl > 0:
            _add_stripped(text, s, nl, out)
            _add_stripped(text, nl, e, out)
        else:
            out.append((s, e))
    return out


def _add_stripped(text: str, s: int, e: int, out: list[tuple[int, int]]) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        out.append((s, e))
