"""Parse one remiss answer into a `RemissAnswer` (metadata + sections), and that into Documents."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from agent.sources.errors import EmptyDocumentError
from agent.sources.models import Document
from agent.sources.remissvar.grammar import (
    GENERIC_TITLE_RE,
    KALLA_PREFIX,
    META_TITLE_RE,
    NEWS_TITLE_RE,
    ORG_WORD_RE,
    TRUNC_RE,
    is_debris,
)
from agent.sources.remissvar.metadata import _Kalla, body_from_text, clean_title, doc_kind, parse_kalla
from agent.sources.remissvar.sections import Section, split_chunks, split_sections
from agent.text.grammar import find_date, find_dnr, iter_lines
from agent.text.normalise import collapse_whitespace


@dataclass
class RemissAnswer:
    source: str  # "remissvar/<file>" or the user path
    title: str
    body: str  # issuing organisation: "Stockholms stad, socialförvaltningen"
    date: str  # ISO date, "YYYY-MM" or "YYYY" where possible, else as found, "" if unknown
    dnr: str
    source_url: str
    doc_kind: str  # "tjänsteutlåtande" | "protokoll" | "utlåtande" | "promemoria" | "nyhet" | ...
    truncated: bool
    sections: list[Section] = field(default_factory=list)

    @property
    def year(self) -> int:
        m = re.match(r"((?:19|20)\d\d)", self.date)
        return int(m.group(1)) if m else 0


def _first_paragraph(text: str, start: int, end: int) -> str:
    lines: list[str] = []
    for ls, le in iter_lines(text, start, end):
        line = text[ls:le].strip()
        if not line:
            if lines:
                break
            continue
        if is_debris(line) and not lines:
            continue
        lines.append(line)
        if len(lines) >= 4:
            break
    para = collapse_whitespace(" ".join(lines))
    if len(para) > 200:
        first = lines[0] if lines else ""
        para = first if len(first) <= 200 else first[:200].rsplit(" ", 1)[0] + " …"
    return para


def _read_kalla_line(text: str, source: str) -> tuple[_Kalla, int]:
    """The parsed `KÄLLA:` line (empty if there is none) and the offset where the text starts."""
    start, end = 0, len(text)
    kalla = _Kalla()
    first_ls = len(text) - len(text.lstrip())
    nl = text.find("\n", first_ls)
    first_line = text[first_ls : end if nl < 0 else nl]
    if first_line.upper().startswith(KALLA_PREFIX):
        kalla = parse_kalla(first_line)
        start = end if nl < 0 else nl + 1
    if not text[start:end].strip():
        raise EmptyDocumentError(source, "Filen innehåller bara en källrad men ingen text.")
    return kalla, start


def _choose_title(kalla: _Kalla, first_para: str) -> str:
    title = kalla.title
    if not title or GENERIC_TITLE_RE.match(title) or META_TITLE_RE.match(title):
        if first_para and len(first_para) <= 150:
            title = first_para
        else:
            title = kalla.head_rest or first_para or title
    return clean_title(title) if title else ""


def _choose_date(kalla: _Kalla, head: str) -> str:
    date = kalla.date
    if not date or re.fullmatch(r"\d{4}", date):
        found = find_date(head)
        if found and (not date or found.startswith(date)):
            date = found
    return date


def parse_remissvar(text: str, source: str) -> RemissAnswer:
    """Parse one remiss answer (with or without a leading `KÄLLA:` line) into sections.

    Never raises on odd text; raises `EmptyDocumentError` only if there is no text at all.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise EmptyDocumentError(source, "Filen innehåller ingen text.")
    kalla, start = _read_kalla_line(text, source)
    end = len(text)
    marker = TRUNC_RE.search(text, start, end)
    truncated = kalla.truncated or marker is not None
    if marker:
        end = marker.start()

    head = text[start : min(end, start + 2500)]
    title = _choose_title(kalla, _first_paragraph(text, start, end))
    body = kalla.body or body_from_text(head)
    kind = doc_kind(kalla.description, head)
    # News items: "Enköpings kommun – motion av ..." -> body from the title, not the newspaper.
    if kind == "nyhet" and not ORG_WORD_RE.search(body) and (m := NEWS_TITLE_RE.match(title)):
        body, title = m.group(1), clean_title(m.group(2))

    sections = split_sections(text, start, end)
    if not sections:  # only debris: keep the raw text rather than nothing
        sections = [Section("Text", "text", text[start:end].strip())]
    return RemissAnswer(
        source=source,
        title=title,
        body=body,
        date=_choose_date(kalla, head),
        dnr=kalla.dnr or find_dnr(head),
        source_url=kalla.source_url,
        doc_kind=kind,
        truncated=truncated,
        sections=sections,
    )


def _label(answer: RemissAnswer, section_name: str, part: int, parts: int) -> str:
    head = ", ".join(x for x in (answer.body, answer.date) if x)
    if answer.dnr:
        head = f"{head}, Dnr {answer.dnr}" if head else f"Dnr {answer.dnr}"
    title = answer.title or Path(answer.source).name
    label = f"{head}: {title}" if head else title
    label = f"{label} – {section_name}"
    return f"{label} (del {part} av {parts})" if parts > 1 else label


def _free_key(key: str, n: int, used: set[str], reserved: set[str]) -> str:
    """`key-n`, or the next `key-N` not taken by another chunk or section."""
    while f"{key}-{n}" in used or f"{key}-{n}" in reserved:
        n += 1
    return f"{key}-{n}"


def _document(
    answer: RemissAnswer, section: Section, key: str, chunk: str, part: int, parts: int
) -> Document:
    return Document(
        id=f"{answer.source}#{key}",
        kind="precedent",
        label=_label(answer, section.name, part, parts),
        text=chunk,
        source=answer.source,
        embed_text=f"{answer.title}\n{section.name}\n{chunk}",
        metadata={
            "body": answer.body,
            "date": answer.date,
            "year": answer.year,
            "dnr": answer.dnr,
            "title": answer.title,
            "source_url": answer.source_url,
            "section": section.name,
            "section_key": section.key,
            "part": part,
            "parts": parts,
            "truncated": answer.truncated,
            "doc_kind": answer.doc_kind,
        },
    )


def to_documents(answer: RemissAnswer) -> list[Document]:
    """One Document per section, or per part of a section longer than `MAX_CHUNK_CHARS`."""
    reserved = {s.key for s in answer.sections}
    used: set[str] = set()
    docs: list[Document] = []
    for section in answer.sections:
        chunks = split_chunks(section.text)
        for i, chunk in enumerate(chunks):
            key = section.key if i == 0 else _free_key(section.key, i + 1, used, reserved)
            used.add(key)
            docs.append(_document(answer, section, key, chunk, i + 1, len(chunks)))
    return docs
