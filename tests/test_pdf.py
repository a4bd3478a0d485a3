"""Safe PDF text extraction: real PDFs built with fpdf2/pypdf in tests/pdf_factory.py."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pdf_factory import (
    make_bomb_pdf,
    make_encrypted_pdf,
    make_many_pages_pdf,
    make_random_bytes,
    make_scanned_pdf,
    make_text_pdf,
    make_truncated_pdf,
    write_pdf,
)

from agent.sources.errors import (
    CorruptPdfError,
    EmptyDocumentError,
    EncryptedPdfError,
    NoTextLayerError,
    SourceError,
    TooLargeError,
)
from agent.sources.pdf import extract_pdf_text


def test_text_pdf_round_trip_with_swedish_letters(tmp_path: Path) -> None:
    path = write_pdf(
        tmp_path / "svar.pdf", make_text_pdf(["Första sidan: åäö ÅÄÖ", "Andra sidan med lite mer text"])
    )
    text = extract_pdf_text(path)
    assert "Första sidan: åäö ÅÄÖ" in text
    assert "Andra sidan med lite mer text" in text
    assert text.index("Första") < text.index("Andra")
    assert "\n\n" in text  # pages joined with a blank line


def test_bytes_input_works() -> None:
    assert "Förvaltningens synpunkter och förslag" in extract_pdf_text(make_text_pdf(), name="minne.pdf")


def test_encrypted_pdf_raises_with_swedish_reason(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "låst.pdf", make_encrypted_pdf("secret"))
    with pytest.raises(EncryptedPdfError) as info:
        extract_pdf_text(path)
    assert info.value.path == "låst.pdf"
    assert "krypterad" in info.value.reason
    assert isinstance(info.value, SourceError)


def test_encrypted_with_empty_user_password_reads_fine() -> None:
    text = extract_pdf_text(make_encrypted_pdf(""), name="tomt-lösen.pdf")
    assert "Förvaltningens synpunkter och förslag" in text
    assert "Åkersberga" in text


def test_aes_encrypted_pdfs_open_with_an_empty_password_and_fail_clearly_with_a_real_one() -> None:
    text = extract_pdf_text(make_encrypted_pdf("", algorithm="AES-256"), name="aes.pdf")
    assert "Förvaltningens synpunkter och förslag" in text
    with pytest.raises(EncryptedPdfError) as info:
        extract_pdf_text(make_encrypted_pdf("hemligt", algorithm="AES-256"), name="aes-lösen.pdf")
    assert "krypterad" in info.value.reason


def test_scanned_pdf_needs_ocr(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "skannad.pdf", make_scanned_pdf(2))
    with pytest.raises(NoTextLayerError) as info:
        extract_pdf_text(path)
    assert "OCR" in info.value.reason


@pytest.mark.parametrize(
    "data",
    [
        make_truncated_pdf(),
        make_text_pdf()[:-300],
        make_random_bytes(),
        b"%PDF-1.7\n" + make_random_bytes(2000),
    ],
    ids=["halved", "tail-cut", "random", "header-then-garbage"],
)
def test_corrupt_pdf(data: bytes) -> None:
    with pytest.raises(CorruptPdfError) as info:
        extract_pdf_text(data, name="trasig.pdf")
    assert info.value.path == "trasig.pdf"
    assert info.value.reason


def test_page_limit_is_checked_before_extraction() -> None:
    data = make_many_pages_pdf(12)
    start = time.perf_counter()
    with pytest.raises(TooLargeError) as info:
        extract_pdf_text(data, name="lång.pdf", max_pages=10)
    assert time.perf_counter() - start < 20  # hang guard, not a speed target
    assert "12" in info.value.reason and "10" in info.value.reason


def test_a_small_pdf_that_unpacks_to_megabytes_is_refused() -> None:
    data = make_bomb_pdf()  # 3.7 kB -> 2.1 MB of text operators (read whole before: 10.5 s)
    assert len(data) < 10_000
    with pytest.raises(TooLargeError) as info:
        extract_pdf_text(data, name="bomb.pdf")
    assert "packar upp till ovanligt mycket" in info.value.reason
    assert "Reached" not in info.value.reason  # pypdf's English stays in the log


def test_extraction_has_a_wall_time_bound() -> None:
    data = make_many_pages_pdf(3)
    assert "Sida med lite text" in extract_pdf_text(data)
    with pytest.raises(TooLargeError) as info:
        extract_pdf_text(data, name="långsam.pdf", max_seconds=0.0)
    assert "för lång tid" in info.value.reason


def test_byte_limit_is_checked_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "stor.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"0" * 200_000)
    start = time.perf_counter()
    with pytest.raises(TooLargeError):
        extract_pdf_text(path, max_bytes=100_000)
    with pytest.raises(TooLargeError):
        extract_pdf_text(path.read_bytes(), max_bytes=100_000)
    assert time.perf_counter() - start < 10  # hang guard, not a speed target


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "tom.pdf"
    path.write_bytes(b"")
    with pytest.raises(EmptyDocumentError):
        extract_pdf_text(path)


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError):
        extract_pdf_text(tmp_path / "finns-inte.pdf")
