"""`verify_draft`: the phases of verification, in order (see `docs/verification.md`)."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from agent.drafting.models import Citation, Verification
from agent.drafting.verify.citations import find_citations, report_citations
from agent.drafting.verify.claims import unsupported_claims
from agent.drafting.verify.lookup import SourceLookup, Spans
from agent.drafting.verify.quotations import check_quotations, find_quotes
from agent.drafting.verify.remiss import RemissSource, names_remiss
from agent.drafting.verify.verbatim import Verbatim
from agent.sources.models import Document
from agent.text.sentences import sentence_spans


class _SentenceOf:
    """The index of the sentence a position of the draft lies in."""

    def __init__(self, sentences: list[tuple[int, int]]) -> None:
        self.starts = [s for s, _ in sentences]

    def __call__(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.starts, pos) - 1)


def verify_draft(
    text: str,
    sources: list[Document],
    *,
    ignore_dnrs: Iterable[str] = (),
    remiss: str | Sequence[str] = (),
) -> tuple[list[Citation], Verification]:
    """Find the draft's citations and check them, its quotations and its legal claims against
    `sources` (the only sources the draft may cite). `ignore_dnrs` are Dnr that are not citations
    (the case's own diarienummer). `remiss` is the text (or texts: its whole text, title, proposals)
    of the remiss the draft answers: a source for quotations only, never a citation and never support
    for a legal claim. See `docs/verification.md`."""
    if not text or not text.strip():
        return [], Verification()
    lookup = SourceLookup(sources)
    quotes = find_quotes(text)
    quote_spans = Spans((q.start, q.end) for q in quotes)
    cites = find_citations(text, lookup, quote_spans, ignore_dnrs)
    sentences = sentence_spans(text, quote_spans.spans)
    sentence_of = _SentenceOf(sentences)
    texts = [remiss] if isinstance(remiss, str) else list(remiss)
    remiss_source = RemissSource(texts, Verbatim()) if any(t.strip() for t in texts) else None

    def remiss_named(si: int, after: int, pos: int) -> bool:
        return names_remiss(text, max(sentences[si][0], after), pos)

    quote_of, misquoted = check_quotations(quotes, cites, sentence_of, sources, remiss_source, remiss_named)
    citations, unresolved = report_citations(cites, quote_of)
    cited = {sentence_of(c.start) for c in cites if c.resolved}
    unsupported = unsupported_claims(text, sentences, cited)
    return citations, Verification(
        unresolved=unresolved, misquoted=misquoted, unsupported_sentences=unsupported
    )
