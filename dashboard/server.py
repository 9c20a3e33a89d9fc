"""What `make run` serves: the app's pages (``app.py``) and, on the same port, the open data
API (:mod:`metrics.api`, answering only when ``OUTCOMES_OPEN_DATA`` is on).

``streamlit run dashboard/server.py`` finds ``app`` below and serves it with uvicorn."""

import streamlit as st

from metrics.api import routes

app = st.App("app.py", routes=routes())
