"""Citations in a draft, found in phases and resolved to the given sources only.

Each phase returns `Cite`s (a span of the draft and the given sources it may resolve to); the spans a
phase claims are passed on so that a later phase does not read the same words again: exact labels
and ids first, then Dnr, law references, and chapters.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

from agent.drafting.models import Citation
from agent.drafting.verify.laws import CHAPTER_BEFORE_RE, find_law_mentions, id_like, law_items
from agent.drafting.verify.lookup import SourceLookup, Spans, dnr_key, merge
from agent.sources.models import Document
from agent.sources.references import find_references
from agent.text.grammar import find_dnrs

Mention = tuple[int, int, str]  # (start, end, law_id) of a place where a law is named


@dataclass
class Cite:
    start: int
    end: int
    ref: str
    candidates: list[Document]  # given sources it may resolve to; the first is the default
    unresolved_as: str = ""  # what to report when it does not resolve ("" = ref)

    @property
    def resolved(self) -> bool:
        return bool(self.candidates)


def exact_citations(text: str, sources: list[Document], quote_spans: Spans) -> tuple[list[Cite], Spans]:
    """Precedents by exact label and any given source by id; id-like strings that are not given
    (unresolved). Returns them and the spans they take."""
    cites: list[Cite] = []
    exact: list[tuple[int, int]] = []
    for doc in sources:
        for needle in {doc.label, doc.id} if doc.kind in ("precedent", "note") else {doc.id}:
            if len(needle) < 6:
                continue
            pos = text.find(needle)
            while pos >= 0:
                if not quote_spans.covers(pos, pos + len(needle)):
                    cites.append(Cite(pos, pos + len(needle), needle, [doc]))
                    exact.append((pos, pos + len(needle)))
                pos = text.find(needle, pos + len(needle))
    exact_spans = Spans(merge(exact))
    for s, e in id_like(text):
        if not exact_spans.overlaps(s, e) and not quote_spans.covers(s, e):
            cites.append(Cite(s, e, text[s:e], []))
            exact.append((s, e))
    return cites, Spans(merge(exact))


def dnr_citations(
    text: str, lookup: SourceLookup, ignore_dnrs: Iterable[str], taken: Spans, quote_spans: Spans
) -> tuple[list[Cite], Spans]:
    """Precedents by Dnr (all given sections of that answer are candidates). Returns them and the
    spans of every Dnr in the text, ignored ones included."""
    ignored = {dnr_key(d) for d in ignore_dnrs}
    dnrs = find_dnrs(text)
    cites: list[Cite] = []
    for s, e, d in dnrs:
        key = dnr_key(d)
        if key in ignored or taken.overlaps(s, e) or quote_spans.covers(s, e):
            continue
        cites.append(Cite(s, e, text[s:e], list(lookup.by_dnr.get(key, []))))
    return cites, Spans((s, e) for s, e, _ in dnrs)


def law_citations(
    text: str, lookup: SourceLookup, mentions: list[Mention], blocked: tuple[Spans, Spans, Spans]
) -> tuple[list[Cite], Spans]:
    """Law references, one `Cite` per paragraph, outside the `blocked` (quotation, taken, Dnr) spans.
    A reference without a law name takes the law named most recently before it. Returns them and
    the spans of the references."""
    quote_spans, taken, dnr_spans = blocked
    refs = [
        r
        for r in find_references(text, lookup.extra_aliases or None)
        if not quote_spans.covers(r.start, r.end)
        and not taken.overlaps(r.start, r.end)
        and not dnr_spans.overlaps(r.start, r.end)
        and text[r.start - 1 : r.start] not in ("-", "/")  # "2009-02-23 § 16": a date, not a §
    ]
    mention_starts = [m[0] for m in mentions]
    cites: list[Cite] = []
    for it in law_items(text, refs):
        law_id = it.law_id
        if law_id is None:
            k = bisect.bisect_right(mention_starts, it.start) - 1
            while k >= 0 and mentions[k][1] > it.start:
                k -= 1
            law_id = mentions[k][2] if k >= 0 else None
        doc = (
            lookup.law(law_id, it.chapter, it.section)
            if law_id
            else lookup.unique_law(it.chapter, it.section)
        )
        ref = text[it.start : it.end]
        chap = f"{it.chapter} kap. " if it.chapter else ""
        unresolved_as = f"{ref} ({chap}{it.section} §)" if it.group_size > 1 else ""
        cites.append(Cite(it.start, it.end, ref, [doc] if doc else [], unresolved_as))
    return cites, Spans(merge((r.start, r.end) for r in refs))


def chapter_citations(
    text: str, lookup: SourceLookup, mentions: list[Mention], blocked: tuple[Spans, Spans, Spans]
) -> list[Cite]:
    """Chapters, "2 kap. kommunallagen (2017:725)": the first given paragraph of the chapter. Law
    mentions inside the `blocked` (quotation, taken, reference) spans are skipped."""
    quote_spans, taken, ref_spans = blocked
    cites: list[Cite] = []
    for ms, me, law_id in mentions:
        if ref_spans.overlaps(ms, me) or taken.overlaps(ms, me) or quote_spans.covers(ms, me):
            continue
        m = CHAPTER_BEFORE_RE.search(text, max(0, ms - 24), ms)
        if not m:
            continue
        end = me
        if sfs := re.match(r"\s*\(\s*\d{4}:\d+\s*\)", text[me : me + 20]):
            end = me + sfs.end()
        docs = lookup.by_chapter.get((law_id, m.group(1)), [])
        cites.append(Cite(m.start(), end, text[m.start() : end], docs[:1]))
    return cites


def find_citations(
    text: str, lookup: SourceLookup, quote_spans: Spans, ignore_dnrs: Iterable[str]
) -> list[Cite]:
    """Every citation of the draft outside quotations, in order (see the module docstring)."""
    cites, taken = exact_citations(text, lookup.sources, quote_spans)
    dnr_cites, dnr_spans = dnr_citations(text, lookup, ignore_dnrs, taken, quote_spans)
    mentions = find_law_mentions(text, lookup.extra_aliases, dnr_spans)
    law_cites, ref_spans = law_citations(text, lookup, mentions, (quote_spans, taken, dnr_spans))
    chapter_cites = chapter_citations(text, lookup, mentions, (quote_spans, taken, ref_spans))
    return dedupe([*cites, *dnr_cites, *law_cites, *chapter_cites])


def dedupe(cites: list[Cite]) -> list[Cite]:
    """Sort by position; drop a citation lying inside another one's span (list items of one reference
    share their span and are all kept)."""
    cites.sort(key=lambda c: (c.start, -(c.end - c.start)))
    out: list[Cite] = []
    cover_end = -1
    cover_span = (-1, -1)
    for c in cites:
        if c.end <= cover_end and (c.start, c.end) != cover_span:
            continue
        if c.end > cover_end:
            cover_end, cover_span = c.end, (c.start, c.end)
        out.append(c)
    return out


def report_citations(cites: list[Cite], quote_of: dict[int, str]) -> tuple[list[Citation], list[str]]:
    """The draft's `Citation`s (with the verbatim quotation attributed to each, by index) and the
    unresolved references, each reported once."""
    citations: list[Citation] = []
    unresolved: list[str] = []
    seen: set[str] = set()
    for ci, c in enumerate(cites):
        doc = c.candidates[0] if c.candidates else None
        citations.append(
            Citation(
                ref=c.ref,
                source_id=doc.id if doc else None,
                label=doc.label if doc else "",
                quote=quote_of.get(ci),
                start=c.start,
                end=c.end,
            )
        )
        if doc is None:
            what = c.unresolved_as or c.ref
            if what not in seen:  # each unresolved reference is reported once
                seen.add(what)
                unresolved.append(what)
    return citations, unresolved
