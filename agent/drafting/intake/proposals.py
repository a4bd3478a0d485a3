"""The proposals of a remiss: its att-satser, or else summary sentences.

Every proposal is a verbatim span of the input (whitespace normalised only), so later steps can
quote it and verification can check it.

* **Att-satser** (kind ``att-sats``): lines that begin with ``att``/``Att`` (optionally numbered,
  bulleted or quoted) where an att-sats can start — after a trigger such as ``Jag föreslår att
  kommunfullmäktige beslutar``, ``yrkar:`` or a heading, after a line ending a sentence or clause,
  at the start of the text — plus inline ``Jag föreslår att ...`` / ``föreslår vi att ...``.
  Continuation lines (PDF line breaks) are joined until a blank line, a new att-sats, a heading
  or a line after one that ends with ``.``/``;``. An att-sats is one sentence: sentences after it
  on the same line are not part of the proposal (they are kept in `AttScanner.trailing`, for a
  warning), so nothing written after a proposal travels with it to a model.
* **Summary sentences** (kind ``summary``), only when there are no att-satser: sentences with
  ``föreslår``/``föreslagit``/``föreslås``/``yrkar``/``yrkat``/``hemställer``/``vill att``/
  ``menar därför``/``bör``/``borde``, leaving out the answering body's own opinions and decisions
  (``förvaltningen bedömer ...``, ``motionen avslås``). As a last resort, for a short excerpt
  without headings, its first sentence (with a warning). The kind ``yrkande`` is not produced yet.
"""

from __future__ import annotations

import re

from agent.drafting.intake.models import MAX_PROPOSALS, normalize_ws
from agent.drafting.intake.sections import Segment
from agent.sources.remissvar import is_debris
from agent.text.grammar import find_dnr, heading_key
from agent.text.sentences import sentence_spans

MAX_ATT_SATS_CHARS = 1200  # an "att-sats" longer than this is flattened prose: cut at the sentence end

_ATT_START_RE = re.compile(
    r"^[ \t]*(?P<marker>(?:\d{1,2}\s*[.):]|[a-h][.)]|[-–•*·])\s*)?[\"”“»']?(?P<att>[Aa]tt)\s+\S"
)
# First-person triggers: "Jag föreslår (därför) (att kommunfullmäktige beslutar)", "föreslår vi",
# "yrkar jag/vi", "Vi hemställer", "... yrkat:" followed by att-satser.
_TRIGGER_RE = re.compile(
    r"(?:\b(?:jag|vi)\s+(?:föreslår|yrkar|hemställer)|\b(?:föreslår|yrkar|hemställer)\s+(?:jag|vi)"
    r"|\b(?:föreslår|yrkar|hemställer)\s+därför|\byrkar\s+(?:motionären|motionärerna)"
    r"|\b(?:föreslår|yrkar|yrkat|föreslagit|hemställer|hemställt|yrkanden?)\s*:)"
    r"(?:\s+därför)?(?:\s+(?:att\s+)?(?:kommun|region)?fullmäktige\s+(?:besluta[r]?|ska\s+besluta))?"
    r"(?:\s+följande)?\s*:?",
    re.IGNORECASE,
)
_COLON_TRIGGER_RE = re.compile(r"föresl|yrka|hemställ|förslag|besluta|motion", re.IGNORECASE)
_INLINE_ATT_RE = re.compile(r"\s*[\"”“»]?(?P<att>att)\s+\S")
_BLOCK_KEYS = {"forslag-till-beslut", "yrkanden", "motionen", "medborgarforslaget", "forslaget"}
# Intake's plain sentence boundary: the whitespace after ".", "!" or "?" before an upper-case letter or
# a quotation mark. Simpler than `agent.text.sentences` (no abbreviations, quotations or "…"); kept,
# because the summary sentences and the cut of an overlong att-sats are defined by these boundaries.
_SENTENCE_GAP_RE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ\"”“])")
# Decisions and opinions of the answering side, never a remiss's own proposal.
_ANSWER_RE = re.compile(
    r"\b(?:motionen|motionerna|medborgarförslaget|remissen|yttrandet|tjänsteutlåtandet|skrivelsen)\b"
    r"[^.;]{0,80}?\b(?:avslås|avslag|bifalls|bifall|besvara\w*|anses|tillstyrk\w*|avstyrk\w*|godkänn\w*"
    r"|överlämna\w*)"
    r"|\bgodkänner\b[^.;]{0,80}\btjänsteutlåtande|\bjusteras\s+omedelbart|\byrkar\s+(?:bifall|avslag)"
    r"|\bsom\s+svar\s+på\s+remissen",
    re.IGNORECASE,
)
_ANSWER_ORG = (
    r"[\wåäö-]*(?:förvaltningen|kontoret|nämnden|styrelsen|utskottet|borgarrådet|ordföranden"
    r"|remissinstanserna|majoriteten)"
)
_ANSWER_OPINION_RE = re.compile(
    rf"\b{_ANSWER_ORG}\s+(?:\w+\s+){{0,4}}?(?:delar|bedömer|anser|föreslår|föreslog|föreslagit|menar|tolkar"
    r"|ser|konstaterar|instämmer|tillstyrk\w*|avstyrk\w*|vill|ställ\w*\s+sig|yrka\w*|beslut\w*)\b"
    rf"|\b(?:föreslår|föreslog|anser|bedömer|menar)\s+{_ANSWER_ORG}\b",
    re.IGNORECASE,
)


def _clean_span(s: str) -> str:
    s = normalize_ws(s)
    if len(s) > MAX_ATT_SATS_CHARS:
        m = _SENTENCE_GAP_RE.search(s, 0, MAX_ATT_SATS_CHARS)
        s = s[: m.start()] if m else s[:MAX_ATT_SATS_CHARS].rsplit(" ", 1)[0]
    s = re.sub(r"(?:[\s;,]|\s(?:och|samt))+$", "", s)
    s = s.rstrip("\"”“»' ")
    return s


_CLAUSE_END = (".", ";", "!", "?")
# A sentence end followed by a symbol (a fence, a chat-template token, a Markdown heading) rather than
# a word: `sentence_spans` only starts a sentence at a letter or quotation mark.
_SYMBOL_AFTER_END_RE = re.compile(r"(?<=[.!?])\s+(?=[^\w\s(\"”“»'])")


def _first_sentence_end(s: str) -> int:
    """Where the first sentence of `s` ends (len(s) if it is one sentence)."""
    spans = sentence_spans(s)
    end = spans[1][0] if len(spans) > 1 else len(s)
    if m := _SYMBOL_AFTER_END_RE.search(s, 0, end):
        end = m.start()
    return end


class AttScanner:
    """Line scan for att-satser within the non-answer segments; `found` collects them in order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.found: list[str] = []
        self.trailing: list[str] = []  # sentences cut from after an att-sats, in order
        self.limit = MAX_PROPOSALS + 1
        # The state of the segment being scanned:
        self.cur: tuple[int, int] | None = None  # (start, end) of the att-sats being read
        self.cur_closed = False  # the last line of `cur` ended a sentence/clause
        self.block = False  # we are right after a trigger: att-lines are att-satser
        self.prev: str | None = None  # previous non-blank line (stripped) in this segment

    def _emit(self, start: int, end: int) -> None:
        s = _clean_span(self.text[start:end])
        cut = _first_sentence_end(s)
        if cut < len(s):  # the att-sats is its first sentence; the rest is not the proposal
            self.trailing.append(s[cut:].strip())
            s = _clean_span(s[:cut])
        if len(s) < 8 or _ANSWER_RE.search(s):
            return
        if s not in self.found:
            self.found.append(s)

    def _flush(self) -> None:
        if self.cur:
            self._emit(*self.cur)
            self.cur = None

    def scan(self, seg: Segment) -> None:
        self.cur, self.cur_closed = None, False
        self.block = seg.key in _BLOCK_KEYS
        self.prev = None
        pos = seg.start
        while pos < seg.end and len(self.found) < self.limit:
            nl = self.text.find("\n", pos, seg.end)
            le = seg.end if nl < 0 else nl
            self._line(pos, le)
            pos = le + 1
        self._flush()

    def _line(self, ls: int, le: int) -> None:
        """One line, text[ls:le]: a blank line or heading ends the att-sats being read; an att-line
        may start one; a PDF line break continues one; a prose line may introduce att-satser."""
        line = self.text[ls:le]
        s = line.strip()
        if not s:
            self._flush()
            return
        if len(s) <= 80 and heading_key(s):
            self._flush()
            self.block = heading_key(s)[1] in _BLOCK_KEYS  # type: ignore[index]
            self.prev = None
            return
        m = _ATT_START_RE.match(line)
        if m and self._starts_att_sats(m):
            self._flush()
            self.cur = (ls + m.start("att"), le)
            self.cur_closed = s.endswith(_CLAUSE_END)
            self.block = True
            self.prev = s
            return
        if self.cur is not None:
            if not self.cur_closed:
                self.cur = (self.cur[0], le)  # a PDF line break inside the att-sats
                self.cur_closed = s.endswith(_CLAUSE_END)
                self.prev = s
                return
            self._flush()
        self._prose(line, ls, le)
        self.prev = s

    def _starts_att_sats(self, m: re.Match[str]) -> bool:
        """Does the att-line `m` start an att-sats here (after a marker, trigger, sentence end ...)?"""
        prev = self.prev
        continued = self.cur is not None and self.cur_closed
        if m.group("att") == "att":
            ended = prev is None or prev.endswith((".", ";", ":", "!", "?"))
            return bool(m.group("marker")) or self.block or ended or continued
        colon = prev is not None and prev.endswith(":") and bool(_COLON_TRIGGER_RE.search(prev))
        return bool(m.group("marker")) or self.block or prev is None or colon or continued

    def _prose(self, line: str, ls: int, le: int) -> None:
        """A prose line: does it introduce att-satser ("Jag föreslår att ...", "yrkar:")?"""
        self.block = False
        last = None
        for t in _TRIGGER_RE.finditer(line):
            last = t
        if last is None:
            return
        im = _INLINE_ATT_RE.match(line[last.end() :])
        if im:
            self.cur = (ls + last.end() + im.start("att"), le)
            self.cur_closed = line.strip().endswith(_CLAUSE_END)
            if len(line) > 300:  # flattened text: the att-sats ends at its sentence end
                self._emit(self.cur[0], le)
                self.cur = None
        self.block = True


# --------------------------------------------------------------------------- summary sentences

_STRONG_RE = re.compile(
    r"\b(?:föreslår|föreslog|föreslagit|föreslås|yrkar|yrkat|yrkas|hemställer|hemställt|vill\s+att"
    r"|menar\s+därför|anser\s+därför)\b",
    re.IGNORECASE,
)
_WEAK_RE = re.compile(r"\b(?:bör|borde)\b", re.IGNORECASE)


def _blocks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split text[start:end] into paragraphs: at blank lines, and at line breaks that cannot be a PDF
    wrap inside a sentence (after a short line or one not ending in a word, before a list item)."""
    out: list[tuple[int, int]] = []
    bstart = start
    prev = ""
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        le = end if nl < 0 else nl
        line = text[pos:le].strip()
        if not line:
            if prev:
                out.append((bstart, pos))
            bstart, prev = le + 1, ""
        elif prev and (
            not re.search(r"[a-zåäöé,–-]$", prev)
            or (len(prev) < 40 and line[:1].isupper())
            or re.match(r"(?:[-–•·*§]|\d{1,2}[.)]\s)", line)
            or is_debris(prev)
        ):
            out.append((bstart, pos))
            bstart = pos
        if line:
            prev = line
        pos = le + 1
    if bstart < end and text[bstart:end].strip():
        out.append((bstart, end))
    return out


def _sentences(text: str, start: int, end: int) -> list[str]:
    out = []
    for bs, be in _blocks(text, start, end):
        block = text[bs:be]
        if is_debris(block):
            continue
        out.extend(_SENTENCE_GAP_RE.split(normalize_ws(block)))
    return [s for s in out if s]


def summary_sentences(text: str, segs: list[Segment], limit: int) -> list[str]:
    found: list[str] = []
    for seg in segs:
        for s in _sentences(text, seg.start, seg.end):
            if len(s) < 15 or heading_key(s):
                continue
            if not (_STRONG_RE.search(s) or _WEAK_RE.search(s)):
                continue
            if _ANSWER_RE.search(s) or _ANSWER_OPINION_RE.search(s):
                continue
            s = _clean_span(s)
            if s not in found:
                found.append(s)
            if len(found) >= limit:
                return found
    return found


def first_sentence(text: str, segs: list[Segment]) -> str:
    for seg in segs:
        blocks = [
            (bs, be)
            for bs, be in _blocks(text, seg.start, seg.end)
            # skip title lines: one short line without a sentence end
            if "\n" in text[bs:be].strip()
            or len(text[bs:be].strip()) > 120
            or text[bs:be].rstrip()[-1:] in ".!?;"
        ]
        for s in (x for bs, be in blocks for x in _sentences(text, bs, be)):
            if len(s.split()) >= 8 and not heading_key(s) and not find_dnr(s):
                return _clean_span(s[:MAX_ATT_SATS_CHARS])
    return ""
