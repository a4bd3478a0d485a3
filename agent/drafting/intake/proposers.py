"""The proposers of a remiss: who wrote the motion or medborgarförslag.

Names followed by a party in parentheses (``Åsa Nilsson Söderström (L)``, ``Anna König Jerlmyr och
Cecilia Brinck (båda M)``, ``(m)``, ``m.fl.``), ``Motionär: ...``, ``<Namn> har i (ett)
medborgarförslag/motion``, ``motion av/från <Namn>``, ``har <Namn> föreslagit``, ``enligt <Namn>``,
``<Namn>, Centerpartiet``; when there are several named people, the ones mentioned close to
"motion"/"föreslår"/"yrkar" win over e.g. the chair of the meeting.
"""

from __future__ import annotations

import re

from agent.drafting.intake.sections import Segment
from agent.text.grammar import heading_key

_PARTIES = r"S|M|L|C|V|KD|MP|SD|FP|FI|s|m|l|c|v|kd|mp|sd|fp|fi|Kd|Mp|Sd|Fp"
_PARTY_PAREN = rf"\(\s*(?:båda|alla|samtliga)?\s*(?P<p>{_PARTIES})\s*\)"
_PARTY_PAREN_RE = re.compile(_PARTY_PAREN)
_PARTY_WORDS = {
    "socialdemokraterna": "S", "moderaterna": "M", "liberalerna": "L", "folkpartiet": "FP",
    "centerpartiet": "C", "vänsterpartiet": "V", "kristdemokraterna": "KD", "miljöpartiet": "MP",
    "sverigedemokraterna": "SD",
}  # fmt: skip
_PARTY_WORD_RE = "|".join(w.capitalize() for w in _PARTY_WORDS)
_TOK = r"[A-ZÅÄÖÉ][a-zåäöéüø]+(?:-[A-ZÅÄÖÉ][a-zåäöéüø]+)?"
_NAME = rf"{_TOK}(?:\s(?:{_TOK}|[A-ZÅÄÖ]\.?(?=\s[A-ZÅÄÖ]))){{0,3}}"
_NAME_OWN_PARTY = rf"{_NAME}(?:\s?\(\s*(?:{_PARTIES})\s*\))?"  # "Bijan Zainali (S) och Michael Melby (S)"
_NAMES = rf"{_NAME_OWN_PARTY}(?:(?:,\s|\soch\s){_NAME_OWN_PARTY}){{0,5}}"
# A name list with its optional "m.fl.", "båda" and party: "Anna König Jerlmyr och Cecilia Brinck (båda M)".
_NAMES_P = rf"(?P<n>{_NAMES})(?P<mfl>\s+m\.\s?fl\.?)?(?:\s+(?:båda|alla))?(?:\s*{_PARTY_PAREN})?"
_NAMES_AT_END_RE = re.compile(rf"(?P<n>{_NAMES})(?P<mfl>\s+m\.\s?fl\.?)?(?:\s+(?:båda|alla))?\s*$")
_NAME_STOP = {w.capitalize() for w in _PARTY_WORDS} | {
    "Ärendena", "Ärende",
    "I", "Av", "Den", "Det", "De", "En", "Ett", "Enligt", "Motionen", "Motionärerna", "Motionären",
    "Ärendet", "Bakgrund", "Sammanfattning", "Reservation", "Beslut", "Yttrande", "Förslaget", "Förslag",
    "Kommunstyrelsen", "Kommunfullmäktige", "Föredragande", "Ordförande", "Ordföranden", "Borgarrådet",
    "Vice", "Särskilt", "Uttalande", "Stockholms", "Stockholm", "Gotlands", "Gotland", "Region", "Att",
    "Om", "Med", "Från", "Till", "Under", "Vid", "Socialnämnden", "Förvaltningen", "Remiss", "Motion",
    "Medborgarförslag", "Svar", "Dnr", "Som", "Där", "Nu", "Vi", "Jag", "Han", "Hon", "Därför", "Även",
    "Också", "Mot", "Men", "Och", "Eller", "När", "Ledamoten", "Ledamot", "Kommunalrådet",
    "Oppositionsrådet", "Ersättaren", "Tjänsteutlåtande", "Protokoll", "Handling", "Sida", "Datum", "Ja",
    "Nej", "Kommunen", "Staden", "Regionen",
}  # fmt: skip
_ROLE_TOKEN_RE = re.compile(
    r".*(?:chef|direktör|råd|rådet|sekreterare|handläggare|ordförande|strateg)$", re.IGNORECASE
)
_CONTEXT_RE = re.compile(
    r"motion|medborgarförslag|föresl|yrka|väck|menar|hemställ|förslagsställ|skribent", re.IGNORECASE
)
_NOT_PROPOSER_RE = re.compile(
    r"(?:ordförande[n]?|borgarråd(?:et)?|föredragande|justerare|sekreterare|handläggare)\s*$", re.IGNORECASE
)
_NOT_PROPOSER_AFTER_RE = re.compile(
    r"^\s*(?:och\s+[^.]{0,60}?)?(?:yrkar|yrkade|föreslår)\s+(?:bifall|avslag)|^\s*reserver", re.IGNORECASE
)
# Patterns that name the proposer of the motion/medborgarförslag (strongest evidence).
_PROPOSER_RES = [
    re.compile(rf"\bMotionärer?:?\s+{_NAMES_P}"),
    re.compile(
        rf"\b(?:[Mm]otion(?:en)?|[Mm]edborgarförslag(?:et)?)(?:\s+\(\d{{4}}:\d+\))?\s+(?:väckt\s+)?(?:av|från)\s+{_NAMES_P}"
    ),
    re.compile(
        rf"(?:{_NAMES_P}|(?P<ini>[A-ZÅÄÖ]{{2,3}}))\s+har\s+(?:[^.]{{0,60}}?\s)?(?:i\s+(?:en\s+|ett\s+)?)?"
        r"(?:motion|medborgarförslag)"
    ),
    re.compile(
        rf"\bhar\s+{_NAMES_P}\s+(?:i\s+(?:en\s+|ett\s+)?\w+\s+)?(?:föreslagit|yrkat|väckt|lämnat|hemställt)"
    ),
    re.compile(rf"\benligt\s+{_NAMES_P}\s"),
    re.compile(rf"(?P<n>{_NAMES}),\s+(?P<pw>{_PARTY_WORD_RE})\b"),
    re.compile(rf"{_NAMES_P}\s+(?:föreslår|yrkar|hemställer|vill\s+att|menar)\b(?!\s+(?:bifall|avslag))"),
    re.compile(rf"\b(?:föreslår|yrkar)\s+{_NAMES_P}\s+(?:i\s+\w+\s+)?att\b"),
    re.compile(rf"(?P<n>{_NAMES})s\s+(?:{_PARTY_PAREN}\s+)?(?:motion|medborgarförslag)"),
    re.compile(
        rf"(?P<pw>{_PARTY_WORD_RE})\s+(?:föreslår|yrkar|har\s+(?:i\s+en\s+motion\s+)?(?:föreslagit|yrkat))\b"
    ),
]


_ORG_TOKEN_RE = re.compile(
    r".*(?:departementet|beredningen|nämnden|nämnd|styrelsen|förvaltningen|kontoret|kommun|stad|partiet"
    r"|region|regionen|rådet|gruppen)$",
    re.IGNORECASE,
)
_OWN_PARTY_RE = re.compile(rf"\s?\(\s*({_PARTIES})\s*\)$")


def _clean_names(names: str, party: str | None = None, mfl: bool = False) -> list[str]:
    """Split "A B och C D (båda M)" / "A B (S) och C D (S)" into ["A B (M)", ...]; strip leading
    non-name words ("Ärendet", "Förvaltningschef"); [] if the list is not a list of person names."""
    parts = re.split(r",\s|\soch\s", names)
    cleaned: list[tuple[str, str | None]] = []
    for p in parts:
        own = None
        if m := _OWN_PARTY_RE.search(p):
            own, p = m.group(1), p[: m.start()]
        toks = p.split()
        while toks and (toks[0] in _NAME_STOP or _ROLE_TOKEN_RE.fullmatch(toks[0]) or heading_key(toks[0])):
            toks = toks[1:]
        if any(t in _NAME_STOP or _ORG_TOKEN_RE.fullmatch(t) for t in toks):
            return []
        cleaned.append((" ".join(toks), own))
    if not cleaned or any(not c for c, _ in cleaned) or len(cleaned[-1][0].split()) < 2:
        return []
    if any(len(c.split()) < 2 for c, _ in cleaned[:-1]):  # "Eva och Stefan Nypelius"
        cleaned = [(" och ".join(c for c, _ in cleaned), cleaned[-1][1])]
    if party is None and cleaned[-1][1] and not any(own for _, own in cleaned[:-1]):
        party = cleaned[-1][1]  # "Gustaf Hoffstedt och Rolf K Nilsson (m)": the party is shared
    out = []
    for i, (name, own) in enumerate(cleaned):
        suffix = " m.fl." if mfl and i == len(cleaned) - 1 else ""
        pty = own or party
        out.append(f"{name}{suffix} ({pty.upper()})" if pty else f"{name}{suffix}")
    return out


# Every proposer pattern contains one of these words: the patterns only run in windows around them,
# so that long texts full of capitalised words stay fast.
_ANCHOR_RE = re.compile(
    r"motion|medborgarförslag|föresl|yrka|hemställ|enligt|vill\s+att|menar|väck|lämnat|"
    + "|".join(_PARTY_WORDS),
    re.IGNORECASE,
)
ANCHOR_WINDOW = 220
MAX_ANCHORS = 400
MAX_PARTY_PARENS = 400
PROPOSER_SCAN_CHARS = 300_000


def _windows(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for n, m in enumerate(_ANCHOR_RE.finditer(text, start, end)):
        if n >= MAX_ANCHORS:
            break
        ws, we = max(start, m.start() - ANCHOR_WINDOW), min(end, m.end() + ANCHOR_WINDOW)
        if out and ws <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], we))
        else:
            out.append((ws, we))
    return out


def find_proposers(text: str, segs: list[Segment], doc_type: str) -> list[str]:
    """The proposers named in the (non-answer) sections `segs`, in order of appearance, at most 10."""
    # The proposer is named early in any real document: look in the first PROPOSER_SCAN_CHARS only.
    limit = (segs[0].start if segs else 0) + PROPOSER_SCAN_CHARS
    segs = [
        Segment(sg.start, min(sg.end, limit), sg.key, sg.name, sg.answer) for sg in segs if sg.start < limit
    ]
    windows = [w for seg in segs for w in _windows(text, seg.start, seg.end)]
    cands = _strong_candidates(text, windows)
    if not cands:
        loose = _loose_candidates(text, segs)
        if any(c[2] for c in loose):
            cands = [(p, n) for p, n, ctx in loose if ctx]
        else:
            cands = [(p, n) for p, n, _ctx in loose]
    if not cands:
        return ["förslagsställaren"] if doc_type == "medborgarförslag" else []
    return _distinct_names(cands)[:10]


def _strong_candidates(text: str, windows: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """(position, name) of everyone named by a proposer pattern in the `windows` of `text`."""
    strong: list[tuple[int, str]] = []
    for ws, we in windows:
        for rx in _PROPOSER_RES:
            for m in rx.finditer(text, ws, we):
                g = m.groupdict()
                if g.get("ini"):
                    strong.append((m.start(), g["ini"]))
                    continue
                if g.get("n") is None:
                    if g.get("pw"):
                        strong.append((m.start(), g["pw"]))
                    continue
                party = g.get("p") or (_PARTY_WORDS[g["pw"].lower()] if g.get("pw") else None)
                if party is None and (pm := _PARTY_PAREN_RE.match(text, m.end("n"), m.end("n") + 12)):
                    party = pm.group("p")
                names = _clean_names(g["n"], party, bool(g.get("mfl")))
                strong.extend((m.start(), n) for n in names)
    return strong


def _loose_candidates(text: str, segs: list[Segment]) -> list[tuple[int, str, bool]]:
    """(position, name, near "motion"/"föreslår"/...) of any "Name (party)" that is not the chair,
    a secretary or someone who only votes on the matter."""
    loose: list[tuple[int, str, bool]] = []
    for seg in segs:
        for n, m in enumerate(_PARTY_PAREN_RE.finditer(text, seg.start, seg.end)):
            if n >= MAX_PARTY_PARENS:
                break
            before = text[max(seg.start, m.start() - 160) : m.start()].replace("\n", " ")
            nm = _NAMES_AT_END_RE.search(before)
            if not nm:
                continue
            pre = before[: nm.start()]
            after = text[m.end() : m.end() + 120].replace("\n", " ")
            if _NOT_PROPOSER_RE.search(pre) or _NOT_PROPOSER_AFTER_RE.match(after):
                continue
            ctx = bool(_CONTEXT_RE.search(pre[-60:] + " " + after[:80]))
            names = _clean_names(nm.group("n"), m.group("p"), bool(nm.group("mfl")))
            loose.extend((m.start(), n, ctx) for n in names)
    return loose


def _distinct_names(cands: list[tuple[int, str]]) -> list[str]:
    """The names in order of position, each once; a bare name also listed with a party, or a genitive
    ("Söderströms (L)") of a listed name, is left out."""
    out: list[str] = []
    for _pos, name in sorted(cands, key=lambda c: c[0]):
        if name not in out:
            out.append(name)
    result = []
    for n in out:
        base = n.split(" (")[0]
        if any(o != n and o.startswith(base + " (") for o in out) and "(" not in n:
            continue
        if base.endswith("s") and any(o.startswith(base[:-1] + " (") or o == base[:-1] for o in out):
            continue
        result.append(n)
    return result
