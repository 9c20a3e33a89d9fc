"""Accessibility statement."""

from __future__ import annotations

import streamlit as st

st.title("Accessibility statement")
st.markdown("""
We want as many people as possible to be able to use this dashboard, including people who
use a screen reader, magnification, voice control or a keyboard only.

## What we have done

- **Colour is never the only carrier of meaning.** RAG ratings always have a symbol and a
  word (✔ Green, ▲ Amber, ✖ Red); bars in charts also carry patterns; lines are labelled
  and use different dash styles.
- **One palette**, chosen to be told apart by people with the common forms of colour
  blindness (Okabe and Ito's palette), is used for every chart.
- **Every chart has a table** with the same figures, in the "Table" tab beside it, and a
  CSV download, so no information is only in a picture.
- **Headings are real headings**, in order, so a screen reader can list and jump between
  them. Pages use no raw HTML.
- **Links hold their state**: the address of an indicator page or a filtered view opens
  the same view again, which helps people who cannot easily repeat many clicks.
- Text uses plain English; codes are always shown with their titles.

## Known problems

- Charts are drawn with Plotly; their hover labels are not announced by every screen
  reader. Use the table beside each chart instead.
- Small sparklines in the overview's indicator table have no text equivalent in the table
  itself; the figures are on each indicator's page.
- We have not yet had an independent audit against WCAG 2.2 AA.

## Feedback

If you find a problem, tell the partnership's performance team, saying which page and what
you were trying to do. We will reply within 5 working days.
""")
