"""Handläggarens underlag: the official's own notes (local facts) as a source the draft may cite.

The official knows what the law cannot tell: what the administration already does, what something
costs, what is planned or decided. Notes are written as bullets or short paragraphs; each becomes a
`Document` of kind "note" with a label ("Handläggarens underlag, punkt 2") that the draft cites and
verification resolves like any other source. The local path puts them into the draft in the
official's own words; a strong model writes from them.

    notes = parse_notes("- Vi driver redan läxhjälp på två bibliotek.\\n- Kostnad ca 300 000 kr per år.")
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.sources.models import Document

NOTE_SOURCE = "underlag"  # the `source` of every note (never a corpus file)
NOTE_LABEL = "Handläggarens underlag, punkt {n}"
MAX_NOTES = 12
MAX_NOTE_CHARS = 600
_BULLET_RE = re.compile(r"^\s*(?:[-*•–]|\d{1,2}[.)])\s+")


def note_items(text: str) -> list[str]:
    """Bullets (a line starting with -, *, •, – or "1." / "1)"; following lines continue it), or, without
    bullets, paragraphs separated by blank lines."""
    lines = text.replace("\r\n", "\n").split("\n")
    if any(_BULLET_RE.match(line) for line in lines):
        items: list[str] = []
        for line in lines:
            if _BULLET_RE.match(line):
                items.append(_BULLET_RE.sub("", line, count=1))
            elif line.strip() and items:
                items[-1] += " " + line.strip()
            elif line.strip():
                items.append(line.strip())
        return items
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]


def parse_notes(text: str) -> list[Document]:
    """The official's notes as sources ("underlag/1", "underlag/2", …); empty items are dropped."""
    return notes_from_items(note_items(text))


def notes_from_items(items: Sequence[str]) -> list[Document]:
    """Notes given one by one (an eval case's `notes`, the app's list) as sources."""
    notes: list[Document] = []
    for item in items:
        clean = " ".join(item.split())[:MAX_NOTE_CHARS]
        if not clean:
            continue
        n = len(notes) + 1
        notes.append(
            Document(
                id=f"{NOTE_SOURCE}/{n}",
                kind="note",
                label=NOTE_LABEL.format(n=n),
                text=clean,
                source=NOTE_SOURCE,
            )
        )
        if len(notes) == MAX_NOTES:
            break
    return notes


def note_sentence(note: Document) -> str:
    """The note in the official's words, ending with its citation: "… (Handläggarens underlag, punkt 1)."."""
    body = note.text.rstrip()
    end = body[-1] if body and body[-1] in ".!?" else "."
    return f"{body.rstrip('.!?')} ({note.label}){end}"
