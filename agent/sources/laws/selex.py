"""SE-Lex Markdown statutes (`corpus/sfs/YYYY/sfs-YYYY-NNN.md`) into `LawParagraph`s.

YAML front matter, `# Title`, `## N kap. Rubrik`, mellanrubriker, `#### N §` (`### N §` / `## N §` in
laws without chapters). Stycken are blank-line separated blocks; a block starting with `1. `, `2 a. `,
`a) ` or `- ` is a point of the stycke before it. Markdown links are replaced by their link text, so
`enligt 7 och [8 §](#kap1.8)§` becomes `enligt 7 och 8 §§`. Everything from a level-2 (or §-level)
`Övergångsbestämmelser`/`Bilaga` heading up to the next chapter heading is not part of the law and is
skipped. Converter debris in § headings (`#### /2008 av den 9 juli ... 339/ 21 §`) is ignored: only the
trailing `N §` counts. Version markers: see `versions`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from agent.sources.laws.frontmatter import (
    STUB_MARKER,
    LawFormatError,
    StubLawError,
    meta_str,
    split_front_matter,
)
from agent.sources.laws.headings import looks_like_heading
from agent.sources.laws.naming import citation_name, law_id_for, normalise_section, strip_sfs_from_title
from agent.sources.laws.versions import MARKER_RE, amendment_key, is_repealed_text, strip_markers
from agent.sources.models import LawParagraph, Stycke, paragraph_id

log = logging.getLogger(__name__)

_LINK_RE = re.compile(r"\[([^\[\]]*)\]\((?:[^()\s]|\([^()\s]*\))*\)")
_MARKUP_LINE_RE = re.compile(r"(?m)^[ \t]*</?(?:section|article)\b[^>]*>[ \t]*$")
_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_CHAPTER_RE = re.compile(r"^(\d+\s?[a-z]?)\s+kap\.(?:\s+(.*))?$", re.I)
_SECTION_RE = re.compile(r"^(?P<prefix>/.*/\s*)?(?P<sec>\d+(?:\s?[a-z])?)\s*§$")
_END_OF_LAW_RE = re.compile(r"^(övergångsbestämmelse|bilaga|bilagor)", re.I)
_POINT_RE = re.compile(r"^(?:\d+\s?[a-z]?\.|[a-zåäö]\)|[-–•])\s")


def strip_markup(text: str) -> str:
    """Remove the `<section …>`/`</section>`/`<article …>` lines of the SE-Lex "md-markers" format."""
    return _MARKUP_LINE_RE.sub("", text)


def strip_links(text: str) -> str:
    """Replace Markdown links by their link text: `[5 §](#kap1.5)` -> `5 §`."""
    prev = None
    while prev != text:  # link texts never nest in practice; loop is a cheap safeguard
        prev = text
        text = _LINK_RE.sub(r"\1", text)
    return text


@dataclass
class _OpenSection:
    chapter: str | None
    chapter_title: str | None
    section: str
    rubrik: str | None
    in_force: bool
    blocks: list[str] = field(default_factory=list)


def _blocks_to_stycken(blocks: Sequence[str]) -> tuple[Stycke, ...]:
    stycken: list[Stycke] = []
    for block in blocks:
        if _POINT_RE.match(block) and stycken:
            last = stycken[-1]
            stycken[-1] = Stycke(last.text, (*last.points, block))
        else:
            stycken.append(Stycke(block))
    return tuple(stycken)


@dataclass
class _SelexParser:
    """The line-by-line state of one statute being parsed."""

    source: str
    sfs: str
    law_id: str
    law_title: str
    law_name: str
    out: list[LawParagraph] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)  # paragraph id -> index in `out`
    chapter: str | None = None
    chapter_title: str | None = None
    rubrik: str | None = None
    skipping: bool = False  # inside Övergångsbestämmelser / Bilaga
    section_level: int = 6
    current: _OpenSection | None = None
    block_lines: list[str] = field(default_factory=list)

    def parse(self, body: str) -> list[LawParagraph]:
        for raw in body.splitlines():
            line = raw.rstrip()
            hm = _HEADING_RE.match(line)
            if hm:
                self.heading(len(hm.group(1)), strip_links(hm.group(2)).strip())
                continue
            if self.skipping or self.current is None:
                continue
            if line.strip():
                self.block_lines.append(line)
            else:
                self.flush_block()
        self.close_section()
        return self.out

    def heading(self, level: int, htext: str) -> None:
        if level == 1:
            self.close_section()
            return
        cm = _CHAPTER_RE.match(htext)
        if cm and "§" not in htext:
            self.close_section()
            self.chapter = normalise_section(cm.group(1))
            self.chapter_title = (cm.group(2) or "").strip() or None
            self.rubrik, self.skipping = None, False
            return
        if _END_OF_LAW_RE.match(htext) and (level <= 2 or level <= self.section_level):
            self.close_section()
            self.skipping = True
            return
        if self.skipping:
            return
        sm = _SECTION_RE.match(htext)
        if sm:
            self.open_section(level, sm)
            return
        # any other heading is a mellanrubrik: it ends the open § and applies to the following ones
        self.close_section()
        heading, heading_in_force = strip_markers(htext)
        if heading and heading_in_force:
            self.rubrik = heading

    def open_section(self, level: int, sm: re.Match[str]) -> None:
        self.close_section(next_is_section=True)
        self.section_level = level
        in_force = True
        if sm["prefix"]:
            _, in_force = strip_markers(sm["prefix"])
        section = normalise_section(sm["sec"])
        self.current = _OpenSection(self.chapter, self.chapter_title, section, self.rubrik, in_force)

    def flush_block(self) -> None:
        current = self.current
        if current is not None and self.block_lines:
            block = "\n".join(self.block_lines).strip()
            clean, ok = strip_markers(strip_links(block))
            if block and not clean:  # a line holding only a version marker
                current.in_force = current.in_force and ok
            elif clean:
                if MARKER_RE.search(block):
                    current.in_force = current.in_force and ok
                current.blocks.append(clean)
        self.block_lines.clear()

    def close_section(self, next_is_section: bool = False) -> None:
        self.flush_block()
        if self.current is None:
            return
        sec, self.current = self.current, None
        if next_is_section and len(sec.blocks) > 1 and looks_like_heading(sec.blocks[-1]):
            # the converter sometimes writes a mellanrubrik as a plain line at the end of the § above it
            self.rubrik = sec.blocks.pop()
        if not sec.in_force or not sec.blocks or is_repealed_text("\n".join(sec.blocks)):
            return
        self.add(sec)

    def add(self, sec: _OpenSection) -> None:
        pid = paragraph_id(self.law_id, sec.chapter, sec.section)
        para = LawParagraph(
            law_id=self.law_id,
            sfs=self.sfs,
            law_title=self.law_title,
            law_name=self.law_name,
            chapter=sec.chapter,
            chapter_title=sec.chapter_title,
            section=sec.section,
            rubrik=sec.rubrik,
            stycken=_blocks_to_stycken(sec.blocks),
            source=self.source,
        )
        if pid in self.seen:
            # Two unmarked versions of one § (the converter sometimes keeps the superseded text, e.g. with
            # "landsting" instead of "region"): keep the one with the newest amendment note; on a tie the
            # later one, which is where SE-Lex puts the newer text.
            i = self.seen[pid]
            if amendment_key(para.text) >= amendment_key(self.out[i].text):
                self.out[i] = para
            log.info("%s: duplicate § %s resolved by amendment note", self.source, pid)
            return
        self.seen[pid] = len(self.out)
        self.out.append(para)


def parse_selex_markdown(text: str, source: str) -> list[LawParagraph]:
    """Parse one SE-Lex Markdown statute into its §§ (in document order).

    Raises `StubLawError` for "Automatisk konvertering inte tillgänglig" stubs and `LawFormatError` if the
    front matter lacks `beteckning`/`rubrik`. Returns [] for a file without any `N §` heading.
    """
    meta, body = split_front_matter(text)
    body = strip_markup(body)
    sfs = meta_str(meta, "beteckning")
    rubrik_law = meta_str(meta, "rubrik")
    if not sfs or not rubrik_law:
        raise LawFormatError(f"{source}: front matter lacks beteckning/rubrik")
    if STUB_MARKER in body:
        raise StubLawError(
            f"{source}: SE-Lex stub ({STUB_MARKER}); the statute text must come from elsewhere"
        )
    parser = _SelexParser(
        source=source,
        sfs=sfs,
        law_id=law_id_for(sfs),
        law_title=strip_sfs_from_title(rubrik_law),
        law_name=citation_name(rubrik_law, sfs),
    )
    return parser.parse(body)
