"""AppTest of triage and watches: an analyst goes from an emerging issue to an action and its measured effect on
the Trends page; a viewer sees the states but no form; watches are saved and removed on the Data page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import APP, only_table, open_app_page, plain_texts
from voc.contacts.actions import list_actions
from voc.contacts.watches import list_watches
from voc.core.access import Role
from voc.core.users import add_user
from voc.store.engine import open_store
from voc.store.triage import issue_states

DUMPING = "illegal-dumping-2026-08"  # the demo county's planted rise in District 5, as of October 2026


def _submit(app: AppTest, form: str) -> None:
    [button] = [button for button in app.get("form_submit_button") if button.form_id == form]
    button.click()
    app.run()
    assert not app.exception


def test_an_analyst_acts_on_an_issue_and_sees_the_effect_beside_it(
    monkeypatch: pytest.MonkeyPatch, demo_copy: str
) -> None:
    monkeypatch.setenv("VOC_USER", "ana")  # who the open demo mode's operator is, in the audit log
    app = open_app_page(monkeypatch, demo_copy, "pages/trends.py", query={"trends_tab": "Questions to answer"})
    assert [w.split(" · ")[0] for w in plain_texts(app, "warning")] == ["New"] * 3
    questions = only_table(app, "contacts_per_month")
    assert questions["category"].iloc[0] == "General questions" and set(questions["status"]) == {"stays high"}
    app.selectbox(key="trends_triage_issue").set_value(DUMPING)
    app.radio(key="trends_triage_state").set_value("dismissed")
    _submit(app, "trends_triage")
    assert "Say why the issue is dismissed" in plain_texts(app, "error")[0]
    assert issue_states(open_store(demo_copy)).empty

    app.selectbox(key="trends_triage_issue").set_value(DUMPING)
    app.radio(key="trends_triage_state").set_value("acted")
    app.text_input(key="trends_triage_description").input("Cameras at the three dump sites")
    app.date_input(key="trends_triage_date").set_value(date(2026, 8, 15))
    _submit(app, "trends_triage")
    [acted] = [w for w in plain_texts(app, "success") if w.startswith("Acted on · ")]
    assert "Illegal dumping in District 5" in acted and "\nAction: Cameras at the three dump sites\n" in acted
    assert "\nEffect so far: Illegal dumping in District 5 rose" in acted and "Aug 2026–Oct 2026" in acted
    engine = open_store(demo_copy)
    state = issue_states(engine).iloc[0]
    action = list_actions(engine).iloc[0]
    assert (state["issue_id"], state["state"], state["action_id"]) == (DUMPING, "acted", action["id"])
    assert (action["category"], action["district_code"]) == ("Illegal dumping", "5")
    assert len(plain_texts(app, "warning")) == 2  # the two issues still new
    history = only_table(app, "set_by")
    assert history[["issue_id", "state", "action_id", "set_by"]].values.tolist() == [[DUMPING, "acted", 1, "ana"]]


def test_a_viewer_sees_the_states_but_cannot_set_them(
    monkeypatch: pytest.MonkeyPatch, demo_copy: str, tmp_path: Path
) -> None:
    from voc.store.triage import IssueRef, set_issue_state

    issue = IssueRef(DUMPING, "Illegal dumping", ("5",), "Illegal dumping in District 5.", "2026-10")
    set_issue_state(open_store(demo_copy), issue, "dismissed", user="ana", role=Role.ANALYST, reason="a clean-up day")
    users = tmp_path / "users.toml"
    add_user(users, "vera", "a long enough passphrase", role=Role.VIEWER, acting_role=Role.ADMIN)
    monkeypatch.setenv("VOC_USERS_FILE", str(users))
    monkeypatch.setenv("VOC_DATABASE_URL", demo_copy)
    app = AppTest.from_file(APP, default_timeout=90)
    app.session_state["voc_user"] = "vera"
    app.switch_page("pages/trends.py")
    app.run()
    assert not app.exception
    assert not [w for w in app.selectbox if w.key == "trends_triage_issue"]
    assert len(plain_texts(app, "warning")) == 2
    assert any("Dismissed by ana" in c and "Reason: a clean-up day" in c for c in plain_texts(app, "caption"))


def test_watches_are_saved_and_removed_on_the_data_page(monkeypatch: pytest.MonkeyPatch, demo_copy: str) -> None:
    app = open_app_page(monkeypatch, demo_copy, "pages/data.py")
    app.text_input(key="data_watch_name").input("Harbor")
    app.multiselect(key="data_watch_districts").select("3")
    app.text_input(key="data_watch_recipients").input("commissioner@example.org, aide@example.org")
    _submit(app, "data_watch_form")
    assert list_watches(open_store(demo_copy))[0].recipients == ("commissioner@example.org", "aide@example.org")
    assert only_table(app, "recipients")["name"].tolist() == ["Harbor"]
    app.text_input(key="data_watch_name").input("Nobody")
    _submit(app, "data_watch_form")
    assert "at least one address" in plain_texts(app, "error")[0]
    app.button(key="data_watch_remove_button").click()
    app.run()
    assert list_watches(open_store(demo_copy)) == []
