"""Parse earlier remiss answers (tjänsteutlåtanden, protocol excerpts, web copies) into Documents.

A file is split into its sections ("Sammanfattning", "Ärendet", "Förvaltningens synpunkter och
förslag", ...). Every section text is an exact substring of the file (after the `KÄLLA:` line),
so quotations can be verified character for character. Messy excerpts never fail: text without
recognisable headings becomes a single section `text`. Sections longer than `MAX_CHUNK_CHARS` are
split at blank lines, else sentence ends, else line breaks into parts `key`, `key-2`, `key-3` ...
See also corpus/README.md, "## Remissvar".

Modules: `grammar` (KÄLLA line, debris, signatures; Dnr, dates and headings are in
`agent.text.grammar`), `metadata` (KÄLLA line, title, body, kind), `sections`, `parser`, `files`.
"""

from agent.sources.remissvar.files import (
    SUPPORTED_SUFFIXES,
    TEXT_SUFFIXES,
    load_default_remissvar,
    load_folder,
    load_remissvar_file,
    read_text_file,
)
from agent.sources.remissvar.grammar import KALLA_PREFIX, is_debris
from agent.sources.remissvar.metadata import clean_title, parse_kalla
from agent.sources.remissvar.parser import RemissAnswer, parse_remissvar, to_documents
from agent.sources.remissvar.sections import MAX_CHUNK_CHARS, Section, split_chunks

__all__ = [
    "KALLA_PREFIX",
    "MAX_CHUNK_CHARS",
    "SUPPORTED_SUFFIXES",
    "TEXT_SUFFIXES",
    "RemissAnswer",
    "Section",
    "clean_title",
    "is_debris",
    "load_default_remissvar",
    "load_folder",
    "load_remissvar_file",
    "parse_kalla",
    "parse_remissvar",
    "read_text_file",
    "split_chunks",
    "to_documents",
]
