"""Comparing the Markdown and JSON parses of one statute (to find text lost upstream)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agent.sources.models import LawParagraph
from agent.text.normalise import collapse_whitespace


@dataclass(frozen=True)
class LawComparison:
    """Differences between two parses of the same statute."""

    only_in_md: tuple[str, ...]
    only_in_json: tuple[str, ...]
    text_mismatches: tuple[tuple[str, str, str], ...]  # (id, md_text, json_text), normalised

    @property
    def agree(self) -> bool:
        return not (self.only_in_md or self.only_in_json or self.text_mismatches)


def comparable_text(text: str) -> str:
    """Text normalised for comparison: whitespace collapsed (so stycke/point breaks vanish), en/em dashes
    as hyphens (the JSON writes `28-32 §§` where the Markdown has `28–32 §§`)."""
    return collapse_whitespace(text.replace("–", "-").replace("—", "-"))


def compare_law_versions(md: Sequence[LawParagraph], js: Sequence[LawParagraph]) -> LawComparison:
    """Compare the Markdown and JSON parses of one statute, by paragraph id and normalised text."""
    md_by = {p.id: p for p in md}
    js_by = {p.id: p for p in js}
    mismatches = []
    for pid, p in md_by.items():
        q = js_by.get(pid)
        if q is None:
            continue
        a, b = comparable_text(p.text), comparable_text(q.text)
        if a != b:
            mismatches.append((pid, a, b))
    return LawComparison(
        only_in_md=tuple(pid for pid in md_by if pid not in js_by),
        only_in_json=tuple(pid for pid in js_by if pid not in md_by),
        text_mismatches=tuple(mismatches),
    )
