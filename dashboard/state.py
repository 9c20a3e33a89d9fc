"""Page state kept in the URL (``st.query_params``), so a view can be pasted into board
papers and opened again exactly."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from dashboard.components import plain


def valid(
    key: str, accept: Sequence[str] | Callable[[str], bool], *, label: str, instead: str
) -> str | None:
    """The URL parameter ``key`` if it is one of the options ``accept`` lists (or passes
    its test). A link with a value the page cannot show (mistyped, or from an older version
    of the app) gets a short note and the page's default view, never an error."""
    wanted = st.query_params.get(key)
    if wanted is None or (accept(wanted) if callable(accept) else wanted in accept):
        return wanted
    shown = wanted if len(wanted) <= 40 else wanted[:40] + "..."
    st.info(
        f"The link asked for {label.lower()} '{plain(shown)}', which this page cannot show; "
        f"showing {plain(instead)} instead.",
        icon=":material/link_off:",
    )
    del st.query_params[key]
    return None


def choice(
    key: str,
    options: Sequence[str],
    *,
    label: str,
    default: str | None = None,
    format_func: Callable[[str], str] = str,
    sidebar: bool = False,
    help: str | None = None,
) -> str:
    """A select box whose value is read from and written to the URL parameter ``key``."""
    options = list(options)
    fallback = default if default in options else options[0]
    wanted = valid(key, options, label=label, instead=format_func(fallback)) or fallback
    place = st.sidebar if sidebar else st
    value = place.selectbox(
        label,
        options,
        index=options.index(wanted),
        format_func=format_func,
        key=f"url_{key}",
        help=help,
    )
    if st.query_params.get(key) != value:
        st.query_params[key] = value
    return value
