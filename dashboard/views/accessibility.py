"""Accessibility statement, in the form the UK public sector accessibility regulations ask
for (after GOV.UK's model statement): what is accessible and what is not, how it was
tested and when, how to report a problem, and the enforcement procedure."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.components import plain

# The axe-core release the browser tests run over every page (the Makefile's AXE_VERSION;
# a test checks the two agree).
AXE_VERSION = "4.14.1"

settings = data.catalogue().settings
contact = settings.accessibility
partnership = plain(settings.partnership)

ways = f"- email {plain(contact.email)}" + (
    f"\n- call {plain(contact.phone)}" if contact.phone else ""
)

st.title("Accessibility statement")
st.markdown(
    f"""
This statement applies to Partnership Outcomes, the performance dashboard of the
{partnership}, at this address. The partnership runs it. We want as many people as possible
to be able to use it, including people who use a screen reader, magnification, voice
control or only a keyboard.

## What we have done

Every table is a real table, with a caption and header cells; wide ones scroll in a region
a keyboard can reach. Every chart is announced as a figure, named by its title and a
sentence made from its figures that says what it shows; the same sentence stands under the
chart, with a table of its figures beside it and a CSV download.
The small trend lines in the overview's table are drawn from straight segments and named by
their figures. Headings are real headings, in order; the menu is headings and links.
We have also made the text as simple as we can. Colour never carries meaning alone: RAG
ratings have a symbol and a word (✔ Green, ▲ Amber, ✖ Red), bars carry patterns, lines are
labelled and dashed differently, all in one palette people with the common forms of colour
blindness can tell apart (Okabe and Ito's). A link to a page opens the same view, filters
and tabs included, so nobody has to repeat many clicks.

## How accessible this dashboard is

We know some parts are not fully accessible:

- charts' hover labels and the points inside a chart are not announced by every screen
  reader (each chart's name says what it shows and its table holds every figure; the spine
  and funnel charts' sentences do not describe every authority or locality);
- board packs are tagged PDF files with a title, a language, headings, alternative text for
  every chart and every chart's table, but they have not been checked against PDF/UA.

## Feedback and contact information

If you need information on this dashboard in a different format, such as accessible PDF,
large print, easy read, audio recording or braille, or you find a problem not listed here:

- email {plain(contact.email)}"""
    + (f"\n- call {plain(contact.phone)}" if contact.phone else "")
    + f"""

We will consider your request and get back to you within {contact.reply_within_days} working
days. Please say which page, and what you were trying to do.

## Enforcement procedure

The Equality and Human Rights Commission (EHRC) is responsible for enforcing the Public
Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018 (the
'accessibility regulations'). If you are not happy with how we respond to your complaint,
contact the Equality Advisory and Support Service (EASS).

## Technical information about this dashboard's accessibility

The {partnership} is committed to making its website accessible, in accordance with the
accessibility regulations.

### Compliance status

This dashboard is **partially compliant** with the Web Content Accessibility Guidelines
version 2.2 AA standard, due to the non-compliances listed below.

### Non-accessible content

The content listed below is non-accessible for the following reasons.

**Non-compliance with the accessibility regulations**

- The points inside a chart (drawn with Plotly) and its hover labels can only be reached
  with a mouse and are not announced by every screen reader. Each chart is named by its
  title and a sentence saying what it shows, and its table (a keyboard and a screen reader
  can reach it) holds every figure; we have not had this judged against WCAG 2.2 success
  criteria 1.1.1 (non-text content) and 2.1.1 (keyboard) by an auditor.

**Disproportionate burden**: we are not claiming disproportionate burden for anything.

**Content that is not within the scope of the accessibility regulations**: none.

## How we tested this dashboard

Every page is checked automatically, on every change to the software, with axe-core
{AXE_VERSION} (Deque's accessibility engine) in Chromium against WCAG 2.2 A and AA and
axe's best practices, at screen sizes of 1,366 × 768 and 1,920 × 1,080; the check fails if
it finds any serious or critical problem. It has not yet been audited by hand or by an
independent auditor.

## Preparation of this accessibility statement

This statement was prepared on {contact.prepared:%d %B %Y}. It was last reviewed on
{contact.reviewed:%d %B %Y}.
"""
)
