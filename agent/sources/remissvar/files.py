"""Reading remiss answers from disk: single files (.txt, .md, .pdf), the corpus, and user folders."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from agent.sources.binary import decode_checked
from agent.sources.errors import SourceError, UnsupportedFormatError
from agent.sources.models import Document
from agent.sources.pdf import extract_pdf_text
from agent.sources.remissvar.parser import parse_remissvar, to_documents

TEXT_SUFFIXES = {".txt", ".md"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | {".pdf"}


def read_text_file(path: Path, name: str | None = None) -> str:
    """Read a .txt/.md file as UTF-8 (BOM tolerated), falling back to cp1252."""
    label = name or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(label, f"Filen kunde inte läsas ({exc.strerror or exc}).") from exc
    return decode_checked(data, label)


def load_remissvar_file(path: Path, source: str | None = None) -> list[Document]:
    """Load one remiss answer (.txt, .md or .pdf) as Documents; `source` defaults to str(path)."""
    src = source if source is not None else str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFormatError(
            src,
            f"Filformatet ”{path.suffix or 'utan filändelse'}” stöds inte. "
            "Använd PDF, textfil (.txt) eller Markdown (.md).",
        )
    text = extract_pdf_text(path, name=src) if suffix == ".pdf" else read_text_file(path, src)
    return to_documents(parse_remissvar(text, src))


def load_default_remissvar(corpus_dir: Path) -> list[Document]:
    """All `corpus_dir/remissvar/*.txt`, sorted by name, with sources `remissvar/<file>`."""
    docs: list[Document] = []
    for path in sorted((corpus_dir / "remissvar").glob("*.txt")):
        docs.extend(load_remissvar_file(path, f"remissvar/{path.name}"))
    return docs


def _expand(paths: Iterable[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                if (
                    child.is_file()
                    and child.suffix.lower() in SUPPORTED_SUFFIXES
                    and not child.name.startswith(".")
                ):
                    yield child
        else:
            yield p


def load_folder(paths: list[Path]) -> tuple[list[Document], list[SourceError]]:
    """Load files and folders (recursively: .pdf, .txt, .md) as precedents.

    Problems are collected per file (name + Swedish reason) and the rest still loads.
    """
    docs: list[Document] = []
    errors: list[SourceError] = []
    seen: set[Path] = set()
    for path in _expand(paths):
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        if not path.exists():
            errors.append(SourceError(str(path), "Filen finns inte."))
            continue
        try:
            docs.extend(load_remissvar_file(path))
        except SourceError as exc:
            errors.append(exc)
        except Exception as exc:  # one bad file must not stop the others
            errors.append(SourceError(str(path), f"Filen kunde inte läsas in ({type(exc).__name__}: {exc})."))
    return docs, errors
