"""The shared Swedish sentence splitter (`agent.text.sentences`): character spans that respect
quotations, abbreviations, blank lines, list items and Markdown headings."""

from __future__ import annotations

import ast
import time
from itertools import pairwise
from pathlib import Path

import pytest

from agent.text.sentences import (
    MAX_QUOTE_CHARS,
    MIN_QUOTE_WORDS,
    Quotation,
    find_quotations,
    sentence_spans,
)

TEXT_DIR = Path(__file__).resolve().parents[1] / "agent" / "text"


def sentences(text: str, quotations: list[tuple[int, int]] | None = None) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text, quotations)]


def test_sentences_end_at_end_punctuation_before_an_upper_case_letter() -> None:
    text = "Kommunen ansvarar för skolan. Staten ansvarar för polisen! Vem gör vad? Ingen vet."
    assert sentences(text) == [
        "Kommunen ansvarar för skolan.",
        "Staten ansvarar för polisen!",
        "Vem gör vad?",
        "Ingen vet.",
    ]


def test_a_lower_case_continuation_does_not_start_a_sentence() -> None:
    assert sentences("Se punkt 3. och 4. nedan. Klart.") == ["Se punkt 3. och 4. nedan.", "Klart."]


def test_abbreviations_do_not_end_a_sentence() -> None:
    text = "Det gäller bl.a. Stockholm och t.ex. Göteborg. Enligt 2 kap. 2 § KL får kommunen inte. Nästa."
    assert sentences(text) == [
        "Det gäller bl.a. Stockholm och t.ex. Göteborg.",
        "Enligt 2 kap. 2 § KL får kommunen inte.",
        "Nästa.",
    ]


def test_no_sentence_ends_inside_a_quotation() -> None:
    text = "Förvaltningen skriver ”Detta är fel. Det är rätt här” och går vidare. Sedan kommer nästa."
    assert sentences(text) == [
        "Förvaltningen skriver ”Detta är fel. Det är rätt här” och går vidare.",
        "Sedan kommer nästa.",
    ]
    # the quotations can be given; none given: the quotation does not protect its sentence ends
    assert len(sentences(text, [])) == 3


def test_a_short_quotation_is_not_a_quotation() -> None:
    assert sentences("”Ja. Nej” sa hon. Sedan gick hon.") == ["”Ja.", "Nej” sa hon.", "Sedan gick hon."]


def test_blank_lines_list_items_and_headings_end_sentences() -> None:
    text = "# Yttrande\nKommunen svarar så här. Mer text\n\n- punkt ett\n- punkt två\n1. första\nslut"
    assert sentences(text) == [
        "# Yttrande",
        "Kommunen svarar så här.",
        "Mer text",
        "- punkt ett",
        "- punkt två",
        "1. första\nslut",
    ]


def test_closing_marks_and_ellipsis_stay_with_their_sentence() -> None:
    assert sentences("Slutet… Början. (Parentes här.) Och så vidare.") == [
        "Slutet…",
        "Början.",
        "(Parentes här.)",
        "Och så vidare.",
    ]


@pytest.mark.parametrize(
    "text",
    ["", "   \n\n  ", "En mening utan slut", "  Två. Meningar.  \n\n\n# Rubrik\n\n- a\n- b\n"],
)
def test_spans_are_stripped_non_empty_ordered_and_cover_every_word(text: str) -> None:
    spans = sentence_spans(text)
    assert all(text[s:e] == text[s:e].strip() and e > s for s, e in spans)
    assert all(e1 <= s2 for (_, e1), (s2, _) in pairwise(spans))
    assert sum(len(text[s:e].split()) for s, e in spans) == len(text.split())


def test_quotations_in_every_kind_of_mark() -> None:
    text = 'Hon sa ”ett två tre fyra” och «fem sex sju åtta» samt "nio tio" och „a b c d“ och “e f g h”.'
    found = find_quotations(text)
    assert [q.inner for q in found] == ["ett två tre fyra", "fem sex sju åtta", "a b c d", "e f g h"]
    assert found[0] == Quotation(7, 25, "ett två tre fyra")
    assert text[found[0].start : found[0].end] == "”ett två tre fyra”"


def test_a_quotation_has_enough_words_no_blank_line_and_a_bounded_length() -> None:
    assert MIN_QUOTE_WORDS == 4
    assert find_quotations("”tre ord här”") == []
    assert find_quotations("Hon sa ”ett två\n\ntre fyra” och") == []
    assert len(find_quotations("Hon sa ”ett två\ntre fyra” och")) == 1
    too_long = "”" + "ord " * (MAX_QUOTE_CHARS // 4 + 1) + "”"
    assert find_quotations(too_long) == []


def test_an_unbalanced_mark_does_not_swallow_the_text() -> None:
    text = "Han skrev ”början på något. " + "Sedan fler meningar. " * 50
    assert len(sentence_spans(text)) == 51


def test_linear_in_the_length_of_the_text() -> None:
    text = ("Enligt 2 kap. 2 § KL får kommunen inte, bl.a. ”detta är ett citat. Med två meningar”. " * 2500)[
        :200_000
    ]
    t0 = time.perf_counter()
    spans = sentence_spans(text)
    assert time.perf_counter() - t0 < 20.0  # hang guard, not a speed target
    assert len(spans) > 2000


def test_agent_text_sentences_and_terms_import_nothing_from_agent() -> None:
    for name in ("sentences.py", "terms.py"):
        tree = ast.parse((TEXT_DIR / name).read_text(encoding="utf-8"))
        imported = [
            n.module if isinstance(n, ast.ImportFrom) else a.name
            for n in ast.walk(tree)
            if isinstance(n, ast.Import | ast.ImportFrom)
            for a in n.names
        ]
        assert not [m for m in imported if m and m.split(".")[0] == "agent"], name
