"""Whitespace and encoding normalising shared by the parsers."""

from __future__ import annotations

import re

_WHITESPACE_RE = re.compile(r"\s+")


def collapse_whitespace(text: str) -> str:
    """Every run of whitespace (line breaks included) as one space, ends stripped."""
    return _WHITESPACE_RE.sub(" ", text).strip()


def decode_text(data: bytes) -> str:
    """Text bytes as UTF-8 (BOM tolerated) or UTF-16 (with BOM), falling back to cp1252; line endings
    normalised."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its byte order mark
            text = data.decode("utf-16")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")
