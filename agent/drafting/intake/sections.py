"""The sections of a remiss, and which of them belong to the answering side.

The headings parser of `agent.sources.remissvar` splits the text (line headings and inline headings
of flattened PDF text). Sections that belong to the *answering* side of a tjänsteutlåtande or
protocol (``Förvaltningens förslag till beslut``, ``Förvaltningens synpunkter``, ``Beslut``,
``Reservation`` ...) are never read for proposals or proposers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.text.grammar import find_headings

# Sections written by the answering side (never the remiss's own proposals or proposers).
_ANSWER_KEYS = {
    "synpunkter", "bedomning", "yttrande", "beslut", "beslutsgang", "reservation", "overlaggning",
    "anforanden", "konsekvenser", "beredning", "remissinstanser", "bilagor", "beslutsunderlag",
    "foredragning", "underskrift",
}  # fmt: skip
# "Förvaltningens förslag till beslut", "Kommunstyrelsens förslag till kommunfullmäktige".
_GENITIVE_HEAD_RE = re.compile(r"^[A-ZÅÄÖ][\w-]*s\s")


@dataclass
class Segment:
    start: int
    end: int
    key: str
    name: str
    answer: bool  # belongs to the answering side


def segments(text: str, start: int, doc_type: str) -> list[Segment]:
    heads = find_headings(text, start, len(text))
    segs = [Segment(start, heads[0][0] if heads else len(text), "inledning", "", False)]
    for i, (_hs, cs, name, key) in enumerate(heads):
        stop = heads[i + 1][0] if i + 1 < len(heads) else len(text)
        answer = key in _ANSWER_KEYS or bool(_GENITIVE_HEAD_RE.match(name))
        if doc_type == "remiss" and key in {"forslag-till-beslut", "yrkanden"}:
            answer = True
        segs.append(Segment(cs, stop, key, name, answer))
    return [s for s in segs if s.end > s.start]
