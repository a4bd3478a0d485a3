"""Shared pieces of the pages: the service, who the user is (ui/auth.py), errors, how a draft is shown.

Pages stay thin: they call `agent.service.DraftingService` and render what it returns.
"""

from __future__ import annotations

import difflib
import html
import logging
import queue
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import streamlit as st

from agent.config import Settings
from agent.export import numbered
from agent.service import (
    COMPETENCE_SV,
    QUEUE_STEP,
    STEP_LABELS,
    AppError,
    DraftingService,
    Event,
    StandpointStep,
)
from ui.auth import owner as owner  # the pages ask ui.common who is working

log = logging.getLogger("remissagent.app")


@st.cache_resource(show_spinner="Öppnar Remissagenten …")
def get_service() -> DraftingService:
    return DraftingService(Settings())


def service() -> DraftingService:
    return get_service()


# --------------------------------------------------------------------------- errors and progress


def show_error(exc: Exception) -> None:
    if isinstance(exc, AppError):
        st.error(str(exc), icon="⚠️")
    else:  # never a stack trace on the page; the server log has it
        log.error("Oväntat fel i appen", exc_info=exc)
        st.error(
            f"Något gick fel: {exc}. Försök igen, eller kontakta den som driftar Remissagenten.", icon="⚠️"
        )


def run_streaming(
    work: Callable[[Callable[[Event], None]], Any],
    status_label: str = "Skriver utkastet …",
    done_label: str = "Klart – kontrollerat mot källorna",
) -> tuple[Any, str]:
    """Run `work(on_event)` in a worker thread; show its steps in a status box and stream its text.
    While the work waits for the model (other officials' drafts first), the box shows its place in line.

    Returns (the result, the streamed text). An exception in the worker is raised here.
    """
    events: queue.Queue[Event | None] = queue.Queue()
    result: dict[str, Any] = {}

    def worker() -> None:
        try:
            result["value"] = work(events.put)
        except BaseException as exc:
            result["error"] = exc
        finally:
            events.put(None)

    threading.Thread(target=worker, daemon=True).start()
    streamed: list[str] = []
    with st.status(status_label, expanded=True) as status:
        waiting = st.empty()  # "Du är nummer 3 i kön …" until its turn comes
        steps = st.empty()
        done: list[str] = []

        def tokens() -> Iterator[str]:
            while True:
                event = events.get()
                if event is None:
                    return
                if event.step == QUEUE_STEP:  # "info": its place in line changed; "step": its turn
                    in_line = event.kind == "info"
                    status.update(label=event.text if in_line else status_label)
                    if in_line:
                        waiting.info(event.text, icon="⏳")
                    else:
                        waiting.empty()
                if event.kind == "step":
                    done.append(STEP_LABELS.get(event.step, event.text))
                    steps.markdown("\n".join(f"- {s}" for s in done))
                elif event.kind == "token":
                    streamed.append(event.text)
                    yield event.text

        st.write_stream(tokens())
        if "error" in result:
            status.update(label="Avbrutet", state="error")
            raise result["error"]
        status.update(label=done_label, state="complete", expanded=False)
    return result.get("value"), "".join(streamed)


# --------------------------------------------------------------------------- drafts


def _md(text: str) -> str:
    """Plain text safe for st.markdown (no LaTeX, emphasis or HTML from the draft)."""
    text = html.escape(text, quote=False)
    return re.sub(r"([\\`*_{}\[\]<>#+!|$~])", r"\\\1", text)


def render_draft(draft: dict[str, Any]) -> None:
    """The draft with numbered citations, flagged sentences marked, and every source expandable."""
    text, notes = numbered(draft)
    body = _md(text)
    for sentence in draft.get("verification", {}).get("unsupported_sentences", []):
        esc = _md(sentence)
        if esc in body:
            body = body.replace(esc, f":orange-background[{esc}]")
    body = re.sub(r"\\\[(\d+)\\\]", r":blue[**[\1]**]", body)
    st.markdown(body.replace("\n", "  \n"))
    verification = draft.get("verification", {})
    if verification.get("unsupported_sentences"):
        st.caption(
            ":orange-background[Markerade meningar] gör rättsliga påståenden utan hänvisning – "
            "kontrollera dem."
        )
    if verification.get("unresolved") or verification.get("misquoted"):
        st.error("Utkastet har hänvisningar eller citat som inte kunde kontrolleras.")
    render_competence(draft)
    sources = {s["id"]: s for s in draft.get("sources", [])}
    if notes:
        st.markdown("**Hänvisningar** – klicka för att se källtexten")
    for note in notes:
        src = sources.get(note.source_id, {})
        with st.expander(f"[{note.number}] {note.label}"):
            render_source(src, quote=note.excerpt if _is_quote(draft, note.source_id) else None)


def _verdict(competence: str) -> str:
    """The verdict in Swedish; an uncertain one says that the official must decide."""
    name = COMPETENCE_SV.get(competence, "–")
    return f"{name} – handläggaren behöver pröva" if competence == "uncertain" else name


def render_competence(draft: dict[str, Any]) -> None:
    render_judgements(draft.get("competence_evidence") or [], draft.get("competence", ""))


def render_judgements(judgements: list[dict[str, Any]], competence: str, expanded: bool = False) -> None:
    """What the kompetensprövning rests on, per proposal: the atlas entry, the words, the paragraphs."""
    if not judgements:
        return
    with st.expander(f"Kompetensprövningen: {_verdict(competence)}", expanded=expanded):
        for j in judgements:
            st.markdown(f"**Förslag:** {_md(j['proposal'])}")
            entry = j.get("entry")
            line = f"Bedömning: **{_verdict(j['verdict'])}**"
            if entry is None:
                st.markdown(line + " – inget i ansvarsatlasen pekar ut någon annan; 2 kap. 1 § KL gäller.")
                continue
            words = ", ".join([*entry["matched_patterns"], *entry["matched_cues"]]) or "–"
            st.markdown(
                f"{line} – ansvarsatlasen: *{_md(entry['area'])}* ({_md(entry['holder_sv'])}; "
                f"{_md(entry['actor'])}), post `{entry['id']}`"
            )
            st.caption(
                f"Ord i förslaget som träffade: {words} · likhet {entry['dense_similarity']:.2f} "
                f"(plats {entry['dense_rank']}) · poäng {entry['score']:.1f}"
            )
            for p in j.get("paragraphs", []):
                st.caption(f"Lagrum: {p['label']} ({p['id']})")
            other = j.get("competing_entry")
            if other:
                st.caption(
                    f"Talar åt andra hållet: {other['area']} ({other['holder_sv']}; {other['actor']}), "
                    f"ord: {', '.join(other['matched_cues']) or '–'}, poäng {other['score']:.1f}"
                )


def render_standpoint_step(step: StandpointStep) -> None:
    """The decision before the text is written: verdict, proposed standpoint and the sources found."""
    st.subheader("Kompetensprövning och ståndpunkt")
    for warning in step.warnings:
        st.warning(warning)
    c1, c2 = st.columns(2)
    c1.metric("Kommunal kompetens", COMPETENCE_SV[step.competence])
    c2.metric("Föreslagen ståndpunkt", step.proposed)
    render_judgements(step.judgements, step.competence, expanded=True)
    if step.positions:
        with st.expander(f"Tidigare ställningstaganden ({len(step.positions)})", expanded=True):
            for pos in step.positions:
                same = " · samma organisation" if pos["same_body"] else ""
                st.markdown(
                    f"**{_md(pos['body'] or 'Okänt organ')}**, {pos['year']}{same}: *{pos['standpoint']}*"
                )
                st.caption(f"”{_md(pos['sentence'])}” — {_md(pos['label'])}")
    with st.expander(f"Lagrum som hittades ({len(step.laws)})"):
        for doc in step.laws:
            st.markdown(f"**{_md(doc.label)}**")
            st.caption(_md(" ".join(doc.text.split())[:400]))
    with st.expander(f"Tidigare remissvar som hittades ({len(step.precedents)})"):
        for doc in step.precedents:
            st.markdown(f"**{_md(doc.label)}**")
            st.caption(_md(" ".join(doc.text.split())[:400]))


def _is_quote(draft: dict[str, Any], source_id: str) -> bool:
    return any(c.get("source_id") == source_id and c.get("quote") for c in draft.get("citations", []))


def render_source(src: dict[str, Any], quote: str | None = None) -> None:
    """A source's full text; the quoted words highlighted."""
    meta = src.get("metadata") or {}
    if src.get("kind") == "precedent":
        bits = [meta.get("body"), meta.get("date"), meta.get("dnr") and f"Dnr {meta.get('dnr')}"]
        st.caption(" · ".join(b for b in bits if b) + f" · källa: {src.get('source', '')}")
    else:
        st.caption(f"{src.get('id', '')} · källa: {src.get('source', '')}")
    text = " ".join(str(src.get("text", "")).split())
    safe = html.escape(text)
    if quote:
        for part in quote.split(" […] "):
            part = " ".join(part.strip("…").split())
            if part and html.escape(part) in safe:
                safe = safe.replace(html.escape(part), f"<mark>{html.escape(part)}</mark>", 1)
    st.markdown(f"<div class='remiss-source'>{safe}</div>", unsafe_allow_html=True)


def word_diff_html(left: str, right: str) -> str:
    """Word-level diff: removed words struck through, added words highlighted."""
    a, b = left.split(), right.split()
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(html.escape(" ".join(a[i1:i2])))
        if op in ("delete", "replace"):
            out.append(f"<del style='background:#fdd'>{html.escape(' '.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins style='background:#dfd'>{html.escape(' '.join(b[j1:j2]))}</ins>")
    return "<div style='line-height:1.6'>" + " ".join(out) + "</div>"


def format_time(timestamp: float) -> str:
    """A stored time as the official reads it: 2026-12-02 14:05 (local time)."""
    from datetime import datetime

    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def draft_label(row: Any, title: str) -> str:
    when = format_time(row.created)
    how = {"pipeline": "utkast", "chat": "chatt", "manual": "manuell"}.get(row.origin, row.origin)
    return f"{title[:50]} – v{row.version} ({how}, {when})"
