"""Statute parsers: SE-Lex Markdown and the flattened `lagar-json` format, into `LawParagraph`s.

Modules: `selex` (SE-Lex Markdown), `lagar_json` (lagar-json and its repairs), `versions` (version
markers and repealed §§), `frontmatter`, `naming` (ids, titles, citation names), `headings`
(mellanrubriker), `compare` (Markdown vs JSON) and `specs` (the default law set of corpus/laws.yaml).
"""

from agent.sources.laws.compare import LawComparison, comparable_text, compare_law_versions
from agent.sources.laws.frontmatter import (
    STUB_MARKER,
    LawFormatError,
    StubLawError,
    front_matter_sfs,
    split_front_matter,
)
from agent.sources.laws.headings import looks_like_heading
from agent.sources.laws.lagar_json import parse_law_json
from agent.sources.laws.naming import (
    CITATION_OVERRIDES,
    citation_name,
    law_id_for,
    normalise_section,
    strip_sfs_from_title,
)
from agent.sources.laws.selex import parse_selex_markdown, strip_links, strip_markup
from agent.sources.laws.specs import (
    LawSpec,
    LawSpecError,
    complement_paragraphs,
    load_default_laws,
    load_law_file,
    load_law_specs,
)
from agent.sources.laws.versions import IN_FORCE_ON, is_repealed_text, marker_in_force

__all__ = [
    "CITATION_OVERRIDES",
    "IN_FORCE_ON",
    "STUB_MARKER",
    "LawComparison",
    "LawFormatError",
    "LawSpec",
    "LawSpecError",
    "StubLawError",
    "citation_name",
    "comparable_text",
    "compare_law_versions",
    "complement_paragraphs",
    "front_matter_sfs",
    "is_repealed_text",
    "law_id_for",
    "load_default_laws",
    "load_law_file",
    "load_law_specs",
    "looks_like_heading",
    "marker_in_force",
    "normalise_section",
    "parse_law_json",
    "parse_selex_markdown",
    "split_front_matter",
    "strip_links",
    "strip_markup",
    "strip_sfs_from_title",
]
