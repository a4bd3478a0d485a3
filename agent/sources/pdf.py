"""Safe text extraction from PDF files with pypdf.

Checks the byte size before parsing and the page count before extracting, tries the empty
password on encrypted files, and turns every pypdf failure into a `SourceError` subclass with
a Swedish explanation for the user. Text is returned as pypdf extracts it (hyphenation and
line breaks left as is), pages joined with a blank line.
"""

from __future__ import annotations

import io
import logging
import time
from pathlib import Path

from pypdf import Configuration, PasswordType, PdfReader, apply_configuration
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PyPdfError

from agent.sources.errors import (
    CorruptPdfError,
    EmptyDocumentError,
    EncryptedPdfError,
    NoTextLayerError,
    SourceError,
    TooLargeError,
)

DEFAULT_MAX_BYTES = 50_000_000
DEFAULT_MAX_PAGES = 500
DEFAULT_MAX_SECONDS = 30.0  # wall time for extracting the text of all pages
# pypdf's own limits, lowered from its defaults (75 MB per stream, 2 million parse steps per content
# stream) to what a page of text needs: a few kB that unpack to megabytes of drawing operators must
# not hold the app for minutes (measured: a 3.7 kB PDF unpacking to 2.1 MB took 10.5 s).
PYPDF_LIMITS = Configuration().with_overwrites(
    zlib_maximum_output_length=10_000_000,
    stream_decoding_work_maximum_length=20_000_000,
    stream_parsing_work_maximum_count=200_000,
)
W_BOMB = (
    "PDF-filen innehåller sidor som packar upp till ovanligt mycket innehåll och läses därför inte. "
    "Spara den på nytt som PDF (t.ex. ”Skriv ut till PDF”) eller klistra in texten."
)
MIN_CHARS_PER_PAGE = 20  # fewer non-space characters per page on average => no text layer
PAGE_SEPARATOR = "\n\n"
EOF_WINDOW = 8192  # a complete PDF has "%%EOF" near its end (some writers append a little junk)
_PARSE_ERRORS = (PyPdfError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError)


# pypdf needs the `cryptography` package (a dependency of this project) for AES; if it is missing
# in an installation anyway, say so instead of calling the file corrupt.
_AES_MISSING = (
    "PDF-filen är krypterad med AES, vilket kräver ett extra Python-paket (cryptography) "
    "som inte är installerat. Spara en olåst kopia av filen och försök igen."
)


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f}".replace(".", ",") + " MB"


def _read_bytes(source: Path | bytes, name: str, max_bytes: int) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        try:
            size = source.stat().st_size
        except OSError as exc:
            raise SourceError(name, f"Filen kunde inte öppnas ({exc.strerror or exc}).") from exc
        if size > max_bytes:
            raise TooLargeError(
                name,
                f"PDF-filen är för stor ({_mb(size)}; gränsen är {_mb(max_bytes)}). "
                "Dela upp den i mindre delar och försök igen.",
            )
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise SourceError(name, f"Filen kunde inte läsas ({exc.strerror or exc}).") from exc
    if len(data) > max_bytes:
        raise TooLargeError(
            name,
            f"PDF-filen är för stor ({_mb(len(data))}; gränsen är {_mb(max_bytes)}). "
            "Dela upp den i mindre delar och försök igen.",
        )
    return data


def _open_reader(data: bytes, name: str) -> PdfReader:
    if not data.strip():
        raise EmptyDocumentError(name, "PDF-filen är tom (0 byte).")
    if b"%PDF-" not in data[:1024]:
        raise CorruptPdfError(
            name,
            "Filen är ingen giltig PDF (PDF-huvud saknas). Kontrollera att det verkligen är en PDF-fil.",
        )
    if b"%%EOF" not in data[-EOF_WINDOW:]:
        raise CorruptPdfError(
            name,
            "PDF-filen är ofullständig (slutet saknas, t.ex. efter en avbruten nedladdning). "
            "Hämta eller exportera filen på nytt och försök igen.",
        )
    try:
        # With password=None pypdf already tries the empty password on encrypted files.
        reader = PdfReader(io.BytesIO(data), strict=False)
    except DependencyError as exc:
        raise EncryptedPdfError(
            name,
            _AES_MISSING,
        ) from exc
    except FileNotDecryptedError as exc:
        raise EncryptedPdfError(name) from exc
    except _PARSE_ERRORS as exc:
        raise CorruptPdfError(name) from exc
    if reader.is_encrypted:
        try:
            if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                raise EncryptedPdfError(name)
        except DependencyError as exc:
            raise EncryptedPdfError(
                name,
                _AES_MISSING,
            ) from exc
        except PyPdfError as exc:
            raise EncryptedPdfError(name) from exc
    return reader


def _page_texts(reader: PdfReader, label: str, max_seconds: float) -> list[str]:
    """The text of every page, under pypdf's lowered limits and a wall-time deadline."""
    deadline = time.monotonic() + max_seconds
    texts: list[str] = []
    with apply_configuration(PYPDF_LIMITS):
        for page in reader.pages:
            if time.monotonic() > deadline:
                raise TooLargeError(
                    label,
                    f"Det tog för lång tid att läsa texten ur PDF-filen (mer än {max_seconds:.0f} s; "
                    f"{len(texts)} sidor lästa). Dela upp den eller klistra in texten.",
                )
            try:
                texts.append(page.extract_text() or "")
            except LimitReachedError as exc:
                raise TooLargeError(label, W_BOMB) from exc
            except FileNotDecryptedError as exc:
                raise EncryptedPdfError(label) from exc
            except (*_PARSE_ERRORS, ZeroDivisionError) as exc:
                raise CorruptPdfError(label) from exc
    return texts


def extract_pdf_text(
    source: Path | bytes,
    *,
    name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pages: int = DEFAULT_MAX_PAGES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> str:
    """Return the text layer of a PDF, pages joined with a blank line.

    Raises `TooLargeError` (bytes or pages over the limits, checked before any extraction),
    `EncryptedPdfError` (a password other than the empty one is needed), `CorruptPdfError`
    (not a PDF, truncated, unparsable), `EmptyDocumentError` (no pages / empty file) and
    `NoTextLayerError` (scanned images without text: needs OCR). Pages that unpack to far more than
    text needs (`PYPDF_LIMITS`), or extraction past `max_seconds`, give `TooLargeError`.
    """
    label = name or (source.name if isinstance(source, Path) else "PDF-fil")
    data = _read_bytes(source, label, max_bytes)

    pypdf_logger = logging.getLogger("pypdf")
    previous_level = pypdf_logger.level
    pypdf_logger.setLevel(logging.ERROR)  # pypdf warns loudly about every oddity in broken files
    try:
        reader = _open_reader(data, label)
        try:
            n_pages = len(reader.pages)
        except FileNotDecryptedError as exc:
            raise EncryptedPdfError(label) from exc
        except _PARSE_ERRORS as exc:
            raise CorruptPdfError(label) from exc
        if n_pages > max_pages:
            raise TooLargeError(
                label,
                f"PDF-filen har för många sidor ({n_pages}; gränsen är {max_pages}). "
                "Dela upp den i mindre delar och försök igen.",
            )
        if n_pages == 0:
            raise EmptyDocumentError(label, "PDF-filen innehåller inga sidor.")

        texts = _page_texts(reader, label, max_seconds)
    finally:
        pypdf_logger.setLevel(previous_level)

    non_space = sum(len("".join(t.split())) for t in texts)
    if non_space < MIN_CHARS_PER_PAGE * n_pages:
        raise NoTextLayerError(
            label,
            "PDF-filen saknar läsbar text (den verkar bestå av inskannade bilder). "
            "Den behöver OCR-behandlas (textigenkänning) innan den kan användas, "
            "t.ex. med ”Känn igen text” i Adobe Acrobat eller med ocrmypdf.",
        )
    return PAGE_SEPARATOR.join(t.strip("\n") for t in texts)
