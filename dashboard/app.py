"""Partnership Outcomes: page configuration and navigation, grouped by who uses each page."""

from __future__ import annotations

import streamlit as st

st.set_page_config(
    page_title="Partnership Outcomes", page_icon=":material/monitoring:", layout="wide"
)

PAGES = {
    "Explore": [
        st.Page(
            "pages/home.py", title="Outcomes and indicators", icon=":material/list:", default=True
        ),
    ],
}

st.navigation(PAGES).run()
