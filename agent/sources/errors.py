"""Errors raised when a source document (PDF, text file) cannot be ingested.

Every error carries the offending `path` (or name) and a `reason`: one or two clear Swedish
sentences meant to be shown to the user as is, saying what is wrong and what to do about it.
"""

from __future__ import annotations


class SourceError(Exception):
    """A source file could not be read or turned into documents."""

    default_reason = "Filen kunde inte läsas."

    def __init__(self, path: str, reason: str | None = None) -> None:
        self.path = path
        self.reason = reason or self.default_reason
        super().__init__(f"{path}: {self.reason}")

    def user_message(self) -> str:
        """`<name>: <reason>` for listing problems to the user."""
        return f"{self.path}: {self.reason}"


class EncryptedPdfError(SourceError):
    default_reason = (
        "PDF-filen är krypterad (lösenordsskyddad) och kan inte läsas. Spara en olåst kopia och försök igen."
    )


class NoTextLayerError(SourceError):
    default_reason = (
        "PDF-filen saknar textlager (den verkar vara inskannade bilder). "
        "Den behöver OCR-behandlas (textigenkänning) innan den kan användas."
    )


class CorruptPdfError(SourceError):
    default_reason = (
        "PDF-filen är skadad eller ofullständig och kan inte läsas. "
        "Hämta eller exportera filen på nytt och försök igen."
    )


class TooLargeError(SourceError):
    default_reason = "Filen är för stor för att läsas in. Dela upp den i mindre delar och försök igen."


class EmptyDocumentError(SourceError):
    default_reason = "Filen innehåller ingen text."


class UnsupportedFormatError(SourceError):
    default_reason = "Filformatet stöds inte. Använd PDF, textfil (.txt) eller Markdown (.md)."
