"""Utvärdering: the eval suite's reports (per-case scores, draft beside the real answer); compare runs."""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from agent.config import PROJECT_ROOT
from agent.evals.report import compare_runs
from ui.common import service

svc = service()
st.title("Utvärdering")


def run_dirs() -> list[Path]:
    roots = [PROJECT_ROOT / "evals" / "results", svc.settings.data_dir / "evals"]
    found = [p.parent for root in roots if root.is_dir() for p in root.glob("*/report.json")]
    return sorted(found, key=lambda p: p.name, reverse=True)


runs = run_dirs()
if not runs:
    st.info("Inga utvärderingskörningar hittades. Kör `remiss eval run` (se README).")
    st.stop()


def case_ids(run: Path) -> set[str]:
    report = json.loads((run / "report.json").read_text(encoding="utf-8"))
    return {c["id"] for c in report.get("cases", [])}


cases_of = {run: case_ids(run) for run in runs}
# newest first, but a run that can be compared with another (shared cases) before one that cannot
comparable = {r: any(cases_of[r] & cases_of[o] for o in runs if o != r) for r in runs}
runs = sorted(runs, key=lambda r: not comparable[r])
names = {str(p): f"{p.name} ({p.parent.parent.name}/{p.parent.name})" for p in runs}
chosen = Path(st.selectbox("Körning", list(names), format_func=names.get))
tab_report, tab_compare = st.tabs(["Rapport", "Jämför två körningar"])
with tab_report:
    html_file = chosen / "report.html"
    if html_file.is_file():
        components.html(html_file.read_text(encoding="utf-8"), height=900, scrolling=True)
        st.download_button("Ladda ned report.html", html_file.read_bytes(), file_name=f"{chosen.name}.html")
    else:
        st.json(json.loads((chosen / "report.json").read_text(encoding="utf-8")))


with tab_compare:
    # runs over the same cases first (a comparison needs shared cases), newest first within each group
    mine = cases_of[chosen]
    others = sorted((n for n in names if n != str(chosen)), key=lambda n: not (cases_of[Path(n)] & mine))
    other = st.selectbox("Jämför med (B)", others, format_func=names.get)
    if other and not cases_of[Path(other)] & mine:
        st.info("De två körningarna har inga fall gemensamt; välj en körning över samma fall.")
    elif other:
        result = compare_runs(chosen, Path(other))
        st.caption(f"A = {chosen.name}, B = {Path(other).name}; {result['shared_cases']} gemensamma fall.")
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
