"""The generic Swedish document grammar (agent/text/grammar.py) and normalising (agent/text/normalise.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from agent.text.grammar import (
    find_date,
    find_dnr,
    find_dnrs,
    find_headings,
    find_year,
    heading_key,
    iter_lines,
)
from agent.text.normalise import collapse_whitespace, decode_text


def test_find_dnrs_gives_spans_in_text_order_without_dates() -> None:
    text = "Dnr KS 2025/448 och KSN-2023-1234, daterad 2024-05-02."
    assert find_dnrs(text) == [(0, 15, "KS 2025/448"), (20, 33, "KSN-2023-1234")]
    assert [text[a:b] for a, b, _ in find_dnrs(text)] == ["Dnr KS 2025/448", "KSN-2023-1234"]


def test_find_dnr_strips_trailing_punctuation_and_ignores_dates() -> None:
    assert find_dnr("Diarienummer: SN 2019/123-2.") == "SN 2019/123-2"
    assert find_dnr("möte 2024-11-20") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Stockholm den 20 augusti 2025", "2025-08-20"),
        ("juni 2016", "2016-06"),
        ("2024-05-02, 2023", "2024-05-02"),
        ("år 2019", ""),  # a bare year is find_year's job
    ],
)
def test_find_date(text: str, expected: str) -> None:
    assert find_date(text) == expected


def test_find_year() -> None:
    assert find_year("år 2019, 2020") == "2019"
    assert find_year("sidan 12/2019") == ""


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Sammanfattning", ("Sammanfattning", "sammanfattning")),
        (
            "3.1 Förvaltningens synpunkter och förslag:",
            ("Förvaltningens synpunkter och förslag", "synpunkter"),
        ),
        ("Socialnämndens yttrande", ("Socialnämndens yttrande", "yttrande")),
        ("Kultur- och fritidsnämndens beslut", ("Kultur- och fritidsnämndens beslut", "beslut")),
        ("Beslut.", None),
        ("sammanfattning", None),
        ("Detta är en mening om något helt annat", None),
    ],
)
def test_heading_key(line: str, expected: tuple[str, str] | None) -> None:
    assert heading_key(line) == expected


def test_find_headings_finds_line_and_inline_headings() -> None:
    flattened = "x " * 160 + "gäller. Ärendet Lotta Edholm skriver."
    text = f"Inledning text\nSammanfattning\nFörslaget är bra.\n{flattened}"
    found = find_headings(text, 0, len(text))
    assert [(name, key) for _, _, name, key in found] == [
        ("Sammanfattning", "sammanfattning"),
        ("Ärendet", "arendet"),
    ]
    start, content = found[1][:2]
    assert text[start:content] == "Ärendet "


def test_iter_lines() -> None:
    assert list(iter_lines("a\nbc\n", 0, 5)) == [(0, 1), (2, 4)]


def test_normalise() -> None:
    assert collapse_whitespace("  a\n\tb  c ") == "a b c"
    assert decode_text("\ufeffå\r\nb\rc".encode()) == "å\nb\nc"
    assert decode_text("å".encode("cp1252")) == "å"


def test_text_imports_nothing_else_from_agent() -> None:
    for path in (Path(__file__).resolve().parents[1] / "agent" / "text").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                assert module.split(".")[0] != "agent" or module.startswith("agent.text"), (path, module)
