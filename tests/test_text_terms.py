"""Swedish terms (`agent.text.terms`): lower-cased, stop words removed, Snowball-stemmed; the one
tokenizer of the BM25 index, the drafting steps' shared-word tests and the atlas cues."""

from __future__ import annotations

from agent.drafting.text import content_terms
from agent.index import lexical
from agent.text import terms
from agent.text.terms import stems, tokenize


def test_words_are_lower_cased_stemmed_and_stop_words_dropped() -> None:
    assert tokenize(["Kommunerna och regionerna ska ansvara för skolorna", "att det"]) == [
        ["kommun", "region", "ska", "ansvar", "skol"],
        [],
    ]


def test_inflections_share_a_stem() -> None:
    assert stems("kommunen") == stems("kommunerna") == stems("Kommuner") == ("kommun",)


def test_stems_of_one_text_keep_their_order() -> None:
    text = "Kommunen har ansvar för socialtjänsten"
    assert stems(text) == tuple(tokenize([text])[0])
    assert stems("") == ()


def test_the_index_and_drafting_use_the_same_tokenizer() -> None:
    assert lexical.tokenize is terms.tokenize
    assert content_terms("Skolorna i kommunen") == {"skol"}  # "kommun" is a common word there
