"""Chat revisions of a draft: what a follow-up message asks, and the change it makes to the state.

    revision = revise(state, "kortare", pipeline)     # state changed in place
    revision.reply, revision.rerun                     # the answer; the step to re-run from (or None)

The conversation graph (agent/drafting/graph.py) calls `revise` in its "revise" node and then re-runs
the pipeline from `revision.rerun`, so every revised draft is verified again before it is shown.

What a follow-up message can ask (Swedish; recognised by the patterns below, for every backend):

* **"kortare"** — a shorter draft (local: fewer paragraphs and quotations; strong model: rewritten);
* **"lägg till att …"** — one more sentence ("Förvaltningen vill tillägga att …"; a strong model
  works it in);
* **"byt ståndpunkt till tillstyrker | besvarad | avstyrker"** — the standpoint is changed and the
  text rewritten from the same sources;
* **"varför citerar du 2 kap. 2 §?"** — an explanation from the analysis (the argument that source
  supports) and the source text; the draft is not changed;
* **"ta även hänsyn till socialtjänstlagen"** — retrieval again with that law added, then the
  later steps; sources found before are kept.

Any other message: a strong model revises the draft freely (`revise_prose`); the local model
cannot, and says so with the list above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from agent.drafting.compose import revise_prose
from agent.drafting.models import Standpoint
from agent.drafting.pipeline import DraftState, Pipeline
from agent.drafting.retrieve import retrieve
from agent.sources.models import Document
from agent.sources.references import Reference, find_references, law_id_for_name

Intent = Literal["shorter", "add", "standpoint", "why", "law", "free"]

_SHORTER_RE = re.compile(r"\b(kortare|korta\s+ned|korta\s+ner|förkorta|kortfattad|mindre\s+text)", re.I)
_ADD_RE = re.compile(
    r"^\s*(?:kan\s+du\s+)?lägg\s+(?:också\s+|även\s+)?till\s+(?:att\s+)?(?P<x>.+?)\s*$", re.I | re.S
)
_STANDPOINT_RE = re.compile(
    r"\b(byt|ändra|sätt|gör\s+om)\b.*?\b(?P<s>tillstyrk\w*|besvara\w*|avstyrk\w*)", re.I | re.S
)
_WHY_RE = re.compile(r"\bvarför\b.*\b(citerar|hänvisar|nämner|tar\s+du\s+upp|använder)\b", re.I | re.S)
_LAW_RE = re.compile(
    r"\b(?:ta|tag)\s+(?:även\s+|också\s+)?hänsyn\s+till\s+(?P<law>.+?)[\s.?!]*$|"
    r"\b(?:hämta|lägg\s+till)\s+(?:även\s+|också\s+)?underlag\s+(?:ur|från)\s+(?P<law2>.+?)[\s.?!]*$",
    re.I | re.S,
)


Rerun = Literal["competence", "compose", "verify"]


@dataclass
class Revision:
    reply: str  # what the assistant says (Swedish)
    intent: Intent
    rerun: Rerun | None = None  # the step the change is re-run from; None = the draft is unchanged


def classify(message: str) -> Intent:
    if _WHY_RE.search(message):
        return "why"
    if _LAW_RE.search(message):
        return "law"
    if _STANDPOINT_RE.search(message):
        return "standpoint"
    if _ADD_RE.match(message):
        return "add"
    if _SHORTER_RE.search(message):
        return "shorter"
    return "free"


def _standpoint(word: str) -> Standpoint:
    w = word.lower()
    return (
        "tillstyrker" if w.startswith("tillstyrk") else "besvarad" if w.startswith("besvar") else "avstyrker"
    )


def _refers_to(ref: Reference, doc: Document) -> bool:
    """Does "2 kap. 2 §" / "2 kap. 2 § KL" / "3 §" in a question mean this cited law paragraph?"""
    law_id = doc.metadata.get("law_id")
    if doc.kind != "law" or ref.law_id not in (None, law_id):
        return False
    if ref.chapter is not None:
        return ref.ids_for(str(law_id)) == doc.id
    return str(doc.metadata.get("section")) == ref.section


def _sentence(text: str) -> str:
    text = " ".join(text.split()).rstrip(" .")
    return text + "."


def revise(state: DraftState, message: str, pipeline: Pipeline) -> Revision:
    """Change `state` as `message` asks (the caller re-runs from `Revision.rerun`)."""
    if state.draft is None:
        raise RuntimeError("Inget utkast att revidera ännu.")
    message = message.strip()
    if not message:
        return Revision(pipeline.prompts.chat("help"), "free")
    intent = classify(message)
    handler = {
        "shorter": _shorter,
        "add": _add,
        "standpoint": _change_standpoint,
        "why": _why,
        "law": _add_law,
        "free": _free,
    }[intent]
    return handler(state, message, pipeline)


def _revise_freely(state: DraftState, request: str, pipeline: Pipeline) -> Rerun:
    """A strong model rewrites the current text; verification (and repair) follow as always."""
    state.text = revise_prose(
        state.text, request, state.sources(), pipeline.chat, pipeline.prompts, pipeline._token
    )
    return "verify"


def _shorter(state: DraftState, message: str, pipeline: Pipeline) -> Revision:
    state.short = True
    rerun: Rerun = "compose" if pipeline.assembled else _revise_freely(state, message, pipeline)
    return Revision(pipeline.prompts.chat("shorter"), "shorter", rerun)


def _add(state: DraftState, message: str, pipeline: Pipeline) -> Revision:
    m = _ADD_RE.match(message)
    assert m is not None
    if not pipeline.assembled:
        return Revision(pipeline.prompts.chat("added"), "add", _revise_freely(state, message, pipeline))
    state.additions.append(_sentence(f"Förvaltningen vill tillägga att {m.group('x')}"))
    return Revision(pipeline.prompts.chat("added"), "add", "compose")


def _change_standpoint(state: DraftState, message: str, pipeline: Pipeline) -> Revision:
    m = _STANDPOINT_RE.search(message)
    assert m is not None
    standpoint = _standpoint(m.group("s"))
    pipeline.set_standpoint(state, standpoint)
    return Revision(pipeline.prompts.chat("standpoint_set", standpoint=standpoint), "standpoint", "compose")


def _why(state: DraftState, message: str, pipeline: Pipeline) -> Revision:
    assert state.draft is not None and state.analysis is not None
    draft, prompts = state.draft, pipeline.prompts
    refs = find_references(message)
    wanted: list[str] = []
    for ref in refs:
        for cit in draft.citations:
            doc = next((d for d in draft.sources if d.id == cit.source_id), None)
            if doc is not None and _refers_to(ref, doc) and doc.id not in wanted:
                wanted.append(doc.id)
    if not wanted:
        shown = message[refs[0].start : refs[0].end] if refs else message
        return Revision(prompts.chat("why_none", ref=shown), "why")
    parts = []
    for doc_id in wanted:
        doc = next(d for d in draft.sources if d.id == doc_id)
        reasons = [a.text for a in state.analysis.arguments if doc_id in a.source_ids]
        if not reasons:
            reasons = ["den hämtades som underlag för förslaget och citeras i utkastet"]
        parts.append(prompts.chat("why", label=doc.label, reasons="; ".join(reasons)))
        parts.append(prompts.chat("why_source_text", text=" ".join(doc.text.split())[:1200]))
    return Revision("\n\n".join(parts), "why")


def _find_law(name: str, pipeline: Pipeline) -> str | None:
    name = name.strip().strip("”\"'")
    law_id = law_id_for_name(name)
    if law_id is not None:
        return law_id
    lowered = name.lower()
    for law_id, title in pipeline.searcher.law_titles().items():
        t = title.lower()
        if lowered in t or (len(lowered) > 6 and lowered.rstrip("n") in t):
            return law_id
    return None


def _add_law(state: DraftState, message: str, pipeline: Pipeline) -> Revision:
    assert state.evidence is not None
    m = _LAW_RE.search(message)
    assert m is not None
    prompts = pipeline.prompts
    name = (m.group("law") or m.group("law2") or "").strip()
    law_id = _find_law(name, pipeline)
    if law_id is None:
        return Revision(prompts.chat("law_unknown", name=name), "law")
    before = state.evidence
    known = {d.id for d in before.documents()}
    extra = tuple(dict.fromkeys([*state.extra_law_ids, law_id]))
    fresh = retrieve(
        state.intake, pipeline.searcher, exclude_sources=state.exclude_sources, extra_law_ids=extra
    )
    new = [d for d in fresh.laws if d.id not in known and d.metadata.get("law_id") == law_id]
    if not new:
        return Revision(prompts.chat("law_nothing", name=name), "law")
    # Keep what was found before; the new law's paragraphs go first.
    fresh.laws = [*new, *[d for d in before.laws if d.id not in {n.id for n in new}]]
    fresh.precedents = before.precedents
    state.extra_law_ids, state.evidence = extra, fresh
    return Revision(prompts.chat("law_added", name=name, n=len(new)), "law", "competence")


def _free(state: DraftState, message: str, pipeline: Pipeline) -> Revision:
    prompts = pipeline.prompts
    if pipeline.assembled:
        return Revision(prompts.chat("not_understood_local") + "\n\n" + prompts.chat("help"), "free")
    return Revision(prompts.chat("revised"), "free", _revise_freely(state, message, pipeline))
