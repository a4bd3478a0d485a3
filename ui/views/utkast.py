"""Utkast: start a case from a PDF or pasted text, check what was understood, draft, revise, export."""

from __future__ import annotations

import streamlit as st

from agent.export import to_docx, to_markdown
from agent.service import COMPETENCE_SV, STANDPOINTS, AppError
from ui.common import (
    draft_label,
    format_time,
    owner,
    render_draft,
    render_standpoint_step,
    run_streaming,
    service,
    show_error,
)

svc = service()
me = owner()

# ----------------------------------------------------------------------------- choose or start a case
cases = svc.cases(me)
with st.sidebar:
    st.subheader("Mina ärenden")
    if st.button("Nytt ärende", width="stretch"):
        st.session_state.pop("case_id", None)
        st.query_params.pop("arende", None)
    for case in cases:
        if st.button(case.title[:60], key=f"case-{case.id}", width="stretch"):
            st.session_state["case_id"] = case.id
case_id: str | None = st.session_state.get("case_id") or st.query_params.get("arende")
if case_id and case_id not in {c.id for c in cases}:
    case_id = None
if case_id:
    st.session_state["case_id"] = case_id
    st.query_params["arende"] = case_id

status = svc.status()
if status.embedded_default:
    st.info(
        "Den inbyggda lokala modellen används: utkasten är grova och ska bearbetas. En starkare modell "
        "kopplas in med OPENAI_API_KEY eller OPENAI_BASE_URL (se Inställningar).",
        icon="ℹ️",
    )

if not case_id:
    st.title("Nytt ärende")
    st.write(
        "Ladda upp remissen (motion, medborgarförslag eller remiss) som PDF eller textfil, "
        "eller klistra in texten."
    )
    upload = st.file_uploader("Remissen", type=["pdf", "txt", "md"])
    pasted = st.text_area("… eller klistra in texten", height=200)
    with st.expander("Avancerat"):
        exclude = st.text_input(
            "Håll korpusdokument utanför sökningen",
            help="Källfiler i korpusen (t.ex. remissvar/<fil>.txt), kommaseparerade – t.ex. det verkliga "
            "svaret på samma remiss när man vill pröva agenten.",
        )
    if st.button("Läs in remissen", type="primary"):
        try:
            if upload is not None:
                text, intake = svc.read_remiss(upload.getvalue(), upload.name)
                name = upload.name
            elif pasted.strip():
                text, intake = svc.read_remiss(pasted.encode("utf-8"), "")
                name = ""
            else:
                raise AppError("Ladda upp en fil eller klistra in remisstexten först.")
            excluded = [x.strip() for x in exclude.split(",") if x.strip()]
            new_id = svc.create_case(me, text, name, intake, exclude_sources=excluded)
        except Exception as exc:
            show_error(exc)
        else:
            st.session_state["case_id"] = new_id
            st.query_params["arende"] = new_id
            st.rerun()
    st.stop()

# ----------------------------------------------------------------------------- the case
case = svc.case(me, case_id)
understood = svc.intake(me, case_id)
st.title(case.title)
drafts = svc.drafts(me, case_id)
step = svc.pending(me, case_id)
waiting = step is not None
for warning in understood.warnings:
    st.warning(warning)

with (
    st.expander("Det här förstod Remissagenten – rätta vid behov", expanded=not drafts and not waiting),
    st.form("intake"),
):
    title = st.text_input("Titel", understood.title)
    proposers = st.text_input("Förslagsställare (kommaseparerade)", ", ".join(understood.proposers))
    dnr = st.text_input("Dnr", understood.dnr)
    proposals = st.text_area(
        "Förslagen (ett per rad)", "\n".join(p.text for p in understood.proposals), height=160
    )
    if st.form_submit_button("Spara rättelser"):
        svc.correct_intake(
            me,
            case_id,
            title=title,
            proposals=proposals.splitlines(),
            proposers=proposers.split(","),
            dnr=dnr,
        )
        st.success("Rättelserna är sparade; de används när kompetensen prövas.")
        st.rerun()
if history := svc.intake_history(me, case_id):
    with st.expander(f"Tidigare versioner av det inlästa ({len(history)})"):
        for replaced, earlier in reversed(history):
            st.markdown(
                f"**Ersatt {format_time(replaced)}** — {earlier.title or '(ingen titel)'}\n"
                + "".join(f"\n- {p.text}" for p in earlier.proposals)
            )

assert case_id is not None  # (st.stop() above ends the script when there is no case)
this_case: str = case_id  # (a str for the callbacks below)

# ----------------------------------------------------------------------------- the official decides
working, in_line = svc.turns.queue.counts()
if in_line:  # (a snapshot: the status box shows the place in line while the run waits)
    st.caption(
        f"Många skriver utkast just nu ({working} pågår, {in_line} väntar på sin tur). Det du startar ställs "
        "sist i kön, och du ser din plats medan du väntar."
    )
if step is not None:
    render_standpoint_step(step)
    with st.form("decision"):
        choice = st.radio(
            "Förvaltningens ståndpunkt",
            STANDPOINTS,
            index=STANDPOINTS.index(step.proposed),
            horizontal=True,
            help="Förslaget ovan kommer från kompetensprövningen och källorna; beslutet är ditt.",
        )
        notes = st.text_area(
            "Handläggarens underlag (frivilligt)",
            height=140,
            placeholder="- Förvaltningen driver redan …\n- Kostnaden beräknas till …",
            help="Egna fakta som bara förvaltningen känner till, en punkt per rad. De citeras i utkastet som "
            "Handläggarens underlag.",
        )
        if st.form_submit_button("Skriv utkastet", type="primary"):
            try:
                run_streaming(lambda on_event: svc.decide(me, this_case, choice, notes, on_event))
            except Exception as exc:
                show_error(exc)
            else:
                st.rerun()
if step is None or st.button("Pröva kompetensen igen (t.ex. efter rättelser)"):
    label = "Pröva kompetensen och föreslå ståndpunkt" if not drafts else "Skriv ett nytt utkast från början"
    if step is not None or st.button(label, type="primary" if not drafts else "secondary"):
        try:
            run_streaming(
                lambda on_event: svc.propose(me, this_case, on_event),
                "Hämtar källor och prövar kompetensen …",
                "Klart – välj ståndpunkt och lägg till underlag",
            )
        except Exception as exc:
            show_error(exc)
        else:
            st.rerun()
if not drafts:
    st.stop()

# ----------------------------------------------------------------------------- versions, draft, export
labels = {row.version: draft_label(row, case.title) for row in drafts}
version = st.selectbox(
    "Version", list(reversed(labels)), format_func=lambda v: labels[v], key=f"version-{case_id}-{len(drafts)}"
)
row = next(r for r in drafts if r.version == version)
draft = row.draft
c1, c2, c3 = st.columns(3)
c1.metric("Ståndpunkt", draft["standpoint"])
c2.metric("Kommunal kompetens", COMPETENCE_SV[draft["competence"]])
v = draft["verification"]
c3.metric("Kontroll", "godkänd" if not v["unresolved"] and not v["misquoted"] else "ej godkänd")
for warning in draft.get("warnings", []):
    if warning not in understood.warnings:
        st.warning(warning)

render_draft(draft)
score = st.feedback("thumbs", key=f"fb-{row.id}")
if score is not None:
    svc.set_feedback(me, row.id, int(score))
st.caption(f"Modell: {draft['model']} · promptversion {draft['prompt_version']} · version {row.version}")

e1, e2, e3 = st.columns(3)
e1.download_button(
    "Exportera .docx",
    to_docx(draft, title=case.title, dnr=understood.dnr),
    file_name=f"synpunkter-{case_id}-v{row.version}.docx",
    mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
e2.download_button(
    "Exportera Markdown",
    to_markdown(draft, title=case.title, dnr=understood.dnr),
    file_name=f"synpunkter-{case_id}-v{row.version}.md",
    mime="text/markdown",
)
if row.version != drafts[-1].version and e3.button("Gå tillbaka till denna version"):
    try:
        svc.restore(me, case_id, row.version)
    except Exception as exc:
        show_error(exc)
    else:
        st.rerun()

with st.expander("Redigera texten själv"):
    edited = st.text_area("Text", draft["text"], height=300, key=f"edit-{row.id}")
    if st.button("Spara som ny version"):
        try:
            svc.edit(me, case_id, edited)
        except Exception as exc:
            show_error(exc)
        else:
            st.rerun()

# ----------------------------------------------------------------------------- chat
st.subheader("Revidera i dialog")
st.caption(
    'T.ex. "kortare", "lägg till att …", "byt ståndpunkt till besvarad", "varför citerar du 2 kap. 2 §?"'
)
for message in svc.messages(me, case_id):
    with st.chat_message("user" if message.role == "user" else "assistant"):
        st.markdown(message.text)
        if message.version:
            st.caption(f"→ version {message.version}")
if prompt := st.chat_input("Skriv ett önskemål om utkastet"):
    request: str = prompt
    with st.chat_message("user"):
        st.markdown(request)
    try:
        with st.chat_message("assistant"):
            run_streaming(lambda on_event: svc.revise(me, this_case, request, on_event), "Reviderar …")
    except Exception as exc:
        show_error(exc)
    else:
        st.rerun()
