"""The ansvarsatlas (`corpus/ansvar/*.yaml`): who does what in Sweden, and the limits on municipalities.

One entry per area of responsibility or competence rule, written from the statutes and public guidance
(never from eval cases; `docs/competence.md` says how to add one):

    - id: staten-polis                      # unique, [a-z0-9-]
      area: Polisverksamhet och brottsbekämpning
      holder: staten                        # HOLDERS
      actor: Polismyndigheten               # the concrete holder
      statement: Polismyndigheten ansvarar för …   # plain Swedish
      legal_basis: [sfs-1984-387/2, sfs-2022-1718/1]   # paragraph ids that resolve in the index
      cues: [polisen, utreda brott]         # phrases a proposal on this area contains
      counter_cues: [trygghetsvandring]     # phrases showing the nearby municipal task instead
      patterns: ['\\bretroaktiv\\w*']        # optional (forbjudet): regexes that detect a collision
      source_note: Polislagen 2 §; …

`holder` says what the entry means for a municipality or region that proposes the activity:
`staten` and `forbjudet` place it outside the competence (kommunallagen 2 kap. 2 § / the principle
cited), `regionen` outside for a municipality and within for a region, `kommunen` and
`kommunen-frivillig` within. The atlas is data; the decision rule lives in `agent/drafting/competence.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal, get_args

import yaml

from agent.text.terms import stems

Holder = Literal["staten", "regionen", "kommunen", "kommunen-frivillig", "forbjudet"]
HOLDERS: tuple[str, ...] = get_args(Holder)
HOLDER_SV: dict[str, str] = {
    "staten": "staten",
    "regionen": "regionen",
    "kommunen": "kommunen (obligatorisk uppgift)",
    "kommunen-frivillig": "kommunen (frivillig uppgift)",
    "forbjudet": "inte tillåtet för kommuner och regioner",
}
ATLAS_DIR = "ansvar"
ID_PREFIX = "ansvar/"  # document-style ids: "ansvar/staten-polis"
_REQUIRED = ("id", "area", "holder", "actor", "statement", "legal_basis", "cues", "source_note")
_OPTIONAL = ("counter_cues", "patterns")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class AtlasError(ValueError):
    """An atlas file is malformed (Swedish message naming the file and entry)."""


@dataclass(frozen=True)
class Cue:
    phrase: str
    stems: tuple[str, ...]

    def found_in(self, text_stems: set[str]) -> bool:
        return bool(self.stems) and all(s in text_stems for s in self.stems)


@dataclass(frozen=True)
class AtlasEntry:
    id: str
    area: str
    holder: Holder
    actor: str
    statement: str
    legal_basis: tuple[str, ...]
    cues: tuple[str, ...]
    source_note: str
    file: str
    counter_cues: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()

    @property
    def doc_id(self) -> str:
        return ID_PREFIX + self.id

    @property
    def label(self) -> str:
        return f"Ansvarsatlas: {self.area} ({HOLDER_SV[self.holder]}; {self.actor})"

    @property
    def embed_text(self) -> str:
        """What dense retrieval compares a proposal with."""
        return f"{self.area}. {self.statement} {', '.join(self.cues)}."

    @cached_property
    def cue_list(self) -> tuple[Cue, ...]:
        return tuple(Cue(c, stems(c)) for c in self.cues)

    @cached_property
    def counter_cue_list(self) -> tuple[Cue, ...]:
        return tuple(Cue(c, stems(c)) for c in self.counter_cues)

    @cached_property
    def compiled_patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.IGNORECASE) for p in self.patterns)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "area": self.area,
            "holder": self.holder,
            "actor": self.actor,
            "statement": self.statement,
            "legal_basis": list(self.legal_basis),
            "cues": list(self.cues),
            "counter_cues": list(self.counter_cues),
            "patterns": list(self.patterns),
            "source_note": self.source_note,
            "file": self.file,
        }


@dataclass
class Atlas:
    entries: list[AtlasEntry] = field(default_factory=list)

    def get(self, entry_id: str) -> AtlasEntry | None:
        entry_id = entry_id.removeprefix(ID_PREFIX)
        return next((e for e in self.entries if e.id == entry_id), None)

    def legal_basis_ids(self) -> set[str]:
        return {pid for e in self.entries for pid in e.legal_basis}


def _strings(value: object, where: str, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise AtlasError(f"{where}: fältet {name} ska vara en lista med texter")
    return tuple(v.strip() for v in value)


def _entry(raw: object, file: str, seen: set[str]) -> AtlasEntry:
    if not isinstance(raw, dict):
        raise AtlasError(f"{file}: varje post ska vara en mappning")
    where = f"{file}, post {raw.get('id', '?')}"
    unknown = set(raw) - set(_REQUIRED) - set(_OPTIONAL)
    if unknown:
        raise AtlasError(f"{where}: okända fält {sorted(unknown)}")
    missing = [k for k in _REQUIRED if not raw.get(k)]
    if missing:
        raise AtlasError(f"{where}: saknar {missing}")
    entry_id = str(raw["id"])
    if not _ID_RE.match(entry_id):
        raise AtlasError(f"{where}: id får bara innehålla a-z, 0-9 och bindestreck")
    if entry_id in seen:
        raise AtlasError(f"{where}: id finns redan")
    seen.add(entry_id)
    if raw["holder"] not in HOLDERS:
        raise AtlasError(f"{where}: holder ska vara en av {', '.join(HOLDERS)}")
    patterns = _strings(raw.get("patterns"), where, "patterns")
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise AtlasError(f"{where}: ogiltigt mönster {p!r} ({exc})") from exc
    return AtlasEntry(
        id=entry_id,
        area=" ".join(str(raw["area"]).split()),
        holder=raw["holder"],
        actor=" ".join(str(raw["actor"]).split()),
        statement=" ".join(str(raw["statement"]).split()),
        legal_basis=_strings(raw["legal_basis"], where, "legal_basis"),
        cues=tuple(c.lower() for c in _strings(raw["cues"], where, "cues")),
        counter_cues=tuple(c.lower() for c in _strings(raw.get("counter_cues"), where, "counter_cues")),
        patterns=patterns,
        source_note=" ".join(str(raw["source_note"]).split()),
        file=file,
    )


def load_atlas(corpus_dir: Path) -> Atlas:
    """Every entry of `corpus_dir/ansvar/*.yaml`, in file-name then file order."""
    seen: set[str] = set()
    entries = []
    for path in sorted((corpus_dir / ATLAS_DIR).glob("*.yaml")):
        rel = f"{ATLAS_DIR}/{path.name}"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise AtlasError(f"{rel}: ogiltig YAML ({exc})") from exc
        for raw in data.get("entries") or []:
            entries.append(_entry(raw, rel, seen))
    return Atlas(entries)
