"""Evaluation cases: a remiss (motion, medborgarförslag) and the answer a förvaltning really wrote.

The format is documented for evaluators in `evals/cases/README.md`. A case file is YAML with a
top-level `cases:` list; `load_cases(path)` reads one file or every `*.yaml`/`*.yml` file in a
folder (sorted by name), validates every case and returns them in file order. Errors are Swedish
and name the file and the case, so an evaluator can fix their own file.

The remiss text given to the drafting pipeline is the case's `title`, a blank line and the `motion`
paragraphs (`EvalCase.remiss_text`) — never the source file, which often contains the real answer.
The case's `source` (a corpus file such as `remissvar/<file>.txt`) is kept out of retrieval
(leave-one-out).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import yaml

from agent.config import PROJECT_ROOT
from agent.drafting.models import Competence, Standpoint

# The public cases; the held-out synthetic competence cases and the calibration set sit beside them and are
# run with --cases (reported separately).
DEFAULT_CASES = PROJECT_ROOT / "evals" / "cases" / "public.yaml"
STANDPOINTS: tuple[str, ...] = get_args(Standpoint)  # tillstyrker, besvarad, avstyrker
ANNOTATED_COMPETENCE = tuple(c for c in get_args(Competence) if c != "uncertain")  # within, outside

REQUIRED_FIELDS = ("id", "title", "motion", "standpoint", "competence")
OPTIONAL_FIELDS = (
    "source",
    "reference",
    "key_points",
    "must_cite",
    "body",
    "date",
    "kind",
    "source_kind",
    "holder",
)
CASE_SUFFIXES = (".yaml", ".yml")


class CaseError(Exception):
    """A case file cannot be used (Swedish message naming the file and the case)."""


@dataclass(frozen=True)
class EvalCase:
    id: str
    title: str
    motion: tuple[str, ...]  # verbatim paragraphs of the remiss (what the drafter sees)
    standpoint: tuple[str, ...]  # accepted standpoints, the source's clearest first
    competence: str  # within | outside
    source: str = ""  # the corpus document kept out of retrieval ("" = nothing excluded)
    reference: tuple[str, ...] = ()  # verbatim paragraphs of the real answer
    key_points: tuple[str, ...] = ()
    must_cite: tuple[
        str, ...
    ] = ()  # law paragraphs a good answer cites ("kommunallagen (2017:725) 2 kap. 2 §")
    body: str = ""
    date: str = ""
    kind: str = ""
    source_kind: str = ""
    # outside cases: who holds the task or which principle it collides with, e.g.
    # "staten (Polismyndigheten)", "staten (Migrationsverket | Säkerhetspolisen)", "regionen",
    # "princip (2 kap. 8 § KL)" — scored by the "holder correct" metric
    holder: str = ""
    file: str = ""  # the case file it came from

    def remiss_text(self) -> str:
        """What the drafting pipeline is given: the title, a blank line and the motion paragraphs."""
        return self.title.strip() + "\n\n" + "\n\n".join(p.strip() for p in self.motion) + "\n"

    def reference_text(self) -> str:
        return "\n\n".join(p.strip() for p in self.reference)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "body": self.body,
            "date": self.date,
            "kind": self.kind,
            "standpoint": list(self.standpoint),
            "competence": self.competence,
            "holder": self.holder,
            "key_points": list(self.key_points),
            "must_cite": list(self.must_cite),
            "motion": list(self.motion),
            "reference": list(self.reference),
        }


def _strings(value: Any, field: str, where: str, *, allow_empty: bool = True) -> tuple[str, ...]:
    """A list of non-empty strings (a single string is accepted as a list of one)."""
    if value is None:
        value = []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CaseError(f"{where}: fältet `{field}` ska vara en lista med (icke-tomma) textstycken.")
    if not value and not allow_empty:
        raise CaseError(f"{where}: fältet `{field}` är tomt.")
    return tuple(str(v) for v in value)


def parse_case(raw: Any, file: str, index: int) -> EvalCase:
    """One case from its YAML mapping; `CaseError` (Swedish) if it is not usable."""
    where = f"{file}, fall nr {index + 1}"
    if not isinstance(raw, dict):
        raise CaseError(f"{where}: ett fall ska vara en mappning med fälten {', '.join(REQUIRED_FIELDS)}.")
    if isinstance(raw.get("id"), str) and raw["id"].strip():
        where = f"{file}, fallet {raw['id']}"
    missing = [f for f in REQUIRED_FIELDS if raw.get(f) in (None, "", [])]
    if missing:
        raise CaseError(f"{where}: obligatoriska fält saknas: {', '.join(missing)}.")
    unknown = sorted(set(raw) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise CaseError(
            f"{where}: okända fält: {', '.join(unknown)} (tillåtna: "
            f"{', '.join((*REQUIRED_FIELDS, *OPTIONAL_FIELDS))})."
        )
    for field in ("id", "title", "competence"):
        if not isinstance(raw[field], str):
            raise CaseError(f"{where}: fältet `{field}` ska vara text.")
    standpoint = _strings(raw["standpoint"], "standpoint", where, allow_empty=False)
    bad = [s for s in standpoint if s not in STANDPOINTS]
    if bad:
        raise CaseError(f"{where}: okänd ståndpunkt {', '.join(bad)} (tillåtna: {', '.join(STANDPOINTS)}).")
    if raw["competence"] not in ANNOTATED_COMPETENCE:
        allowed = " eller ".join(ANNOTATED_COMPETENCE)
        raise CaseError(f"{where}: `competence` ska vara {allowed}, inte {raw['competence']!r}.")
    source = raw.get("source") or ""
    if not isinstance(source, str):
        raise CaseError(f"{where}: fältet `source` ska vara text (t.ex. remissvar/<fil>.txt).")
    text_fields = {f: raw.get(f) for f in ("body", "date", "kind", "source_kind", "holder")}
    return EvalCase(
        id=raw["id"].strip(),
        title=raw["title"].strip(),
        motion=_strings(raw["motion"], "motion", where, allow_empty=False),
        standpoint=standpoint,
        competence=raw["competence"],
        source=source.strip(),
        reference=_strings(raw.get("reference"), "reference", where),
        key_points=_strings(raw.get("key_points"), "key_points", where),
        must_cite=_strings(raw.get("must_cite"), "must_cite", where),
        file=file,
        **{f: "" if v is None else str(v) for f, v in text_fields.items()},
    )


def case_files(path: Path) -> list[Path]:
    """The case files at `path`: the file itself, or the YAML files of a folder (sorted)."""
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in CASE_SUFFIXES)
        if not files:
            raise CaseError(f"Mappen {path} innehåller inga fallfiler (*.yaml eller *.yml).")
        return files
    raise CaseError(f"Hittar inte fallen: {path} finns inte.")


def load_case_file(path: Path) -> list[EvalCase]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CaseError(f"{path}: filen är inte UTF-8-kodad text.") from None
    except yaml.YAMLError as exc:
        raise CaseError(f"{path}: filen är inte giltig YAML ({exc}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise CaseError(f"{path}: filen ska ha en lista `cases:` överst (se evals/cases/README.md).")
    if not data["cases"]:
        raise CaseError(f"{path}: listan `cases:` är tom.")
    return [parse_case(raw, str(path), i) for i, raw in enumerate(data["cases"])]


def load_cases(path: Path | str = DEFAULT_CASES) -> list[EvalCase]:
    """Every case in a file or a folder of case files; ids must be unique across all of them."""
    cases: list[EvalCase] = []
    seen: dict[str, str] = {}
    for file in case_files(Path(path)):
        for case in load_case_file(file):
            if case.id in seen:
                raise CaseError(f"Fall-id {case.id!r} finns två gånger ({seen[case.id]} och {file}).")
            seen[case.id] = str(file)
            cases.append(case)
    return cases


def cases_digest(path: Path | str) -> str:
    """sha256 over the case files' names and bytes: a run records which cases it was made from."""
    h = hashlib.sha256()
    for file in case_files(Path(path)):
        h.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return h.hexdigest()
