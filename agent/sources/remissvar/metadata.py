"""Metadata of a remiss answer: the `KÄLLA:` line, the title, the issuing body and the document kind."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.sources.remissvar.grammar import (
    BODY_CUT_RE,
    BODY_STOP_RE,
    KALLA_PREFIX,
    META_WORDS_RE,
    NOTE_SPLIT_RE,
    ORG_RE,
    UNIT_LINE_RE,
)
from agent.text.grammar import ISO_DATE_RE, find_date, find_dnr, find_year
from agent.text.normalise import collapse_whitespace


def _split_top_level(s: str, sep: str) -> list[str]:
    """Split on `sep` outside parentheses."""
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in s:
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def _find_top_level_colon(s: str) -> int:
    depth = 0
    for i, ch in enumerate(s):
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if ch == ":" and depth == 0 and s[i + 1 : i + 2] == " ":
            return i
    return -1


def _strip_parens(s: str) -> str:
    prev = None
    while prev != s:
        prev, s = s, re.sub(r"\([^()]*\)", "", s)
    return collapse_whitespace(s)


def clean_title(title: str) -> str:
    """A title without editorial notes, surrounding quotes and trailing period, capitalised."""
    title = collapse_whitespace(title)
    title = _split_top_level(title, ";")[0]
    title = re.split(r"\s+[–-]\s+(?=(?:redovisar|remitterad|remissinstans|utdraget)\b)", title)[0]
    title = title.strip().rstrip(".").strip()
    if len(title) > 2 and title[0] in '"“”«' and title[-1] in '"“”»' and title.count('"') <= 2:
        title = title[1:-1].strip()
    # Drop trailing editorial notes in parentheses ("(remiss till sex nämnder; förslag: ...)").
    while m := re.search(r"\s*\(([^()]*)\)$", title):
        inner = m.group(1)
        if ";" in inner or len(inner) > 40 or re.search(r"\b(?:remiss|OBS|redovisar|refererad)", inner):
            title = title[: m.start()].rstrip(" .,")
        else:
            break
    if title and title[0].islower():
        title = title[0].upper() + title[1:]
    return title


def _is_meta_part(part: str) -> bool:
    rest = META_WORDS_RE.sub(" ", _strip_parens(part))
    rest = ISO_DATE_RE.sub(" ", rest)
    return len(re.sub(r"\W", "", rest)) < 3


def _body_from_head(head: str) -> tuple[str, list[str]]:
    """Split the part before the title into the issuing body and the remaining comma parts."""
    parts = _split_top_level(head, ",")
    body: list[str] = []
    rest: list[str] = []
    for i, part in enumerate(parts):
        if not part or BODY_STOP_RE.match(part):
            rest = parts[i:]
            break
        cut = BODY_CUT_RE.search(part)
        if cut:
            kept = part[: cut.start()].strip()
            if kept:
                # "kommunledningsförvaltningens remissvar" -> "kommunledningsförvaltningen"
                kept = re.sub(r"(?<=[a-zåäö]{4})(en|et)s$", r"\1", kept)
                body.append(kept)
            rest = [part[cut.start() :].strip(), *parts[i + 1 :]]
            break
        body.append(part)
    return ", ".join(body), rest


@dataclass
class _Kalla:
    source_url: str = ""
    body: str = ""
    date: str = ""
    dnr: str = ""
    title: str = ""
    description: str = ""
    head_rest: str = ""  # what is left of the description after the body: "möte 2024-11-20"
    truncated: bool = False


def parse_kalla(line: str) -> _Kalla:
    """Parse a `KÄLLA: [<url> |] <body>, <date> ...: <title>` line (formats vary)."""
    rest = line.strip()
    if rest.upper().startswith(KALLA_PREFIX):
        rest = rest[len(KALLA_PREFIX) :].strip()
    out = _Kalla(description=rest, truncated="TRUNKERAD" in rest.upper())
    if m := re.match(r"(https?://\S+)\s*\|?\s*", rest):
        out.source_url = m.group(1)
        rest = rest[m.end() :]
    core = NOTE_SPLIT_RE.split(rest, maxsplit=1)[0].strip()
    colon = _find_top_level_colon(core)
    if colon >= 0:
        head, title = core[:colon], core[colon + 2 :]
        out.body, remaining = _body_from_head(head)
    else:
        out.body, remaining = _body_from_head(core)
        candidates = [p for p in remaining if not _is_meta_part(p)]
        title = max(candidates, key=lambda p: len(_strip_parens(p)), default="")
    out.head_rest = clean_title(" ".join(_strip_parens(p) for p in remaining if p != title))
    out.title = clean_title(title)
    out.date = find_date(core) or find_year(core)
    out.dnr = find_dnr(core)
    return out


# (pattern, kind), first match wins: on the KÄLLA description, then on the beginning of the text.
_KIND_BY_DESCRIPTION = (
    (r"nyhet|sekundärkälla|artikel|notis", "nyhet"),
    (r"(?<!tjänste)utlåtande \d", "utlåtande"),
    (r"\bpm \d{4}:\d", "promemoria"),
    (r"sammandrag", "sammandrag"),
    (r"protokoll|§\s*\d", "protokoll"),
    (r"tjänsteutlåtande|tjänsteskrivelse|ärende till", "tjänsteutlåtande"),
    (r"\bmöte\b", "mötessida"),
)
_KIND_BY_TEXT = (
    (r"tjänsteutlåtande|tjänsteskrivelse", "tjänsteutlåtande"),
    (r"protokoll", "protokoll"),
    (r"(?<!tjänste)utlåtande \d", "utlåtande"),
    (r"\byttrande\b", "yttrande"),
)


def doc_kind(description: str, text_head: str) -> str:
    """The kind of document, from the KÄLLA description or else the beginning of the text."""
    for rules, text in ((_KIND_BY_DESCRIPTION, description), (_KIND_BY_TEXT, text_head)):
        lowered = text.lower()
        for pattern, kind in rules:
            if re.search(pattern, lowered):
                return kind
    return "okänd"


def body_from_text(head: str) -> str:
    """The issuing body from the beginning of the text: "<Kommun>, <förvaltning>"."""
    org = ""
    if m := ORG_RE.search(head):
        org = m.group(1)
    unit = ""
    for line in head.splitlines()[:20]:
        s = line.strip()
        if s and len(s) <= 60 and UNIT_LINE_RE.fullmatch(s):
            unit = s[0].upper() + s[1:].lower() if s.isupper() else s
            break
    if org and unit and unit.lower() not in org.lower():
        return f"{org}, {unit[0].lower() + unit[1:]}"
    return org or unit
