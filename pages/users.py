"""Users: who may use voc and with which role (admins only)."""

import streamlit as st

from voc.app import actions, frame, plain, show
from voc.core.access import RANKS, Mode, Role
from voc.core.errors import VocError
from voc.core.users import add_user, remove_user, set_role, set_rule

frame.require_frame()
st.title("Users")
st.markdown(
    "**Viewers** browse and download. **Analysts** also upload, undo, and edit mappings, targets and actions. "
    "**Admins** also decide who has which role."
)
path, roles = frame.settings().users_file, list(RANKS)
if frame.access_mode() == Mode.OIDC:
    rules = frame.users_file().rules
    plain.show(
        f"People sign in with the county's identity provider. Their role comes from the groups in the "
        f"{rules.group_claim!r} claim of their identity token, or from their e-mail address; the highest wins. "
        f"Anyone else gets: {rules.default_role or 'no access'}."
    )
    with st.form("users_rule_form", clear_on_submit=True):
        kind = st.radio("Give a role to", ["emails", "groups"], format_func={"emails": "an e-mail address",
                        "groups": "a group"}.get, horizontal=True, key="users_rule_kind")  # fmt: skip
        key = st.text_input("E-mail address or group (as the identity provider sends it)", key="users_rule_key")
        chosen = st.selectbox("Role", [*roles, "none"], format_func=lambda r: r if r != "none" else "no role (remove)",
                              key="users_rule_role")  # fmt: skip
        if st.form_submit_button("Save", type="primary"):
            with actions.refusals():
                set_rule(path, kind=kind, key=key, role=None if chosen == "none" else Role(chosen),
                         acting_role=frame.role())  # fmt: skip
                st.success("Saved. It applies from each person's next click.")
    show.role_rules(frame.users_file().rules)
    st.stop()

if frame.access_mode() == Mode.DEMO:
    st.warning("Adding a user turns sign-in on: from then on everyone signs in. Make the first user an admin.")
with st.form("users_add_form", clear_on_submit=True):
    st.markdown("**Add a user**, or give an existing user a new password")
    name = st.text_input("User name", key="users_add_name")
    new_role = st.selectbox("Role", roles, key="users_add_role")
    password = st.text_input("Password (12 characters or more)", type="password", key="users_add_password")
    again = st.text_input("The same password again", type="password", key="users_add_again")
    if st.form_submit_button("Save the user", type="primary"):
        with actions.refusals():
            if password != again:
                raise VocError("The two passwords differ: type the same password twice.")
            added = add_user(path, name, password, role=Role(new_role), acting_role=frame.role())
            plain.show(f"Saved {added.name} ({added.role}).", kind="success")

users = frame.users_file().users
if users:
    left, right = st.columns(2)
    with left.form("users_role_form"):
        who = st.selectbox("User", sorted(users), key="users_role_user")
        changed = st.selectbox("New role", roles, key="users_role_role")
        if st.form_submit_button("Change the role"):
            with actions.refusals():
                set_role(path, who, role=Role(changed), acting_role=frame.role())
                plain.show(f"{who} is now {changed}.", kind="success")
    with right.form("users_remove_form"):
        gone = st.selectbox("User", sorted(users), key="users_remove_user")
        sure = st.checkbox("Yes, remove this user", key="users_remove_confirm")
        if st.form_submit_button("Remove") and sure:
            with actions.refusals():
                remove_user(path, gone, acting_role=frame.role())
                plain.show(f"Removed {gone}.", kind="success")
show.local_users(frame.users_file().users)
