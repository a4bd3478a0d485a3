"""Step 5 of the pipeline: the draft text of "Förvaltningens synpunkter och förslag".

Two writers, one set of sources, one verification afterwards:

* `assemble` (the local model's path): the prose is put together from the phrasings of the prompt
  file, the remiss's own proposals, and verbatim law text and earlier answers chosen by the earlier
  steps. No model writes a word of it, so every citation and quotation is checkable by construction.
* `write_prose` / `revise_prose` (a strong model: OpenAI or an OpenAI-compatible server): the model
  writes freely from the same analysis and sources, streamed; `drop_failing` then removes any
  sentence whose citation or quotation does not verify.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from agent.drafting.analysis import KL_2_1, KL_2_2
from agent.drafting.competence import BODY_SV, CompetenceResult, ProposalJudgement, shared_terms
from agent.drafting.guard import for_prompt, neutralize
from agent.drafting.intake import Intake, Proposal, normalize_ws
from agent.drafting.models import COMPETENCE_SV, Analysis, Verification
from agent.drafting.notes import note_sentence
from agent.drafting.positions import Position
from agent.drafting.prompts import Prompts
from agent.drafting.retrieve import Evidence
from agent.drafting.text import clip, content_terms, plain_sentences
from agent.llm.backends import ChatModel
from agent.sources.models import Document
from agent.text.sentences import sentence_spans

DOC_NAMES = {
    "motion": "motionen",
    "medborgarförslag": "medborgarförslaget",
    "remiss": "remissen",
    "utredning": "utredningen",
    "okänd": "förslaget",
}
BODY_POSSESSIVE = {"kommun": "kommunens", "region": "regionens"}
MAX_QUOTE = 600  # characters of law text quoted in an assembled draft
MAX_PRECEDENTS_QUOTED = 2
MIN_SHARED_LAW = 2  # content words a law paragraph must share with the remiss to be quoted
MIN_SHARED_PRECEDENT = 3
MAX_SOURCE_CHARS_PROSE = 1500
PROSE_MAX_TOKENS = 1200
DEFAULT_PROMPT_CHARS = 24_000  # sources in a strong model's prompt (see `prompt_budget`)


def prompt_budget(context_tokens: int | None) -> int:
    """Characters of sources that fit a model's context beside the instructions and the answer
    (≈ 2 characters per token for Swedish is on the safe side); None = a large hosted model."""
    if context_tokens is None:
        return DEFAULT_PROMPT_CHARS
    return max(2000, (context_tokens - PROSE_MAX_TOKENS - 600) * 2)


_JUDGEMENT_RE = re.compile(
    r"\b(bedömer|bedömning|anser|föreslår|konstaterar|avstyrk|tillstyrk|besvarad|ställer sig)", re.IGNORECASE
)
_WORD_RE = re.compile(r"[a-zåäöéü]{4,}", re.IGNORECASE)
_QUOTE_END_RE = re.compile(r"([.!?])”\.")


def _words(text: str) -> set[str]:
    return {w.lower()[:7] for w in _WORD_RE.findall(text)}


def stycken(doc: Document) -> list[str]:
    """A law paragraph's stycken as verbatim text (points on their own lines)."""
    raw = doc.metadata.get("stycken")
    if raw:
        return ["\n".join(part for part in st if part) for st in raw]
    return [s for s in doc.text.split("\n\n") if s.strip()]


_AMENDMENT_RE = re.compile(r"\s*(Lag|Förordning)\s*\(\d{4}:\d+\)\.?\s*$")


def law_quote(doc: Document, topic: str = "", limit: int = MAX_QUOTE) -> str:
    """A verbatim quotation of `doc`: its first stycke, or (with `topic`) the stycke or point that
    shares most words with `topic` — a point is quoted as "<stycke opening> […] <point>". On a tie the
    shorter (more precise) one wins; when nothing is shared, the first stycke (the main rule)."""
    parts = stycken(doc)
    if not parts:
        return ""
    best = parts[0]
    if topic:
        want = content_terms(topic)
        candidates: list[str] = []
        for st in parts:
            lines = st.split("\n")
            candidates.append(normalize_ws(st))
            if len(lines) > 1:
                head = normalize_ws(lines[0])
                for point in lines[1:]:
                    body = re.sub(r"^\s*\d+[a-z]?\.\s*", "", point).strip().rstrip(",;.")
                    body = re.sub(r",? (och|eller)$", "", body)
                    candidates.append(f"{head} […] {body}")

        def rank(ic: tuple[int, str]) -> tuple[int, int, int]:
            shared = len(content_terms(ic[1]) & want)
            return (shared, -len(ic[1]) if shared else 0, -ic[0])

        best = max(enumerate(candidates), key=rank)[1]
    text = _AMENDMENT_RE.sub("", normalize_ws(best))  # "… medlemmar. Lag (2019:835)." -> "… medlemmar."
    if len(text) > limit:
        cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
        text = cut + " […]"
    return text.rstrip(".") if text.endswith(".") and text.count(".") == 1 else text


def relevant(doc: Document, topic: str, min_shared: int = MIN_SHARED_LAW) -> bool:
    """Does a retrieved source share enough content words with the remiss to be worth quoting?"""
    return len(shared_terms(doc, topic)) >= min_shared


def _sentence_quote(doc: Document, topic: str, limit: int = 400) -> str:
    """The sentence of an earlier answer that best states its judgement on `topic` (verbatim)."""
    want = _words(topic)
    best, best_score = "", -1.0
    for sent in plain_sentences(doc.text, limit):
        if len(sent.split()) < 6 or not _JUDGEMENT_RE.search(sent):
            continue
        score = len(_words(sent) & want)
        if score > best_score:
            best, best_score = sent, score
    return best.rstrip(".")


def precedent_ref(doc: Document) -> str:
    """How an earlier answer is cited: "Stockholms stad, kommunstyrelsen, 2013, Dnr …" or its label."""
    dnr = doc.metadata.get("dnr") or ""
    if dnr:
        body = doc.metadata.get("body") or ""
        date = doc.metadata.get("date") or ""
        bits = [b for b in (body, date) if b]
        return ", ".join([*bits, f"Dnr {dnr}" if not dnr.lower().startswith("dnr") else dnr])
    return doc.label


def _doc_phrases(intake: Intake) -> tuple[str, str]:
    short = DOC_NAMES.get(intake.doc_type, "förslaget")
    title = normalize_ws(neutralize(intake.title)[0])
    if title:
        if title.split()[0].lower() in {"motion", "medborgarförslag", "remiss", "motionen"}:
            title = title[0].lower() + title[1:]
        long = title
    else:
        long = short
    return long, short


def intro_paragraph(intake: Intake, prompts: Prompts) -> str:
    """The opening of every assembled draft: what the remiss is and what it proposes (its own words).

    It depends on nothing the model decides, so the pipeline can show it as soon as the remiss is read.
    """
    p = prompts.phrase
    doc_long, doc_short = _doc_phrases(intake)
    by = f" av {', '.join(intake.proposers)}" if intake.proposers else ""
    intro = [p("intro", doc=doc_long, by=by)]
    proposals = [normalize_ws(neutralize(pr.text)[0]) for pr in intake.proposals[:4]]
    if len(proposals) == 1:
        intro.append(p("proposals_one", doc_short=doc_short, proposal=proposals[0]))
        return " ".join(intro)
    if proposals:
        intro.append(p("proposals_many", doc_short=doc_short))
        return " ".join(intro) + "\n\n" + "\n".join(f"- {x}" for x in proposals)
    return " ".join(intro)


def assemble(
    intake: Intake,
    evidence: Evidence,
    competence: CompetenceResult,
    analysis: Analysis,
    prompts: Prompts,
    *,
    short: bool = False,
    additions: Iterable[str] = (),
    notes: Iterable[Document] = (),
    positions: Sequence[Position] = (),
) -> str:
    """The draft text for the local path, from phrasings, proposals, verbatim sources and the official's
    notes (in the official's own words, each cited as Handläggarens underlag)."""
    p = prompts.phrase
    _, doc_short = _doc_phrases(intake)
    topic = " ".join(pr.text for pr in intake.proposals) or intake.title
    paras: list[str] = [intro_paragraph(intake, prompts)]
    if analysis.standpoint != "tillstyrker" and not short:
        paras.append(p("courtesy", doc_short=doc_short))
    paras.extend(_competence_paragraphs(evidence, competence, analysis, prompts, topic, short))
    notes = list(notes)
    if notes:
        paras.append(" ".join([p("notes"), *(note_sentence(n) for n in notes)]))
    if not short:
        paras.extend(_precedent_paragraphs(evidence, analysis, prompts, topic, positions))
    paras.extend(a.strip() for a in additions if a.strip())
    paras.append(p(f"conclusion.{analysis.standpoint}"))
    text = "\n\n".join(x.strip() for x in paras if x.strip()) + "\n"
    return _QUOTE_END_RE.sub(r"\1”", text)  # ”… avgift.”. -> ”… avgift.” (the quote keeps its own period)


def _competence_paragraphs(
    evidence: Evidence,
    competence: CompetenceResult,
    analysis: Analysis,
    prompts: Prompts,
    topic: str,
    short: bool,
) -> list[str]:
    """The frame of 2 kap. kommunallagen, the verdict per proposal with its evidence, and the laws."""
    p = prompts.phrase
    frame = {d.id: d for d in evidence.frame}
    paras: list[str] = []
    comp: list[str] = []
    if KL_2_1 in frame:
        if not short:
            comp.append(p("frame"))
        comp.append(p("frame_1", label=frame[KL_2_1].label, quote=law_quote(frame[KL_2_1])))
    if analysis.competence == "outside":
        if KL_2_2 in frame:
            comp.append(p("frame_2", label=frame[KL_2_2].label, quote=law_quote(frame[KL_2_2])))
        paras.append(" ".join(comp))
        body_def = BODY_SV[competence.body]
        for j in competence.judgements:
            if j.outside and j.evidence:
                paras.append(_outside_paragraph(j, body_def, prompts, short=short))
        paras.append(p("outside", kl22=frame[KL_2_2].label if KL_2_2 in frame else ""))
        return paras
    for j in competence.judgements:
        if j.verdict == "uncertain" and j.evidence and j.competing_evidence:
            paras.append(_conflict_paragraph(j, topic, competence.body, prompts))
        elif j.verdict == "within" and j.deciding is not None and j.evidence and not short:
            doc = j.evidence[0]
            quote = law_quote(doc, j.proposal.text + " " + topic)
            paras.append(
                p("municipal_entry", area=j.deciding.entry.area.lower(), label=doc.label, quote=quote)
            )
    kl21 = frame[KL_2_1].label if KL_2_1 in frame else ""
    comp.append(p("within" if analysis.competence == "within" else "uncertain", kl21=kl21))
    paras.append(" ".join(comp))
    support_ids = {i for a in analysis.arguments for i in a.source_ids}
    laws = [d for d in evidence.laws if d.id in support_ids and relevant(d, topic)][: 1 if short else 2]
    paras.extend(p("municipal", label=doc.label, quote=law_quote(doc, topic)) for doc in laws)
    return paras


def _precedent_paragraphs(
    evidence: Evidence, analysis: Analysis, prompts: Prompts, topic: str, positions: Sequence[Position] = ()
) -> list[str]:
    """Earlier answers on the same topic: first their positions (the same organisation's first), then
    quotations of answers that support the analysis. At most `MAX_PRECEDENTS_QUOTED`, one per answer."""
    on_topic = {d.source for d in evidence.precedents if relevant(d, topic, MIN_SHARED_PRECEDENT)}
    paras: list[str] = []
    quoted: set[str] = set()
    for pos in positions:
        if pos.doc.source in on_topic and len(paras) < MAX_PRECEDENTS_QUOTED:
            body, ref, quote = pos.body or "En annan nämnd", precedent_ref(pos.doc), pos.sentence.rstrip(".")
            paras.append(prompts.phrase("precedent_position", body=body, ref=ref, quote=quote))
            quoted.add(pos.doc.source)
    support_ids = {i for a in analysis.arguments for i in a.source_ids}
    chosen = [d for d in evidence.precedents if d.id in support_ids] or evidence.precedents[:1]
    for doc in chosen:
        if len(paras) >= MAX_PRECEDENTS_QUOTED or doc.source in quoted or doc.source not in on_topic:
            continue
        quote = _sentence_quote(doc, topic)
        body = doc.metadata.get("body") or "En annan nämnd"
        if quote and relevant(doc, topic, MIN_SHARED_PRECEDENT):
            paras.append(prompts.phrase("precedent", body=body, ref=precedent_ref(doc), quote=quote))
            quoted.add(doc.source)
    return paras


def _short(proposal: Proposal) -> str:
    return clip(normalize_ws(neutralize(proposal.text)[0]), 160).rstrip(".")


def _outside_paragraph(j: ProposalJudgement, body_def: str, prompts: Prompts, *, short: bool) -> str:
    """The paragraph that places one proposal outside: the decisive paragraph quoted, then the conclusion."""
    p = prompts.phrase
    assert j.deciding is not None
    # what the atlas entry says the paragraph is about, and the proposal: picks the stycke or point to quote
    context = f"{j.deciding.entry.statement} {' '.join(j.deciding.cues)} {j.proposal.text}"
    parts = [p("authority", label=doc.label, quote=law_quote(doc, context)) for doc in j.evidence]
    if j.deciding.entry.holder == "forbjudet":
        parts.append(p("principle_conclusion", proposal_short=_short(j.proposal)))
    else:
        parts.append(
            p("authority_conclusion", proposal_short=_short(j.proposal), authority=j.actor, body=body_def)
        )
    words = [*j.deciding.patterns, *j.deciding.cues]
    if words and not short:
        parts.append(
            p(
                "matched",
                area=j.deciding.entry.area.lower(),
                entry_id=j.deciding.entry.id,
                words=", ".join(dict.fromkeys(words)),
            )
        )
    return " ".join(parts)


def _conflict_paragraph(j: ProposalJudgement, topic: str, body: str, prompts: Prompts) -> str:
    """An uncertain verdict: both sides quoted, and what the official must check."""
    p = prompts.phrase
    out_doc, in_doc = j.evidence[0], j.competing_evidence[0]
    context = j.proposal.text + " " + topic
    return " ".join(
        [
            p(
                "conflict",
                proposal_short=_short(j.proposal),
                label_out=out_doc.label,
                quote_out=law_quote(out_doc, context),
                actor=j.actor,
                label_in=in_doc.label,
                quote_in=law_quote(in_doc, context),
            ),
            p("conflict_check", actor=j.actor, body_poss=BODY_POSSESSIVE[body]),
        ]
    )


# --------------------------------------------------------------------------- strong-model prose


def sources_listing(
    docs: list[Document], limit: int = MAX_SOURCE_CHARS_PROSE, budget: int = DEFAULT_PROMPT_CHARS
) -> str:
    """The sources for a strong model's prompt, each clipped to `limit` and all to `budget` characters."""
    out = []
    left = budget
    for doc in docs:
        ref = precedent_ref(doc) if doc.kind == "precedent" else doc.label
        room = min(limit, left - len(ref) - 4)
        if room < 200:
            break
        entry = f"[{ref}]\n{clip(doc.text, room)}"
        out.append(entry)
        left -= len(entry) + 2
    return "\n\n".join(out)


def _arguments_listing(analysis: Analysis, docs: dict[str, Document]) -> str:
    lines = []
    for a in analysis.arguments:
        labels = ", ".join(docs[i].label for i in a.source_ids if i in docs)
        lines.append(f"- {a.text} ({labels})")
    return "\n".join(lines) or "(inga)"


def _collect(chunks: Iterable[str], on_token: Callable[[str], None] | None) -> str:
    out = []
    for chunk in chunks:
        out.append(chunk)
        if on_token is not None:
            on_token(chunk)
    return "".join(out)


def write_prose(
    intake: Intake,
    sources: list[Document],
    analysis: Analysis,
    chat: ChatModel,
    prompts: Prompts,
    on_token: Callable[[str], None] | None = None,
    budget: int = DEFAULT_PROMPT_CHARS,
) -> str:
    docs = {d.id: d for d in sources}
    # The official's notes first: the prompt budget may cut the last sources, never them.
    sources = sorted(sources, key=lambda d: d.kind != "note")
    messages = prompts.messages(
        "prose_system",
        "prose_user",
        title=for_prompt(intake.title) or "(utan titel)",
        proposals="\n".join(f"- {for_prompt(p.text)}" for p in intake.proposals[:6]) or "(inga)",
        competence=COMPETENCE_SV[analysis.competence],
        standpoint=analysis.standpoint,
        arguments=_arguments_listing(analysis, docs),
        sources=sources_listing(sources, budget=budget),
    )
    return _collect(chat.stream(messages, max_tokens=PROSE_MAX_TOKENS), on_token).strip() + "\n"


def revise_prose(
    text: str,
    request: str,
    sources: list[Document],
    chat: ChatModel,
    prompts: Prompts,
    on_token: Callable[[str], None] | None = None,
    budget: int = DEFAULT_PROMPT_CHARS,
) -> str:
    budget = max(2000, budget - len(text))
    messages = prompts.messages(
        "revise_system",
        "revise_user",
        request=request,
        draft=text,
        sources=sources_listing(sources, budget=budget),
    )
    return _collect(chat.stream(messages, max_tokens=PROSE_MAX_TOKENS), on_token).strip() + "\n"


def drop_failing(text: str, verification: Verification) -> tuple[str, list[str]]:
    """`text` without the sentences that hold an unresolved citation or a misquotation."""
    bad = [*verification.unresolved, *(m.quote for m in verification.misquoted)]
    if not bad:
        return text, []
    removed: list[str] = []
    keep: list[tuple[int, int]] = []
    for s, e in sentence_spans(text):
        sentence = normalize_ws(text[s:e])
        if any(normalize_ws(b) in sentence for b in bad if b):
            removed.append(sentence)
        else:
            keep.append((s, e))
    out, prev = [], 0
    for s, e in keep:
        gap = text[prev:s]
        out.append("\n\n" if "\n\n" in gap else ("\n" if "\n" in gap else (" " if prev else "")))
        out.append(text[s:e])
        prev = e
    return "".join(out).strip() + "\n", removed
