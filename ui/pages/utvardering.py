"""Utvärdering: the eval suite's reports (per-case scores, draft beside the real answer); compare runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st
import streamlit.components.v1 as components

from agent.config import PROJECT_ROOT
from ui.common import service

svc = service()
st.title("Utvärdering")


def run_dirs() -> list[Path]:
    roots = [PROJECT_ROOT / "evals" / "results", svc.settings.data_dir / "evals"]
    found = [p.parent for root in roots if root.is_dir() for p in root.glob("*/report.json")]
    return sorted(found, key=lambda p: p.name, reverse=True)


def numbers(report: dict[str, Any]) -> dict[str, float]:
    """The report's aggregate metrics as "system · metric" -> mean (report.json of `remiss eval run`)."""
    out: dict[str, float] = {}
    for system, block in (report.get("systems") or {}).items():
        for name, stat in (block.get("metrics") or {}).items():
            if isinstance(stat, dict) and isinstance(stat.get("mean"), int | float):
                out[f"{system} · {name}"] = float(stat["mean"])
    return out


runs = run_dirs()
if not runs:
    st.info("Inga utvärderingskörningar hittades. Kör `remiss eval run` (se README).")
    st.stop()
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
    other = st.selectbox("Jämför med", [n for n in names if n != str(chosen)], format_func=names.get)
    if other:
        a = numbers(json.loads((chosen / "report.json").read_text(encoding="utf-8")))
        b = numbers(json.loads((Path(other) / "report.json").read_text(encoding="utf-8")))
        rows = [
            {
                "mått": k,
                chosen.name: a.get(k),
                Path(other).name: b.get(k),
                "skillnad": (a[k] - b[k]) if k in a and k in b else None,
            }
            for k in sorted(set(a) | set(b))
        ]
        st.dataframe(rows, width="stretch")
