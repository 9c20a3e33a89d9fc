"""Partnership Outcomes: page configuration and navigation, grouped by who uses each page."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import components, data, people
from metrics.core.access import Role, can
from metrics.services import StoreError

st.set_page_config(
    page_title="Partnership Outcomes",
    page_icon=str(Path(__file__).parent / "static" / "icon.png"),  # served here, not fetched
    layout="wide",
)


def home_for(roles: set[Role]) -> str:
    """Where a person starts: the board (and an admin) at the overview, a delivery group's
    lead at their group's work, a scrutiny member at the trends and comparisons."""
    if roles & {Role.BOARD, Role.ADMIN}:
        return "overview"
    if Role.LEAD in roles:
        return "work"
    return "trends" if Role.SCRUTINY in roles else "overview"


def pages_for() -> dict[str, list]:
    """The app's pages by who uses them, each at its own address (``/overview``, ``/work``
    ...); the address ``/`` is :func:`landing`, which sends a person on to their home."""
    return {
        "Partnership board": [
            st.Page(
                "views/overview.py",
                title="Board overview",
                icon=":material/dashboard:",
                url_path="overview",
            ),
            st.Page(
                "views/indicator.py",
                title="Indicator",
                icon=":material/show_chart:",
                url_path="indicator",
            ),
            st.Page(
                "views/accountability.py",
                title="Challenges and actions",
                icon=":material/assignment:",
                url_path="accountability",
            ),
        ],
        "Delivery groups": [
            st.Page(
                "views/work.py",
                title="Your group's work",
                icon=":material/checklist:",
                url_path="work",
            ),
            st.Page(
                "views/submit.py",
                title="Submit a return",
                icon=":material/upload_file:",
                url_path="submit",
            ),
            st.Page(
                "views/quality.py",
                title="Data quality",
                icon=":material/fact_check:",
                url_path="quality",
            ),
        ],
        "Scrutiny": [
            st.Page(
                "views/trends.py",
                title="Trends",
                icon=":material/timeline:",
                url_path="trends",
            ),
            st.Page(
                "views/catalogue.py",
                title="Outcomes and indicators",
                icon=":material/list:",
                url_path="catalogue",
            ),
        ],
        "Administration": [
            st.Page(
                "views/admin.py",
                title="People and roles",
                icon=":material/group:",
                url_path="admin",
            ),
        ],
        "Help": [
            st.Page("views/guide.py", title="User guide", icon=":material/help:", url_path="guide"),
            st.Page(
                "views/accessibility.py",
                title="Accessibility statement",
                icon=":material/accessibility:",
                url_path="accessibility",
            ),
        ],
    }


def landing() -> None:
    """The address ``/``: on to the person's home page. (Streamlit serves its default page
    only at ``/``, so no real page is the default: each keeps its own address, which links
    such as the reminders' ``work?group=…`` use.)"""
    home = home_for(set(me.roles))
    st.switch_page(
        next(p for pages in PAGES.values() for p in pages if p.url_path == home),
        query_params={key: st.query_params.get_all(key) for key in st.query_params},
    )


def database_failed(exc: StoreError) -> None:
    """The database file itself failed (damaged, or its disk full): say so, and stop."""
    st.error(f"The page could not be shown. {components.plain(exc)}")
    st.stop()


# The sidebar's navigation comes first; Streamlit's own sectioned menu puts its list items
# inside other elements, which screen readers cannot follow as a list (axe: list,
# listitem), so the menu here is headings and links.
menu = st.sidebar.container()
data.begin_run()
try:
    me = people.establish()  # who is using the app (or a page saying why no one may)
except StoreError as exc:
    database_failed(exc)
# each person is offered the pages their role can use (each page checks again for itself)
hidden = {
    "submit": not (me.roles & {Role.LEAD} or can(me, "view-submissions")),
    "work": not (me.roles & {Role.LEAD} or can(me, "view-submissions")),
    "admin": not can(me, "manage-users"),
    "quality": me.roles == {Role.PUBLIC},
    "accountability": me.roles == {Role.PUBLIC},  # how returns arrive: for the partnership
}
PAGES = pages_for()
offered = {
    section: [p for p in pages if not hidden.get(p.url_path, False)]
    for section, pages in PAGES.items()
}
current = st.navigation(
    [
        st.Page(landing, title="Home", url_path="home", default=True),
        *(page for pages in offered.values() for page in pages),
    ],
    position="hidden",
)
st.set_page_config(page_title=f"{current.title} · Partnership Outcomes")  # the tab names the page
with menu:
    for section, pages in offered.items():
        if pages:
            st.subheader(section, anchor=False)
            for page in pages:
                st.page_link(page)
st.html(components.PRINT_STYLE)  # any page prints as the page alone
try:
    current.run()
except StoreError as exc:
    database_failed(exc)
