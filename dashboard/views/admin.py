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
asking = data.access_asked(me)
if asking.height:
    st.warning(
        f"{ui.counted(asking.height, 'person has', 'people have')} signed in and asked for "
        "access: invite them by their email address, or add them by their id, below.",
        icon=":material/person_add:",
    )
    ui.table(
        asking.select(
            pl.col("name").fill_null("").alias("Name"),
            pl.col("email").fill_null("").alias("Email"),
            pl.col("id").alias("Id"),
            pl.col("asked_at").dt.strftime("%d %b %Y %H:%M").alias("Asked"),
        ),
        "People who have asked for access",
    )

st.header("Invite by email", divider="gray")
st.write(
    "The easiest way to give someone access: invite them by their work email address. When "
    "they first sign in with that address (as their identity provider has verified it), "
    "they get the role, and keep it under their own account from then on."
)
INVITED_ROLES = [r.value for r in Role if r is not Role.PUBLIC]


def send_invitation() -> None:
    state = st.session_state
    try:
        address = data.invite(
            me,
            email=state["invite_email"],
            name=state["invite_name"].strip(),
            role=state["invite_role"] or "",
            group=state["invite_group"] if state["invite_role"] == Role.LEAD.value else None,
        )
    except (ValueError, NotPermitted) as exc:
        state["_invite_error"] = str(exc)
    else:
        state["_invite_done"] = (
            f"Invited {state['invite_name'].strip()} ({address}) as {state['invite_role']}. "
            "They get the role when they first sign in with that address."
        )
        for key in ("invite_email", "invite_name"):
            state[key] = ""


with st.form("invite_person"):
    st.text_input("Email address", key="invite_email")
    st.text_input("Name", key="invite_name")
    st.selectbox("Role", INVITED_ROLES, index=None, placeholder="Choose a role", key="invite_role")
    st.selectbox(
        "Group they lead (for a delivery group lead)",
        list(catalogue.group),
        index=None,
        placeholder="Choose a group",
        format_func=lambda g: catalogue.group[g].name,
        key="invite_group",
    )
    st.form_submit_button("Invite", on_click=send_invitation)
if "_invite_error" in st.session_state:
    st.error(ui.plain(st.session_state.pop("_invite_error")))
if "_invite_done" in st.session_state:
    st.success(ui.plain(st.session_state.pop("_invite_done")))
invited = data.invitations(me)
if invited.height:
    ui.table(
        invited.select(
            pl.col("email").alias("Email"),
            pl.col("name").alias("Name"),
            pl.col("role").alias("Role"),
            pl.col("group_code").fill_null("").alias("Group"),
            pl.col("invited_at").dt.strftime("%d %b %Y").alias("Invited"),
            pl.when(pl.col("accepted_at").is_null())
            .then(pl.lit("Not yet signed in"))
            .otherwise(pl.lit("Signed in ") + pl.col("accepted_at").dt.strftime("%d %b %Y"))
            .alias("Taken up"),
        ),
        "Invitations by email",
    )

st.header("Add a person by their id", divider="gray")


def add_person() -> None:
    """Add the person typed in; on success say so, clear the form and choose them below for
    a role; on a refusal keep what was typed and say what to change."""
    state = st.session_state
    user_id, name = state["admin_id"].strip(), state["admin_name"].strip()
    try:
        data.add_user(me, user_id=user_id, name=name, email=state["admin_email"].strip() or None)
    except (ValueError, NotPermitted) as exc:
        state["_admin_error"] = str(exc)
    else:
        state["_admin_added"] = f"Added {name}. Choose a role for them below."
        state["admin_person"] = user_id
        for key in ("admin_id", "admin_name", "admin_email"):
            state[key] = ""


with st.form("add_person"):
    st.text_input(
        "Id (issuer|subject)", key="admin_id", help="Shown to them when they sign in without a role"
    )
    st.text_input("Name", key="admin_name")
    st.text_input("Email (optional)", key="admin_email")
    st.form_submit_button("Add", on_click=add_person)
if "_admin_error" in st.session_state:
    st.error(ui.plain(st.session_state.pop("_admin_error")))
if "_admin_added" in st.session_state:
    st.success(ui.plain(st.session_state.pop("_admin_added")))

if not everyone.is_empty():
    st.header("Grant or revoke a role", divider="gray")

    def person_label(user_id: str) -> str:
        row = everyone.filter(pl.col("id") == user_id).row(0, named=True)
        return f"{row['name']} ({row['email'] or row['id']})"  # two of one name told apart

    ids = everyone["id"].to_list()
    if st.session_state.get("admin_person") not in ids:
        st.session_state.pop("admin_person", None)
    who = st.selectbox("Person", ids, format_func=person_label, key="admin_person")
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
