"""Quotations in a draft: found with the shared quotation rules, attributed to a citation, and
checked to be verbatim in the attributed source — or in the remiss the draft answers (`remiss.py`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agent.drafting.intake import normalize_ws
from agent.drafting.models import Misquote
from agent.drafting.verify.citations import Cite
from agent.drafting.verify.remiss import R_NOT_VERBATIM_REMISS, REMISS_ID, REMISS_LABEL, RemissSource
from agent.drafting.verify.verbatim import Verbatim
from agent.sources.models import Document
from agent.text.sentences import find_quotations

# User-facing reasons (Swedish).
R_NOT_VERBATIM = "Citatet finns inte ordagrant i källan."
R_OTHER_SOURCE = "Citatet finns i en annan källa än den som anges ({label})."

# A citation that starts at most this many characters after a quotation claims it as its source
# ("”…” (2 kap. 2 § KL)", "”…” enligt 2 kap. 2 § KL"); one further on does not take a quotation of the
# remiss ("Förslaget ”…” ryms inom den allmänna kompetensen enligt 2 kap. 1 § KL").
CITATION_AFTER = 12


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


def check_quotations(
    quotes: list[Quote],
    cites: list[Cite],
    sentence_of: Callable[[int], int],
    sources: list[Document],
    remiss: RemissSource | None = None,
    remiss_named: Callable[[int, int, int], bool] = lambda _si, _after, _pos: False,
) -> tuple[dict[int, str], list[Misquote]]:
    """Attribute each quotation to a citation in its own sentence or the one before (nearest first,
    preferring one whose source holds it) and check it. Returns the verbatim quotation of each
    citation (by index; the first one) and the misquotations. A precedent cited by Dnr gets the
    section that holds its quotation as its source (`cites` is updated).

    With `remiss`, a quotation that no nearby citation's source holds is a quotation of the remiss
    when its own sentence holds no citation before it or right after it, or when
    `remiss_named(sentence index, after, position)`: the sentence names the remiss between `after` (the
    end of its last citation before the quotation) and the quotation. It is verified when verbatim in
    the remiss, and a misquotation of "remissen" when only close to it; it is never a citation's quote."""
    verbatim = remiss.verbatim if remiss is not None else Verbatim()
    by_sentence: dict[int, list[int]] = {}
    for ci, c in enumerate(cites):
        by_sentence.setdefault(sentence_of(c.start), []).append(ci)
    quote_of: dict[int, str] = {}
    misquoted: list[Misquote] = []
    for q in quotes:
        si = sentence_of(q.start)
        own = by_sentence.get(si, [])
        near = _nearest(q, cites, own, by_sentence.get(si - 1, []) if si > 0 else [])
        holder = next(((ci, d) for ci in near for d in cites[ci].candidates if verbatim(q.text, d)), None)
        if holder:
            ci, doc = holder
            # a precedent cited by Dnr: the section that holds the quote becomes the source
            if ci not in quote_of and cites[ci].candidates[0] is not doc:
                cites[ci].candidates = [doc, *[d for d in cites[ci].candidates if d is not doc]]
            quote_of.setdefault(ci, q.text)
            continue
        # the citations of its own sentence that may claim it: before it, or right after it
        claiming = [ci for ci in own if cites[ci].end <= q.start or cites[ci].start - q.end <= CITATION_AFTER]
        after = max((cites[ci].end for ci in claiming if cites[ci].end <= q.start), default=0)
        of_remiss = remiss is not None and (not claiming or remiss_named(si, after, q.start))
        if of_remiss and remiss is not None and remiss.holds(q.text):
            continue  # a verbatim quotation of the remiss: verified, and no citation's quote
        attributed = cites[near[0]] if near else None
        miss = _misquote(q.text, attributed, sources, verbatim, remiss, of_remiss)
        if miss is not None:
            misquoted.append(miss)
    return quote_of, misquoted


def _nearest(q: Quote, cites: list[Cite], own: list[int], before: list[int]) -> list[int]:
    """Indexes of the citations in the quotation's own sentence, then the sentence before, nearest first."""

    def dist(ci: int) -> int:
        c = cites[ci]
        return q.start - c.end if c.end <= q.start else max(0, c.start - q.end)

    return sorted(own, key=dist) + sorted(before, key=dist)


def _misquote(
    quote: str,
    attributed: Cite | None,
    sources: list[Document],
    verbatim: Verbatim,
    remiss: RemissSource | None,
    of_remiss: bool,
) -> Misquote | None:
    """What is wrong with a quotation that no nearby citation's source holds (None: nothing).
    `of_remiss`: it is a quotation of the remiss (and not verbatim in it)."""
    elsewhere = next((d.label for d in sources if verbatim(quote, d)), None)
    if elsewhere is None and remiss is not None and not of_remiss and remiss.holds(quote):
        elsewhere = REMISS_LABEL  # the remiss's words, attributed to a law or an earlier answer
    source_id = attributed.candidates[0].id if attributed and attributed.resolved else None
    if elsewhere is not None:
        # verbatim in another source: wrong when a citation is near it, accepted as is without one
        return Misquote(quote, source_id, R_OTHER_SOURCE.format(label=elsewhere)) if attributed else None
    if of_remiss and remiss is not None and remiss.close(quote):
        return Misquote(quote, REMISS_ID, R_NOT_VERBATIM_REMISS)
    return Misquote(quote, source_id, R_NOT_VERBATIM)
