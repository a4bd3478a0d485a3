"""Chat revisions of a draft: the conversation state the CLI and the app share.

    conv = Conversation(pipeline)
    conv.start(intake, exclude_sources=(...))      # the first draft
    reply = conv.send("kortare")                   # a revised, re-verified draft
    reply.text, conv.draft, conv.versions

What a follow-up message can ask (Swedish; recognised by the patterns below, for every backend):

* **"kortare"** — a shorter draft (local: fewer paragraphs and quotations; strong model: rewritten);
* **"lägg till att …"** — one more sentence ("Förvaltningen vill tillägga att …"; a strong model
  works it in);
* **"byt ståndpunkt till tillstyrker | besvarad | avstyrker"** — the standpoint is changed and the
  text rewritten from the same sources;
* **"varför citerar du 2 kap. 2 §?"** — an explanation from the analysis (the argument that source
  supports) and the source text; the draft is not changed;
* **"ta även hänsyn till socialtjänstlagen"** — retrieval again with that law added, then the
  later steps; sources found before are kept.

Any other message: a strong model revises the draft freely (`revise_prose`); the local model
cannot, and says so with the list above. Every revision is verified again before it is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

from agent.drafting.intake import Intake
from agent.drafting.models import Draft, Standpoint
from agent.drafting.pipeline import DraftState, Pipeline
from agent.drafting.prompts import Prompts
from agent.drafting.retrieve import retrieve
from agent.sources.models import Document
from agent.sources.references import Reference, find_references, law_id_for_name

Intent = Literal["shorter", "add", "standpoint", "why", "law", "free"]

_SHORTER_RE = re.compile(r"\b(kortare|korta\s+ned|korta\s+ner|förkorta|kortfattad|mindre\s+text)", re.I)
_ADD_RE = re.compile(
    r"^\s*(?:kan\s+du\s+)?lägg\s+(?:också\s+|även\s+)?till\s+(?:att\s+)?(?P<x>.+?)\s*$", re.I | re.S
)
_STANDPOINT_RE = re.compile(
    r"\b(byt|ändra|sätt|gör\s+om)\b.*?\b(?P<s>tillstyrk\w*|besvara\w*|avstyrk\w*)", re.I | re.S
)
_WHY_RE = re.compile(r"\bvarför\b.*\b(citerar|hänvisar|nämner|tar\s+du\s+upp|använder)\b", re.I | re.S)
_LAW_RE = re.compile(
    r"\b(?:ta|tag)\s+(?:även\s+|också\s+)?hänsyn\s+till\s+(?P<law>.+?)[\s.?!]*$|"
    r"\b(?:hämta|lägg\s+till)\s+(?:även\s+|också\s+)?underlag\s+(?:ur|från)\s+(?P<law2>.+?)[\s.?!]*$",
    re.I | re.S,
)


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "assistant"]
    text: str
    version: int | None = None  # index into Conversation.versions of the draft this turn produced


@dataclass
class Reply:
    text: str  # what the assistant says (Swedish)
    draft: Draft | None  # the new draft, or None when the message did not change it
    intent: Intent


def classify(message: str) -> Intent:
    if _WHY_RE.search(message):
        return "why"
    if _LAW_RE.search(message):
        return "law"
    if _STANDPOINT_RE.search(message):
        return "standpoint"
    if _ADD_RE.match(message):
        return "add"
    if _SHORTER_RE.search(message):
        return "shorter"
    return "free"


def _standpoint(word: str) -> Standpoint:
    w = word.lower()
    return (
        "tillstyrker" if w.startswith("tillstyrk") else "besvarad" if w.startswith("besvar") else "avstyrker"
    )


def _refers_to(ref: Reference, doc: Document) -> bool:
    """Does "2 kap. 2 §" / "2 kap. 2 § KL" / "3 §" in a question mean this cited law paragraph?"""
    law_id = doc.metadata.get("law_id")
    if doc.kind != "law" or ref.law_id not in (None, law_id):
        return False
    if ref.chapter is not None:
        return ref.ids_for(str(law_id)) == doc.id
    return str(doc.metadata.get("section")) == ref.section


def _sentence(text: str) -> str:
    text = " ".join(text.split()).rstrip(" .")
    return text + "."


@dataclass
class Conversation:
    pipeline: Pipeline
    state: DraftState | None = None
    turns: list[Turn] = field(default_factory=list)
    versions: list[Draft] = field(default_factory=list)

    @property
    def draft(self) -> Draft | None:
        return self.versions[-1] if self.versions else None

    @property
    def prompts(self) -> Prompts:
        return self.pipeline.prompts

    def _record(self, user: str | None, reply: Reply) -> Reply:
        if user is not None:
            self.turns.append(Turn("user", user))
        version = None
        if reply.draft is not None:
            self.versions.append(reply.draft)
            version = len(self.versions) - 1
        self.turns.append(Turn("assistant", reply.text, version))
        return reply

    def start(
        self,
        intake: Intake,
        *,
        exclude_sources: tuple[str, ...] = (),
        standpoint: Standpoint | None = None,
        notes: list[Document] | None = None,
    ) -> Draft:
        """The first draft; `standpoint` is the official's decision when it is made beforehand, `notes`
        the official's underlag (`agent.drafting.notes.parse_notes`)."""
        state = DraftState(
            intake=intake,
            exclude_sources=tuple(exclude_sources),
            standpoint_override=standpoint,
            notes=list(notes or []),
        )
        self.state = self.pipeline.run(state)
        assert self.state.draft is not None
        self._record(None, Reply("", self.state.draft, "free"))
        return self.state.draft

    def send(self, message: str) -> Reply:
        """Revise the current draft as `message` asks; the new draft is verified before it is returned."""
        if self.state is None or self.state.draft is None:
            raise RuntimeError("Inget utkast att revidera ännu.")
        message = message.strip()
        if not message:
            return Reply(self.prompts.chat("help"), None, "free")
        intent = classify(message)
        handler = {
            "shorter": self._shorter,
            "add": self._add,
            "standpoint": self._change_standpoint,
            "why": self._why,
            "law": self._add_law,
            "free": self._free,
        }[intent]
        return self._record(message, handler(message))

    # ------------------------------------------------------------------ intents
    def _rerun(self, start: str) -> Draft:
        assert self.state is not None
        self.state.removed = []
        self.pipeline.run(self.state, start=start)
        assert self.state.draft is not None
        return self.state.draft

    def _revise_freely(self, request: str) -> Draft:
        """A strong model rewrites the current text; then verification (and repair) as always."""
        from agent.drafting.compose import revise_prose

        assert self.state is not None
        self.state.text = revise_prose(
            self.state.text,
            request,
            self.state.sources(),
            self.pipeline.chat,
            self.prompts,
            self.pipeline._token,
        )
        return self._rerun("verify")

    def _shorter(self, message: str) -> Reply:
        assert self.state is not None
        self.state.short = True
        if self.pipeline.assembled:
            return Reply(self.prompts.chat("shorter"), self._rerun("compose"), "shorter")
        return Reply(self.prompts.chat("shorter"), self._revise_freely(message), "shorter")

    def _add(self, message: str) -> Reply:
        assert self.state is not None
        m = _ADD_RE.match(message)
        assert m is not None
        addition = _sentence(f"Förvaltningen vill tillägga att {m.group('x')}")
        if self.pipeline.assembled:
            self.state.additions.append(addition)
            return Reply(self.prompts.chat("added"), self._rerun("compose"), "add")
        return Reply(self.prompts.chat("added"), self._revise_freely(message), "add")

    def _change_standpoint(self, message: str) -> Reply:
        assert self.state is not None and self.state.analysis is not None
        m = _STANDPOINT_RE.search(message)
        assert m is not None
        standpoint = _standpoint(m.group("s"))
        self.state.standpoint_override = standpoint
        self.state.analysis = replace(self.state.analysis, standpoint=standpoint)
        return Reply(
            self.prompts.chat("standpoint_set", standpoint=standpoint), self._rerun("compose"), "standpoint"
        )

    def _why(self, message: str) -> Reply:
        assert self.state is not None and self.state.draft is not None and self.state.analysis is not None
        draft = self.state.draft
        refs = find_references(message)
        wanted: list[str] = []
        for ref in refs:
            for cit in draft.citations:
                doc = next((d for d in draft.sources if d.id == cit.source_id), None)
                if doc is None:
                    continue
                if _refers_to(ref, doc) and doc.id not in wanted:
                    wanted.append(doc.id)
        if not wanted:
            shown = message[refs[0].start : refs[0].end] if refs else message
            return Reply(self.prompts.chat("why_none", ref=shown), None, "why")
        parts = []
        for doc_id in wanted:
            doc = next(d for d in draft.sources if d.id == doc_id)
            reasons = [a.text for a in self.state.analysis.arguments if doc_id in a.source_ids]
            if not reasons:
                reasons = ["den hämtades som underlag för förslaget och citeras i utkastet"]
            parts.append(self.prompts.chat("why", label=doc.label, reasons="; ".join(reasons)))
            parts.append(self.prompts.chat("why_source_text", text=" ".join(doc.text.split())[:1200]))
        return Reply("\n\n".join(parts), None, "why")

    def _find_law(self, name: str) -> str | None:
        name = name.strip().strip("”\"'")
        law_id = law_id_for_name(name)
        if law_id is not None:
            return law_id
        lowered = name.lower()
        for law_id, title in self.pipeline.searcher.law_titles().items():
            t = title.lower()
            if lowered in t or (len(lowered) > 6 and lowered.rstrip("n") in t):
                return law_id
        return None

    def _add_law(self, message: str) -> Reply:
        assert self.state is not None and self.state.evidence is not None
        m = _LAW_RE.search(message)
        assert m is not None
        name = (m.group("law") or m.group("law2") or "").strip()
        law_id = self._find_law(name)
        if law_id is None:
            return Reply(self.prompts.chat("law_unknown", name=name), None, "law")
        before = self.state.evidence
        known = {d.id for d in before.documents()}
        self.state.extra_law_ids = tuple(dict.fromkeys([*self.state.extra_law_ids, law_id]))
        fresh = retrieve(
            self.state.intake,
            self.pipeline.searcher,
            exclude_sources=self.state.exclude_sources,
            extra_law_ids=self.state.extra_law_ids,
        )
        new = [d for d in fresh.laws if d.id not in known and d.metadata.get("law_id") == law_id]
        if not new:
            return Reply(self.prompts.chat("law_nothing", name=name), None, "law")
        # Keep what was found before; the new law's paragraphs go first.
        fresh.laws = [*new, *[d for d in before.laws if d.id not in {n.id for n in new}]]
        fresh.precedents = before.precedents
        self.state.evidence = fresh
        draft = self._rerun("competence")
        return Reply(self.prompts.chat("law_added", name=name, n=len(new)), draft, "law")

    def _free(self, message: str) -> Reply:
        if self.pipeline.assembled:
            text = self.prompts.chat("not_understood_local") + "\n\n" + self.prompts.chat("help")
            return Reply(text, None, "free")
        return Reply(self.prompts.chat("revised"), self._revise_freely(message), "free")
