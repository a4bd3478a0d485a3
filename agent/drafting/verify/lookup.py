"""Lookup tables over the given sources, and sorted spans of the draft."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from agent.drafting.intake import normalize_ws
from agent.sources.models import Document, paragraph_id


class Spans:
    """Sorted, non-overlapping spans with a fast "is this position inside one" test."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]

    def covers(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start) - 1
        return i >= 0 and self.spans[i][0] <= start and end <= self.spans[i][1]

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, end - 1) - 1
        return i >= 0 and self.spans[i][1] > start


def merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans joined into one."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


class SourceLookup:
    """Lookup tables over the given sources."""

    def __init__(self, sources: list[Document]) -> None:
        self.sources = sources
        self.by_id: dict[str, Document] = {}
        self.laws: dict[tuple[str, str, str], Document] = {}
        self.by_chapter: dict[tuple[str, str], list[Document]] = {}
        self.by_place: dict[tuple[str, str], list[Document]] = {}  # (chapter, section) in any law
        self.by_dnr: dict[str, list[Document]] = {}
        self.law_ids: set[str] = set()
        self.extra_aliases: dict[str, str] = {}
        for doc in sources:
            self.by_id.setdefault(doc.id, doc)
            meta = doc.metadata or {}
            if doc.kind == "law":
                self._add_law(doc, meta)
            elif doc.kind == "precedent" and meta.get("dnr"):
                self.by_dnr.setdefault(dnr_key(str(meta["dnr"])), []).append(doc)

    def _add_law(self, doc: Document, meta: dict) -> None:
        law_id = str(meta.get("law_id") or doc.id.split("/")[0])
        chap = str(meta.get("chapter") or "")
        sec = sec_key(str(meta.get("section") or doc.id.rsplit("/", 1)[-1]))
        self.law_ids.add(law_id)
        if (law_id, chap, sec) not in self.laws:
            self.laws[law_id, chap, sec] = doc
            self.by_place.setdefault((chap, sec), []).append(doc)
        self.by_chapter.setdefault((law_id, chap), []).append(doc)
        name = law_name_from_label(doc.label)
        if name:
            self.extra_aliases.setdefault(name, law_id)

    def law(self, law_id: str, chapter: str | None, section: str) -> Document | None:
        doc = self.laws.get((law_id, chapter or "", sec_key(section)))
        return doc or self.by_id.get(paragraph_id(law_id, chapter, section))

    def unique_law(self, chapter: str | None, section: str) -> Document | None:
        hits = self.by_place.get((chapter or "", sec_key(section)), [])
        return hits[0] if len(hits) == 1 else None


def sec_key(section: str) -> str:
    return section.replace(" ", "").lower()


def law_name_from_label(label: str) -> str:
    """ "2 kap. 2 § kommunallagen (2017:725)" -> "kommunallagen"."""
    m = re.match(r"^(?:\d+\s?[a-z]?\s*kap\.\s*)?\d+\s?[a-z]?\s*§\s*(.+)$", label.strip())
    if not m:
        return ""
    name = normalize_ws(re.sub(r"\(\s*\d{4}:\d+\s*\)", " ", m.group(1)))
    return name if len(name) >= 4 else ""


def dnr_key(dnr: str) -> str:
    """A Dnr without case, spaces or a separator after the letter prefix: "KS 2025/448" -> "KS2025/448"."""
    d = re.sub(r"\s+", "", dnr.upper())
    return re.sub(r"^([A-ZÅÄÖ]+)[-/]?(?=\d)", r"\1", d)
