"""`parse_intake`: a remiss text -> `Intake` (metadata, proposals, proposers, warnings)."""

from __future__ import annotations

import re
from pathlib import Path
from textwrap import shorten

from agent.drafting.intake.metadata import (
    ADDRESSEE_RES,
    HEAD_CHARS,
    SENDER_RES,
    detect_language,
    find_doc_type,
    find_title,
    first_match,
)
from agent.drafting.intake.models import (
    MAX_PROPOSALS,
    W_AFTER_ATT,
    W_FIRST_SENTENCE,
    W_FROM_TITLE,
    W_NO_ATT,
    W_NO_PROPOSAL,
    W_NO_PROPOSER,
    W_NOT_SWEDISH,
    W_TOO_MANY,
    W_UNKNOWN_TYPE,
    Intake,
    Proposal,
)
from agent.drafting.intake.proposals import AttScanner, first_sentence, summary_sentences
from agent.drafting.intake.proposers import PROPOSER_SCAN_CHARS, find_proposers
from agent.drafting.intake.reading import read_remiss
from agent.drafting.intake.sections import Segment, segments
from agent.sources.errors import EmptyDocumentError
from agent.sources.remissvar import KALLA_PREFIX, parse_kalla
from agent.text.grammar import find_dnr

FIRST_SENTENCE_MAX_CHARS = 3000  # the "first sentence" fallback only makes sense for a short excerpt


def parse_intake(text: str) -> Intake:
    """Parse a remiss text into an `Intake`. Raises `EmptyDocumentError` on empty text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise EmptyDocumentError("text", "Texten är tom. Klistra in eller ladda upp remisstexten.")

    # A corpus-style "KÄLLA:" first line is metadata, not content.
    start = len(text) - len(text.lstrip())
    nl = text.find("\n", start)
    first_line = text[start : len(text) if nl < 0 else nl]
    kalla = None
    if first_line.upper().startswith(KALLA_PREFIX):
        kalla = parse_kalla(first_line)
        start = len(text) if nl < 0 else nl + 1

    warnings: list[str] = []
    language = detect_language(text[start:])
    if language == "other":
        warnings.append(W_NOT_SWEDISH)

    head = text[start : start + HEAD_CHARS]
    doc_type = find_doc_type(head)
    if doc_type == "okänd" and kalla:
        doc_type = find_doc_type(kalla.description)
    if doc_type == "okänd":
        warnings.append(W_UNKNOWN_TYPE)

    dnr = (
        (kalla.dnr if kalla else "") or find_dnr(head) or find_dnr(text[start : start + PROPOSER_SCAN_CHARS])
    )
    kalla_desc = kalla.description if kalla else ""

    segs = segments(text, start, doc_type)
    content = [s for s in segs if not s.answer]
    proposals = _proposals(text, start, segs, content, warnings)
    title = find_title(text, start, kalla.title if kalla else "")
    proposals = _from_title(title, proposals, warnings)
    proposers = find_proposers(text, content, doc_type)
    if not proposers and doc_type in {"motion", "remiss"}:
        warnings.append(W_NO_PROPOSER)

    return Intake(
        text=text,
        doc_type=doc_type,
        title=title,
        proposers=proposers,
        dnr=dnr,
        addressed_to=first_match(ADDRESSEE_RES, head, kalla_desc),
        sender=first_match(SENDER_RES, head, kalla_desc),
        proposals=proposals,
        language=language,
        warnings=warnings,
    )


def _proposals(
    text: str, start: int, segs: list[Segment], content: list[Segment], warnings: list[str]
) -> list[Proposal]:
    """The att-satser of the `content` sections; without any, summary sentences or (for a short
    excerpt without headings) the first sentence. Adds the matching warnings to `warnings`."""
    scanner = AttScanner(text)
    for seg in content:
        scanner.scan(seg)
        if len(scanner.found) > MAX_PROPOSALS:
            break
    proposals = [Proposal(t, "att-sats") for t in scanner.found]
    for rest in scanner.trailing[:3]:
        warnings.append(W_AFTER_ATT.format(rest=shorten(rest, 160)))
    if not proposals:
        sentences = summary_sentences(text, content, MAX_PROPOSALS + 1)
        if sentences:
            warnings.append(W_NO_ATT)
            proposals = [Proposal(t, "summary") for t in sentences]
        elif (
            len(segs) == 1
            and len(text) - start <= FIRST_SENTENCE_MAX_CHARS
            and (first := first_sentence(text, content or segs))
        ):
            warnings.append(W_FIRST_SENTENCE)
            proposals = [Proposal(first, "summary")]
        else:
            warnings.append(W_NO_PROPOSAL)
    if len(proposals) > MAX_PROPOSALS:
        warnings.append(W_TOO_MANY)
        proposals = proposals[:MAX_PROPOSALS]
    return proposals


_TITLE_ATT_RE = re.compile(
    r"^(?:motion|medborgarförslag|e-förslag|förslag)\s+(?:om|angående|gällande)\s+(?P<att>att\s+\S.*)$", re.I
)


def _from_title(title: str, proposals: list[Proposal], warnings: list[str]) -> list[Proposal]:
    """When the text states no proposal of its own (no att-sats, no summary sentence), the title does:
    "Motion om att …" gives its att-clause, any other title ("Medborgarförslag om fler papperskorgar")
    itself. Officials often paste only the title, or the title and an opening paragraph. An opening
    sentence that is itself an att-clause stays the proposal."""
    if not title or W_NO_ATT in warnings or any(p.kind == "att-sats" for p in proposals):
        return proposals
    m = _TITLE_ATT_RE.match(title)
    if W_FIRST_SENTENCE in warnings:  # the opening sentence stays, unless only the title says "om att"
        opening = proposals[0].text.lstrip("”\"'« ").lower() if proposals else ""
        if m is None or opening.startswith("att "):
            return proposals
    elif W_NO_PROPOSAL not in warnings:
        return proposals
    proposal = Proposal(m.group("att"), "att-sats") if m else Proposal(title, "summary")
    warnings[:] = [w for w in warnings if w not in (W_NO_PROPOSAL, W_FIRST_SENTENCE)]
    warnings.append(W_FROM_TITLE.format(title=title))
    return [proposal]


def load_intake(path: Path) -> Intake:
    """Read a .txt/.md/.pdf file and parse it; PDF and file errors (`SourceError`) propagate."""
    return parse_intake(read_remiss(path)[0])
