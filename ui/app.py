"""Remissagenten in the browser: `streamlit run ui/app.py` (see README).

The pages live in ui/views/; all logic is in agent/service/ (tested without a browser).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root, for `agent` and `ui`

from ui.auth import login_gate, owner

st.set_page_config(page_title="Remissagenten", page_icon=":material/gavel:", layout="wide")
st.markdown(
    "<style>.remiss-source{max-height:22rem;overflow-y:auto;font-size:0.92rem;line-height:1.5}"
    "mark{background:#ffe58f}</style>",
    unsafe_allow_html=True,
)

if login_gate():
    owner()  # creates this browser's workspace on the first visit
    pages = [
        st.Page("views/utkast.py", title="Utkast", icon=":material/edit_document:", default=True),
        st.Page("views/jamfor.py", title="Jämför", icon=":material/compare:"),
        st.Page("views/utvardering.py", title="Utvärdering", icon=":material/monitoring:"),
        st.Page("views/kallor.py", title="Källor", icon=":material/menu_book:"),
        st.Page("views/installningar.py", title="Inställningar", icon=":material/settings:"),
    ]
    st.navigation(pages).run()
