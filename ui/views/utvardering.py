"""Utvärdering: the eval suite's reports (per-case scores, draft beside the real answer); compare runs."""

from __future__ import annotations

import json

import streamlit as st
import streamlit.components.v1 as components

from ui.common import service

svc = service()
st.title("Utvärdering")

runs = svc.eval_runs()
if not runs:
    st.info("Inga utvärderingskörningar hittades. Kör `remiss eval run` (se README).")
    st.stop()

# newest first, but a run that can be compared with another (shared cases) before one that cannot
comparable = {r.path: any(r.case_ids & o.case_ids for o in runs if o is not r) for r in runs}
runs = sorted(runs, key=lambda r: not comparable[r.path])
by_label = {r.label: r for r in runs}
chosen = by_label[st.selectbox("Körning", list(by_label))]
tab_report, tab_compare = st.tabs(["Rapport", "Jämför två körningar"])
with tab_report:
    if chosen.report_html is not None:
        components.html(chosen.report_html.read_text(encoding="utf-8"), height=900, scrolling=True)
        st.download_button(
            "Ladda ned report.html", chosen.report_html.read_bytes(), file_name=f"{chosen.name}.html"
        )
    else:
        st.json(json.loads((chosen.path / "report.json").read_text(encoding="utf-8")))


with tab_compare:
    # runs over the same cases first (a comparison needs shared cases), newest first within each group
    others = sorted((r for r in runs if r is not chosen), key=lambda r: not (r.case_ids & chosen.case_ids))
    label = st.selectbox("Jämför med (B)", [r.label for r in others])
    other = by_label.get(label) if label else None
    if other and not other.case_ids & chosen.case_ids:
        st.info("De två körningarna har inga fall gemensamt; välj en körning över samma fall.")
    elif other:
        result = svc.compare_runs(chosen, other)
        st.caption(f"A = {chosen.name}, B = {other.name}; {result['shared_cases']} gemensamma fall.")
        rows = []
        for key, m in result["metrics"].items():
            diff = m.get("diff") or {}
            rows.append(
                {
                    "mått": key,
                    "A": round(m["a"], 3),
                    "B": round(m["b"], 3),
                    "B − A": round(float(diff.get("mean", m["b"] - m["a"])), 3),
                    "95 %-intervall": f"{diff['lo']:.3f} – {diff['hi']:.3f}" if diff else "",
                    "fall": m["n"],
                }
            )
        st.dataframe(rows, width="stretch")
        if result["cases"]:
            st.markdown("**Fall som ändrades**")
            st.dataframe(
                [
                    {"fall": c["id"], **{k: f"{v[0]} → {v[1]}" for k, v in c["changes"].items()}}
                    for c in result["cases"]
                ],
                width="stretch",
            )
