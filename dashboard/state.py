"""Page state kept in the URL (``st.query_params``), so a view can be pasted into board
papers and opened again exactly."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st


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
    wanted = st.query_params.get(key)
    if wanted not in options:
        wanted = default if default in options else options[0]
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
