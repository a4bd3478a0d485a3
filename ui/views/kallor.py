"""Källor: search and browse the index (laws by chapter and paragraph, earlier answers) and the
ansvarsatlas (who does what; the kompetensprövning's knowledge), each entry with its legal basis."""

from __future__ import annotations

import streamlit as st

from agent.service import HOLDER_SV, AppError, Document
from ui.common import render_source, service, show_error

svc = service()
st.title("Källor")


def as_source(doc: Document) -> dict[str, object]:
    return {"id": doc.id, "kind": doc.kind, "text": doc.text, "source": doc.source, "metadata": doc.metadata}


try:
    svc.searcher()
except AppError as exc:
    show_error(exc)
    st.stop()

tab_search, tab_browse, tab_atlas = st.tabs(["Sök", "Bläddra i lagar", "Ansvarsatlas"])
with tab_search:
    with st.form("search"):
        query = st.text_input(
            "Fråga, sökord eller lagrum", placeholder='t.ex. "KL 2:2" eller "stöd till företag"'
        )
        c1, c2, c3 = st.columns(3)
        kind = c1.selectbox("Källor", ["Alla", "Lagar", "Tidigare remissvar"])
        law = c2.text_input("Bara lag (t.ex. KL, SoL)")
        k = c3.number_input("Antal träffar", 1, 50, 8)
        submitted = st.form_submit_button("Sök", type="primary")
    if submitted and query.strip():
        hits = svc.search(
            query,
            k=int(k),
            kind={"Lagar": "law", "Tidigare remissvar": "precedent"}.get(kind),
            law=law,
        )
        if not hits:
            st.info("Inga träffar.")
        for hit in hits:
            doc = hit.document
            how = "exakt lagrum" if hit.match == "exact" else f"poäng {hit.score:.2f}"
            with st.expander(f"{hit.rank}. {doc.label} ({how})"):
                render_source(as_source(doc))

with tab_browse:
    titles = svc.law_titles()
    law_id = st.selectbox("Lag", list(titles), format_func=lambda i: f"{titles[i]} ({i})")
    if law_id:
        ids = svc.law_paragraph_ids(law_id)
        chapters = sorted({i.split("/")[1] for i in ids if i.count("/") == 2}, key=lambda c: (len(c), c))
        if chapters:
            chapter = st.selectbox("Kapitel", chapters)
            ids = [i for i in ids if i.split("/")[1] == chapter]
        for doc_id in ids[:200]:
            para = svc.source(doc_id)
            if para is not None:
                with st.expander(para.label):
                    render_source(as_source(para))

with tab_atlas:
    st.caption(
        "Ansvarsatlasen beskriver vem som ansvarar för vad (staten och vilken myndighet, regionen, kommunen) "
        "och de gränser som gäller för alla kommuner och regioner. Kompetensprövningen söker i den för varje "
        "förslag; varje post vilar på de lagrum som visas här (corpus/ansvar/*.yaml)."
    )
    try:
        atlas = svc.atlas()
    except AppError as exc:
        show_error(exc)
        st.stop()
    holders = st.multiselect(
        "Ansvarig", list(HOLDER_SV), format_func=lambda h: HOLDER_SV[h], placeholder="Alla"
    )
    needle = st.text_input("Filtrera på ord", placeholder="t.ex. polis, vatten, näringsidkare")
    shown = [
        e
        for e in atlas.entries
        if (not holders or e.holder in holders)
        and (not needle.strip() or needle.lower() in f"{e.area} {e.statement} {' '.join(e.cues)}".lower())
    ]
    st.write(f"{len(shown)} av {len(atlas.entries)} poster")
    for entry in shown:
        with st.expander(f"{entry.area} — {HOLDER_SV[entry.holder]} ({entry.actor})"):
            st.markdown(entry.statement)
            st.caption(f"Stödord: {', '.join(entry.cues)}")
            if entry.counter_cues:
                st.caption(f"Motord: {', '.join(entry.counter_cues)}")
            st.caption(f"Källa: {entry.source_note} · post {entry.doc_id} i {entry.file}")
            for pid in entry.legal_basis:
                basis = svc.source(pid)
                if basis is None:
                    st.warning(f"{pid} finns inte i indexet.")
                else:
                    st.markdown(f"**{basis.label}**")
                    render_source(as_source(basis))
