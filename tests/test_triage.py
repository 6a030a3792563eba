"""Triage of emerging issues and watches: states and their history in the store (SQLite and PostgreSQL), the
library's refusals, and `voc alerts`, `voc alerts ack` and `voc watch` on the demo county."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from voc.cli import main
from voc.contacts.actions import add_action
from voc.contacts.watches import SavedWatch, add_watch, digest_sent_at, list_watches, record_digest_sent
from voc.core.access import Role
from voc.core.errors import NotAllowed, NotFound, VocError
from voc.store.models import AuditEntry
from voc.store.triage import IssueRef, issue_states, set_issue_state, state_history

MONTH = "2026-10"  # the demo county's latest complete month
ISSUE = IssueRef("potholes-2026-08", "Potholes", ("3",), "Potholes in District 3: 90 against 40 expected.", MONTH)


def test_the_newest_state_is_the_issues_and_every_change_is_kept_and_audited(engine: sa.Engine) -> None:
    action = add_action(engine, action_date=date(2026, 9, 1), description="Crews", user="ana", role=Role.ANALYST)
    set_issue_state(engine, ISSUE, "seen", user="ana", role=Role.ANALYST)
    set_issue_state(engine, ISSUE, "acted", user="bo", role=Role.ANALYST, action_id=action)
    other = IssueRef("noise-2026-09", "Noise", (), "Noise county-wide.", MONTH)
    set_issue_state(engine, other, "dismissed", user="ana", role=Role.ADMIN, reason="  a festival  ")
    states = issue_states(engine).set_index("issue_id")
    assert states.loc[ISSUE.issue_id, ["state", "action_id", "set_by"]].tolist() == ["acted", action, "bo"]
    assert states.loc[ISSUE.issue_id, "district_codes"] == ["3"]
    assert states.loc[other.issue_id, ["state", "reason"]].tolist() == ["dismissed", "a festival"]
    assert state_history(engine, [ISSUE.issue_id])["state"].tolist() == ["acted", "seen"]
    assert len(state_history(engine, [ISSUE.issue_id, other.issue_id])) == 3
    with engine.connect() as connection:
        audit = connection.execute(sa.select(AuditEntry.action, AuditEntry.detail).order_by(AuditEntry.id)).all()
    assert audit[-3:] == [
        ("set issue state", f"{ISSUE.issue_id}: seen"),
        ("set issue state", f"{ISSUE.issue_id}: acted (action {action})"),
        ("set issue state", f"{other.issue_id}: dismissed"),
    ]


@pytest.mark.parametrize(
    ("state", "options", "error", "message"),
    [
        ("acted", {}, VocError, "give the action's id"),
        ("acted", {"action_id": 999}, NotFound, "No action 999"),
        ("dismissed", {"reason": "   "}, VocError, "Say why"),
        ("seen", {"action_id": 1}, VocError, "Only an issue acted on"),
        ("new", {}, VocError, "use one of seen, acted, dismissed"),
    ],
)
def test_a_state_missing_what_it_needs_is_refused_and_nothing_is_written(
    sqlite_url: str, state: str, options: dict, error: type[Exception], message: str
) -> None:
    from voc.store.engine import open_store

    engine = open_store(sqlite_url)
    with pytest.raises(error, match=message):
        set_issue_state(engine, ISSUE, state, user="ana", role=Role.ANALYST, **options)
    assert issue_states(engine).empty


def test_a_viewer_cannot_set_a_state(sqlite_url: str) -> None:
    from voc.store.engine import open_store

    with pytest.raises(NotAllowed):
        set_issue_state(open_store(sqlite_url), ISSUE, "seen", user="vera", role=Role.VIEWER)


@pytest.fixture
def demo_voc(monkeypatch: pytest.MonkeyPatch, demo_copy: str):
    """Run `voc ARGS...` on a copy of the demo county as "ana"; return (exit code, stdout, stderr)."""
    monkeypatch.setenv("VOC_DATABASE_URL", demo_copy)
    monkeypatch.setenv("VOC_USER", "ana")
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(main, list(args))
        return result.exit_code, result.stdout, result.stderr

    return run


def _grouped(demo_voc) -> dict[str, dict]:
    code, out, _ = demo_voc("alerts", "--month", MONTH, "--json")
    assert code == 0
    assert "NaN" not in out.split('"grouped_issues"')[1]  # strict JSON: a state not set is null
    return {issue["issue_id"]: issue for issue in json.loads(out)["grouped_issues"]}


def test_alerts_ack_takes_an_issue_from_new_to_acted_with_its_action_and_effect(demo_voc) -> None:
    issues = _grouped(demo_voc)
    # The demo's three planted rises, all new.
    assert {issue["category"] for issue in issues.values()} == {
        "Illegal dumping", "Streetlight out", "Flooding / standing water",
    }  # fmt: skip
    assert {issue["state"] for issue in issues.values()} == {"new"}
    assert {(issue["action_id"], issue["effect"], issue["set_at"]) for issue in issues.values()} == {(None, None, None)}
    dumping = next(i for i, issue in issues.items() if issue["category"] == "Illegal dumping")
    assert demo_voc("alerts", "ack", dumping, "--state", "seen", "--month", MONTH)[0] == 0
    assert _grouped(demo_voc)[dumping]["state"] == "seen"

    code, _, err = demo_voc("alerts", "ack", dumping, "--state", "acted", "--month", MONTH)
    assert code == 2 and err.startswith("Error: An issue acted on is linked to its action")
    code, _, err = demo_voc("alerts", "ack", dumping, "--state", "dismissed", "--month", MONTH)
    assert code == 2 and "Say why the issue is dismissed" in err
    code, out, _ = demo_voc("alerts", "ack", "no-such-issue-2026-01", "--state", "seen", "--month", MONTH, "--json")
    assert code == 2 and json.loads(out)["kind"] == "not_found" and dumping in json.loads(out)["error"]

    demo_voc("action", "add", "--date", "2026-08-15", "--category", "Illegal dumping", "--description", "Cameras")
    code, out, _ = demo_voc("alerts", "ack", dumping, "--state", "acted", "--action", "1", "--month", MONTH, "--json")
    assert code == 0 and json.loads(out)["state"] == "acted"
    acted = _grouped(demo_voc)[dumping]
    assert (acted["state"], acted["action_id"], acted["action"], acted["set_by"]) == ("acted", 1, "Cameras", "ana")
    # The action's effect on Illegal dumping from August on, as the Trends page measures every action.
    assert acted["effect"].startswith("Illegal dumping rose") and "Aug 2026–Oct 2026" in acted["effect"]
    code, out, _ = demo_voc("alerts", "--month", MONTH)
    assert "⚠ [acted] Illegal dumping in District 5" in out and f"(id {dumping})" in out
    assert "acted on: Cameras (action 1). Illegal dumping rose" in out


def test_a_dismissed_issue_keeps_its_reason_and_later_months_still_know_it(demo_voc) -> None:
    issue = next(iter(_grouped(demo_voc)))
    assert demo_voc("alerts", "ack", issue, "--state", "dismissed", "--reason", "storm", "--month", MONTH)[0] == 0
    # Not emerging in an earlier month, but triaged: it can still be acknowledged.
    assert demo_voc("alerts", "ack", issue, "--state", "seen", "--month", "2025-01")[0] == 0
    assert _grouped(demo_voc)[issue]["state"] == "seen"


def test_watches_are_added_listed_refused_when_wrong_and_removed(demo_voc) -> None:
    code, out, _ = demo_voc(
        "watch", "add", "Roads D3", "--department", "Roads & Drainage", "--district", "3", "--to", "head@example.org",
        "--to", "deputy@example.org",
    )  # fmt: skip
    assert code == 0, out
    code, out, _ = demo_voc("watch", "list", "--json")
    assert json.loads(out) == [
        {"name": "Roads D3", "departments": ["Roads & Drainage"], "categories": [], "districts": ["3"],
         "recipients": ["head@example.org", "deputy@example.org"]},
    ]  # fmt: skip
    refusals = {
        ("Roads D3",): "exists already",
        ("Typo", "--category", "Potholez"): "No contacts have the category 'Potholez'",
        ("Far", "--district", "9"): "No contacts have the district code '9'",
        ("Bad", "--to", "not an address"): "Not an e-mail address",
    }
    for words, message in refusals.items():
        to = () if "--to" in words else ("--to", "a@example.org")
        code, _, err = demo_voc("watch", "add", *words, *to)
        assert code == 2 and message in err, err
    assert demo_voc("watch", "remove", "Roads D3")[0] == 0
    assert json.loads(demo_voc("watch", "list", "--json")[1]) == []
    code, _, err = demo_voc("watch", "remove", "Roads D3")
    assert code == 2 and "No watch named 'Roads D3'" in err


def test_watches_and_sent_digests_are_kept_in_the_store(engine: sa.Engine) -> None:
    watch = SavedWatch("County", recipients=(" clerk@example.org ",))
    with pytest.raises(NotAllowed):
        add_watch(engine, watch, user="vera", role=Role.VIEWER)
    add_watch(engine, watch, user="ana", role=Role.ANALYST)
    assert list_watches(engine) == [SavedWatch("County", recipients=("clerk@example.org",))]
    assert digest_sent_at(engine, "County", "2026-10") is None
    record_digest_sent(
        engine, watch="County", period="2026-10", recipients=["clerk@example.org"], subject="s", user="ana"
    )
    sent = digest_sent_at(engine, "County", "2026-10")
    assert sent is not None and sent.utcoffset() is not None and digest_sent_at(engine, "County", "2026-W44") is None
