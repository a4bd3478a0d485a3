"""Exact legal references in free text: "2 kap. 2 § KL", "KL 2:2", "SFS 2017:725 2 kap. 1 §" …

`find_references` turns text into `Reference`s (law id, chapter, section); `Reference.ids`
gives the paragraph ids they point to (see `models.paragraph_id`). Law names are matched from a
built-in table of the usual names and abbreviations, from SFS numbers, and from any extra
aliases the index knows (`extra_aliases`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from agent.sources.models import paragraph_id

# name or abbreviation (lower case, a regex fragment) -> law id
BUILTIN_ALIASES: dict[str, str] = {
    r"kl|kommunallag(?:en)?": "sfs-2017-725",
    r"fl|förvaltningslag(?:en)?": "sfs-2017-900",
    r"rf|regeringsform(?:en)?": "sfs-1974-152",
    r"sol|socialtjänstlag(?:en)?": "sfs-2025-400",
    r"osl|offentlighets-\s*och\s+sekretesslag(?:en)?": "sfs-2009-400",
    r"lss|lag(?:en)?\s+om\s+stöd\s+och\s+service\s+till\s+vissa\s+funktionshindrade": "sfs-1993-387",
    r"lvu|lag(?:en)?\s+med\s+särskilda\s+bestämmelser\s+om\s+vård\s+av\s+unga": "sfs-1990-52",
    r"skollag(?:en)?": "sfs-2010-800",
    r"pbl|plan-\s*och\s+bygglag(?:en)?": "sfs-2010-900",
    r"befogenhetslag(?:en)?|lag(?:en)?\s+om\s+vissa\s+kommunala\s+befogenheter": "sfs-2009-47",
    r"brb|brottsbalk(?:en)?": "sfs-1962-700",
    r"tf|tryckfrihetsförordning(?:en)?": "sfs-1949-105",
}

_SFS = r"(?:(?:sfs|lagen|förordningen)\s*)?\(?(?P<sfs>(?:1[6-9]|20)\d{2}:\d+)\)?"
_PARA = r"(?:(?P<chap>\d+)\s*kap\.?\s*)?(?P<sec>\d+(?:\s?[a-z])?)\s*§§?"


@dataclass(frozen=True)
class Reference:
    law_id: str | None  # None: the text named no law
    chapter: str | None
    section: str  # "2", "2 a"
    start: int
    end: int

    @property
    def id(self) -> str | None:
        return paragraph_id(self.law_id, self.chapter, self.section) if self.law_id else None

    def ids_for(self, law_id: str) -> str:
        return paragraph_id(law_id, self.chapter, self.section)


def sfs_to_law_id(sfs: str) -> str:
    year, number = sfs.split(":")
    return f"sfs-{year}-{int(number)}"


_SPACE_RE = re.compile(r"\s*")


def law_id_for_name(name: str) -> str | None:
    """ "KL", "kommunallagen", "2017:725" or "sfs-2017-725" -> "sfs-2017-725"; None if unknown."""
    name = name.strip()
    if re.fullmatch(r"sfs-\d{4}-\d+", name):
        return name
    if re.fullmatch(r"\d{4}:\d+", name):
        return sfs_to_law_id(name)
    for alias, law_id in BUILTIN_ALIASES.items():
        if re.fullmatch(alias, name, re.IGNORECASE):
            return law_id
    return None


def _norm_section(sec: str) -> str:
    m = re.fullmatch(r"(\d+)\s?([a-z])?", sec.strip())
    if not m:
        return sec.strip()
    return f"{m.group(1)} {m.group(2)}" if m.group(2) else m.group(1)


class ReferenceParser:
    def __init__(self, extra_aliases: Mapping[str, str] | None = None) -> None:
        aliases = dict(BUILTIN_ALIASES)
        for name, law_id in (extra_aliases or {}).items():
            aliases.setdefault(re.escape(name.lower()).replace(r"\ ", r"\s+"), law_id)
        self._alias_list = list(aliases.items())
        names = "|".join(f"(?:{a})" for a, _ in sorted(self._alias_list, key=lambda x: -len(x[0])))
        law = rf"(?P<name>\b(?:{names})\b)(?:\s*\((?P<nsfs>\d{{4}}:\d+)\))?|{_SFS}"
        self._law_re = re.compile(law, re.IGNORECASE)
        self._para_re = re.compile(rf"\b{_PARA}", re.IGNORECASE)
        self._colon_re = re.compile(
            rf"\b(?P<name>{names})\s+(?P<chap>\d+):(?P<sec>\d+(?:\s?[a-z]\b)?)", re.IGNORECASE
        )

    def _law_id(self, m: re.Match[str]) -> str:
        sfs = m.groupdict().get("sfs") or m.groupdict().get("nsfs")
        if sfs:
            return sfs_to_law_id(sfs)
        name = m.group("name").lower()
        for alias, law_id in self._alias_list:
            if re.fullmatch(alias, name, re.IGNORECASE):
                return law_id
        raise KeyError(name)  # pragma: no cover - the regex only matches known aliases

    def find(self, text: str) -> list[Reference]:
        refs: list[Reference] = []
        taken: list[tuple[int, int]] = []
        for m in self._colon_re.finditer(text):
            refs.append(
                Reference(self._law_id(m), m.group("chap"), _norm_section(m.group("sec")), m.start(), m.end())
            )
            taken.append((m.start(), m.end()))
        for m in self._para_re.finditer(text):
            if any(s <= m.start() < e for s, e in taken):
                continue
            law_id, end = None, m.end()
            gap = _SPACE_RE.match(text, m.end())
            after = self._law_re.match(text, gap.end() if gap else m.end())
            if after and after.start() - m.end() <= 2:
                law_id, end = self._law_id(after), after.end()
            else:
                before = [b for b in self._law_re.finditer(text[max(0, m.start() - 60) : m.start()])]
                if before and not text[max(0, m.start() - 60) : m.start()][before[-1].end() :].strip():
                    law_id = self._law_id(before[-1])
            refs.append(Reference(law_id, m.group("chap"), _norm_section(m.group("sec")), m.start(), end))
        refs.sort(key=lambda r: r.start)
        return refs


_DEFAULT_PARSER = ReferenceParser()


def find_references(text: str, extra_aliases: Mapping[str, str] | None = None) -> list[Reference]:
    parser = ReferenceParser(extra_aliases) if extra_aliases else _DEFAULT_PARSER
    return parser.find(text)
