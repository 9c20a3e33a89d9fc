"""People and roles: who may sign in and what each may do (admins only)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import components as ui
from dashboard import data, people
from metrics.core.access import NotPermitted, Role, can

me = people.actor()
st.title("People and roles")
if not can(me, "manage-users"):
    st.info("Only an admin can see and change who may use the app.")
    st.stop()

st.write(
    "Everyone signs in with the council's account; what they may do here depends on the "
    "roles below. A person who signs in without a role is shown their id to send to you."
)
everyone = data.users(me)
if everyone.is_empty():
    st.write("No one has been added yet.")
else:
    st.table(
        everyone.select(
            pl.col("name").map_elements(ui.plain, return_dtype=pl.String).alias("Name"),
            pl.col("id").map_elements(ui.plain, return_dtype=pl.String).alias("Id"),
            pl.col("roles").list.join(", ").alias("Roles"),
            pl.col("groups").list.join(", ").alias("Groups led"),
        ).to_pandas()
    )

catalogue = data.catalogue()
st.header("Add a person", divider="gray")
with st.form("add_person", clear_on_submit=True):
    user_id = st.text_input(
        "Id (issuer|subject)", help="Shown to them when they sign in without a role"
    )
    name = st.text_input("Name")
    email = st.text_input("Email (optional)")
    if st.form_submit_button("Add"):
        try:
            data.add_user(me, user_id=user_id.strip(), name=name, email=email.strip() or None)
        except (ValueError, NotPermitted) as exc:
            st.error(ui.plain(exc))
        else:
            st.success(f"Added {ui.plain(name)}.")
            st.rerun()

if not everyone.is_empty():
    st.header("Grant or revoke a role", divider="gray")
    with st.form("change_role"):
        who = st.selectbox(
            "Person",
            everyone["id"].to_list(),
            format_func=lambda i: everyone.filter(pl.col("id") == i)["name"][0],
        )
        role = st.selectbox("Role", [r.value for r in Role])
        group = st.selectbox(
            "Group (for a delivery group lead)",
            ["", *catalogue.group],
            format_func=lambda g: catalogue.group[g].name if g else "–",
        )
        grant_col, revoke_col = st.columns(2)
        granted = grant_col.form_submit_button("Grant")
        revoked = revoke_col.form_submit_button("Revoke")
        if granted or revoked:
            try:
                data.change_role(me, user_id=who, role=role, group=group or None, add=granted)
            except (ValueError, LookupError, NotPermitted) as exc:
                st.error(ui.plain(exc))
            else:
                st.success("Saved; it applies from their next page.")
                st.rerun()
