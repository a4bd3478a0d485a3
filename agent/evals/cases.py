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

import dataclasses
import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    TypeAdapter,
    ValidationError,
)
from pydantic.dataclasses import dataclass as pydantic_dataclass
from pydantic_core import ErrorDetails

from agent.config import PROJECT_ROOT
from agent.drafting.models import Competence, Standpoint

# The public cases; the held-out synthetic competence cases and the calibration set sit beside them and are
# run with --cases (reported separately).
DEFAULT_CASES = PROJECT_ROOT / "evals" / "cases" / "public.yaml"
NOTES_DIR = PROJECT_ROOT / "evals" / "notes"
STANDPOINTS: tuple[str, ...] = get_args(Standpoint)  # tillstyrker, besvarad, avstyrker
ANNOTATED_COMPETENCE = tuple(c for c in get_args(Competence) if c != "uncertain")  # within, outside

CASE_SUFFIXES = (".yaml", ".yml")


class CaseError(Exception):
    """A case file cannot be used (Swedish message naming the file and the case)."""


def _paragraphs(value: Any) -> Any:
    """A single string is accepted as a list of one; a missing list is empty."""
    if value is None:
        return ()
    return [value] if isinstance(value, str) else value


def _non_empty(values: tuple[str, ...]) -> tuple[str, ...]:
    if not all(v.strip() for v in values):
        raise ValueError("empty paragraph")
    return values


Paragraphs = Annotated[tuple[StrictStr, ...], BeforeValidator(_paragraphs), AfterValidator(_non_empty)]
Text = Annotated[StrictStr, AfterValidator(str.strip)]
OptionalText = Annotated[str, BeforeValidator(lambda v: "" if v is None else str(v))]


@pydantic_dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class EvalCase:
    """One case as written in a case file (`evals/cases/README.md`); validated when it is made."""

    id: Text
    title: Text
    motion: Annotated[
        Paragraphs, Field(min_length=1)
    ]  # verbatim paragraphs of the remiss (what the drafter sees)
    standpoint: Annotated[
        tuple[Standpoint, ...], BeforeValidator(_paragraphs), Field(min_length=1)
    ]  # accepted standpoints, the source's clearest first
    competence: Literal["within", "outside"]
    source: Annotated[StrictStr, BeforeValidator(lambda v: v or ""), AfterValidator(str.strip)] = ""
    # the corpus document kept out of retrieval ("" = nothing excluded)
    reference: Paragraphs = ()  # verbatim paragraphs of the real answer
    key_points: Paragraphs = ()
    must_cite: Paragraphs = ()  # law paragraphs a good answer cites ("kommunallagen (2017:725) 2 kap. 2 §")
    body: OptionalText = ""
    date: OptionalText = ""
    kind: OptionalText = ""
    source_kind: OptionalText = ""
    # outside cases: who holds the task or which principle it collides with, e.g.
    # "staten (Polismyndigheten)", "staten (Migrationsverket | Säkerhetspolisen)", "regionen",
    # "princip (2 kap. 8 § KL)" — scored by the "holder correct" metric
    holder: OptionalText = ""
    # Handläggarens underlag: facts an official would note before writing (used only with --with-notes)
    notes: Paragraphs = ()
    file: str = ""  # the case file it came from (not a field of the file)

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
            "notes": list(self.notes),
        }


FILE_FIELDS = tuple(f.name for f in dataclasses.fields(EvalCase) if f.name != "file")
REQUIRED_FIELDS = tuple(f.name for f in dataclasses.fields(EvalCase) if f.default is dataclasses.MISSING)
_CASE = TypeAdapter(EvalCase)


def _swedish(error: ErrorDetails, raw: dict[str, Any], where: str) -> str:
    """One pydantic error as the Swedish message an evaluator can act on."""
    field = str(error["loc"][0]) if error["loc"] else ""
    if field == "standpoint" and error["type"] == "literal_error":
        bad = [s for s in _paragraphs(raw.get("standpoint")) if s not in STANDPOINTS]
        return f"{where}: okänd ståndpunkt {', '.join(map(str, bad))} (tillåtna: {', '.join(STANDPOINTS)})."
    if field == "competence":
        allowed = " eller ".join(ANNOTATED_COMPETENCE)
        return f"{where}: `competence` ska vara {allowed}, inte {raw.get('competence')!r}."
    if field in ("id", "title", "source"):
        hint = " (t.ex. remissvar/<fil>.txt)" if field == "source" else ""
        return f"{where}: fältet `{field}` ska vara text{hint}."
    return f"{where}: fältet `{field}` ska vara en lista med (icke-tomma) textstycken."


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
    unknown = sorted(set(raw) - set(FILE_FIELDS))
    if unknown:
        raise CaseError(f"{where}: okända fält: {', '.join(unknown)} (tillåtna: {', '.join(FILE_FIELDS)}).")
    try:
        return _CASE.validate_python({**raw, "file": file})
    except ValidationError as exc:
        raise CaseError(_swedish(exc.errors()[0], raw, where)) from None


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


def default_notes_file(cases_path: Path | str) -> Path:
    """`evals/notes/<name of the case file>.yaml`: notes live apart so that a plain run never sees them."""
    return NOTES_DIR / f"{Path(cases_path).stem}.yaml"


def load_notes_file(path: Path) -> dict[str, tuple[str, ...]]:
    """case id -> notes, from a file with a top-level `notes:` mapping (Swedish errors)."""
    if not path.is_file():
        raise CaseError(f"Hittar inte underlaget: {path} finns inte.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CaseError(f"{path}: filen är inte giltig YAML ({exc}).") from None
    notes = data.get("notes") if isinstance(data, dict) else None
    if not isinstance(notes, dict):
        raise CaseError(f"{path}: filen ska ha en mappning `notes:` från fall-id till en lista med punkter.")
    out: dict[str, tuple[str, ...]] = {}
    for case_id, items in notes.items():
        items = items or []
        if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
            raise CaseError(f"{path}, fallet {case_id}: underlaget ska vara en lista med textpunkter.")
        out[str(case_id)] = tuple(items)
    return out


def attach_notes(cases: list[EvalCase], notes: dict[str, tuple[str, ...]], path: Path) -> list[EvalCase]:
    """The cases with their notes from a notes file (ids that name no case are an error)."""
    unknown = sorted(set(notes) - {c.id for c in cases})
    if unknown:
        raise CaseError(f"{path}: underlag för okända fall: {', '.join(unknown)}.")
    return [dataclasses.replace(c, notes=notes.get(c.id, c.notes)) for c in cases]
