"""Parsing earlier remiss answers into verbatim, sectioned precedent Documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf_factory import SAMPLE_ANSWER_PAGES, make_encrypted_pdf, make_scanned_pdf, make_text_pdf, write_pdf

from agent.sources.errors import (
    EmptyDocumentError,
    EncryptedPdfError,
    NoTextLayerError,
    UnsupportedFormatError,
)
from agent.sources.remissvar import (
    KALLA_PREFIX,
    MAX_CHUNK_CHARS,
    load_default_remissvar,
    load_folder,
    load_remissvar_file,
    parse_remissvar,
    split_chunks,
    to_documents,
)

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
REMISSVAR = CORPUS / "remissvar"
STOCKHOLM = (
    REMISSVAR / "stockholm_socialforvaltningen_2025_KS-2025-448_kompetenscenter_transnationellt_fortryck.txt"
)
CORPUS_FILES = sorted(REMISSVAR.glob("*.txt"))


def _body(path: Path) -> str:
    """The file text after the KÄLLA line (what `Document.text` must be a substring of)."""
    text = path.read_text(encoding="utf-8")
    first, _, rest = text.partition("\n")
    return rest if first.startswith(KALLA_PREFIX) else text


# --------------------------------------------------------------------------- the complete answer


def test_stockholm_answer_sections_and_metadata() -> None:
    answer = parse_remissvar(STOCKHOLM.read_text(encoding="utf-8"), f"remissvar/{STOCKHOLM.name}")
    assert answer.body == "Stockholms stad, socialförvaltningen"
    assert answer.dnr == "KS 2025/448"
    assert answer.year == 2025
    assert answer.title == (
        "Remiss av motion om att inrätta ett kompetenscenter mot transnationellt förtryck i Stockholm"
    )
    assert answer.doc_kind == "tjänsteutlåtande"
    assert answer.truncated is False
    keys = [s.key for s in answer.sections]
    assert keys == [
        "inledning", "forslag-till-beslut", "sammanfattning", "bakgrund", "remissinstanser",
        "arendet", "beredning", "synpunkter", "underskrift", "bilagor",
    ]  # fmt: skip
    names = {s.key: s.name for s in answer.sections}
    assert names["synpunkter"] == "Förvaltningens synpunkter och förslag"
    assert names["forslag-till-beslut"] == "Förvaltningens förslag till beslut"


def test_stockholm_synpunkter_is_verbatim() -> None:
    body = _body(STOCKHOLM)
    answer = parse_remissvar(STOCKHOLM.read_text(encoding="utf-8"), "remissvar/x.txt")
    synpunkter = next(s for s in answer.sections if s.key == "synpunkter")
    start = body.index("Socialförvaltningen delar skribentens mening")
    end = body.index("kring behovet av stöd för målgruppen.") + len("kring behovet av stöd för målgruppen.")
    assert synpunkter.text == body[start:end]
    assert "2 kap. 2 § kommunallagen" in synpunkter.text
    assert "Socialdirektör" not in synpunkter.text  # signature split off


def test_stockholm_documents() -> None:
    docs = load_remissvar_file(STOCKHOLM, f"remissvar/{STOCKHOLM.name}")
    source = f"remissvar/{STOCKHOLM.name}"
    syn = [d for d in docs if d.metadata["section_key"] == "synpunkter"]
    assert next(d.id for d in syn) == f"{source}#synpunkter"
    assert all(d.kind == "precedent" and d.source == source for d in docs)
    assert all(len(d.text) <= MAX_CHUNK_CHARS for d in docs)
    first = syn[0]
    assert first.label.startswith(
        "Stockholms stad, socialförvaltningen, 2025, Dnr KS 2025/448: Remiss av motion om att inrätta ett "
        "kompetenscenter mot transnationellt förtryck i Stockholm – Förvaltningens synpunkter och förslag"
    )
    md = first.metadata
    assert md["body"] == "Stockholms stad, socialförvaltningen"
    assert md["year"] == 2025 and md["dnr"] == "KS 2025/448" and md["truncated"] is False
    assert md["section"] == "Förvaltningens synpunkter och förslag"
    assert first.embed_text.startswith("Remiss av motion")
    assert "Förvaltningens synpunkter och förslag" in first.embed_text
    # Parts of a split section follow each other in the file and cover the whole section.
    body = _body(STOCKHOLM)
    positions = [body.index(d.text) for d in syn]
    assert positions == sorted(positions)
    assert syn[0].text.startswith("Socialförvaltningen delar") and syn[-1].text.endswith("för målgruppen.")


# --------------------------------------------------------------------------- the whole corpus


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.name[:50] for p in CORPUS_FILES])
def test_every_corpus_file_ingests_verbatim(path: Path) -> None:
    docs = load_remissvar_file(path, f"remissvar/{path.name}")
    assert docs
    body = _body(path)
    for doc in docs:
        assert doc.text.strip() and doc.text in body, doc.id
        assert "TRUNKERAT" not in doc.text
        assert len(doc.text) <= MAX_CHUNK_CHARS
        assert all(isinstance(v, str | int | float | bool) for v in doc.metadata.values())
        assert doc.id.startswith(f"remissvar/{path.name}#")


def test_default_corpus_ids_unique_and_sections_recognised() -> None:
    docs = load_default_remissvar(CORPUS)
    ids = [d.id for d in docs]
    assert len(ids) == len(set(ids))
    assert {d.source for d in docs} == {f"remissvar/{p.name}" for p in CORPUS_FILES}
    with_named = {d.source for d in docs if d.metadata["section_key"] not in ("text", "inledning")}
    assert len(with_named) >= len(CORPUS_FILES) // 2


def test_kalla_metadata_gotland() -> None:
    path = REMISSVAR / "gotland_KS_2007-03-29_p66_motion_bemanning_polisstationer.txt"
    answer = parse_remissvar(path.read_text(encoding="utf-8"), path.name)
    assert answer.source_url == "https://gotland.se/31188"
    assert answer.body == "Gotlands kommun, kommunstyrelsen"
    assert answer.date == "2007-03-29"
    assert answer.dnr == "KS2006/0598-11"
    assert answer.title == "Motion. Bemanningen av vissa polisstationer"
    assert answer.doc_kind == "protokoll"


# --------------------------------------------------------------------------- odd and user text


def test_text_without_kalla_or_headings() -> None:
    text = (
        "Yttrande över motion om cykelbanor\n\nFörvaltningen är positiv. Dnr 2016:345, den 20 augusti 2025."
    )
    answer = parse_remissvar(text, "mina/yttrande.txt")
    assert answer.title == "Yttrande över motion om cykelbanor"
    assert answer.dnr == "2016:345"
    assert answer.date == "2025-08-20"
    assert [s.key for s in answer.sections] == ["text"]
    docs = to_documents(answer)
    assert docs[0].id == "mina/yttrande.txt#text"
    assert docs[0].text in text


def test_repeated_headings_and_long_sections_get_suffixes() -> None:
    para = "Förvaltningen bedömer att förslaget är angeläget men kostsamt. " * 10
    text = "Titel\n\nSammanfattning\nKort.\n\nBeslut\nA.\n\nBeslut\nB.\n\nBedömning\n" + "\n\n".join(
        [para] * 6
    )
    answer = parse_remissvar(text, "t.txt")
    assert [s.key for s in answer.sections] == [
        "inledning",
        "sammanfattning",
        "beslut",
        "beslut-2",
        "bedomning",
    ]
    docs = to_documents(answer)
    ids = [d.id.split("#")[1] for d in docs]
    assert len(ids) == len(set(ids))
    assert "bedomning" in ids and "bedomning-2" in ids
    assert all(d.text in text and len(d.text) <= MAX_CHUNK_CHARS for d in docs)


def test_split_chunks_are_verbatim_and_bounded() -> None:
    text = ("Mening ett är här. Mening två följer nu!\n" * 120).strip()
    chunks = split_chunks(text, 500)
    assert len(chunks) > 1
    assert all(c in text and len(c) <= 500 for c in chunks)


@pytest.mark.parametrize("text", ["", "   \n\n ", "KÄLLA: https://example.se | Något\n\n"])
def test_empty_text_raises(text: str) -> None:
    with pytest.raises(EmptyDocumentError):
        parse_remissvar(text, "tom.txt")


@pytest.mark.parametrize(
    "text",
    ["x", "§", "\n\n[…TRUNKERAT…]", "Storlek: px\nTranskript", "Bilagor\n" + "lång rad " * 60, "ÅÄÖ" * 3000],
)
def test_odd_text_never_raises(text: str) -> None:
    docs = to_documents(parse_remissvar(text, "udda.txt"))
    assert all(d.text in text for d in docs)


# --------------------------------------------------------------------------- files and folders


def test_pdf_round_trip(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "utegym.pdf", make_text_pdf())
    docs = load_remissvar_file(path)
    assert docs
    keys = [d.metadata["section_key"] for d in docs]
    assert "synpunkter" in keys and "sammanfattning" in keys
    syn = next(d for d in docs if d.metadata["section_key"] == "synpunkter")
    assert "Förvaltningen delar motionärens syn" in syn.text
    assert syn.source == str(path) and syn.id == f"{path}#synpunkter"
    assert syn.metadata["dnr"] == "KS 2024/123"
    assert syn.metadata["title"] == "Remiss av motion om fler utegym i Åkersberga"
    assert "Åkersberga" in "".join(d.text for d in docs)
    assert SAMPLE_ANSWER_PAGES  # the factory's sample answer is what was parsed


def test_text_file_cp1252_fallback(tmp_path: Path) -> None:
    path = tmp_path / "gammal.txt"
    path.write_bytes("Förvaltningens synpunkter\nVi tillstyrker förslaget om öppettider.\n".encode("cp1252"))
    docs = load_remissvar_file(path, "gammal.txt")
    assert docs[0].metadata["section_key"] == "synpunkter"
    assert docs[0].text == "Vi tillstyrker förslaget om öppettider."


def test_markdown_file(tmp_path: Path) -> None:
    path = tmp_path / "svar.md"
    path.write_text("Svar på motion\n\nSammanfattning\nBra förslag.\n", encoding="utf-8")
    assert [d.metadata["section_key"] for d in load_remissvar_file(path)] == ["inledning", "sammanfattning"]


def test_unsupported_format(tmp_path: Path) -> None:
    path = tmp_path / "svar.docx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnsupportedFormatError) as info:
        load_remissvar_file(path)
    assert ".docx" in info.value.reason


def test_load_folder_collects_errors_per_file(tmp_path: Path) -> None:
    folder = tmp_path / "mina remissvar"
    write_pdf(folder / "bra.pdf", make_text_pdf())
    write_pdf(folder / "låst.pdf", make_encrypted_pdf("secret"))
    write_pdf(folder / "underkatalog" / "skannad.pdf", make_scanned_pdf(1))
    (folder / "tom.txt").write_text("", encoding="utf-8")
    (folder / "ignoreras.docx").write_bytes(b"PK")  # not a supported suffix: skipped in folders
    docs, errors = load_folder([folder])
    assert docs and {d.source for d in docs} == {str(folder / "bra.pdf")}
    assert len(errors) == 3
    by_name = {Path(e.path).name: e for e in errors}
    assert set(by_name) == {"låst.pdf", "skannad.pdf", "tom.txt"}
    assert isinstance(by_name["låst.pdf"], EncryptedPdfError)
    assert isinstance(by_name["skannad.pdf"], NoTextLayerError)
    assert isinstance(by_name["tom.txt"], EmptyDocumentError)
    assert all(e.reason for e in errors)


def test_load_folder_accepts_files_and_reports_missing(tmp_path: Path) -> None:
    good = tmp_path / "a.txt"
    good.write_text("Beslut\nMotionen avslås.\n", encoding="utf-8")
    docs, errors = load_folder([good, tmp_path / "saknas.pdf", tmp_path / "x.docx"])
    assert [d.text for d in docs] == ["Motionen avslås."]
    assert len(errors) == 2
