"""Statute parsers: SE-Lex Markdown and the flattened `lagar-json` format, into `LawParagraph`s.

Markdown (SE-Lex, `corpus/sfs/YYYY/sfs-YYYY-NNN.md`)
    YAML front matter, `# Title`, `## N kap. Rubrik`, mellanrubriker, `#### N §` (`### N §` / `## N §` in
    laws without chapters). Stycken are blank-line separated blocks; a block starting with `1. `, `2 a. `,
    `a) ` or `- ` is a point of the stycke before it. Markdown links are replaced by their link text, so
    `enligt 7 och [8 §](#kap1.8)§` becomes `enligt 7 och 8 §§`. Everything from a level-2 (or §-level)
    `Övergångsbestämmelser`/`Bilaga` heading up to the next chapter heading is not part of the law and is
    skipped. Converter debris in § headings (`#### /2008 av den 9 juli ... 339/ 21 §`) is ignored: only the
    trailing `N §` counts.

Version markers
    Two versions of the same § are marked `/Upphör att gälla U:YYYY-MM-DD/` (the current version, in force
    until that date) and `/Träder i kraft I:YYYY-MM-DD/` (a future version). We keep the version in force on
    `IN_FORCE_ON` (2025-07-01): an "Upphör" version is kept if its date is after that day, a "Träder i kraft"
    version if its date is on or before it ("den dag regeringen bestämmer" counts as not in force). The
    marker itself is removed from the text (it is consolidation metadata, not statute text). Headings carry
    `/Rubriken upphör att gälla .../` and `/Rubriken träder i kraft .../` in the same way.

JSON (`corpus/lagar-json/*.json`)
    `provisions[*].content` is a flattened §: stycken joined by single spaces, points inline. The upstream
    splitter has three systematic faults which `parse_law_json` repairs:

    1. It splits at references such as `enligt 6 kap. 28 § 4 ...`, so text is cut off and a bogus entry
       ("7:28") starts with `4 enbart ...`, `, 8. ...`, `. Förbud ...` or `§ lagen ...`. Such an entry is
       glued back onto the previous one, re-inserting the swallowed `28 §` (`§ lagen` -> `23 §§ lagen`).
       The merged text then holds the following real §§ inline (`... Lag (2019:835). 18 § Personal...`);
       they are re-split where `N §` follows a sentence end (optionally after a heading), is followed by a
       capital letter or a version marker, and N is a plausible successor of the current § number.
    2. Mellanrubriker are glued to the end of the previous §'s content (`... Lag (2019:835). Rätt att ta ut
       skatt och meddela föreskrifter`). A trailing segment after the last sentence end that does not
       itself end like a sentence is moved to the next § as its `rubrik`.
    3. The last provision carries the Övergångsbestämmelser (and for OSL what follows); cut off at the
       first ` Övergångsbestämmelser `.

    Some text is lost upstream and cannot be recovered; see `compare_law_versions` and corpus/README.md.
    Points are split out only where unambiguous (markers `1. `..`n. ` in sequence); stycke breaks are not
    recoverable, so a JSON § is usually a single `Stycke`. Words are never changed.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from agent.sources.models import LawParagraph, Stycke, paragraph_id

log = logging.getLogger(__name__)

IN_FORCE_ON = date(2025, 7, 1)
STUB_MARKER = "Automatisk konvertering inte tillgänglig"

try:  # libyaml is ~10x faster; fall back to the pure-Python loader
    _YamlLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _YamlLoader = yaml.SafeLoader


class StubLawError(ValueError):
    """The SE-Lex file is a stub ("Automatisk konvertering inte tillgänglig") with no statute text."""


class LawFormatError(ValueError):
    """The file does not look like an SE-Lex statute (missing front matter, beteckning or rubrik)."""


# --------------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------------

_LINK_RE = re.compile(r"\[([^\[\]]*)\]\((?:[^()\s]|\([^()\s]*\))*\)")
_SFS_IN_TITLE_RE = re.compile(r"\s*\(\d{4}:\d+[^)]*\)")
_FRONT_MATTER_RE = re.compile(r"\A---\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_MARKER_RE = re.compile(
    r"/(?P<what>Rubriken )?(?P<kind>[Uu]pphör att gälla|[Tt]räder i kraft) (?:[UI]:)?(?P<when>[^/]*)/"
)


_MARKUP_LINE_RE = re.compile(r"(?m)^[ \t]*</?(?:section|article)\b[^>]*>[ \t]*$")


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


def law_id_for(sfs: str) -> str:
    """`2017:725` -> `sfs-2017-725`."""
    return "sfs-" + re.sub(r"[^0-9A-Za-z]+", "-", sfs.strip()).strip("-").lower()


def strip_sfs_from_title(title: str) -> str:
    """`Kommunallag (2017:725)` -> `Kommunallag`."""
    return _SFS_IN_TITLE_RE.sub("", title).strip()


def normalise_section(sec: str) -> str:
    """`2a` / `2  a` -> `2 a`."""
    m = re.fullmatch(r"\s*(\d+)\s*([a-z]?)\s*", sec)
    if not m:
        return sec.strip()
    return f"{m.group(1)} {m.group(2)}" if m.group(2) else m.group(1)


def _section_key(sec: str) -> tuple[int, str]:
    m = re.match(r"(\d+)\s*([a-z]?)", sec)
    return (int(m.group(1)), m.group(2)) if m else (0, sec)


def marker_in_force(kind: str, when: str, on: date = IN_FORCE_ON) -> bool:
    """Is a text version carrying this marker in force on `on`?"""
    m = re.search(r"(\d{4})-(\d{2})-(\d{2})", when)
    if kind.lower().startswith("upphör"):
        # without a parseable date we assume the repeal has not happened yet
        return True if not m else date(int(m[1]), int(m[2]), int(m[3])) > on
    return False if not m else date(int(m[1]), int(m[2]), int(m[3])) <= on


def _strip_markers(text: str) -> tuple[str, bool]:
    """Remove version markers; return (clean text, in force?)."""
    in_force = True
    for m in _MARKER_RE.finditer(text):
        in_force = in_force and marker_in_force(m["kind"], m["when"])
    clean = re.sub(r"[ \t]{2,}", " ", _MARKER_RE.sub("", text)).strip()
    return clean, in_force


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _loose_front_matter(front: str) -> dict[str, Any]:
    """Line-based fallback for front matter that is not valid YAML (top-level keys and the
    `andringsforfattningar` list of flat mappings)."""
    meta: dict[str, Any] = {}
    changes: list[dict[str, str]] = []
    for line in front.splitlines():
        top = re.match(r"^([a-z_]+):\s*(.*)$", line)
        item = re.match(r"^\s*-\s+([a-z_]+):\s*(.*)$", line)
        sub = re.match(r"^\s+([a-z_]+):\s*(.*)$", line)
        if top:
            meta[top.group(1)] = _unquote(top.group(2)) if top.group(2) else None
        elif item:
            changes.append({item.group(1): _unquote(item.group(2))})
        elif sub and changes:
            changes[-1][sub.group(1)] = _unquote(sub.group(2))
    if changes:
        meta["andringsforfattningar"] = changes
    return meta


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Return (front matter dict, body). Raises LawFormatError if there is no front matter."""
    m = _FRONT_MATTER_RE.match(text)
    if not m:
        raise LawFormatError("no YAML front matter")
    try:
        meta = yaml.load(m.group(1), Loader=_YamlLoader) or {}
    except yaml.YAMLError:
        meta = _loose_front_matter(m.group(1))  # a few archive files have unquoted ':' in titles
    if not isinstance(meta, dict):
        raise LawFormatError("front matter is not a mapping")
    meta["beteckning"] = front_matter_sfs(m.group(1))
    return meta, text[m.end() :]


# --------------------------------------------------------------------------------------------------
# Citation names
# --------------------------------------------------------------------------------------------------

# Laws cited by name only (grundlagar, riksdagsordningen) and other special cases, keyed by SFS number.
CITATION_OVERRIDES: dict[str, str] = {
    "1974:152": "regeringsformen",
    "1949:105": "tryckfrihetsförordningen",
    "1991:1469": "yttrandefrihetsgrundlagen",
    "1810:0926": "successionsordningen",
    "2014:801": "riksdagsordningen",
}

# Leading generic document types: "Lag om X" -> "lagen (sfs) om X".
_GENERIC_TYPES: dict[str, str] = {
    "lag": "lagen",
    "förordning": "förordningen",
    "kungörelse": "kungörelsen",
    "tillkännagivande": "tillkännagivandet",
    "instruktion": "instruktionen",
    "reglemente": "reglementet",
    "stadga": "stadgan",
    "taxa": "taxan",
    "förordnande": "förordnandet",
    "beslut": "beslutet",
    "cirkulär": "cirkuläret",
    "brev": "brevet",
    "avtal": "avtalet",
    "överenskommelse": "överenskommelsen",
    "konvention": "konventionen",
    "föreskrifter": "föreskrifterna",
    "bestämmelser": "bestämmelserna",
    "grundlag": "grundlagen",
}

# Endings of one-word names ("Kommunallag", "Brottsbalk") and their definite suffix.
_DEFINITE_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("lag", "en"),
    ("balk", "en"),
    ("förordning", "en"),
    ("ordning", "en"),
    ("kungörelse", "n"),
    ("stadga", "n"),
    ("taxa", "n"),
    ("reglemente", "t"),
    ("form", "en"),
)


def citation_name(rubrik: str, sfs: str) -> str:
    """Swedish citation form of a statute title.

    `Kommunallag` -> `kommunallagen (2017:725)`; `Lag om vissa kommunala befogenheter` ->
    `lagen (2009:47) om vissa kommunala befogenheter`; regeringsformen and the other grundlagar via
    `CITATION_OVERRIDES`.
    """
    sfs = sfs.strip()
    if sfs in CITATION_OVERRIDES:
        return CITATION_OVERRIDES[sfs]
    title = strip_sfs_from_title(re.sub(r"\s+", " ", rubrik)).rstrip(".").strip()
    if not title:
        return f"SFS {sfs}"
    first, _, rest = title.partition(" ")
    generic = _GENERIC_TYPES.get(first.lower())
    if generic and rest:
        return f"{generic} ({sfs}) {rest}"
    # A name like "Kommunallag", "Plan- och bygglag", "Offentlighets- och sekretesslag": lower-case the
    # first letter (unless the first word is an acronym) and make the last word definite.
    head = title if first.isupper() and len(first) > 1 else title[0].lower() + title[1:]
    words = head.split(" ")
    last = words[-1]
    for ending, suffix in _DEFINITE_SUFFIXES:
        if last.lower().endswith(ending):
            words[-1] = last + suffix
            return f"{' '.join(words)} ({sfs})"
    if generic:  # a bare "Lag" / "Förordning"
        return f"{generic} ({sfs})"
    return f"{head} ({sfs})"


# --------------------------------------------------------------------------------------------------
# SE-Lex Markdown
# --------------------------------------------------------------------------------------------------

_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_CHAPTER_RE = re.compile(r"^(\d+\s?[a-z]?)\s+kap\.(?:\s+(.*))?$", re.I)
_SECTION_RE = re.compile(r"^(?P<prefix>/.*/\s*)?(?P<sec>\d+(?:\s?[a-z])?)\s*§$")
_END_OF_LAW_RE = re.compile(r"^(övergångsbestämmelse|bilaga|bilagor)", re.I)
_POINT_RE = re.compile(r"^(?:\d+\s?[a-z]?\.|[a-zåäö]\)|[-–•])\s")


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


_AMENDMENT_RE = re.compile(r"(?:Lag|Förordning|Kungörelse) \((\d{4}):(\d+)\)")


def _amendment_key(text: str) -> tuple[int, int]:
    """Newest "Lag (YYYY:NNN)" note in a § text, (0, 0) if none."""
    return max(((int(a), int(b)) for a, b in _AMENDMENT_RE.findall(text)), default=(0, 0))


def front_matter_sfs(front: str) -> str:
    """`beteckning` read as text: YAML 1.1 would turn an unquoted `2009:47` into the integer 120587."""
    m = re.search(r"^beteckning:[ \t]*[\"']?([^\"'\n]*?)[\"']?[ \t]*$", front, re.M)
    return m.group(1).strip() if m else ""


_REPEALED_TEXT_RE = re.compile(
    r"(?:Har upphävts|Upphävd|Upphör att gälla) genom (?:lag|förordning|förodning|kungörelse)"
    r" \(\d{4}:\d+\)\.?",
    re.I,
)
# Words a mellanrubrik never ends with; a tail ending with one is cut-off text, not a heading.
_NON_FINAL_WORDS = frozenset(
    (
        *("och", "eller", "samt", "enligt", "att", "i", "av", "som", "för", "till", "med", "på", "från"),
        *("vid", "ska", "får", "den", "det", "en", "ett", "har", "är", "mot", "genom", "hos", "än"),
    )
)


def is_repealed_text(text: str) -> bool:
    """`Har upphävts genom lag (2023:642).` – a § kept only as a placeholder for a repealed one."""
    return bool(_REPEALED_TEXT_RE.fullmatch(re.sub(r"\s+", " ", text).strip()))


def looks_like_heading(text: str, max_words: int = 12) -> bool:
    """A mellanrubrik: short, capitalised, no sentence-final punctuation, not ending mid-sentence."""
    words = text.split()
    if not words or len(words) > max_words or "\t" in text or "§" in text:
        return False
    if not text[0].isupper():
        return False
    if words[-1].lower() in _NON_FINAL_WORDS:
        return False
    if text.endswith("m.m.") or text.endswith("?"):
        return len(words) <= 10
    return not re.search(r"[.,:;!\]-]$", text)


def _meta_str(meta: dict[str, Any], key: str) -> str:
    value = meta.get(key)
    return "" if value is None else str(value).strip()


def parse_selex_markdown(text: str, source: str) -> list[LawParagraph]:
    """Parse one SE-Lex Markdown statute into its §§ (in document order).

    Raises `StubLawError` for "Automatisk konvertering inte tillgänglig" stubs and `LawFormatError` if the
    front matter lacks `beteckning`/`rubrik`. Returns [] for a file without any `N §` heading.
    """
    meta, body = split_front_matter(text)
    body = strip_markup(body)
    sfs = _meta_str(meta, "beteckning")
    rubrik_law = _meta_str(meta, "rubrik")
    if not sfs or not rubrik_law:
        raise LawFormatError(f"{source}: front matter lacks beteckning/rubrik")
    if STUB_MARKER in body:
        raise StubLawError(
            f"{source}: SE-Lex stub ({STUB_MARKER}); the statute text must come from elsewhere"
        )

    law_id = law_id_for(sfs)
    law_title = strip_sfs_from_title(rubrik_law)
    law_name = citation_name(rubrik_law, sfs)

    out: list[LawParagraph] = []
    seen: dict[str, int] = {}
    chapter: str | None = None
    chapter_title: str | None = None
    rubrik: str | None = None
    skipping = False
    section_level = 6
    current: _OpenSection | None = None
    block_lines: list[str] = []

    def flush_block() -> None:
        if current is not None and block_lines:
            block = "\n".join(block_lines).strip()
            clean, ok = _strip_markers(strip_links(block))
            if block and not clean:  # a line holding only a version marker
                current.in_force = current.in_force and ok
            elif clean:
                if _MARKER_RE.search(block):
                    current.in_force = current.in_force and ok
                current.blocks.append(clean)
        block_lines.clear()

    def close_section(next_is_section: bool = False) -> None:
        nonlocal current, rubrik
        flush_block()
        if current is None:
            return
        sec, current = current, None
        if next_is_section and len(sec.blocks) > 1 and looks_like_heading(sec.blocks[-1]):
            # the converter sometimes writes a mellanrubrik as a plain line at the end of the § above it
            rubrik = sec.blocks.pop()
        if not sec.in_force or not sec.blocks or is_repealed_text("\n".join(sec.blocks)):
            return
        pid = paragraph_id(law_id, sec.chapter, sec.section)
        para = LawParagraph(
            law_id=law_id,
            sfs=sfs,
            law_title=law_title,
            law_name=law_name,
            chapter=sec.chapter,
            chapter_title=sec.chapter_title,
            section=sec.section,
            rubrik=sec.rubrik,
            stycken=_blocks_to_stycken(sec.blocks),
            source=source,
        )
        if pid in seen:
            # Two unmarked versions of one § (the converter sometimes keeps the superseded text, e.g. with
            # "landsting" instead of "region"): keep the one with the newest amendment note; on a tie the
            # later one, which is where SE-Lex puts the newer text.
            i = seen[pid]
            if _amendment_key(para.text) >= _amendment_key(out[i].text):
                out[i] = para
            log.info("%s: duplicate § %s resolved by amendment note", source, pid)
            return
        seen[pid] = len(out)
        out.append(para)

    for raw in body.splitlines():
        line = raw.rstrip()
        hm = _HEADING_RE.match(line)
        if hm:
            level, htext = len(hm.group(1)), strip_links(hm.group(2)).strip()
            if level == 1:
                close_section()
                continue
            cm = _CHAPTER_RE.match(htext)
            if cm and "§" not in htext:
                close_section()
                chapter = normalise_section(cm.group(1))
                chapter_title = (cm.group(2) or "").strip() or None
                rubrik, skipping = None, False
                continue
            if _END_OF_LAW_RE.match(htext) and (level <= 2 or level <= section_level):
                close_section()
                skipping = True
                continue
            if skipping:
                continue
            sm = _SECTION_RE.match(htext)
            if sm:
                close_section(next_is_section=True)
                section_level = level
                in_force = True
                if sm["prefix"]:
                    _, in_force = _strip_markers(sm["prefix"])
                current = _OpenSection(chapter, chapter_title, normalise_section(sm["sec"]), rubrik, in_force)
                continue
            # any other heading is a mellanrubrik: it ends the open § and applies to the following ones
            close_section()
            heading, heading_in_force = _strip_markers(htext)
            if heading and heading_in_force:
                rubrik = heading
            continue
        if skipping or current is None:
            continue
        if line.strip():
            block_lines.append(line)
        else:
            flush_block()
    close_section()
    return out


# --------------------------------------------------------------------------------------------------
# lagar-json
# --------------------------------------------------------------------------------------------------

# A JSON entry that continues the previous one (the upstream splitter cut at a reference "N §").
_CONTINUATION_RE = re.compile(r"^(?:[§,.;:)]|[a-zåäö]|\d+ [a-zåäö])")
# Candidate inline § starts: "... foo. [Heading] 18 § Personalföreträdarna ..."
_INLINE_SECTION_RE = re.compile(r"(?<![\w§–-])(\d+(?: [a-z])?) § (?=[A-ZÅÄÖ]|/(?:Upphör|Träder))")
_SENTENCE_END_RE = re.compile(r"[.:!?](?=\s)")
_VERB_WORDS = frozenset(("får", "ska", "skall", "gäller", "finns", "krävs", "har", "är", "kan", "avses"))
_TRANSITIONAL_RE = re.compile(r"\s(?:Övergångsbestämmelser)(?:\s|$)")
_AVDELNING_RE = re.compile(r"\sAVDELNING [IVXL]+\.\s+[A-ZÅÄÖ ,\-–]+$")
_AMENDMENT_NOTE_RE = re.compile(r"(?:Lag|Förordning) \(\d{4}:\d+\)\.$")


@dataclass
class _JsonSection:
    chapter: str | None
    section: str
    title: str | None
    text: str
    rubrik: str | None = None
    glued_heading: str | None = None  # heading found at the end of this § (belongs to the next §)


def _is_successor(cur: str, cand: str, max_gap: int = 4) -> bool:
    (cn, cl), (nn, nl) = _section_key(cur), _section_key(cand)
    if nn == cn:
        return nl > cl
    return cn < nn <= cn + max_gap


def _split_inline_sections(sec: _JsonSection) -> list[_JsonSection]:
    """Re-split a § whose text holds following §§ inline (see module docstring, fault 1)."""
    out: list[_JsonSection] = []
    cur = sec
    text = sec.text
    pos = 0
    while True:
        found = None
        for m in _INLINE_SECTION_RE.finditer(text, pos):
            cand = normalise_section(m.group(1))
            version_twin = cand == cur.section and text.startswith("/", m.end())
            if not (version_twin or _is_successor(cur.section, cand)):
                continue
            pre = text[: m.start()]
            if re.search(r"(?:kap\.|§§?|och|eller|samt|enligt|till|i)\s*$", pre):
                continue
            ends = list(_SENTENCE_END_RE.finditer(pre))
            if not ends:
                continue
            k = ends[-1].end()
            heading = pre[k:].strip()
            if heading and not (heading[0].isupper() or heading.startswith("/")):
                continue
            if len(heading.split()) > 15:
                continue
            found = (m, k, heading, cand)
            break
        if not found:
            break
        m, k, heading, cand = found
        cur.text = text[:k].strip()
        out.append(cur)
        cur = _JsonSection(sec.chapter, cand, None, "", rubrik=None)
        cur.title = heading or None
        text = text[m.end() :]
        pos = 0
    cur.text = text.strip()
    out.append(cur)
    return out


def _take_trailing_heading(text: str) -> tuple[str, str | None]:
    """Split a glued mellanrubrik off the end of a flattened § (module docstring, fault 2)."""
    am = _AVDELNING_RE.search(text)
    if am:
        return text[: am.start()].strip(), am.group(0).strip()
    ends = list(_SENTENCE_END_RE.finditer(text))
    if not ends:
        return text, None
    k = ends[-1].end()
    tail = text[k:].strip()
    if not tail:
        return text, None
    marker_free, _ = _strip_markers(tail)
    if tail.startswith("/") and not marker_free:
        return text[:k].strip(), tail  # a bare "/Rubriken upphör att gälla .../"
    if not looks_like_heading(marker_free or tail):
        return text, None
    return text[:k].strip(), tail


def _title_is_lost_text(title: str) -> bool:
    """After a § that stops mid-sentence, the next `title` is often a fragment of the lost text."""
    words = [w.strip(",").lower() for w in title.split()]
    return "§" in title or words[-1] in _NON_FINAL_WORDS or any(w in _VERB_WORDS for w in words)


def _ends_mid_sentence(text: str) -> bool:
    """True if upstream text was lost after this point (the § stops in the middle of a sentence)."""
    return (
        bool(text)
        and not re.search(r"[.:!?]$", text)
        and not looks_like_heading(
            text[list(_SENTENCE_END_RE.finditer(text))[-1].end() :].strip()
            if _SENTENCE_END_RE.search(text)
            else text
        )
    )


def _split_points(text: str) -> tuple[Stycke, ...]:
    """Split inline numbered points out of a flattened § where the numbering is unambiguous."""
    starts = []
    expected = 1
    for m in re.finditer(r"(?:(?<=\s)|^)(\d+)\. (?=\S)", text):
        n = int(m.group(1))
        if n == expected:
            starts.append(m)
            expected += 1
        elif n == 1 and expected > 1:
            break  # a second list; keep it simple and stop at the first one
    if len(starts) < 2:
        return (Stycke(text),)
    intro = text[: starts[0].start()].strip()
    if not intro or (re.search(r"[.!?]$", intro) and not intro.endswith(":")):
        return (Stycke(text),)
    points = [text[a.start() : b.start()].strip() for a, b in itertools.pairwise(starts)]
    last = text[starts[-1].start() :].strip()
    # the last point ends at its first sentence end followed by a capital, unless that is an amendment note
    rest = ""
    for em in re.finditer(r"\.\s+(?=[A-ZÅÄÖ])", last):
        if re.match(r"(?:Lag|Förordning) \(", last[em.end() :]):
            continue
        rest = last[em.end() :].strip()
        last = last[: em.start() + 1].strip()
        break
    points.append(last)
    if not all(p for p in points):
        return (Stycke(text),)
    stycken = [Stycke(intro, tuple(points))]
    if rest:
        stycken.append(Stycke(rest))
    return tuple(stycken)


def parse_law_json(data: dict[str, Any], source: str) -> list[LawParagraph]:
    """Parse a `lagar-json` statute, repairing the upstream mis-splits (see module docstring)."""
    sfs = str(data["id"]).strip()
    title_full = str(data.get("title") or sfs)
    law_title = strip_sfs_from_title(title_full)
    law_id = law_id_for(sfs)
    law_name = citation_name(law_title, sfs)

    # 1. entries, with chapter-number slips repaired ("4:1 a" inside 34 kap. of OSL)
    entries: list[_JsonSection] = []
    running: str | None = None
    for prov in data.get("provisions", []):
        chap = str(prov.get("chapter") or "").strip() or None
        sec = normalise_section(str(prov.get("section") or prov.get("provision_ref", "").split(":")[-1]))
        if chap and running and chap != running:
            a, b = _section_key(chap)[0], _section_key(running)[0]
            if a < b and running.endswith(chap):
                log.info("%s: provision %s:%s re-assigned to chapter %s", source, chap, sec, running)
                chap = running
        running = chap or running
        content = re.sub(r"\s+", " ", str(prov.get("content") or "")).strip()
        title = (prov.get("title") or "").strip() or None
        entries.append(_JsonSection(chap, sec, title, content))

    # 2. glue continuation fragments back on, restoring the swallowed "N §"
    merged: list[_JsonSection] = []
    for e in entries:
        if merged and e.text and _CONTINUATION_RE.match(e.text) and merged[-1].chapter == e.chapter:
            prev = merged[-1]
            joiner = "" if e.text[0] in "§,.;:)" else " "
            prev.text = f"{prev.text} {e.section} §{joiner}{e.text}"
            log.info(
                "%s: fragment %s:%s merged into %s:%s",
                source,
                e.chapter,
                e.section,
                prev.chapter,
                prev.section,
            )
            continue
        merged.append(e)

    # 3. cut the Övergångsbestämmelser off the last provision
    if merged:
        last = merged[-1]
        tm = _TRANSITIONAL_RE.search(last.text)
        if tm:
            last.text = last.text[: tm.start()].strip()

    # 4. re-split inline §§
    sections: list[_JsonSection] = []
    for e in merged:
        sections.extend(_split_inline_sections(e))

    # 5. move glued headings to the next §, carry the rubrik forward within a chapter, apply versions
    out: list[LawParagraph] = []
    seen: set[str] = set()
    pending: str | None = None
    rubrik: str | None = None
    chapter: str | None = None
    previous_cut_off = False
    for s in sections:
        if s.chapter != chapter:
            chapter, rubrik = s.chapter, None
        if previous_cut_off and s.title and _title_is_lost_text(s.title):
            # after a § that stops mid-sentence the upstream `title` holds a fragment of the lost text
            log.info(
                "%s: title %r of %s:%s is lost text, not a heading", source, s.title, s.chapter, s.section
            )
            s.title = None
        previous_cut_off = _ends_mid_sentence(s.text)
        s.text, s.glued_heading = _take_trailing_heading(s.text)
        for heading in (pending, s.title):
            if heading:
                clean, ok = _strip_markers(heading)
                if clean and ok:
                    rubrik = clean
        pending = s.glued_heading
        text, in_force = _strip_markers(s.text)
        if not in_force or not text or is_repealed_text(text):
            continue
        pid = paragraph_id(law_id, s.chapter, s.section)
        if pid in seen:
            log.warning("%s: duplicate § %s ignored (kept the first)", source, pid)
            continue
        seen.add(pid)
        out.append(
            LawParagraph(
                law_id=law_id,
                sfs=sfs,
                law_title=law_title,
                law_name=law_name,
                chapter=s.chapter,
                chapter_title=None,
                section=s.section,
                rubrik=rubrik,
                stycken=_split_points(text),
                source=source,
            )
        )
    return out


# --------------------------------------------------------------------------------------------------
# Markdown vs JSON comparison
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LawComparison:
    """Differences between two parses of the same statute."""

    only_in_md: tuple[str, ...]
    only_in_json: tuple[str, ...]
    text_mismatches: tuple[tuple[str, str, str], ...]  # (id, md_text, json_text), normalised

    @property
    def agree(self) -> bool:
        return not (self.only_in_md or self.only_in_json or self.text_mismatches)


def comparable_text(text: str) -> str:
    """Text normalised for comparison: whitespace collapsed (so stycke/point breaks vanish), en/em dashes
    as hyphens (the JSON writes `28-32 §§` where the Markdown has `28–32 §§`)."""
    return re.sub(r"\s+", " ", text.replace("–", "-").replace("—", "-")).strip()


def compare_law_versions(md: Sequence[LawParagraph], js: Sequence[LawParagraph]) -> LawComparison:
    """Compare the Markdown and JSON parses of one statute, by paragraph id and normalised text."""
    md_by = {p.id: p for p in md}
    js_by = {p.id: p for p in js}
    mismatches = []
    for pid, p in md_by.items():
        q = js_by.get(pid)
        if q is None:
            continue
        a, b = comparable_text(p.text), comparable_text(q.text)
        if a != b:
            mismatches.append((pid, a, b))
    return LawComparison(
        only_in_md=tuple(pid for pid in md_by if pid not in js_by),
        only_in_json=tuple(pid for pid in js_by if pid not in md_by),
        text_mismatches=tuple(mismatches),
    )


# --------------------------------------------------------------------------------------------------
# Default law set
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LawSpec:
    """One entry of corpus/laws.yaml."""

    sfs: str
    file: str  # corpus-relative
    format: str  # "md" | "json"
    abbreviations: tuple[str, ...] = ()
    complement_from: str | None = None  # corpus-relative JSON file supplying §§ the Markdown lacks
    complement_only: tuple[str, ...] = ()  # "chapter:section" refs to take from complement_from


def load_law_specs(corpus_dir: Path, name: str = "laws.yaml", *, include: bool = True) -> list[LawSpec]:
    """The law list in `name`, followed (if `include`) by the lists of the files it names under `include`."""
    raw = yaml.load((corpus_dir / name).read_text(encoding="utf-8"), Loader=_YamlLoader)
    specs = []
    for item in raw.get("laws") or []:
        specs.append(
            LawSpec(
                sfs=str(item["sfs"]),
                file=str(item["file"]),
                format=str(item["format"]),
                abbreviations=tuple(str(a) for a in item.get("abbreviations") or ()),
                complement_from=item.get("complement_from"),
                complement_only=tuple(str(r) for r in item.get("complement_only") or ()),
            )
        )
    for included in (raw.get("include") or []) if include else []:
        specs.extend(load_law_specs(corpus_dir, str(included)))
    return specs


def load_law_file(corpus_dir: Path, rel: str, fmt: str) -> list[LawParagraph]:
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


def load_default_laws(corpus_dir: Path) -> list[LawParagraph]:
    """The default law set described by corpus/laws.yaml, in file order."""
    out: list[LawParagraph] = []
    for spec in load_law_specs(corpus_dir):
        paragraphs = load_law_file(corpus_dir, spec.file, spec.format)
        if spec.complement_from:
            extra = load_law_file(corpus_dir, spec.complement_from, "json")
            if spec.complement_only:
                wanted = {
                    paragraph_id(law_id_for(spec.sfs), *ref.split(":", 1)) for ref in spec.complement_only
                }
                missing = wanted - {p.id for p in extra}
                if missing:
                    raise ValueError(f"{spec.complement_from}: lacks {sorted(missing)}")
                keep = wanted | {p.id for p in paragraphs}
                extra = [p for p in extra if p.id in keep]
            paragraphs = complement_paragraphs(paragraphs, extra)
        out.extend(paragraphs)
    return out
