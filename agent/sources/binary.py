"""Telling text from binary content, whatever the file is called.

A .png renamed .txt must not become a case of garbage characters: text files and uploads are checked
for the signatures of common binary formats and for control characters before they are decoded.
"""

from __future__ import annotations

from agent.sources.errors import UnsupportedFormatError
from agent.text.normalise import decode_text

SNIFF_BYTES = 8192
MAX_CONTROL_SHARE = 0.02  # text has tabs and line breaks, almost never other control characters

PDF_MAGIC = b"%PDF-"
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "en PNG-bild"),
    (b"\xff\xd8\xff", "en JPEG-bild"),
    (b"GIF8", "en GIF-bild"),
    (b"II*\x00", "en TIFF-bild"),
    (b"MM\x00*", "en TIFF-bild"),
    (b"PK\x03\x04", "ett Word- eller Office-dokument (eller en zip-fil)"),
    (b"\xd0\xcf\x11\xe0", "ett äldre Word- eller Office-dokument"),
    (b"{\\rtf", "ett RTF-dokument"),
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_TEXT_CONTROLS = {9, 10, 12, 13}


def binary_kind(data: bytes) -> str | None:
    """What binary content `data` is ("en PNG-bild", …), or None for text (and for a PDF, which the
    caller reads as one)."""
    head = data[:SNIFF_BYTES]
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(PDF_MAGIC) or head.startswith(_UTF16_BOMS):
        return None
    if b"\x00" in head:
        return "en binärfil"
    controls = sum(1 for b in head if b < 32 and b not in _TEXT_CONTROLS)
    if head and controls / len(head) > MAX_CONTROL_SHARE:
        return "en binärfil"
    return None


def binary_message(kind: str) -> str:
    return (
        f"Filen innehåller {kind}, inte text. Ladda upp remissen som PDF med text, som textfil (.txt) "
        "eller Markdown (.md), eller klistra in texten."
    )


def decode_checked(data: bytes, label: str) -> str:
    """Text bytes decoded (`decode_text`); binary content is `UnsupportedFormatError` (Swedish)."""
    kind = binary_kind(data)
    if kind is not None:
        raise UnsupportedFormatError(label, binary_message(kind))
    return decode_text(data)
