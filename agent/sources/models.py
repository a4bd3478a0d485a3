"""Plain data records that flow from the corpus parsers into the index.

Every parser produces `Document`s; the index stores them unchanged and retrieval returns
them. `text` is always the exact source text (verbatim, Markdown link syntax removed), so a
quotation can be checked against it character for character.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["law", "precedent", "note"]  # note: the official's own underlag (never indexed)


@dataclass(frozen=True)
class Stycke:
    """One stycke (paragraph of text) of a §, with its numbered points if any."""

    text: str
    points: tuple[str, ...] = ()

    def render(self) -> str:
        return "\n".join([self.text, *self.points]) if self.points else self.text


@dataclass(frozen=True)
class LawParagraph:
    """One § of a statute."""

    law_id: str  # "sfs-2017-725"
    sfs: str  # "2017:725"
    law_title: str  # "Kommunallag"
    law_name: str  # citation form: "kommunallagen (2017:725)"
    chapter: str | None  # "2"; None for laws without chapters
    chapter_title: str | None  # "Kommunala angelägenheter"
    section: str  # "2", "2 a"
    rubrik: str | None  # nearest heading above the § (mellanrubrik), if any
    stycken: tuple[Stycke, ...]
    source: str  # corpus-relative path of the file it came from

    @property
    def id(self) -> str:
        return paragraph_id(self.law_id, self.chapter, self.section)

    @property
    def label(self) -> str:
        chap = f"{self.chapter} kap. " if self.chapter else ""
        return f"{chap}{self.section} § {self.law_name}"

    @property
    def text(self) -> str:
        return "\n\n".join(s.render() for s in self.stycken)

    def to_document(self) -> Document:
        heading = " – ".join(x for x in (self.chapter_title, self.rubrik) if x)
        return Document(
            id=self.id,
            kind="law",
            label=self.label,
            text=self.text,
            source=self.source,
            embed_text=f"{self.label}. {heading}\n{self.text}" if heading else f"{self.label}\n{self.text}",
            metadata={
                "law_id": self.law_id,
                "sfs": self.sfs,
                "law_title": self.law_title,
                "chapter": self.chapter or "",
                "chapter_title": self.chapter_title or "",
                "section": self.section,
                "rubrik": self.rubrik or "",
                "stycken": [[s.text, *s.points] for s in self.stycken],
            },
        )


def paragraph_id(law_id: str, chapter: str | None, section: str) -> str:
    """`sfs-2017-725/2/2`, `sfs-2017-725/2/2a`, and `sfs-2009-47/3` for laws without chapters."""
    sec = section.replace(" ", "")
    return f"{law_id}/{chapter}/{sec}" if chapter else f"{law_id}/{sec}"


@dataclass(frozen=True)
class Document:
    """The unit of retrieval: one § of a law, or one section (or part of one) of a remiss answer."""

    id: str
    kind: Kind
    # human citation: "2 kap. 2 § kommunallagen (2017:725)", or for a precedent
    # "Stockholms stad, socialförvaltningen, 2025, Dnr KS 2025/448: <title> – <section>"
    label: str
    text: str  # verbatim source text
    source: str  # corpus-relative path ("remissvar/<file>.txt") or user path for added files
    embed_text: str = ""  # what is embedded (label + headings + text); defaults to text
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        payload = json.dumps(
            [self.id, self.kind, self.label, self.text, self.source, self.embed_text, self.metadata],
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def embedding_input(self) -> str:
        return self.embed_text or self.text
