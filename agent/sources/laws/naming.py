"""Names of statutes and their parts: law ids, titles, citation forms and § numbers."""

from __future__ import annotations

import re

_SFS_IN_TITLE_RE = re.compile(r"\s*\(\d{4}:\d+[^)]*\)")

# Laws cited by name only (grundlagar, riksdagsordningen) and other special cases, keyed by SFS number.
CITATION_OVERRIDES: dict[str, str] = {
    "1974:152": "regeringsformen",
    "1949:105": "tryckfrihetsförordningen",
    "1991:1469": "yttrandefrihetsgrundlagen",
    "1810:0926": "successionsordningen",
    "2014:801": "riksdagsordningen",
}

# Leading generic document types: "Lag om X" -> "lagen (sfs) om X".
_GENERIC_TYPES: dict[str, str] = {
    "lag": "lagen",
    "förordning": "förordningen",
    "kungörelse": "kungörelsen",
    "tillkännagivande": "tillkännagivandet",
    "instruktion": "instruktionen",
    "reglemente": "reglementet",
    "stadga": "stadgan",
    "taxa": "taxan",
    "förordnande": "förordnandet",
    "beslut": "beslutet",
    "cirkulär": "cirkuläret",
    "brev": "brevet",
    "avtal": "avtalet",
    "överenskommelse": "överenskommelsen",
    "konvention": "konventionen",
    "föreskrifter": "föreskrifterna",
    "bestämmelser": "bestämmelserna",
    "grundlag": "grundlagen",
}

# Endings of one-word names ("Kommunallag", "Brottsbalk") and their definite suffix.
_DEFINITE_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("lag", "en"),
    ("balk", "en"),
    ("förordning", "en"),
    ("ordning", "en"),
    ("kungörelse", "n"),
    ("stadga", "n"),
    ("taxa", "n"),
    ("reglemente", "t"),
    ("form", "en"),
)


def law_id_for(sfs: str) -> str:
    """`2017:725` -> `sfs-2017-725`."""
    return "sfs-" + re.sub(r"[^0-9A-Za-z]+", "-", sfs.strip()).strip("-").lower()


def strip_sfs_from_title(title: str) -> str:
    """`Kommunallag (2017:725)` -> `Kommunallag`."""
    return _SFS_IN_TITLE_RE.sub("", title).strip()


def normalise_section(sec: str) -> str:
    """`2a` / `2  a` -> `2 a`."""
    m = re.fullmatch(r"\s*(\d+)\s*([a-z]?)\s*", sec)
    if not m:
        return sec.strip()
    return f"{m.group(1)} {m.group(2)}" if m.group(2) else m.group(1)


def section_key(sec: str) -> tuple[int, str]:
    """Sort key of a § (or chapter) number: `2 a` -> (2, "a")."""
    m = re.match(r"(\d+)\s*([a-z]?)", sec)
    return (int(m.group(1)), m.group(2)) if m else (0, sec)


def citation_name(rubrik: str, sfs: str) -> str:
    """Swedish citation form of a statute title.

    `Kommunallag` -> `kommunallagen (2017:725)`; `Lag om vissa kommunala befogenheter` ->
    `lagen (2009:47) om vissa kommunala befogenheter`; regeringsformen and the other grundlagar via
    `CITATION_OVERRIDES`.
    """
    sfs = sfs.strip()
    if sfs in CITATION_OVERRIDES:
        return CITATION_OVERRIDES[sfs]
    title = strip_sfs_from_title(re.sub(r"\s+", " ", rubrik)).rstrip(".").strip()
    if not title:
        return f"SFS {sfs}"
    first, _, rest = title.partition(" ")
    generic = _GENERIC_TYPES.get(first.lower())
    if generic and rest:
        return f"{generic} ({sfs}) {rest}"
    # A name like "Kommunallag", "Plan- och bygglag", "Offentlighets- och sekretesslag": lower-case the
    # first letter (unless the first word is an acronym) and make the last word definite.
    head = title if first.isupper() and len(first) > 1 else title[0].lower() + title[1:]
    words = head.split(" ")
    last = words[-1]
    for ending, suffix in _DEFINITE_SUFFIXES:
        if last.lower().endswith(ending):
            words[-1] = last + suffix
            return f"{' '.join(words)} ({sfs})"
    if generic:  # a bare "Lag" / "Förordning"
        return f"{generic} ({sfs})"
    return f"{head} ({sfs})"
