"""Which text of a § is in force: version markers, repealed placeholders and amendment notes.

Two versions of the same § are marked `/Upphör att gälla U:YYYY-MM-DD/` (the current version, in force
until that date) and `/Träder i kraft I:YYYY-MM-DD/` (a future version). We keep the version in force on
`IN_FORCE_ON` (2025-07-01): an "Upphör" version is kept if its date is after that day, a "Träder i kraft"
version if its date is on or before it ("den dag regeringen bestämmer" counts as not in force). The
marker itself is removed from the text (it is consolidation metadata, not statute text). Headings carry
`/Rubriken upphör att gälla .../` and `/Rubriken träder i kraft .../` in the same way.
"""

from __future__ import annotations

import re
from datetime import date

from agent.text.normalise import collapse_whitespace

IN_FORCE_ON = date(2025, 7, 1)

MARKER_RE = re.compile(
    r"/(?P<what>Rubriken )?(?P<kind>[Uu]pphör att gälla|[Tt]räder i kraft) (?:[UI]:)?(?P<when>[^/]*)/"
)
_AMENDMENT_RE = re.compile(r"(?:Lag|Förordning|Kungörelse) \((\d{4}):(\d+)\)")
_REPEALED_TEXT_RE = re.compile(
    r"(?:Har upphävts|Upphävd|Upphör att gälla) genom (?:lag|förordning|förodning|kungörelse)"
    r" \(\d{4}:\d+\)\.?",
    re.I,
)


def marker_in_force(kind: str, when: str, on: date = IN_FORCE_ON) -> bool:
    """Is a text version carrying this marker in force on `on`?"""
    m = re.search(r"(\d{4})-(\d{2})-(\d{2})", when)
    if kind.lower().startswith("upphör"):
        # without a parseable date we assume the repeal has not happened yet
        return True if not m else date(int(m[1]), int(m[2]), int(m[3])) > on
    return False if not m else date(int(m[1]), int(m[2]), int(m[3])) <= on


def strip_markers(text: str) -> tuple[str, bool]:
    """Remove version markers; return (clean text, in force?)."""
    in_force = True
    for m in MARKER_RE.finditer(text):
        in_force = in_force and marker_in_force(m["kind"], m["when"])
    clean = re.sub(r"[ \t]{2,}", " ", MARKER_RE.sub("", text)).strip()
    return clean, in_force


def is_repealed_text(text: str) -> bool:
    """`Har upphävts genom lag (2023:642).` – a § kept only as a placeholder for a repealed one."""
    return bool(_REPEALED_TEXT_RE.fullmatch(collapse_whitespace(text)))


def amendment_key(text: str) -> tuple[int, int]:
    """Newest "Lag (YYYY:NNN)" note in a § text, (0, 0) if none."""
    return max(((int(a), int(b)) for a, b in _AMENDMENT_RE.findall(text)), default=(0, 0))
