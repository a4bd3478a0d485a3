"""Verification of a draft against the sources it was given (design and rules: `docs/verification.md`).

`verify_draft(text, sources)` returns every citation found in the draft (`Citation`, resolved to a
given source or not) and a `Verification`: citations that do not resolve to a *given* source,
quotations that are not verbatim in their source, and legal claims without a citation. The draft is
only ever treated as text: nothing in it is followed, and no citation is invented for it.

Modules: `check` (the phases, in order), `citations` (finding and resolving citations), `laws` (law
references, lists and ranges), `quotations` (attribution), `verbatim` (the verbatim test), `remiss`
(the remiss as a source for quotations only), `claims` (legal claims), `lookup` (tables over the
given sources). Sentences and quotations are recognised by
`agent.text.sentences`.
"""

from agent.drafting.verify.check import verify_draft
from agent.drafting.verify.claims import LEGAL_CLAIM_MARKERS, is_legal_claim
from agent.drafting.verify.laws import MAX_RANGE
from agent.drafting.verify.quotations import R_NOT_VERBATIM, R_OTHER_SOURCE, count_quotations
from agent.drafting.verify.remiss import R_NOT_VERBATIM_REMISS, REMISS_ID
from agent.text.sentences import MAX_QUOTE_CHARS, MIN_QUOTE_WORDS, sentence_spans

__all__ = [
    "LEGAL_CLAIM_MARKERS",
    "MAX_QUOTE_CHARS",
    "MAX_RANGE",
    "MIN_QUOTE_WORDS",
    "REMISS_ID",
    "R_NOT_VERBATIM",
    "R_NOT_VERBATIM_REMISS",
    "R_OTHER_SOURCE",
    "count_quotations",
    "is_legal_claim",
    "sentence_spans",
    "verify_draft",
]
