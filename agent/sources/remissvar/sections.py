"""Splitting a remiss answer into verbatim sections, and long sections into chunks.

Text before the first heading is `inledning` ("Inledning"), or `text` ("Text") when the file has no
headings at all. Leading web debris is left out; a closing signature block becomes `underskrift`.
Repeated headings get the keys `key`, `key-2`, `key-3` ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.sources.remissvar.grammar import SIGNATURE_ROLE_RE, is_debris
from agent.text.grammar import find_headings, heading_key, iter_lines

MAX_CHUNK_CHARS = 1500


@dataclass
class Section:
    """One section of a remiss answer; `text` is verbatim source text."""

    name: str  # human name, the heading as found ("Förvaltningens synpunkter och förslag")
    key: str  # stable slug, unique within the answer ("synpunkter", "synpunkter-2", "text")
    text: str


@dataclass
class _Span:
    name: str
    key: str
    start: int  # offsets into the full text
    end: int


def _content_start(text: str, start: int, end: int) -> int:
    """Skip leading web debris: everything up to the last debris line before real content."""
    result = start
    for n, (ls, le) in enumerate(iter_lines(text, start, end)):
        line = text[ls:le]
        if n > 60 or len(line.strip()) >= 150 or heading_key(line):
            break
        if is_debris(line):
            result = le + 1 if le < end else le
    return result


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim whitespace, debris lines and truncation markers from both ends of text[start:end]."""
    while True:
        seg = text[start:end]
        stripped = seg.lstrip()
        start += len(seg) - len(stripped)
        seg = text[start:end]
        stripped = seg.rstrip()
        end = start + len(stripped)
        if start >= end:
            return start, start
        nl = text.find("\n", start, end)
        first = text[start : end if nl < 0 else nl]
        if is_debris(first):
            start = end if nl < 0 else nl + 1
            continue
        nl = text.rfind("\n", start, end)
        last = text[(start if nl < 0 else nl + 1) : end]
        if is_debris(last):
            end = start if nl < 0 else nl
            continue
        return start, end


def _split_signature(text: str, span: _Span) -> list[_Span]:
    """Split a closing signature block ("Namn Namn / Socialdirektör / ...") off a section."""
    seg = text[span.start : span.end].rstrip()
    blocks = list(re.finditer(r"\n[ \t]*\n", seg))
    if not blocks:
        return [span]
    cut = blocks[-1].end()
    lines = [ln for ln in seg[cut:].splitlines() if ln.strip()]
    if (
        2 <= len(lines) <= 6
        and all(len(ln.strip()) <= 80 and not ln.rstrip().endswith((".", ":", ";")) for ln in lines)
        and any(SIGNATURE_ROLE_RE.search(ln) for ln in lines)
        and seg[: blocks[-1].start()].strip()
    ):
        return [
            _Span(span.name, span.key, span.start, span.start + blocks[-1].start()),
            _Span("Underskrift", "underskrift", span.start + cut, span.start + len(seg)),
        ]
    return [span]


def split_sections(text: str, start: int, end: int) -> list[Section]:
    """The sections of text[start:end], each a trimmed verbatim substring, with unique keys."""
    start = _content_start(text, start, end)
    heads = find_headings(text, start, end)
    spans: list[_Span] = []
    first_key = "inledning" if heads else "text"
    spans.append(_Span("Inledning" if heads else "Text", first_key, start, heads[0][0] if heads else end))
    for i, (_hs, cs, name, key) in enumerate(heads):
        stop = heads[i + 1][0] if i + 1 < len(heads) else end
        spans.append(_Span(name, key, cs, stop))
    spans = [s for span in spans for s in _split_signature(text, span)]

    sections: list[Section] = []
    used: dict[str, int] = {}
    for span in spans:
        s, e = _trim(text, span.start, span.end)
        if s >= e:
            continue
        n = used.get(span.key, 0) + 1
        used[span.key] = n
        sections.append(Section(span.name, span.key if n == 1 else f"{span.key}-{n}", text[s:e]))
    return sections


def _chunk_cut(window: str, limit: int) -> int:
    """Where to cut `window`: the last blank line, else sentence end, else line break, else space."""
    floor = int(limit * 0.3)
    for rx in (r"\n[ \t]*\n", r"[.!?][\"”)]?[ \t]*\n|[.!?][\"”)]?\s", r"\n", r"\s"):
        ends = [m.end() for m in re.finditer(rx, window) if m.end() > floor]
        if ends:
            return ends[-1]
    return -1


def split_chunks(text: str, limit: int = MAX_CHUNK_CHARS) -> list[str]:
    """Split into verbatim substrings of at most `limit` characters.

    Prefers blank lines, then sentence ends, then line breaks, then spaces.
    """
    chunks: list[str] = []
    pos = 0
    n = len(text)
    while n - pos > limit:
        cut = _chunk_cut(text[pos : pos + limit], limit)
        if cut <= 0:
            cut = limit
        piece = text[pos : pos + cut].strip()
        if piece:
            chunks.append(piece)
        pos += cut
        while pos < n and text[pos].isspace():
            pos += 1
    tail = text[pos:].strip()
    if tail:
        chunks.append(tail)
    return chunks
