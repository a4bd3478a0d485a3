"""The default law set: the law lists (corpus/laws.yaml and the files it includes) and their loading.

An entry names a statute's file (corpus-relative) and format: `md` (SE-Lex Markdown) or `json`
(lagar-json). `complement_from` adds the §§ the Markdown lacks from a JSON file; `complement_only`
restricts that to the listed "chapter:section" refs (so a JSON mis-split can never slip an extra § in).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from agent.sources.laws.frontmatter import YAML_LOADER
from agent.sources.laws.lagar_json import parse_law_json
from agent.sources.laws.naming import law_id_for
from agent.sources.laws.selex import parse_selex_markdown
from agent.sources.models import LawParagraph, paragraph_id


def _none_as_empty(value: Any) -> Any:
    """A YAML key without a value (`abbreviations:`) reads as None: treat it as an empty list."""
    return () if value is None else value


_Ref = Annotated[str, Field(pattern=r"^[^:]+:[^:]+$")]  # "chapter:section"
_Strings = Annotated[tuple[str, ...], BeforeValidator(_none_as_empty)]
_Refs = Annotated[tuple[_Ref, ...], BeforeValidator(_none_as_empty)]


class LawSpec(BaseModel):
    """One entry of corpus/laws.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sfs: str = Field(min_length=1)
    file: str = Field(min_length=1)  # corpus-relative
    format: Literal["md", "json"]
    abbreviations: _Strings = ()
    complement_from: str | None = None  # corpus-relative JSON file supplying §§ the Markdown lacks
    complement_only: _Refs = ()  # "chapter:section" refs to take from complement_from


class _LawList(BaseModel):
    """A whole law-list file: its entries and the further lists it includes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    laws: Annotated[list[LawSpec], BeforeValidator(_none_as_empty)] = Field(default_factory=list)
    include: Annotated[list[str], BeforeValidator(_none_as_empty)] = Field(default_factory=list)


class LawSpecError(ValueError):
    """A law list (laws.yaml or a file it includes) does not have the expected shape."""


def _read_law_list(path: Path) -> _LawList:
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    try:
        return _LawList.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in err['loc']) or 'file'}: {err['msg']}" for err in exc.errors()
        )
        raise LawSpecError(f"{path.name}: {problems}") from exc


def load_law_specs(corpus_dir: Path, name: str = "laws.yaml", *, include: bool = True) -> list[LawSpec]:
    """The law list in `name`, followed (if `include`) by the lists of the files it names under `include`."""
    law_list = _read_law_list(corpus_dir / name)
    specs = list(law_list.laws)
    for included in law_list.include if include else []:
        specs.extend(load_law_specs(corpus_dir, included))
    return specs


def load_law_file(corpus_dir: Path, rel: str, fmt: str) -> list[LawParagraph]:
    """Parse one statute file (`fmt` "md" or "json") with its corpus-relative path as source."""
    path = corpus_dir / rel
    if fmt == "md":
        return parse_selex_markdown(path.read_text(encoding="utf-8"), rel)
    if fmt == "json":
        return parse_law_json(json.loads(path.read_text(encoding="utf-8")), rel)
    raise ValueError(f"unknown law format {fmt!r} for {rel}")


def complement_paragraphs(base: Sequence[LawParagraph], extra: Iterable[LawParagraph]) -> list[LawParagraph]:
    """Add the §§ of `extra` missing from `base`, each placed after its predecessor in `extra` order.

    Chapter titles are taken from `base` (the JSON has none); law naming from `base` too.
    """
    out = list(base)
    ids = {p.id for p in out}
    chapter_titles = {p.chapter: p.chapter_title for p in base}
    ref = base[0] if base else None
    prev_id: str | None = None
    for p in extra:
        if p.id not in ids:
            q = LawParagraph(
                law_id=p.law_id,
                sfs=p.sfs,
                law_title=ref.law_title if ref else p.law_title,
                law_name=ref.law_name if ref else p.law_name,
                chapter=p.chapter,
                chapter_title=chapter_titles.get(p.chapter, p.chapter_title),
                section=p.section,
                rubrik=p.rubrik,
                stycken=p.stycken,
                source=p.source,
            )
            pos = next((i + 1 for i, x in enumerate(out) if x.id == prev_id), 0) if prev_id else 0
            out.insert(pos, q)
            ids.add(q.id)
        prev_id = p.id
    return out


def _complemented(
    corpus_dir: Path, spec: LawSpec, complement_from: str, paragraphs: list[LawParagraph]
) -> list[LawParagraph]:
    """`paragraphs` with the §§ `complement_from` supplies (only `spec.complement_only`, if listed)."""
    extra = load_law_file(corpus_dir, complement_from, "json")
    if spec.complement_only:
        wanted = {paragraph_id(law_id_for(spec.sfs), *ref.split(":", 1)) for ref in spec.complement_only}
        missing = wanted - {p.id for p in extra}
        if missing:
            raise ValueError(f"{complement_from}: lacks {sorted(missing)}")
        keep = wanted | {p.id for p in paragraphs}
        extra = [p for p in extra if p.id in keep]
    return complement_paragraphs(paragraphs, extra)


def load_default_laws(corpus_dir: Path) -> list[LawParagraph]:
    """The default law set described by corpus/laws.yaml, in file order."""
    out: list[LawParagraph] = []
    for spec in load_law_specs(corpus_dir):
        paragraphs = load_law_file(corpus_dir, spec.file, spec.format)
        if spec.complement_from:
            paragraphs = _complemented(corpus_dir, spec, spec.complement_from, paragraphs)
        out.extend(paragraphs)
    return out
