"""Overview: the latest complete month at a glance."""

from functools import partial

import streamlit as st

from voc.app import frame, loaders, plain, show, triage
from voc.contacts.overview import headline_metrics
from voc.core.periods import month_label
from voc.present import charts

frame.require_frame()
st.title("Overview")
overview = loaders.overview()
if overview is None:
    st.info(
        "No contacts yet. Load the demo county with `voc demo`, or import a month's CRM export "
        "with `voc import requests FILE`."
    )
    st.stop()

month = month_label(overview.month)
upload = overview.last_upload
uploaded = (
    f"data last uploaded {upload['uploaded_at']:%d %b %Y %H:%M} UTC ({upload['file_name']})"
    if upload
    else "no upload recorded"
)
plain.show(f"Latest complete month: {month} · {uploaded}", kind="caption")

show.metric_row(headline_metrics(overview))

st.subheader("What's emerging")
triage.emerging_panel(overview.month, page="overview")

st.subheader("Contacts per month")
show.chart(
    partial(charts.monthly_bars, overview.monthly, highlight=overview.month),
    name=f"contacts-per-month-{overview.month}",
    key="overview_monthly",
    title="Contacts per month",
)

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader(f"Top categories in {month}")
    show.chart(
        partial(charts.category_bars, overview.categories),
        name=f"top-categories-{overview.month}",
        key="overview_categories",
        title=f"Top categories in {month}",
    )
with right:
    st.subheader("How residents got in touch")
    show.chart(
        partial(charts.channel_bars, overview.channels),
        name=f"channels-{overview.month}",
        key="overview_channels",
        title=f"How residents got in touch, {month}",
    )
