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


def choices(
    key: str,
    options: dict[str, str],
    *,
    label: str,
    placeholder: str = "All",
    default: Sequence[str] = (),
    pills: bool = False,
    help: str | None = None,
) -> list[str]:
    """A multi-select (or, ``pills``, a row of toggles) over ``options`` (code -> label)
    whose value is the repeated URL parameter ``key`` holding codes, so a pasted link opens
    the same filters. A link that changes the parameter (or names an unknown code, which is
    noted and dropped) wins over what the widget held."""
    codes = list(options)
    given = st.query_params.get_all(key)
    explicit = bool(given)  # "?key=" alone: the person chose nothing
    given = [g for g in given if g]
    unknown = [g for g in given if g not in options]
    if unknown:
        shown = ", ".join(g if len(g) <= 40 else g[:40] + "..." for g in unknown[:3])
        st.info(
            f"The link asked for {label.lower()} '{plain(shown)}', which this page cannot "
            "show; that filter is left out.",
            icon=":material/link_off:",
        )
    wanted = [g for g in given if g in options] if explicit else list(default)
    widget = f"url_{key}"
    if st.session_state.get(widget) != wanted:
        st.session_state[widget] = wanted

    def to_url() -> None:
        chosen = st.session_state[widget] or []
        if list(chosen) == list(default):
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = list(chosen) or [""]

    if pills:
        value = st.pills(
            label,
            codes,
            selection_mode="multi",
            format_func=options.get,
            key=widget,
            on_change=to_url,
            help=help,
        )
    else:
        value = st.multiselect(
            label,
            codes,
            format_func=options.get,
            placeholder=placeholder,
            key=widget,
            on_change=to_url,
            help=help,
        )
    if unknown:
        to_url()
    return list(value or [])
