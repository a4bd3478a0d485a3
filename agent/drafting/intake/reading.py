"""Reading a remiss: a PDF, text or Markdown file, uploaded bytes or pasted text, bounded in size."""

from __future__ import annotations

from pathlib import Path

from agent.drafting.intake.models import W_TOO_LONG
from agent.sources.binary import PDF_MAGIC, decode_checked
from agent.sources.errors import EmptyDocumentError, UnsupportedFormatError
from agent.sources.pdf import DEFAULT_MAX_BYTES, DEFAULT_MAX_PAGES, extract_pdf_text
from agent.sources.remissvar import SUPPORTED_SUFFIXES, read_text_file


def bound_text(text: str, max_chars: int | None) -> tuple[str, list[str]]:
    """`text` cut at `max_chars` (bounded work for huge inputs), with a warning when it was cut."""
    if max_chars is None or len(text) <= max_chars:
        return text, []
    warning = W_TOO_LONG.format(n=f"{len(text):,}", limit=f"{max_chars:,}").replace(",", " ")
    return text[:max_chars], [warning]


def _is_pdf(source: Path | bytes) -> bool:
    if isinstance(source, bytes):
        return source.startswith(PDF_MAGIC)
    try:
        with source.open("rb") as f:
            return f.read(len(PDF_MAGIC)) == PDF_MAGIC
    except OSError:
        return False  # (reading the file reports it)


def read_remiss(
    source: Path | bytes,
    name: str = "",
    *,
    max_chars: int | None = None,
    max_pdf_bytes: int = DEFAULT_MAX_BYTES,
    max_pdf_pages: int = DEFAULT_MAX_PAGES,
) -> tuple[str, list[str]]:
    """The text of a remiss: a .pdf/.txt/.md file, or uploaded bytes named `name` ("" = pasted text).

    Returns the text, cut at `max_chars`, and the warnings of cutting it. PDF and file errors
    (`SourceError`, Swedish) propagate; an unsupported file type is `UnsupportedFormatError`.
    """
    pasted = isinstance(source, bytes) and not name
    label = name or (source.name if isinstance(source, Path) else "text")
    suffix = Path(label).suffix.lower()
    if not pasted and suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFormatError(
            label,
            f"Filformatet ”{suffix or 'utan filändelse'}” stöds inte. "
            "Använd PDF, textfil (.txt) eller Markdown (.md).",
        )
    if suffix == ".pdf" or _is_pdf(source):  # a PDF read as one, whatever it is called
        text = extract_pdf_text(source, name=label, max_bytes=max_pdf_bytes, max_pages=max_pdf_pages)
    elif isinstance(source, Path):
        text = read_text_file(source, str(source))
    elif pasted:
        try:
            text = decode_checked(source, label)
        except UnsupportedFormatError as exc:
            raise UnsupportedFormatError(
                label,
                "Texten innehåller tecken som inte hör hemma i en text (t.ex. NUL-tecken eller binärdata). "
                "Kopiera texten på nytt från dokumentet, eller ladda upp filen.",
            ) from exc
    else:
        text = decode_checked(source, label)
    if isinstance(source, Path) and not text.strip():
        raise EmptyDocumentError(label, "Filen innehåller ingen text.")
    return bound_text(text, max_chars)
