"""Step 2 of the pipeline: retrieve the sources a draft may use.

Per proposal (at most `MAX_PROPOSALS_USED`), hybrid search finds the law that governs it (outside
the state authorities' instructions) and earlier remiss answers on similar proposals. The
competence frame of kommunallagen 2 kap. (1, 2, 3 and 8 §§) is always included when the index has
it. The state authorities whose *förordning med instruktion* is indexed are named (`authority_names`)
so the competence step can search one authority's paragraphs (`authority_paragraphs`).

`exclude_sources` keeps corpus files out of every search (leave-one-out in the evals, or an answer
the official does not want used).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.drafting.intake import Intake, normalize_ws
from agent.index.search import Filters, Searcher
from agent.sources.models import Document
from agent.sources.sfs_archive import INSTRUCTION_MARK

KL = "sfs-2017-725"
FRAME_IDS = (f"{KL}/2/1", f"{KL}/2/2", f"{KL}/2/3", f"{KL}/2/8")
MAX_PROPOSALS_USED = 4
LAWS_PER_PROPOSAL = 3
PRECEDENTS_PER_PROPOSAL = 3
MAX_LAWS = 8
MAX_PRECEDENTS = 5
BACKGROUND_CHARS = 1200


@dataclass
class Evidence:
    """What retrieval found; every list is in order of relevance and free of duplicates."""

    frame: list[Document] = field(default_factory=list)  # kommunallagen 2 kap. 1, 2, 3, 8 §§
    laws: list[Document] = field(default_factory=list)  # governing law (not the instructions)
    precedents: list[Document] = field(default_factory=list)
    authority_names: dict[str, str] = field(default_factory=dict)  # law_id -> "Säkerhetspolisen"
    background: str = ""  # the remiss's own description of the problem, before its proposals
    exclude_sources: tuple[str, ...] = ()

    def documents(self) -> list[Document]:
        seen: set[str] = set()
        out: list[Document] = []
        for doc in [*self.frame, *self.laws, *self.precedents]:
            if doc.id not in seen:
                seen.add(doc.id)
                out.append(doc)
        return out


def authority_name(law_title: str) -> str:
    """'Förordning (2022:1719) med instruktion för Säkerhetspolisen' -> 'Säkerhetspolisen'."""
    _, _, name = law_title.partition(INSTRUCTION_MARK)
    return name.strip()


def authority_laws(searcher: Searcher) -> dict[str, str]:
    """law_id -> authority name, for every state authority's instruction in the index."""
    out = {}
    for law_id, title in searcher.law_titles().items():
        if INSTRUCTION_MARK in title:
            out[law_id] = authority_name(title)
    return out


def background_of(intake: Intake, limit: int = BACKGROUND_CHARS) -> str:
    """The text just before the first proposal (the remiss's description of the problem), bounded."""
    text = intake.text
    if not intake.proposals:
        return normalize_ws(text[:limit])
    first = intake.proposals[0].text
    words = first.split()[:6]
    pattern = r"\s+".join(re.escape(w) for w in words)
    m = re.search(pattern, text) if words else None
    end = m.start() if m else min(len(text), limit)
    start = max(0, end - limit)
    chunk = normalize_ws(text[start:end])
    if start > 0:  # begin at a sentence start
        cut = re.search(r"[.!?]\s+(?=[A-ZÅÄÖ])", chunk)
        if cut and cut.end() < len(chunk) // 2:
            chunk = chunk[cut.end() :]
    return chunk


def proposal_queries(intake: Intake) -> list[str]:
    queries = [p.text for p in intake.proposals[:MAX_PROPOSALS_USED]]
    if len(intake.proposals) > MAX_PROPOSALS_USED:  # the rest as one query
        queries.append(" ".join(p.text for p in intake.proposals[MAX_PROPOSALS_USED:])[:2000])
    if not queries:
        queries = [intake.title or intake.text[:1000]]
    return queries


def _interleave(lists: list[list[Document]], limit: int, skip: set[str]) -> list[Document]:
    """Round-robin over the per-query hit lists, so every proposal gets its best sources in."""
    out: list[Document] = []
    seen = set(skip)
    depth = max((len(x) for x in lists), default=0)
    for i in range(depth):
        for hits in lists:
            if i < len(hits) and hits[i].id not in seen:
                seen.add(hits[i].id)
                out.append(hits[i])
    return out[:limit]


def retrieve(
    intake: Intake,
    searcher: Searcher,
    *,
    exclude_sources: tuple[str, ...] = (),
    extra_law_ids: tuple[str, ...] = (),
) -> Evidence:
    """The sources for a draft of `intake`. `extra_law_ids` adds a search restricted to those laws."""
    authorities = authority_laws(searcher)
    frame = [doc for doc in (searcher.get(i) for i in FRAME_IDS) if doc is not None]
    queries = proposal_queries(intake)
    if intake.title:
        queries = [*queries, intake.title]
    general_laws = [law_id for law_id in searcher.law_titles() if law_id not in authorities]
    law_filter = Filters(kind="law", law_ids=general_laws, exclude_sources=list(exclude_sources))
    prec_filter = Filters(kind="precedent", exclude_sources=list(exclude_sources))
    frame_ids = {d.id for d in frame}

    law_lists = [
        [h.document for h in searcher.search(q, k=LAWS_PER_PROPOSAL + 4, filters=law_filter)] for q in queries
    ]
    if extra_law_ids:
        extra = Filters(kind="law", law_ids=list(extra_law_ids), exclude_sources=list(exclude_sources))
        extra_hits = [[h.document for h in searcher.search(q, k=3, filters=extra)] for q in queries]
        law_lists = [*extra_hits, *law_lists]
    laws = _interleave(law_lists, MAX_LAWS, frame_ids)
    precedent_lists = [
        [h.document for h in searcher.search(q, k=PRECEDENTS_PER_PROPOSAL + 2, filters=prec_filter)]
        for q in queries
    ]
    precedents = _interleave(precedent_lists, MAX_PRECEDENTS, set())
    background = background_of(intake)
    return Evidence(
        frame=frame,
        laws=laws,
        precedents=precedents,
        authority_names=authorities,
        background=background,
        exclude_sources=tuple(exclude_sources),
    )


def authority_paragraphs(
    searcher: Searcher, law_id: str, query: str, k: int = 2, exclude_sources: tuple[str, ...] = ()
) -> list[Document]:
    """The paragraphs of one authority's instruction that best match `query`."""
    filters = Filters(kind="law", law_ids=[law_id], exclude_sources=list(exclude_sources))
    return [h.document for h in searcher.search(query, k=k, filters=filters)]
