"""Flattened `lagar-json` statutes (`corpus/lagar-json/*.json`) into `LawParagraph`s, with repairs.

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
import logging
import re
from dataclasses import dataclass
from typing import Any

from agent.sources.laws.headings import NON_FINAL_WORDS, looks_like_heading
from agent.sources.laws.naming import (
    citation_name,
    law_id_for,
    normalise_section,
    section_key,
    strip_sfs_from_title,
)
from agent.sources.laws.versions import is_repealed_text, strip_markers
from agent.sources.models import LawParagraph, Stycke, paragraph_id
from agent.text.normalise import collapse_whitespace

log = logging.getLogger(__name__)

# A JSON entry that continues the previous one (the upstream splitter cut at a reference "N §").
_CONTINUATION_RE = re.compile(r"^(?:[§,.;:)]|[a-zåäö]|\d+ [a-zåäö])")
# Candidate inline § starts: "... foo. [Heading] 18 § Personalföreträdarna ..."
_INLINE_SECTION_RE = re.compile(r"(?<![\w§–-])(\d+(?: [a-z])?) § (?=[A-ZÅÄÖ]|/(?:Upphör|Träder))")
_SENTENCE_END_RE = re.compile(r"[.:!?](?=\s)")
_VERB_WORDS = frozenset(("får", "ska", "skall", "gäller", "finns", "krävs", "har", "är", "kan", "avses"))
_TRANSITIONAL_RE = re.compile(r"\s(?:Övergångsbestämmelser)(?:\s|$)")
_AVDELNING_RE = re.compile(r"\sAVDELNING [IVXL]+\.\s+[A-ZÅÄÖ ,\-–]+$")


@dataclass
class _JsonSection:
    chapter: str | None
    section: str
    title: str | None
    text: str
    rubrik: str | None = None
    glued_heading: str | None = None  # heading found at the end of this § (belongs to the next §)


@dataclass(frozen=True)
class _Law:
    """The statute-level facts every paragraph carries."""

    law_id: str
    sfs: str
    law_title: str
    law_name: str
    source: str


# --------------------------------------------------------------------------- fault 1: mis-splits


def _is_successor(cur: str, cand: str, max_gap: int = 4) -> bool:
    (cn, cl), (nn, nl) = section_key(cur), section_key(cand)
    if nn == cn:
        return nl > cl
    return cn < nn <= cn + max_gap


def _find_inline_section(text: str, current: str) -> tuple[re.Match[str], int, str, str] | None:
    """The first plausible inline start of the § after `current`: (match, cut, heading before it, N)."""
    for m in _INLINE_SECTION_RE.finditer(text):
        cand = normalise_section(m.group(1))
        version_twin = cand == current and text.startswith("/", m.end())
        if not (version_twin or _is_successor(current, cand)):
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
        return m, k, heading, cand
    return None


def _split_inline_sections(sec: _JsonSection) -> list[_JsonSection]:
    """Re-split a § whose text holds following §§ inline (see module docstring, fault 1)."""
    out: list[_JsonSection] = []
    cur = sec
    text = sec.text
    while found := _find_inline_section(text, cur.section):
        m, k, heading, cand = found
        cur.text = text[:k].strip()
        out.append(cur)
        cur = _JsonSection(sec.chapter, cand, None, "", rubrik=None)
        cur.title = heading or None
        text = text[m.end() :]
    cur.text = text.strip()
    out.append(cur)
    return out


def _merge_fragments(entries: list[_JsonSection], source: str) -> list[_JsonSection]:
    """Glue continuation fragments back on, restoring the swallowed "N §"."""
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
    return merged


# --------------------------------------------------------------------------- fault 2: glued headings


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
    marker_free, _ = strip_markers(tail)
    if tail.startswith("/") and not marker_free:
        return text[:k].strip(), tail  # a bare "/Rubriken upphör att gälla .../"
    if not looks_like_heading(marker_free or tail):
        return text, None
    return text[:k].strip(), tail


def _title_is_lost_text(title: str) -> bool:
    """After a § that stops mid-sentence, the next `title` is often a fragment of the lost text."""
    words = [w.strip(",").lower() for w in title.split()]
    return "§" in title or words[-1] in NON_FINAL_WORDS or any(w in _VERB_WORDS for w in words)


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


# --------------------------------------------------------------------------- points


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
    last, rest = _split_last_point(text[starts[-1].start() :].strip())
    points.append(last)
    if not all(p for p in points):
        return (Stycke(text),)
    stycken = [Stycke(intro, tuple(points))]
    if rest:
        stycken.append(Stycke(rest))
    return tuple(stycken)


def _split_last_point(last: str) -> tuple[str, str]:
    """The last point ends at its first sentence end followed by a capital, unless that is an
    amendment note; return (point, the stycke after it or "")."""
    for em in re.finditer(r"\.\s+(?=[A-ZÅÄÖ])", last):
        if re.match(r"(?:Lag|Förordning) \(", last[em.end() :]):
            continue
        return last[: em.start() + 1].strip(), last[em.end() :].strip()
    return last, ""


# --------------------------------------------------------------------------- the whole statute


def _read_entries(data: dict[str, Any], source: str) -> list[_JsonSection]:
    """The provisions, with chapter-number slips repaired ("4:1 a" inside 34 kap. of OSL)."""
    entries: list[_JsonSection] = []
    running: str | None = None
    for prov in data.get("provisions", []):
        chap = str(prov.get("chapter") or "").strip() or None
        sec = normalise_section(str(prov.get("section") or prov.get("provision_ref", "").split(":")[-1]))
        if chap and running and chap != running:
            a, b = section_key(chap)[0], section_key(running)[0]
            if a < b and running.endswith(chap):
                log.info("%s: provision %s:%s re-assigned to chapter %s", source, chap, sec, running)
                chap = running
        running = chap or running
        content = collapse_whitespace(str(prov.get("content") or ""))
        title = (prov.get("title") or "").strip() or None
        entries.append(_JsonSection(chap, sec, title, content))
    return entries


def _cut_transitional(sections: list[_JsonSection]) -> None:
    """Cut the Övergångsbestämmelser off the last provision (module docstring, fault 3)."""
    if sections:
        last = sections[-1]
        tm = _TRANSITIONAL_RE.search(last.text)
        if tm:
            last.text = last.text[: tm.start()].strip()


def _with_rubriks(sections: list[_JsonSection], source: str) -> list[tuple[_JsonSection, str | None]]:
    """Move glued headings to the next §, carry the rubrik forward within a chapter."""
    out: list[tuple[_JsonSection, str | None]] = []
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
                clean, ok = strip_markers(heading)
                if clean and ok:
                    rubrik = clean
        pending = s.glued_heading
        out.append((s, rubrik))
    return out


def _paragraphs(law: _Law, sections: list[tuple[_JsonSection, str | None]]) -> list[LawParagraph]:
    """The §§ in force, the first of any duplicate kept."""
    out: list[LawParagraph] = []
    seen: set[str] = set()
    for s, rubrik in sections:
        text, in_force = strip_markers(s.text)
        if not in_force or not text or is_repealed_text(text):
            continue
        pid = paragraph_id(law.law_id, s.chapter, s.section)
        if pid in seen:
            log.warning("%s: duplicate § %s ignored (kept the first)", law.source, pid)
            continue
        seen.add(pid)
        out.append(
            LawParagraph(
                law_id=law.law_id,
                sfs=law.sfs,
                law_title=law.law_title,
                law_name=law.law_name,
                chapter=s.chapter,
                chapter_title=None,
                section=s.section,
                rubrik=rubrik,
                stycken=_split_points(text),
                source=law.source,
            )
        )
    return out


def parse_law_json(data: dict[str, Any], source: str) -> list[LawParagraph]:
    """Parse a `lagar-json` statute, repairing the upstream mis-splits (see module docstring)."""
    sfs = str(data["id"]).strip()
    law_title = strip_sfs_from_title(str(data.get("title") or sfs))
    law = _Law(law_id_for(sfs), sfs, law_title, citation_name(law_title, sfs), source)
    merged = _merge_fragments(_read_entries(data, source), source)
    _cut_transitional(merged)
    sections = [s for e in merged for s in _split_inline_sections(e)]
    return _paragraphs(law, _with_rubriks(sections, source))
