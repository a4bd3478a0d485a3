"""Baselines scored in the same run as the agent, so every number has something to be read against.

* `majority` — always the most common standpoint and competence. Computed leave-one-out: for each
  case, the standpoint accepted by most *other* cases of the set (ties: the order of `STANDPOINTS`
  reversed, i.e. avstyrker, besvarad, tillstyrker) and their most common competence annotation. It
  writes no text. On the public cases "avstyrker" is accepted in most cases, so a standpoint score
  means nothing without this line.
* `retrieval` — retrieval only: the most similar earlier answer (top hit of a hybrid search for the
  remiss text among precedents, the case's own source excluded), its answering section
  (`ANSWER_SECTIONS`, in that order of preference; else the hit itself) copied verbatim and cited
  with its Dnr or label. Its standpoint and competence are read from that text with keyword rules
  (`standpoint_from_text`, `competence_from_text`); no rule matching = no standpoint (scored 0).
* `reference` — the real answer of the case scored as a draft: an upper bound that checks the
  metrics. Its standpoint and competence are the annotation's (the first accepted standpoint), so
  its standpoint/competence accuracy is 1 by construction; what it checks are the text metrics.

Sources for the text baselines: a text can only cite what it was given. The reference is given the
sources retrieved for its case (the agent's sources) plus the law paragraphs it names, resolved in
the index with `Searcher.resolve_references`; the retrieval baseline is given its earlier answer
plus the law paragraphs that answer names. Their law citations therefore resolve whenever the
paragraph is indexed; citation validity below 1.0 for them means they cite something that is not
in the index (another Dnr, a law outside the corpus).
"""

from __future__ import annotations

import re
from collections import Counter

from agent.drafting.compose import precedent_ref
from agent.evals.cases import ANNOTATED_COMPETENCE, STANDPOINTS, EvalCase
from agent.evals.metrics import Candidate
from agent.index.search import Filters, Searcher
from agent.sources.models import Document

ANSWER_SECTIONS = ("synpunkter", "bedomning", "yttrande", "forslag-till-beslut", "beslut", "beredning")
MAX_BASELINE_CHARS = 3000
QUERY_CHARS = 2000

_STANDPOINT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("avstyrker", re.compile(r"\bavstyrk\w*|\bavslå\w*|\bavslag\w*|\binte\s+tillstyrk\w*", re.IGNORECASE)),
    ("besvarad", re.compile(r"\bbesvarad\w*|\bbesvarat\b|\banses\s+besvar\w*", re.IGNORECASE)),
    ("tillstyrker", re.compile(r"(?<!inte )\btillstyrk\w*|\bbifall\w*|\bbifalla\w*", re.IGNORECASE)),
)
_OUTSIDE_RE = re.compile(
    r"(?:utanför|inte\s+(?:förenligt\s+med|ingår\s+i|inom))\s+(?:den\s+)?kommunala\s+kompetens",
    re.IGNORECASE,
)


def standpoint_from_text(text: str) -> str | None:
    """The standpoint an answer's own words state: the rule matching last in the text wins (the
    conclusion comes last); None when no rule matches."""
    best: tuple[int, str] | None = None
    for standpoint, rx in _STANDPOINT_RULES:
        for m in rx.finditer(text):
            if best is None or m.start() > best[0]:
                best = (m.start(), standpoint)
    return best[1] if best else None


def competence_from_text(text: str) -> str:
    """ "outside" when the text says the matter lies outside the municipal competence, else "within"."""
    return "outside" if _OUTSIDE_RE.search(text) else "within"


def majority(cases: list[EvalCase], case: EvalCase) -> Candidate:
    """Leave-one-out majority standpoint and competence (over all cases if `case` is the only one)."""
    others = [c for c in cases if c.id != case.id] or cases
    accepted: Counter[str] = Counter(s for c in others for s in c.standpoint)
    order = list(reversed(STANDPOINTS))
    standpoint = max(order, key=lambda s: (accepted[s], -order.index(s)))
    competences = Counter(c.competence for c in others)
    competence = max(ANNOTATED_COMPETENCE, key=lambda c: (competences[c], c == "within"))
    return Candidate(
        "majority",
        standpoint,
        competence,
        note=f"Vanligaste ståndpunkten bland de övriga {len(others)} fallen ({accepted[standpoint]} godtar "
        f"{standpoint}).",
    )


def _with_cited_laws(text: str, sources: list[Document], searcher: Searcher) -> list[Document]:
    out = list(sources)
    seen = {d.id for d in out}
    for doc in searcher.resolve_references(text):
        if doc.id not in seen:
            seen.add(doc.id)
            out.append(doc)
    return out


def _clip_at_sentence(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind(".\n"))
    return cut[: end + 1] if end > limit // 2 else cut.rsplit(" ", 1)[0] + " …"


def retrieval_only(case: EvalCase, searcher: Searcher, ignore_dnrs: tuple[str, ...] = ()) -> Candidate:
    """The most similar earlier answer's answering section, cited (see the module docstring)."""
    query = case.remiss_text()[:QUERY_CHARS]
    exclude = [case.source] if case.source else []
    hits = searcher.search(query, k=1, filters=Filters(kind="precedent", exclude_sources=exclude))
    if not hits:
        return Candidate("retrieval", None, None, text="", note="Inget tidigare remissvar hittades.")
    top = hits[0].document
    siblings = searcher.store.by_source(top.source)
    chosen = [top]
    for key in ANSWER_SECTIONS:
        parts = [d for d in siblings if d.metadata.get("section_key") == key]
        if parts:
            chosen = parts
            break
    body = _clip_at_sentence("\n\n".join(d.text.strip() for d in chosen), MAX_BASELINE_CHARS)
    text = f"{body}\n\n(Se {precedent_ref(chosen[0])}.)\n"
    return Candidate(
        "retrieval",
        standpoint_from_text(body),
        competence_from_text(body),
        text=text,
        sources=_with_cited_laws(text, chosen, searcher),
        ignore_dnrs=ignore_dnrs,
        note=f"{chosen[0].label} ({top.source})",
    )


def reference(
    case: EvalCase, sources: list[Document], searcher: Searcher, ignore_dnrs: tuple[str, ...] = ()
) -> Candidate | None:
    """The case's real answer as a draft (None when the case has no reference)."""
    if not case.reference:
        return None
    text = case.reference_text()
    return Candidate(
        "reference",
        case.standpoint[0],
        case.competence,
        text=text,
        sources=_with_cited_laws(text, sources, searcher),
        ignore_dnrs=ignore_dnrs,
        note="Det verkliga svaret; källor: utkastets källor och lagrummen svaret nämner.",
    )
