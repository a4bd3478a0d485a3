"""Intake: turn a remiss (motion, medborgarförslag, remiss letter, utredning) into a structured `Intake`.

No language model is involved: everything here is rules over the text, and every extracted
proposal is a verbatim span of the input (whitespace normalised only), so later steps can quote
it and verification can check it.

* `reading` — the text of a PDF, text or Markdown file, uploaded bytes or pasted text, bounded.
* `sections` — the sections of the text, and which belong to the answering side (never read for
  proposals or proposers).
* `metadata` — kind, title, sender and addressee, language; the Dnr with the regexes of
  `agent.sources.remissvar`.
* `proposals` — att-satser, or else summary sentences.
* `proposers` — who wrote the motion or medborgarförslag.
* `parse` — `parse_intake`, which puts these together, and `load_intake`.

Everything is linear in the input size (regexes are bounded, no nested unbounded repetition),
so a 2 MB text parses well under a second or two.
"""

from agent.drafting.intake.metadata import HEAD_CHARS, LANG_SAMPLE_CHARS, detect_language
from agent.drafting.intake.models import (
    MAX_PROPOSALS,
    W_FIRST_SENTENCE,
    W_NO_ATT,
    W_NO_PROPOSAL,
    W_NO_PROPOSER,
    W_NOT_SWEDISH,
    W_TOO_LONG,
    W_TOO_MANY,
    W_UNKNOWN_TYPE,
    DocType,
    Intake,
    Language,
    Proposal,
    ProposalKind,
    intake_from_json,
    intake_to_json,
    normalize_ws,
)
from agent.drafting.intake.parse import FIRST_SENTENCE_MAX_CHARS, load_intake, parse_intake
from agent.drafting.intake.proposals import MAX_ATT_SATS_CHARS
from agent.drafting.intake.proposers import (
    ANCHOR_WINDOW,
    MAX_ANCHORS,
    MAX_PARTY_PARENS,
    PROPOSER_SCAN_CHARS,
)
from agent.drafting.intake.reading import bound_text, read_remiss

__all__ = [
    "ANCHOR_WINDOW",
    "FIRST_SENTENCE_MAX_CHARS",
    "HEAD_CHARS",
    "LANG_SAMPLE_CHARS",
    "MAX_ANCHORS",
    "MAX_ATT_SATS_CHARS",
    "MAX_PARTY_PARENS",
    "MAX_PROPOSALS",
    "PROPOSER_SCAN_CHARS",
    "W_FIRST_SENTENCE",
    "W_NOT_SWEDISH",
    "W_NO_ATT",
    "W_NO_PROPOSAL",
    "W_NO_PROPOSER",
    "W_TOO_LONG",
    "W_TOO_MANY",
    "W_UNKNOWN_TYPE",
    "DocType",
    "Intake",
    "Language",
    "Proposal",
    "ProposalKind",
    "bound_text",
    "detect_language",
    "intake_from_json",
    "intake_to_json",
    "load_intake",
    "normalize_ws",
    "parse_intake",
    "read_remiss",
]
