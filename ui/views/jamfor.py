"""Jämför: two or more drafts side by side (or a draft against a real answer), word diff, verdict."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.common import draft_label, owner, render_draft, service, word_diff_html

svc = service()
me = owner()
st.title("Jämför utkast")

options: dict[str, tuple[str, dict]] = {}
for case in svc.cases(me):
    for row in svc.drafts(me, case.id):
        options[row.ref] = (draft_label(row, case.title), row.draft)
if len(options) < 1:
    st.info("Det finns inga utkast att jämföra ännu. Skriv ett utkast under Utkast.")
    st.stop()

REAL = "__verkligt__"
choices = [*options, REAL]
names = {ref: label for ref, (label, _) in options.items()} | {REAL: "Ett verkligt svar (klistra in)"}
default = list(options)[:2] if len(options) >= 2 else [next(iter(options)), REAL]
picked = st.multiselect("Välj två eller fler", choices, default=default, format_func=lambda r: names[r])
if len(picked) < 2:
    st.info("Välj minst två att jämföra.")
    st.stop()

drafts: dict[str, dict[str, Any]] = {}
for ref in picked:
    if ref == REAL:
        text = st.text_area("Det verkliga svaret (förvaltningens synpunkter)", key="real-answer", height=150)
        drafts[ref] = {"text": text, "citations": [], "sources": [], "verification": {}}
    else:
        drafts[ref] = options[ref][1]

columns = st.columns(len(picked))
for col, ref in zip(columns, picked, strict=True):
    with col:
        st.markdown(f"**{names[ref]}**")
        d = drafts[ref]
        if ref != REAL:
            st.caption(f"{d['standpoint']} · {d['competence']} · {d['model']} · {d['prompt_version']}")
            render_draft(d)
            row = svc.draft_by_ref(me, ref)
            score = st.feedback("thumbs", key=f"cmp-fb-{ref}")
            if score is not None:
                svc.set_feedback(me, row.id, int(score))
        else:
            st.write(d["text"] or "–")

st.subheader("Skillnader ord för ord")
st.caption(f"{names[picked[0]]} → {names[picked[1]]}")
st.markdown(word_diff_html(drafts[picked[0]]["text"], drafts[picked[1]]["text"]), unsafe_allow_html=True)

st.subheader("Granskarens bedömning")
with st.form("review"):
    verdict = st.radio(
        "Vilket är bättre?",
        [names[picked[0]], names[picked[1]], "Lika bra"],
        index=None,
    )
    comment = st.text_area("Kommentar")
    if st.form_submit_button("Spara bedömningen", type="primary"):
        if verdict is None:
            st.error("Välj vilket som är bättre.")
        else:
            svc.add_review(me, picked[0], picked[1], verdict, comment)
            st.success("Bedömningen är sparad.")
reviews = svc.reviews(me)
if reviews:
    st.caption(f"{len(reviews)} sparade bedömningar")
