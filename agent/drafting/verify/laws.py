"""Law citations in a draft: where laws are named, and references expanded to single paragraphs.

A reference without a law name takes the law named most recently before it (`find_law_mentions`);
lists, ranges and connected references ("2 kap. 1 och 2 §§ KL", "2 kap. 1–3 §§ KL", "2 kap. 1 § och
3 kap. 4 § KL", "KL 2:1 och 2:2") become one `LawItem` per paragraph (`law_items`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.drafting.verify.lookup import Spans
from agent.sources.references import BUILTIN_ALIASES, Reference, sfs_to_law_id

MAX_RANGE = 20  # a range is expanded when both ends are plain numbers at most this far apart

# Lists and ranges of paragraphs ending just before a reference: "2 kap. 1 och " + "2 §§ KL".
_SEC = r"\d+(?:\s?[a-z]\b)?"
_LIST_PREFIX_RE = re.compile(
    rf"(?:\b(?P<chap>\d+)\s*kap\.?\s*)?\b(?P<items>{_SEC}(?:\s*(?:,|och|samt|–|-|—)\s*{_SEC})*)"
    r"\s*(?P<sep>,|och|samt|–|-|—|till)\s*$",
    re.IGNORECASE,
)
_LIST_SEP_END_RE = re.compile(r"(?:,|och|samt|–|-|—|till)\s*$", re.IGNORECASE)
_LIST_ITEM_RE = re.compile(rf"({_SEC})|(–|-|—|till)", re.IGNORECASE)
_GAP_RE = re.compile(r"\s*(?:,|och|samt|respektive|resp\.|eller|–|-)\s*", re.IGNORECASE)
_COLON_TAIL_RE = re.compile(rf"\s*(?:,|och|samt)\s*(\d+):({_SEC})", re.IGNORECASE)
_COLON_REF_RE = re.compile(r"^[^\d\s]+\s+\d+:")
CHAPTER_BEFORE_RE = re.compile(r"\b(\d+)\s*kap\.?\s+(?:i\s+)?$", re.IGNORECASE)

_SFS_MENTION_RE = re.compile(r"(?<![\d/:.-])(?:1[6-9]|20)\d{2}:\d+(?![\d/:])")
_SFS_ID_RE = re.compile(r"\bsfs-\d{4}-\d+(?:/\d+[a-z]?){1,2}\b")
_FILE_ID_TAIL_RE = re.compile(r"\.(?:txt|pdf|md)#[\w-]+")  # "remissvar/x.txt#synpunkter"


def _law_mention_re(extra_aliases: dict[str, str]) -> tuple[re.Pattern[str], list[tuple[str, str]]]:
    aliases = list(BUILTIN_ALIASES.items())
    for name, law_id in extra_aliases.items():
        aliases.append((re.escape(name.lower()).replace(r"\ ", r"\s+"), law_id))
    names = "|".join(f"(?:{a})" for a, _ in sorted(aliases, key=lambda x: -len(x[0])))
    return re.compile(rf"\b(?:{names})\b", re.IGNORECASE), aliases


def find_law_mentions(
    text: str, extra_aliases: dict[str, str], dnr_spans: Spans
) -> list[tuple[int, int, str]]:
    """Every place a law is named: a name or abbreviation, or an SFS number -> (start, end, law_id)."""
    rx, aliases = _law_mention_re(extra_aliases)
    out: list[tuple[int, int, str]] = []
    for m in rx.finditer(text):
        word = m.group()
        if len(word) <= 4 and word.islower():
            continue  # "sol", "kl", "tf" in running text are words, not abbreviations
        for alias, law_id in aliases:
            if re.fullmatch(alias, word, re.IGNORECASE):
                out.append((m.start(), m.end(), law_id))
                break
    for m in _SFS_MENTION_RE.finditer(text):
        if not dnr_spans.overlaps(m.start(), m.end()):
            out.append((m.start(), m.end(), sfs_to_law_id(m.group())))
    out.sort()
    return out


def id_like(text: str) -> list[tuple[int, int]]:
    """Spans of strings shaped like source ids: "sfs-2017-725/2/2", "remissvar/x.txt#synpunkter"."""
    out = [(m.start(), m.end()) for m in _SFS_ID_RE.finditer(text)]
    for m in _FILE_ID_TAIL_RE.finditer(text):
        s = m.start()  # walk back over the path (bounded), instead of a regex that could rescan
        while s > 0 and m.start() - s < 200 and (text[s - 1].isalnum() or text[s - 1] in "_./-"):
            s -= 1
        if s < m.start():
            out.append((s, m.end()))
    return out


def _expand_items(items: str) -> list[str]:
    """ "1, 2 och 4" -> [1, 2, 4]; "1–3" -> [1, 2, 3] (the last item is the reference itself)."""
    out: list[str] = []
    pending_range = False
    for m in _LIST_ITEM_RE.finditer(items):
        if m.group(2):
            pending_range = True
            continue
        sec = re.sub(r"\s+", " ", m.group(1))
        if pending_range and out:
            out.extend(_range(out[-1], sec)[1:-1])
        out.append(sec)
        pending_range = False
    return out


def _range(lo: str, hi: str) -> list[str]:
    if lo.isdigit() and hi.isdigit() and 0 < int(hi) - int(lo) <= MAX_RANGE:
        return [str(i) for i in range(int(lo), int(hi) + 1)]
    return [lo, hi]


@dataclass
class LawItem:
    """One paragraph a reference names; the items of one list share their span."""

    law_id: str | None
    chapter: str | None
    section: str
    start: int
    end: int
    group_size: int = 1


def law_items(text: str, refs: list[Reference]) -> list[LawItem]:
    """References -> paragraphs, with lists, ranges and connected references ("… och …") expanded."""
    items = [_reference_items(text, r) for r in refs]  # one list per reference
    _connect(text, items)
    return [it for g in items for it in g]


def _reference_items(text: str, r: Reference) -> list[LawItem]:
    """The paragraphs of one reference, with the list or range just before it ("2 kap. 1 och " + "2 §§
    KL") and a colon list after it ("KL 2:1" + " och 2:2")."""
    start, secs = r.start, [r.section]
    window = text[max(0, r.start - 80) : r.start]
    m = None
    if r.chapter is None and _LIST_SEP_END_RE.search(window[-12:]):
        m = _LIST_PREFIX_RE.search(window)
    if m and (m.group("chap") or "§§" in text[r.start : r.end]):
        start = r.start - (len(window) - m.start())
        sep = m.group("sep")
        listed = _expand_items(m.group("items"))
        if sep in "–-—" or sep.lower() == "till":
            secs = listed[:-1] + _range(listed[-1], r.section)
        else:
            secs = [*listed, r.section]
        chap = m.group("chap")
    else:
        chap = r.chapter
    group = [LawItem(r.law_id, chap, s, start, r.end, len(secs)) for s in secs]
    if _COLON_REF_RE.match(text[r.start : r.end]):  # "KL 2:1 och 2:2"
        pos = r.end
        while (t := _COLON_TAIL_RE.match(text, pos)) and len(group) < 50:
            group.append(LawItem(r.law_id, t.group(1), re.sub(r"\s+", " ", t.group(2)), r.start, t.end()))
            pos = t.end()
        for it in group:
            it.end, it.group_size = pos, len(group)
    return group


def _connect(text: str, items: list[list[LawItem]]) -> None:
    """Connected references: "2 kap. 1 § och 3 kap. 4 § KL" — the law named last applies to the ones
    before it; a chapter carries forward to a following reference without one ("… och 2 §")."""
    i = 0
    while i < len(items):
        j = i
        while (
            j + 1 < len(items)
            and items[j + 1][0].start - items[j][0].end <= 20
            and _GAP_RE.fullmatch(text, items[j][0].end, items[j + 1][0].start)
        ):
            j += 1
        if j > i:
            group = [it for g in items[i : j + 1] for it in g]
            law = None
            for it in reversed(group):  # a law-less reference takes the law named after it
                it.law_id = law = it.law_id or law
            chap, chap_law = None, None
            for it in group:  # a chapter carries forward within the same law
                if it.chapter is None and chap is not None and it.law_id == chap_law:
                    it.chapter = chap
                if it.chapter is not None:
                    chap, chap_law = it.chapter, it.law_id
        i = j + 1
