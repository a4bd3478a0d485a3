"""What intake produces: the `Intake` of a remiss, its `Proposal`s, and the user-facing warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from agent.text.normalise import collapse_whitespace

DocType = Literal["motion", "medborgarförslag", "remiss", "utredning", "okänd"]
ProposalKind = Literal["att-sats", "yrkande", "summary"]
Language = Literal["sv", "other", "unknown"]

MAX_PROPOSALS = 20

# User-facing warnings (Swedish).
W_NOT_SWEDISH = "Texten verkar inte vara på svenska. Förslag och uppgifter kan ha missats."
W_NO_ATT = "Hittade inga att-satser; förslaget sammanfattas från texten."
W_FIRST_SENTENCE = (
    "Hittade ingen mening som tydligt anger vad som föreslås; textens första mening används. "
    "Kontrollera förslaget."
)
W_NO_PROPOSAL = "Hittade inget förslag i texten."
W_FROM_TITLE = (
    "Förslaget är hämtat ur rubriken (”{title}”): texten i övrigt säger inte vad som föreslås. "
    "Kontrollera förslaget, eller klistra in hela motionen för ett säkrare utkast."
)
W_AFTER_ATT = (
    "Text efter en att-sats togs inte med i förslaget: ”{rest}”. Kontrollera förslaget, och lägg "
    "till det i förslaget om det hör dit."
)
W_TOO_MANY = f"Texten innehåller fler än {MAX_PROPOSALS} förslag; bara de {MAX_PROPOSALS} första tas med."
W_UNKNOWN_TYPE = (
    "Kunde inte avgöra om texten är en motion, ett medborgarförslag, en remiss eller en utredning."
)
W_NO_PROPOSER = "Hittade ingen förslagsställare (motionär) i texten."
W_TOO_LONG = "Remissen är mycket lång ({n} tecken); bara de första {limit} tecknen används."


@dataclass(frozen=True)
class Proposal:
    """One thing the remiss proposes; `text` is verbatim from the input (whitespace normalised)."""

    text: str
    kind: ProposalKind


@dataclass(frozen=True)
class Intake:
    text: str  # the whole input text (line endings normalised only)
    doc_type: DocType
    title: str
    proposers: list[str] = field(default_factory=list)
    dnr: str = ""
    addressed_to: str = ""  # the answering body if stated ("socialnämnden")
    sender: str = ""  # who sent the remiss ("kommunstyrelsen")
    proposals: list[Proposal] = field(default_factory=list)
    language: Language = "unknown"
    warnings: list[str] = field(default_factory=list)


normalize_ws = collapse_whitespace  # the name the drafting steps use for it


def intake_to_json(intake: Intake) -> dict[str, Any]:
    """What was understood, as JSON (`remiss draft --json`'s "intake", the app's stored case)."""
    return {
        "title": intake.title,
        "doc_type": intake.doc_type,
        "proposers": intake.proposers,
        "dnr": intake.dnr,
        "addressed_to": intake.addressed_to,
        "sender": intake.sender,
        "proposals": [{"text": p.text, "kind": p.kind} for p in intake.proposals],
        "language": intake.language,
    }


def intake_from_json(text: str, data: dict[str, Any]) -> Intake:
    """The inverse of `intake_to_json` (plus "warnings" when stored), over the remiss `text`."""
    return Intake(
        text=text,
        doc_type=data.get("doc_type", "okänd"),
        title=data.get("title", ""),
        proposers=list(data.get("proposers", [])),
        dnr=data.get("dnr", ""),
        addressed_to=data.get("addressed_to", ""),
        sender=data.get("sender", ""),
        proposals=[Proposal(p["text"], p.get("kind", "summary")) for p in data.get("proposals", [])],
        language=data.get("language", "unknown"),
        warnings=list(data.get("warnings", [])),
    )
