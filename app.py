"""voc: the app frame. Pages are listed here; each page file only lays out widgets."""

import streamlit as st

st.set_page_config(page_title="voc · Voice of the Customer", page_icon=":material/forum:", layout="wide")

pages = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
]
st.navigation(pages).run()
