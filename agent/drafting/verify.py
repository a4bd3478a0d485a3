"""Verification of a draft against the sources it was given.

`verify_draft(text, sources)` returns every citation found in the draft (`Citation`, resolved to a
given source or not) and a `Verification`: citations that do not resolve to a *given* source,
quotations that are not verbatim in their source, and legal claims without a citation. The draft
is only ever treated as text: nothing in it is followed, and no citation is invented for it.

What is recognised:

* **Law citations** — everything `agent.sources.references.find_references` finds ("2 kap. 2 §
  kommunallagen (2017:725)", "2 kap. 2 § KL", "KL 2:2", "SFS 2017:725 2 kap. 1 §", "6 §
  förvaltningslagen"). Names of the given laws (from their labels, e.g. "lagen om vissa kommunala
  befogenheter") are passed as extra aliases. A reference without a law name takes the law named
  most recently before it in the draft (a reference, "2 kap. kommunallagen (2017:725)", "KL", an SFS
  number; an abbreviation of at most four letters counts only when not all lower case, so "sol" is
  not socialtjänstlagen); if no law was named, it resolves when exactly one given law paragraph has
  that chapter and section. "§" after a date or a Dnr ("2009-02-23 § 16") is a protocol paragraph
  and is ignored. Lists and ranges: "2 kap. 1 och 2 §§ KL", "2 kap. 1–3 §§ KL" (one `Citation` per
  paragraph, all with the span of the whole list; a range is expanded when both ends are plain
  numbers at most 20 apart, otherwise only its ends are checked), "2 kap. 1 § och 3 kap. 4 § KL"
  (a reference without a law name takes the law of the next one in the list; a chapter carries
  forward to a following "och 2 §" of the same law), "KL 2:1 och 2:2". A reference that names a
  real paragraph which was not among the given sources is unresolved: the draft may cite only what
  it was given.
* **Chapter citations** — "2 kap. kommunallagen (2017:725)" (a chapter and a law, no §) resolves to
  the first given paragraph of that chapter; a chapter none of whose paragraphs was given is
  unresolved.
* **Precedent citations** — Dnr-like strings (the regexes of `agent.sources.remissvar`: "Dnr KS
  2025/448", "KS 2025/448", "KSN-2019-123"; those regexes want an upper-case prefix and at most one
  space or separator after it), compared without case, spaces or a separator after the letter
  prefix. Several given sections of one answer share a Dnr: the citation resolves to the first one
  given, or to the one that holds a quotation attributed to it. A given precedent's exact `label`
  or any given source's `id` in the text also cites it; an id-like string ("sfs-2017-725/9/9",
  "remissvar/x.txt#y") that is not a given id is unresolved. `ignore_dnrs` lists Dnr that are not
  citations (the case's own diarienummer).
* **Quotations** — text inside ”…”, "…", „…“, «…» or “…” with at least `MIN_QUOTE_WORDS` words,
  at most `MAX_QUOTE_CHARS` characters and no blank line (so an unbalanced mark cannot swallow the
  rest of the draft; a quotation of several stycken is not checked).
  References inside a quotation are the source's words, not the draft's citations, and are skipped.
  A quotation is attributed to a citation in its own sentence (nearest first) or the sentence
  before (nearest first), preferring one whose source holds it. It is verbatim when, after
  normalising whitespace, it is a substring of the source text; also accepted: a changed case of its
  first letter, trailing ".,;:" dropped, omissions marked "[…]", "[...]", "(…)" (each part verbatim,
  in order), leading/trailing "…", and PDF hyphenation ("kompe- tens" = "kompetens", but never before
  "och"/"eller"/…, so "hälso- och" stays). `Citation.quote` is set for verbatim quotations only (the
  first one, if several are attributed to the same citation).
* **Unsupported legal claims** — see `LEGAL_CLAIM_MARKERS`. A legal claim is supported when its
  sentence holds a resolved citation, when it directly follows such a sentence, or when the next
  sentence holds one and starts with a back-reference ("Detta framgår av 2 kap. 2 § KL.").
  Flagged sentences are returned with whitespace normalised.

Sentences end at ".", "!", "?" before an upper-case letter or quotation mark (not inside a
quotation, not after "bl.a.", "t.ex.", "kap." …), at blank lines, before list items and after
Markdown headings.

Everything is linear in the length of the draft (bounded look-behind windows, quotation regexes that
cannot rescan, the reference parser run on bounded chunks); 200 kB verify in well under a second.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

from agent.drafting.intake import normalize_ws
from agent.drafting.models import Citation, Misquote, Verification
from agent.sources.models import Document, paragraph_id
from agent.sources.references import BUILTIN_ALIASES, Reference, find_references, sfs_to_law_id
from agent.sources.remissvar import find_dnrs

MIN_QUOTE_WORDS = 4

# User-facing reasons (Swedish).
R_NOT_VERBATIM = "Citatet finns inte ordagrant i källan."
R_OTHER_SOURCE = "Citatet finns i en annan källa än den som anges ({label})."

# What makes a sentence a *legal claim*: it speaks of law, competence, duties or powers. Each entry
# is a regex fragment (matched case-insensitively) with the reason it is there:
LEGAL_CLAIM_MARKERS: tuple[str, ...] = (
    r"§",  # any paragraph sign
    r"\bkap\.",  # a chapter of a law
    # "enligt" states a rule's content — but not "enligt motionen/förvaltningens bedömning" etc.
    r"\benligt\b(?!\s+(?:min|mitt|vår|vårt|våra|förvaltningens|nämndens|styrelsens|motionen|motionärens?"
    r"|skribenten|skribentens|förslaget|förslagsställaren|förslagsställarens|medborgarförslaget"
    r"|remissen|uppgift|planen|tidplanen)\b)",
    # "lag", "lagen", "lagstiftningen", "lagrummet", "laglig", "lagenlig" (compounds: `_LAW_WORD_RE`)
    r"\blag(?:en|ens|ar|arna|stiftning\w*|stiftare\w*|rum\w*|lig\w*|enlig\w*)?\b",
    r"\bbalk(?:en|ens)?\b",
    # competence and powers; "kompetens(en)" but not compounds like "kompetenscenter"
    r"\bkompetens(?:en|ens)?\b",
    r"\bbefogenhet\w*",
    r"\bbehörig\w*",
    # prohibitions, permissions and duties
    r"\bfår\s+(?:inte|ej|endast|bara|aldrig)\b",
    r"\b(?:ska|skall|får)\s+(?:\w+\s+)?ha\s+hand\s+om\b",
    r"\bskyldig\w*",
    r"\bförbud\w*|\bförbjud\w*|\b(?:o)?tillåt(?:et|en|na|s)\b",
    r"\bi\s+strid\s+med\b",
    r"\bförenlig\w*",
    # responsibility and authorities
    r"\bansvar(?:et|ig|iga|igt|ar|sområde\w*)?\b",
    r"\bmyndighet\w*",
    # other sources of law
    r"\bförordning\w*",
    r"\bföreskrift\w*",
    r"\bförarbete\w*|\bprop\.\s*\d",
    r"\bpraxis\b|\bprejudikat\w*|\bdom(?:en|stol\w*)?\b",
    r"\bregler(?:as|ar|ad|ade|at)\b",
    r"\brättslig\w*|\brättsligt\b",
    r"\b(?:framgår|följer)\s+av\b",
)
_LEGAL_CLAIM_RE = re.compile("|".join(f"(?:{m})" for m in LEGAL_CLAIM_MARKERS), re.IGNORECASE)
# Compounds naming a law ("kommunallagen", "förvaltningslagar", "miljöbalken") — and the common
# words that merely end like one ("förslagen", "underlagen", "bolagen", "avslagen").
_LAW_WORD_RE = re.compile(r"\b\w+(?:lagen|lagens|lagar|lagarna|balken|balkens)\b", re.IGNORECASE)
_NOT_LAW_WORD_RE = re.compile(
    r"(?:förslag|underlag|bolag|avslag|inslag|anslag|beslag|utslag|påslag|omslag|uppslag|tillslag"
    r"|handslag|genomslag|samlag|upplag|utlag)(?:en|ens|ar|arna)$"
)
# Upper-case law abbreviations alone ("KL") also make a legal claim.
_ABBREV_RE = re.compile(r"\b(?:KL|FL|RF|SoL|SOL|OSL|LSS|LVU|PBL|BrB|TF)\b")

# A sentence starting like this refers back to the one before ("Detta framgår av 2 kap. 2 § KL.").
_BACKREF_RE = re.compile(r"(?:detta|det|så|vilket|denna|dessa|här)\b", re.IGNORECASE)

# ---------------------------------------------------------------------------------------- regexes

# Quotations: the inner text never contains the opening mark or a blank line and is at most
# `MAX_QUOTE_CHARS` long, so an unbalanced mark cannot swallow the rest of the draft and a failed
# match never rescans (linear time).
MAX_QUOTE_CHARS = 3000


def _quote_alt(group: str, open_: str, close: str, exclude: str) -> str:
    return rf"{open_}(?P<{group}>(?:[^{exclude}\n]|\n(?![ \t]*\n)){{1,{MAX_QUOTE_CHARS}}}){close}"


_QUOTE_RE = re.compile(
    "|".join(
        [
            _quote_alt("a", "”", "”", "”"),
            _quote_alt("b", '"', '"', '"'),
            _quote_alt("c", "„", '[“”"]', '„“”"'),
            _quote_alt("d", "«", "»", "«»"),
            _quote_alt("e", "“", "[”“]", "“”"),
        ]
    )
)
_WORD_RE = re.compile(r"\w+")
_ELLIPSIS_SPLIT_RE = re.compile(r"\s*(?:\[\s*(?:…|\.\.\.)\s*\]|\(\s*(?:…|\.\.\.)\s*\))\s*")
# PDF hyphenation: "kompe- tens" (a hyphen at a line end, joined by whitespace normalisation);
# never before a conjunction, where it is an elided compound ("hälso- och sjukvård").
_HYPHEN_RE = re.compile(
    r"(?<=[a-zåäöé])-\s(?!(?:och|eller|samt|respektive|resp|som|till|med|men|utan)\b)(?=[a-zåäöé])"
)

# Sentence boundaries: end punctuation (+ closing marks) before an upper-case start; blank lines;
# before a list item or Markdown heading.
_SENT_BOUNDARY_RE = re.compile(
    r"[.!?…]+[\"”»’)\]]*(?=\s+[\"”“„«(\[]?[A-ZÅÄÖÉÜ])"
    r"|\n[ \t]*\n"
    r"|\n(?=[ \t]*(?:#|[-*•–]\s|\d{1,2}[.)]\s))"
)
_ABBREV_END_RE = re.compile(
    r"(?:(?<![\w.])(?:bl\.a|t\.ex|m\.fl|s\.k|d\.v\.s|dvs|jfr|kap|prop|bet|nr|ca|resp|p\.g\.a|enl|st|f\.d)\.)$",
    re.IGNORECASE,
)

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
_CHAPTER_BEFORE_RE = re.compile(r"\b(\d+)\s*kap\.?\s+(?:i\s+)?$", re.IGNORECASE)

_SFS_MENTION_RE = re.compile(r"(?<![\d/:.-])(?:1[6-9]|20)\d{2}:\d+(?![\d/:])")
_SFS_ID_RE = re.compile(r"\bsfs-\d{4}-\d+(?:/\d+[a-z]?){1,2}\b")
_FILE_ID_TAIL_RE = re.compile(r"\.(?:txt|pdf|md)#[\w-]+")  # "remissvar/x.txt#synpunkter"

MAX_RANGE = 20


# ---------------------------------------------------------------------------------------- data


@dataclass
class _Cite:
    start: int
    end: int
    ref: str
    candidates: list[Document]  # given sources it may resolve to; the first is the default
    unresolved_as: str = ""  # what to report when it does not resolve ("" = ref)

    @property
    def resolved(self) -> bool:
        return bool(self.candidates)


@dataclass(frozen=True)
class _Quote:
    start: int  # span of the quotation including its marks
    end: int
    text: str  # inner text, whitespace normalised


class _Sources:
    """Lookup tables over the given sources."""

    def __init__(self, sources: list[Document]) -> None:
        self.sources = sources
        self.by_id: dict[str, Document] = {}
        self.laws: dict[tuple[str, str, str], Document] = {}
        self.by_chapter: dict[tuple[str, str], list[Document]] = {}
        self.by_place: dict[tuple[str, str], list[Document]] = {}  # (chapter, section) in any law
        self.by_dnr: dict[str, list[Document]] = {}
        self.law_ids: set[str] = set()
        self.extra_aliases: dict[str, str] = {}
        for doc in sources:
            self.by_id.setdefault(doc.id, doc)
            meta = doc.metadata or {}
            if doc.kind == "law":
                law_id = str(meta.get("law_id") or doc.id.split("/")[0])
                chap = str(meta.get("chapter") or "")
                sec = _sec_key(str(meta.get("section") or doc.id.rsplit("/", 1)[-1]))
                self.law_ids.add(law_id)
                if (law_id, chap, sec) not in self.laws:
                    self.laws[law_id, chap, sec] = doc
                    self.by_place.setdefault((chap, sec), []).append(doc)
                self.by_chapter.setdefault((law_id, chap), []).append(doc)
                name = _law_name_from_label(doc.label)
                if name:
                    self.extra_aliases.setdefault(name, law_id)
            elif doc.kind == "precedent" and meta.get("dnr"):
                self.by_dnr.setdefault(_dnr_key(str(meta["dnr"])), []).append(doc)
        self._norm: dict[str, tuple[str, str]] = {}
        self.verbatim_memo: dict[tuple[str, str], bool] = {}

    def law(self, law_id: str, chapter: str | None, section: str) -> Document | None:
        doc = self.laws.get((law_id, chapter or "", _sec_key(section)))
        return doc or self.by_id.get(paragraph_id(law_id, chapter, section))

    def unique_law(self, chapter: str | None, section: str) -> Document | None:
        hits = self.by_place.get((chapter or "", _sec_key(section)), [])
        return hits[0] if len(hits) == 1 else None

    def normalised(self, doc: Document) -> tuple[str, str]:
        """(whitespace-normalised text, the same with PDF hyphenation joined)."""
        if doc.id not in self._norm:
            t = normalize_ws(doc.text.replace("\u00ad", ""))
            self._norm[doc.id] = (t, _HYPHEN_RE.sub("", t))
        return self._norm[doc.id]


def _sec_key(section: str) -> str:
    return section.replace(" ", "").lower()


def _law_name_from_label(label: str) -> str:
    """ "2 kap. 2 § kommunallagen (2017:725)" -> "kommunallagen"."""
    m = re.match(r"^(?:\d+\s?[a-z]?\s*kap\.\s*)?\d+\s?[a-z]?\s*§\s*(.+)$", label.strip())
    if not m:
        return ""
    name = normalize_ws(re.sub(r"\(\s*\d{4}:\d+\s*\)", " ", m.group(1)))
    return name if len(name) >= 4 else ""


def _dnr_key(dnr: str) -> str:
    d = re.sub(r"\s+", "", dnr.upper())
    return re.sub(r"^([A-ZÅÄÖ]+)[-/]?(?=\d)", r"\1", d)


# ---------------------------------------------------------------------------------------- pieces


def _find_quotes(text: str) -> list[_Quote]:
    out = []
    for m in _QUOTE_RE.finditer(text):
        inner = next(g for g in m.groups() if g is not None)
        if len(_WORD_RE.findall(inner)) >= MIN_QUOTE_WORDS:
            out.append(_Quote(m.start(), m.end(), normalize_ws(inner)))
    return out


class _Spans:
    """Sorted, non-overlapping spans with a fast "is this position inside one" test."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]

    def covers(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start) - 1
        return i >= 0 and self.spans[i][0] <= start and end <= self.spans[i][1]

    def strictly_inside(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start) - 1
        return i >= 0 and self.spans[i][0] < start and end < self.spans[i][1]

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, end - 1) - 1
        return i >= 0 and self.spans[i][1] > start


def _sentence_spans(text: str, quotes: _Spans) -> list[tuple[int, int]]:
    cuts: list[int] = []
    for m in _SENT_BOUNDARY_RE.finditer(text):
        if quotes.strictly_inside(m.start(), m.end()):
            continue
        if m.group().startswith(tuple(".!?…")) and _ABBREV_END_RE.search(
            text[max(0, m.start() - 8) : m.start() + 1]
        ):
            continue
        cuts.append(m.end())
    spans: list[tuple[int, int]] = []
    prev = 0
    for cut in [*cuts, len(text)]:
        _add_stripped(text, prev, cut, spans)
        prev = cut
    # A Markdown heading is a sentence of its own.
    out: list[tuple[int, int]] = []
    for s, e in spans:
        nl = text.find("\n", s, e) if text.startswith("#", s) else -1
        if nl > 0:
            _add_stripped(text, s, nl, out)
            _add_stripped(text, nl, e, out)
        else:
            out.append((s, e))
    return out


def count_quotations(text: str) -> int:
    """How many quotations (as verification recognises them) the text holds."""
    return len(_find_quotes(text))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The sentences of `text` as verification sees them (character spans)."""
    return _sentence_spans(text, _Spans((q.start, q.end) for q in _find_quotes(text)))


def _add_stripped(text: str, s: int, e: int, out: list[tuple[int, int]]) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        out.append((s, e))


def _law_mention_re(extra_aliases: dict[str, str]) -> tuple[re.Pattern[str], list[tuple[str, str]]]:
    aliases = list(BUILTIN_ALIASES.items())
    for name, law_id in extra_aliases.items():
        aliases.append((re.escape(name.lower()).replace(r"\ ", r"\s+"), law_id))
    names = "|".join(f"(?:{a})" for a, _ in sorted(aliases, key=lambda x: -len(x[0])))
    return re.compile(rf"\b(?:{names})\b", re.IGNORECASE), aliases


def _find_law_mentions(
    text: str, extra_aliases: dict[str, str], dnr_spans: _Spans
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


def _id_like(text: str) -> list[tuple[int, int]]:
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
class _Item:
    law_id: str | None
    chapter: str | None
    section: str
    start: int
    end: int
    group_size: int = 1


def _law_items(text: str, refs: list[Reference]) -> list[_Item]:
    """References -> paragraphs, with lists, ranges and connected references ("… och …") expanded."""
    items: list[list[_Item]] = []  # one list per reference
    for r in refs:
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
        group = [_Item(r.law_id, chap, s, start, r.end, len(secs)) for s in secs]
        if _COLON_REF_RE.match(text[r.start : r.end]):  # "KL 2:1 och 2:2"
            pos = r.end
            while (t := _COLON_TAIL_RE.match(text, pos)) and len(group) < 50:
                group.append(_Item(r.law_id, t.group(1), re.sub(r"\s+", " ", t.group(2)), r.start, t.end()))
                pos = t.end()
            for it in group:
                it.end, it.group_size = pos, len(group)
        items.append(group)
    # Connected references: "2 kap. 1 § och 3 kap. 4 § KL" — the law named last applies to the ones
    # before it; a chapter carries forward to a following reference without one ("… och 2 §").
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
    return [it for g in items for it in g]


def _verbatim(quote: str, doc: Document, sources: _Sources) -> bool:
    key = (quote, doc.id)
    if key not in sources.verbatim_memo:
        sources.verbatim_memo[key] = _is_verbatim(quote, *sources.normalised(doc))
    return sources.verbatim_memo[key]


def _is_verbatim(quote: str, plain: str, dehyph: str) -> bool:
    parts = [p.strip(" …").strip() for p in _ELLIPSIS_SPLIT_RE.split(quote)]
    parts = [re.sub(r"^\.\.\.\s*|\s*\.\.\.$", "", p) for p in parts]
    parts = [p for p in parts if p]
    if not parts:
        return False
    parts[-1] = parts[-1].rstrip(".,;:").rstrip()
    for hay, fix in ((plain, False), (dehyph, True)):
        pos, ok = 0, True
        for k, part in enumerate(parts):
            if fix:
                part = _HYPHEN_RE.sub("", part)
            variants = [part] if k else [part, part[:1].swapcase() + part[1:]]
            found = [i for i in (hay.find(v, pos) for v in variants) if i >= 0]
            if not found:
                ok = False
                break
            pos = min(found) + len(part)
        if ok:
            return True
    return False


def is_legal_claim(sentence: str) -> bool:
    """Does the sentence speak of law, competence, duties or powers? (see `LEGAL_CLAIM_MARKERS`)"""
    if _LEGAL_CLAIM_RE.search(sentence) or _ABBREV_RE.search(sentence):
        return True
    return any(not _NOT_LAW_WORD_RE.search(m.group().lower()) for m in _LAW_WORD_RE.finditer(sentence))


# ---------------------------------------------------------------------------------------- main


def verify_draft(
    text: str, sources: list[Document], *, ignore_dnrs: Iterable[str] = ()
) -> tuple[list[Citation], Verification]:
    """Find the draft's citations and check them, its quotations and its legal claims against
    `sources` (the only sources the draft may cite). See the module docstring."""
    if not text or not text.strip():
        return [], Verification()
    src = _Sources(sources)
    quotes = _find_quotes(text)
    quote_spans = _Spans((q.start, q.end) for q in quotes)
    cites: list[_Cite] = []

    # Precedents by exact label, and any given source by id; id-like strings that are not given.
    exact: list[tuple[int, int]] = []
    for doc in sources:
        for needle in {doc.label, doc.id} if doc.kind == "precedent" else {doc.id}:
            if len(needle) < 6:
                continue
            pos = text.find(needle)
            while pos >= 0:
                if not quote_spans.covers(pos, pos + len(needle)):
                    cites.append(_Cite(pos, pos + len(needle), needle, [doc]))
                    exact.append((pos, pos + len(needle)))
                pos = text.find(needle, pos + len(needle))
    exact_spans = _Spans(_merge(exact))
    for s, e in _id_like(text):
        if not exact_spans.overlaps(s, e) and not quote_spans.covers(s, e):
            cites.append(_Cite(s, e, text[s:e], []))
            exact.append((s, e))
    taken = _Spans(_merge(exact))

    # Precedents by Dnr.
    ignored = {_dnr_key(d) for d in ignore_dnrs}
    dnrs = find_dnrs(text)
    dnr_spans = _Spans((s, e) for s, e, _ in dnrs)
    for s, e, d in dnrs:
        key = _dnr_key(d)
        if key in ignored or taken.overlaps(s, e) or quote_spans.covers(s, e):
            continue
        cites.append(_Cite(s, e, text[s:e], list(src.by_dnr.get(key, []))))

    # Laws.
    mentions = _find_law_mentions(text, src.extra_aliases, dnr_spans)
    mention_starts = [m[0] for m in mentions]
    refs = [
        r
        for r in find_references(text, src.extra_aliases or None)
        if not quote_spans.covers(r.start, r.end)
        and not taken.overlaps(r.start, r.end)
        and not dnr_spans.overlaps(r.start, r.end)
        and text[r.start - 1 : r.start] not in ("-", "/")  # "2009-02-23 § 16": a date, not a §
    ]
    ref_spans = _Spans(_merge((r.start, r.end) for r in refs))
    for it in _law_items(text, refs):
        law_id = it.law_id
        if law_id is None:
            k = bisect.bisect_right(mention_starts, it.start) - 1
            while k >= 0 and mentions[k][1] > it.start:
                k -= 1
            law_id = mentions[k][2] if k >= 0 else None
        doc = src.law(law_id, it.chapter, it.section) if law_id else src.unique_law(it.chapter, it.section)
        ref = text[it.start : it.end]
        chap = f"{it.chapter} kap. " if it.chapter else ""
        unresolved_as = f"{ref} ({chap}{it.section} §)" if it.group_size > 1 else ""
        cites.append(_Cite(it.start, it.end, ref, [doc] if doc else [], unresolved_as))

    # Chapters: "2 kap. kommunallagen (2017:725)".
    for ms, me, law_id in mentions:
        if ref_spans.overlaps(ms, me) or taken.overlaps(ms, me) or quote_spans.covers(ms, me):
            continue
        m = _CHAPTER_BEFORE_RE.search(text, max(0, ms - 24), ms)
        if not m:
            continue
        end = me
        if sfs := re.match(r"\s*\(\s*\d{4}:\d+\s*\)", text[me : me + 20]):
            end = me + sfs.end()
        docs = src.by_chapter.get((law_id, m.group(1)), [])
        cites.append(_Cite(m.start(), end, text[m.start() : end], docs[:1]))
    cites = _dedupe(cites)

    # Quotations.
    sentences = _sentence_spans(text, quote_spans)
    sent_starts = [s for s, _ in sentences]

    def sentence_of(pos: int) -> int:
        return max(0, bisect.bisect_right(sent_starts, pos) - 1)

    by_sentence: dict[int, list[int]] = {}
    for ci, c in enumerate(cites):
        by_sentence.setdefault(sentence_of(c.start), []).append(ci)

    quote_of: dict[int, str] = {}
    misquoted: list[Misquote] = []
    for q in quotes:
        si = sentence_of(q.start)

        def dist(ci: int, q: _Quote = q) -> int:
            c = cites[ci]
            return q.start - c.end if c.end <= q.start else max(0, c.start - q.end)

        near = sorted(by_sentence.get(si, []), key=dist)
        if si > 0:
            near += sorted(by_sentence.get(si - 1, []), key=dist)
        holder = next(
            ((ci, d) for ci in near for d in cites[ci].candidates if _verbatim(q.text, d, src)), None
        )
        if holder:
            ci, doc = holder
            # a precedent cited by Dnr: the section that holds the quote becomes the source
            if ci not in quote_of and cites[ci].candidates[0] is not doc:
                cites[ci].candidates = [doc, *[d for d in cites[ci].candidates if d is not doc]]
            quote_of.setdefault(ci, q.text)
            continue
        elsewhere = next((d for d in sources if _verbatim(q.text, d, src)), None)
        attributed = cites[near[0]] if near else None
        source_id = attributed.candidates[0].id if attributed and attributed.resolved else None
        if elsewhere is not None and attributed is not None:
            misquoted.append(Misquote(q.text, source_id, R_OTHER_SOURCE.format(label=elsewhere.label)))
        elif elsewhere is None:
            misquoted.append(Misquote(q.text, source_id, R_NOT_VERBATIM))
        # else: no citation near it, but verbatim in a given source — accepted as is.

    # Citations and unresolved references.
    citations: list[Citation] = []
    unresolved: list[str] = []
    seen: set[str] = set()
    for ci, c in enumerate(cites):
        doc = c.candidates[0] if c.candidates else None
        citations.append(
            Citation(
                ref=c.ref,
                source_id=doc.id if doc else None,
                label=doc.label if doc else "",
                quote=quote_of.get(ci),
                start=c.start,
                end=c.end,
            )
        )
        if doc is None:
            what = c.unresolved_as or c.ref
            if what not in seen:  # each unresolved reference is reported once
                seen.add(what)
                unresolved.append(what)

    # Unsupported legal claims.
    cited = {sentence_of(c.start) for c in cites if c.resolved}
    unsupported: list[str] = []
    for si, (s, e) in enumerate(sentences):
        if si in cited or si - 1 in cited:
            continue
        sentence = text[s:e]
        if si + 1 in cited and _BACKREF_RE.match(text, sentences[si + 1][0]):
            continue
        if is_legal_claim(sentence):
            unsupported.append(normalize_ws(sentence))

    return citations, Verification(
        unresolved=unresolved, misquoted=misquoted, unsupported_sentences=unsupported
    )


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _dedupe(cites: list[_Cite]) -> list[_Cite]:
    """Sort by position; drop a citation lying inside another one's span (list items of one reference
    share their span and are all kept)."""
    cites.sort(key=lambda c: (c.start, -(c.end - c.start)))
    out: list[_Cite] = []
    cover_end = -1
    cover_span = (-1, -1)
    for c in cites:
        if c.end <= cover_end and (c.start, c.end) != cover_span:
            continue
        if c.end > cover_end:
            cover_end, cover_span = c.end, (c.start, c.end)
        out.append(c)
    return out
