"""Sign in: the only page of a visitor who has not signed in, whatever URL they opened."""

import streamlit as st

from voc.app import frame
from voc.core.access import Mode
from voc.core.errors import VocError

frame.require_frame()
st.title("Sign in to voc")
if frame.access_mode() == Mode.OIDC:
    st.markdown("voc uses the county's sign-in. You will come back here once you have signed in.")
    st.button("Sign in with your county account", key="sign_in_oidc", type="primary", on_click=st.login)
    st.stop()

with st.form("sign_in_form", clear_on_submit=True, enter_to_submit=True):
    name = st.text_input("User name", key="sign_in_name", autocomplete="username")
    password = st.text_input("Password", type="password", key="sign_in_password", autocomplete="current-password")
    submitted = st.form_submit_button("Sign in", type="primary")
if submitted:
    try:
        frame.sign_in(name, password)
    except VocError as error:
        st.error(str(error))
    else:
        st.rerun()
st.caption("Forgot your password? A voc admin can set a new one on the Users page or with `voc user add`.")
