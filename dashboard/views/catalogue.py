"""The five outcomes and the indicators the partnership measures under each."""

from __future__ import annotations

import streamlit as st

from dashboard import components as ui
from dashboard import data

catalogue = data.catalogue()
table = data.catalogue_table()

st.title(catalogue.settings.partnership)
st.write(
    f"{len(catalogue.indicators)} indicators across the five Every Child Matters outcomes, "
    f"reported quarterly by {len(catalogue.groups)} delivery groups."
)

for outcome in sorted(catalogue.outcomes, key=lambda o: o.number):
    rows = table.filter(table["outcome"] == outcome.title)
    st.header(f"{outcome.number}. {outcome.title}", divider="gray")
    st.caption(outcome.description)
    ui.table(
        rows.select("code", "title", "group", "kind", "unit", "polarity", "frequency"),
        f"{outcome.title}: indicators",
    )
