"""Export a draft as the "Förvaltningens synpunkter och förslag" section of a tjänsteutlåtande.

`to_docx` (python-docx) and `to_markdown` take the JSON of a draft (`Draft.to_json()`, as stored by
the app) and lay it out the same way: a heading, a notice that the text is an AI-assisted draft, the
text with a numbered reference "[n]" after each citation, and a source list where every number gives
the cited paragraph's or earlier answer's label, its id and source file, and the quoted words (or the
beginning of the source text).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from agent.drafting.models import COMPETENCE_SV

HEADING = "Förvaltningens synpunkter och förslag"
AI_NOTICE = (
    "AI-assisterat utkast framtaget med Remissagenten. Texten ska granskas och bearbetas av ansvarig "
    "handläggare innan den används; varje hänvisning är kontrollerad mot källan som anges i "
    "källförteckningen."
)
MAX_SOURCE_EXCERPT = 400


@dataclass(frozen=True)
class SourceNote:
    number: int
    label: str
    source_id: str
    source: str
    excerpt: str  # the quoted words, or the beginning of the source text


def numbered(draft: dict[str, Any]) -> tuple[str, list[SourceNote]]:
    """The text with "[n]" after every resolved citation, and the numbered source list."""
    sources = {s["id"]: s for s in draft.get("sources", [])}
    text: str = draft["text"]
    numbers: dict[str, int] = {}
    quotes: dict[str, str] = {}
    inserts: dict[int, list[int]] = {}
    for cit in draft.get("citations", []):
        sid = cit.get("source_id")
        if not sid or sid not in sources:
            continue
        n = numbers.setdefault(sid, len(numbers) + 1)
        if cit.get("quote") and sid not in quotes:
            quotes[sid] = cit["quote"]
        end = cit.get("end") or 0
        label = sources[sid].get("label", "")
        start = cit.get("start") or 0
        if label and text.startswith(label, start):  # "3 § förordningen (2022:1719) med instruktion för …"
            end = max(end, start + len(label))
        if end and n not in inserts.setdefault(end, []):
            inserts[end].append(n)
    if inserts:
        out, prev = [], 0
        for pos in sorted(inserts):
            out.append(text[prev:pos])
            out.append(" " + "".join(f"[{n}]" for n in inserts[pos]))
            prev = pos
        out.append(text[prev:])
        text = "".join(out)
    notes = []
    for sid, n in sorted(numbers.items(), key=lambda x: x[1]):
        src = sources[sid]
        excerpt = quotes.get(sid) or " ".join(src.get("text", "").split())[:MAX_SOURCE_EXCERPT]
        notes.append(SourceNote(n, src.get("label", sid), sid, src.get("source", ""), excerpt))
    return text, notes


def _meta_lines(draft: dict[str, Any], title: str, dnr: str) -> list[str]:
    lines = []
    if title:
        lines.append(f"Ärende: {title}")
    if dnr:
        lines.append(f"Dnr: {dnr}")
    lines.append(
        f"Ståndpunkt: {draft.get('standpoint', '')} · kommunal kompetens: "
        f"{COMPETENCE_SV.get(draft.get('competence', ''), '')}"
    )
    lines.append(
        f"Framtaget {date.today().isoformat()} med modellen {draft.get('model', '')} "
        f"och promptversion {draft.get('prompt_version', '')}"
    )
    return lines


def to_markdown(draft: dict[str, Any], *, title: str = "", dnr: str = "") -> str:
    text, notes = numbered(draft)
    parts = [f"## {HEADING}", "", f"> {AI_NOTICE}", ""]
    parts += [f"*{line}*  " for line in _meta_lines(draft, title, dnr)]
    parts += ["", text.strip(), "", "### Källor", ""]
    for note in notes:
        where = f"`{note.source_id}`" + (f", {note.source}" if note.source else "")
        parts.append(f"{note.number}. **{note.label}** ({where}): ”{note.excerpt}”")
    return "\n".join(parts).rstrip() + "\n"


def to_docx(draft: dict[str, Any], *, title: str = "", dnr: str = "") -> bytes:
    from docx import Document as DocxDocument
    from docx.shared import Pt, RGBColor

    text, notes = numbered(draft)
    doc = DocxDocument()
    doc.core_properties.title = HEADING
    doc.core_properties.subject = title
    doc.core_properties.comments = AI_NOTICE
    doc.core_properties.keywords = "AI-assisterat utkast; Remissagenten"
    doc.add_heading(HEADING, level=1)
    notice = doc.add_paragraph()
    run = notice.add_run(AI_NOTICE)
    run.italic = True
    run.font.size = Pt(9)
    run.font.color.rgb = RGBColor(0x80, 0x00, 0x00)
    for line in _meta_lines(draft, title, dnr):
        meta = doc.add_paragraph().add_run(line)
        meta.font.size = Pt(9)
    for block in text.strip().split("\n\n"):
        lines = block.split("\n")
        if all(line.startswith("- ") for line in lines):
            for line in lines:
                doc.add_paragraph(line[2:], style="List Bullet")
        else:
            doc.add_paragraph(" ".join(line.strip() for line in lines))
    doc.add_heading("Källor", level=2)
    for note in notes:
        p = doc.add_paragraph(style="List Number")
        p.add_run(note.label).bold = True
        where = note.source_id + (f", {note.source}" if note.source else "")
        p.add_run(f" ({where}): ”{note.excerpt}”")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
