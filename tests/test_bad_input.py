"""docs/bad-input.md is a test: every row of its table is run through the front door it names, and what
the user is shown and what is kept are checked (the inputs: tests/bad_input_cases.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from bad_input_cases import CASES, Doors
from conftest import PROJECT_ROOT, TESTS_DIR, squash

DOC = PROJECT_ROOT / "docs" / "bad-input.md"
COLUMNS = ["id", "input", "front door", "what the user sees (message)", "what is kept"]
CODE_SPAN = re.compile(r"`([^`]+)`")
TEST_REF = re.compile(r"^(?:(tests/\w+\.py))?::(\w+)$")  # `tests/test_x.py::name` or `::name` (same file)


@dataclass(frozen=True)
class Row:
    id: str
    input: str
    door: str
    message: str
    kept: str


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def read_table(path: Path) -> list[Row]:
    """The one table of `path` (its header must be `COLUMNS`)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("|") and _cells(line) == COLUMNS]
    assert len(starts) == 1, f"{path} must hold one table with the columns {COLUMNS}"
    rows = []
    for line in lines[starts[0] + 2 :]:
        if not line.startswith("|"):
            break
        cells = _cells(line)
        assert len(cells) == len(COLUMNS), f"a row needs {len(COLUMNS)} cells: {line}"
        rows.append(Row(cells[0].strip("`"), *cells[1:]))
    return rows


def _plain(cell: str) -> str:
    return " ".join(cell.replace("`", "").replace("*", "").split())


ROWS = read_table(DOC)


def test_ids_are_unique() -> None:
    ids = [r.id for r in ROWS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_every_row_has_a_test_and_every_test_a_row() -> None:
    ids = {r.id for r in ROWS}
    assert sorted(ids - CASES.keys()) == [], "rows of docs/bad-input.md without an input (bad_input_cases.py)"
    assert sorted(CASES.keys() - ids) == [], "inputs in bad_input_cases.py whose row is gone"


def test_the_tests_a_row_refers_to_exist() -> None:
    for row in ROWS:
        file = ""
        for span in CODE_SPAN.findall(row.kept):
            m = TEST_REF.match(span)
            if m is None:
                continue
            file = m.group(1) or file
            assert file, f"{row.id}: `{span}` names no test file"
            source = (TESTS_DIR.parent / file).read_text(encoding="utf-8")
            assert f"def {m.group(2)}(" in source, f"{row.id}: {file}::{m.group(2)} does not exist"


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_row(row: Row, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert row.id in CASES, f"no input for the row {row.id!r} in tests/bad_input_cases.py"
    doors = Doors(tmp_path, monkeypatch)
    seen = CASES[row.id](doors)  # (each case checks what its row says is kept)

    assert doors.door == _plain(row.door)
    assert row.message.startswith(("**Refused**", "**Accepted**")), row.message
    assert seen.refused == row.message.startswith("**Refused**"), seen.text
    phrases = CODE_SPAN.findall(row.message)
    assert phrases or row.message.startswith("**Accepted**, no warning"), "a row states what is shown"
    for phrase in phrases:
        assert squash(phrase) in squash(seen.text), f"{phrase!r} not shown:\n{seen.text}"
    if row.message.startswith("**Accepted**, no warning"):
        assert seen.warnings == []
