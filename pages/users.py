"""Users: who may use voc and with which role (admins only)."""

import pandas as pd
import streamlit as st

from voc import ui
from voc.core.access import RANKS, Mode, Role
from voc.core.errors import VocError
from voc.core.users import add_user, remove_user, set_role, set_rule

ui.require_frame()
st.title("Users")
st.markdown(
    "**Viewers** browse and download. **Analysts** also upload, undo, and edit mappings, targets and actions. "
    "**Admins** also decide who has which role."
)
path, roles = ui.settings().users_file, list(RANKS)
if ui.access_mode() == Mode.OIDC:
    rules = ui.users_file().rules
    st.markdown(
        f"People sign in with the county's identity provider. Their role comes from the groups in the "
        f"`{rules.group_claim}` claim of their identity token, or from their e-mail address; the highest wins. "
        f"Anyone else gets: **{rules.default_role or 'no access'}**."
    )
    with st.form("users_rule_form", clear_on_submit=True):
        kind = st.radio("Give a role to", ["emails", "groups"], format_func={"emails": "an e-mail address",
                        "groups": "a group"}.get, horizontal=True, key="users_rule_kind")  # fmt: skip
        key = st.text_input("E-mail address or group (as the identity provider sends it)", key="users_rule_key")
        chosen = st.selectbox("Role", [*roles, "none"], format_func=lambda r: r if r != "none" else "no role (remove)",
                              key="users_rule_role")  # fmt: skip
        if st.form_submit_button("Save", type="primary"):
            try:
                set_rule(path, kind=kind, key=key, role=None if chosen == "none" else Role(chosen),
                         acting_role=ui.role())  # fmt: skip
                st.success("Saved. It applies from each person's next click.")
            except VocError as error:
                st.error(str(error))
    rules = ui.users_file().rules
    table = [{"rule": "group", "name": k, "role": v} for k, v in rules.groups.items()]
    table += [{"rule": "e-mail", "name": k, "role": v} for k, v in rules.emails.items()]
    st.dataframe(pd.DataFrame(table, columns=["rule", "name", "role"]), hide_index=True, key="users_rules")
    st.stop()

if ui.access_mode() == Mode.DEMO:
    st.warning("Adding a user turns sign-in on: from then on everyone signs in. Make the first user an admin.")
with st.form("users_add_form", clear_on_submit=True):
    st.markdown("**Add a user**, or give an existing user a new password")
    name = st.text_input("User name", key="users_add_name")
    new_role = st.selectbox("Role", roles, key="users_add_role")
    password = st.text_input("Password (12 characters or more)", type="password", key="users_add_password")
    again = st.text_input("The same password again", type="password", key="users_add_again")
    if st.form_submit_button("Save the user", type="primary"):
        try:
            if password != again:
                raise VocError("The two passwords differ: type the same password twice.")
            added = add_user(path, name, password, role=Role(new_role), acting_role=ui.role())
            st.success(f"Saved {added.name} ({added.role}).")
        except VocError as error:
            st.error(str(error))

users = ui.users_file().users
if users:
    left, right = st.columns(2)
    with left.form("users_role_form"):
        who = st.selectbox("User", sorted(users), key="users_role_user")
        changed = st.selectbox("New role", roles, key="users_role_role")
        if st.form_submit_button("Change the role"):
            try:
                set_role(path, who, role=Role(changed), acting_role=ui.role())
                st.success(f"{who} is now {changed}.")
            except VocError as error:
                st.error(str(error))
    with right.form("users_remove_form"):
        gone = st.selectbox("User", sorted(users), key="users_remove_user")
        sure = st.checkbox("Yes, remove this user", key="users_remove_confirm")
        if st.form_submit_button("Remove") and sure:
            try:
                remove_user(path, gone, acting_role=ui.role())
                st.success(f"Removed {gone}.")
            except VocError as error:
                st.error(str(error))
users = ui.users_file().users
shown = pd.DataFrame([{"user": u.name, "role": str(u.role)} for u in users.values()], columns=["user", "role"])
st.dataframe(shown.sort_values("user"), hide_index=True, key="users_table")
