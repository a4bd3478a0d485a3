"""The data a draft is made of, shared by the pipeline, the chat, the CLI, the app and the evals.

A draft may cite only the sources it was given (`Draft.sources`); `Verification` records every
citation that does not resolve to one of them, every quotation that is not verbatim in its
source, and every sentence that makes a legal claim without a citation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from agent.sources.models import Document

Standpoint = Literal["tillstyrker", "besvarad", "avstyrker"]
Competence = Literal["within", "outside", "uncertain"]
COMPETENCE_SV: dict[str, str] = {"within": "inom", "outside": "utanför", "uncertain": "oklart"}  # for users


@dataclass(frozen=True)
class Citation:
    ref: str  # as written in the draft: "2 kap. 2 § kommunallagen (2017:725)", "Dnr KS 2025/448"
    source_id: str | None  # the given source it resolves to; None = unresolved
    label: str  # the source's citation label ("" when unresolved)
    quote: str | None = None  # a verbatim quotation attributed to this citation, if any
    start: int = 0  # character span of `ref` in the draft text
    end: int = 0


@dataclass(frozen=True)
class Misquote:
    quote: str
    source_id: str | None  # the source the quotation was attributed to (None: no citation near it)
    reason: str  # Swedish, for the user


@dataclass(frozen=True)
class Verification:
    unresolved: list[str] = field(default_factory=list)  # citations not among the given sources
    misquoted: list[Misquote] = field(default_factory=list)
    unsupported_sentences: list[str] = field(default_factory=list)  # legal claims without a citation

    @property
    def ok(self) -> bool:
        """No unresolved citation and no misquotation (unsupported sentences are only flagged)."""
        return not self.unresolved and not self.misquoted

    def to_json(self) -> dict[str, Any]:
        return {
            "unresolved": list(self.unresolved),
            "misquoted": [asdict(m) for m in self.misquoted],
            "unsupported_sentences": list(self.unsupported_sentences),
        }


@dataclass(frozen=True)
class Argument:
    text: str
    source_ids: tuple[str, ...]  # the given sources that support it


@dataclass(frozen=True)
class Analysis:
    standpoint: Standpoint
    competence: Competence
    arguments: tuple[Argument, ...] = ()


@dataclass
class Draft:
    text: str
    analysis: Analysis
    sources: list[Document]  # everything the draft was given; citations must resolve to these
    citations: list[Citation] = field(default_factory=list)
    verification: Verification = field(default_factory=Verification)
    model: str = ""
    prompt_version: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # step -> seconds
    # per proposal: the verdict, the atlas entry and paragraphs it rests on, the words that matched
    competence_evidence: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON of `remiss draft --json` (documented in the README)."""
        return {
            "standpoint": self.analysis.standpoint,
            "competence": self.analysis.competence,
            "text": self.text,
            "citations": [
                {
                    "ref": c.ref,
                    "source_id": c.source_id,
                    "label": c.label,
                    "quote": c.quote,
                    "start": c.start,
                    "end": c.end,
                }
                for c in self.citations
            ],
            "verification": self.verification.to_json(),
            "sources": [
                {"id": d.id, "kind": d.kind, "label": d.label, "source": d.source, "text": d.text}
                for d in self.sources
            ],
            "arguments": [
                {"text": a.text, "source_ids": list(a.source_ids)} for a in self.analysis.arguments
            ],
            "model": self.model,
            "prompt_version": self.prompt_version,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "competence_evidence": self.competence_evidence,
        }
