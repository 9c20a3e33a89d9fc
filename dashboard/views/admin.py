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

    def person_label(user_id: str) -> str:
        row = everyone.filter(pl.col("id") == user_id).row(0, named=True)
        return f"{row['name']} ({row['email'] or row['id']})"  # two of one name told apart

    who = st.selectbox("Person", everyone["id"].to_list(), format_func=person_label)
    role = st.selectbox("Role", [r.value for r in Role], index=None, placeholder="Choose a role")
    group = None
    if role == Role.LEAD.value:  # a group goes with a lead grant, and only with one
        group = st.selectbox(
            "Group they lead",
            list(catalogue.group),
            index=None,
            placeholder="Choose a group",
            format_func=lambda g: catalogue.group[g].name,
        )
    grant_col, revoke_col = st.columns(2)
    granted = grant_col.button("Grant", type="primary")
    revoked = revoke_col.button("Revoke")
    if granted or revoked:
        if role is None:
            st.error("Choose a role to grant or revoke.")
        else:
            try:
                data.change_role(me, user_id=who, role=role, group=group, add=granted)
            except (ValueError, LookupError, NotPermitted) as exc:
                st.error(ui.plain(exc))
            else:
                done = "Granted" if granted else "Revoked"
                whom = person_label(who)
                for_group = f" for {catalogue.group[group].name}" if group else ""
                st.session_state["_admin_done"] = (
                    f"{done} {role}{for_group}: {whom}. It applies from their next page."
                )
                st.rerun()  # the table above shows the change
    if "_admin_done" in st.session_state:
        st.success(st.session_state.pop("_admin_done"))
