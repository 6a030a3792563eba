"""`voc digest` against a real SMTP server on loopback: the message, its parts, the inline chart, the recipients;
a failed send exits non-zero and is sent again on the next run; a sent one is not."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tests.mail_server import free_port, self_signed_certificate, smtp_server
from voc.cli import main
from voc.contacts.closure import acknowledge_time
from voc.contacts.digest import build_digest, closed_not_fixed
from voc.contacts.watches import SavedWatch
from voc.core.config import DEFAULT_CLOSURE_RULES
from voc.present.digest_mail import digest_text
from voc.store.models import ClosureRating, ServiceRequest
from voc.store.proactive_tables import DigestSend

MONTH = "2026-10"  # the demo county's latest complete month
PUBLIC = "http://voc.example.org/"
HOSTILE = "<script>alert(1)</script> & cameras"


@pytest.fixture
def voc(monkeypatch: pytest.MonkeyPatch, demo_copy: str):
    monkeypatch.setenv("VOC_DATABASE_URL", demo_copy)
    monkeypatch.setenv("VOC_PUBLIC_URL", PUBLIC)
    monkeypatch.setenv("VOC_USER", "ana")
    monkeypatch.delenv("VOC_SMTP_URL", raising=False)
    monkeypatch.delenv("VOC_MAIL_FROM", raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args))


def _sends(url: str) -> list[tuple[str, str]]:
    with sa.create_engine(url).connect() as connection:
        table = DigestSend.__table__
        return [tuple(row) for row in connection.execute(sa.select(table.c.watch, table.c.period))]


def _act_on_dumping(voc) -> str:
    issues = json.loads(voc("alerts", "--month", MONTH, "--json").stdout)["grouped_issues"]
    dumping = next(issue["issue_id"] for issue in issues if issue["category"] == "Illegal dumping")
    voc("action", "add", "--date", "2026-08-15", "--category", "Illegal dumping", "--description", HOSTILE)
    assert voc("alerts", "ack", dumping, "--state", "acted", "--action", "1", "--month", MONTH).exit_code == 0
    return dumping


def test_a_watch_receives_its_digest_once_with_an_inline_chart_and_escaped_text(
    voc, monkeypatch: pytest.MonkeyPatch, demo_copy: str
) -> None:
    dumping = _act_on_dumping(voc)
    added = voc("watch", "add", "District 5", "--district", "5", "--to", "head@example.org", "--to", "dep@example.org")
    assert added.exit_code == 0
    with smtp_server() as server:
        monkeypatch.setenv("VOC_SMTP_URL", f"smtp://digest%40county.example.org:p%40ss@127.0.0.1:{server.port}")
        result = voc("digest", "--month", MONTH)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("Sent 'voc: what is emerging for watch District 5, Oct 2026' (1 emerging, 1")
        assert server.logins == [("digest@county.example.org", "p@ss")]
        [(sender, recipients, message)] = server.messages
        assert sender == "digest@county.example.org" and recipients == ["head@example.org", "dep@example.org"]
        assert message["To"] == "head@example.org, dep@example.org"
        assert message.get_content_type() == "multipart/alternative"
        text, related = message.get_payload()
        assert text.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
        html_part, image = related.get_payload()
        html = html_part.get_content()
        assert image.get_content_type() == "image/png" and image.get_payload(decode=True)[:8] == b"\x89PNG\r\n\x1a\n"
        assert image["Content-Disposition"].startswith("inline")
        assert f"src='cid:{image['Content-ID'].strip('<>')}'" in html
        # Only the issue District 5 drives; its action, escaped, with its effect; links to the views in voc.
        assert "Illegal dumping in District 5" in html and "Streetlight out" not in html and "Flooding" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; cameras" in html and "<script>" not in html
        assert "Effect so far:</b> Illegal dumping rose" in html
        assert (
            f"href='{PUBLIC}trends?trends_months=2024-11&amp;trends_months=2026-10&amp;trends_category=Illegal" in html
        )
        assert "trends_district_code=5'" in html
        assert "[acted] Illegal dumping in District 5" in text.get_content() and HOSTILE in text.get_content()
        assert dumping in image.get_filename()

        again = voc("digest", "--month", MONTH)
        assert again.exit_code == 0 and again.stdout.startswith("Skipped watch District 5: its digest for 2026-10")
        assert len(server.messages) == 1
    assert _sends(demo_copy) == [("District 5", "2026-10")]


def test_a_failed_send_exits_2_marks_nothing_and_the_next_run_sends(
    voc, monkeypatch: pytest.MonkeyPatch, demo_copy: str
) -> None:
    assert voc("watch", "add", "Roads", "--department", "Roads & Drainage", "--to", "roads@example.org").exit_code == 0
    monkeypatch.setenv("VOC_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")
    failed = voc("digest", "--month", MONTH, "--watch", "Roads")
    assert failed.exit_code == 2
    assert "Not sent: watch Roads for 2026-10: The mail server 127.0.0.1" in failed.stderr
    assert failed.stderr.splitlines()[-1].endswith("Nothing was marked sent for them: run the command again to resend.")
    assert _sends(demo_copy) == []
    with smtp_server() as server:
        monkeypatch.setenv("VOC_SMTP_URL", f"smtp://127.0.0.1:{server.port}")
        sent = voc("digest", "--month", MONTH, "--watch", "Roads")
        assert sent.exit_code == 0, sent.output
        [(sender, recipients, message)] = server.messages
    assert sender == "voc@127.0.0.1" and recipients == ["roads@example.org"]
    # Flooding in District 3 is the Roads & Drainage department's issue.
    html = message.get_body(("html",)).get_content()
    assert "Flooding / standing water in District 3" in html
    # The department's one topic whose questions cost at least 10 contacts a month.
    questions = html.split("Questions a published answer could save</h2>")[1].split("<h2")[0]
    assert questions.count("questions a month") == 1 and "Potholes in the county: 11 questions a month" in questions
    assert _sends(demo_copy) == [("Roads", "2026-10")]


def test_starttls_and_a_week_send_the_county_wide_digest_to_the_addresses_given(
    voc, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    certificate = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the client trusts the test's own certificate
    monkeypatch.setenv("VOC_MAIL_FROM", "Palmetto voc <voc@palmetto.example.org>")
    with smtp_server(certificate=certificate) as server:
        monkeypatch.setenv("VOC_SMTP_URL", f"smtp://ana:secret@127.0.0.1:{server.port}")
        # Week 45 ends on Sunday 8 November 2026: October is the latest complete month.
        result = voc("digest", "--week", "2026-W45", "--to", "clerk@example.org")
        assert result.exit_code == 0, result.output
    assert server.tls == [True] and server.logins == [("ana", "secret")]
    [(sender, recipients, message)] = server.messages
    assert (sender, recipients) == ("voc@palmetto.example.org", ["clerk@example.org"])
    assert message["Subject"] == "voc: what is emerging for the whole county, week 45 of 2026"
    html = message.get_body(("html",)).get_content()
    assert all(name in html for name in ("Illegal dumping", "Streetlight out", "Flooding / standing water"))
    questions = html.split("Questions a published answer could save</h2>")[1]
    assert questions.startswith("<div style='margin:0 0 12px'><p style='margin:0'>General questions in the county: ")
    assert len([part for part in message.walk() if part.get_content_type() == "image/png"]) == 3


def test_dry_run_sends_nothing_and_html_writes_a_page_with_its_charts(voc, tmp_path: Path, demo_copy: str) -> None:
    assert voc("watch", "add", "All", "--to", "all@example.org").exit_code == 0
    page = tmp_path / "digest.html"
    result = voc("digest", "--month", MONTH, "--dry-run", "--html", str(page))
    assert result.exit_code == 0, result.output
    assert "Would send 'voc: what is emerging for watch All, Oct 2026' (3 emerging, 0 acted on)" in result.stdout
    html = page.read_text(encoding="utf-8")
    assert html.count("src='data:image/png;base64,") == 3 and "Streetlight out in District 1" in html
    assert _sends(demo_copy) == []
    nothing = voc("digest", "--month", MONTH)
    assert nothing.exit_code == 2 and "Set VOC_SMTP_URL" in nothing.stderr
    both = voc("digest", "--month", MONTH, "--week", "2026-W45")
    assert both.exit_code == 2 and "Give --month or --week, not both." in both.stderr


def rated_count(engine: sa.Engine, condition: sa.ColumnElement[bool]) -> int:
    """How many contacts under the condition, with a category, a resident rated after closure."""
    requests, ratings = ServiceRequest.__table__, ClosureRating.__table__
    query = (
        sa.select(sa.func.count())
        .select_from(ratings.join(requests, requests.c.id == ratings.c.request_id))
        .where(condition, requests.c.category.is_not(None))
    )
    with engine.connect() as connection:
        return connection.scalar(query)


def test_the_digest_says_how_many_closed_contacts_came_back_under_the_watch(demo_copy: str) -> None:
    engine = sa.create_engine(demo_copy)
    requests = ServiceRequest.__table__
    in_district_5 = sa.and_(requests.c.opened_month == MONTH, requests.c.district_code == "5")
    with engine.connect() as connection:
        reopened_in_crm = connection.scalar(
            sa.select(sa.func.count()).where(in_district_5, requests.c.status == "Reopened")
        )
        contacts = connection.scalar(sa.select(sa.func.count()).where(in_district_5, requests.c.category.is_not(None)))
        times = connection.execute(
            sa.select(requests.c.opened_at, requests.c.acknowledged_at).where(
                in_district_5, requests.c.category.is_not(None), requests.c.acknowledged_at.is_not(None)
            )
        ).all()
    hours = sorted((acknowledged - opened).total_seconds() / 3600 for opened, acknowledged in times)
    watch = SavedWatch("District 5", districts=("5",))
    sentences = closed_not_fixed(engine, watch, month=MONTH, rules=DEFAULT_CLOSURE_RULES, timezone="America/New_York")

    assert reopened_in_crm > 0
    assert f"({reopened_in_crm:,} reopened in the CRM," in sentences[0]
    assert f"{contacts:,} contacts were " in sentences[0]
    # then how soon they were acknowledged, in hours (most within a day)
    assert hours[len(hours) // 2] < 24
    assert sentences[1] == (
        f"Of the {len(hours):,} contacts whose record says when they were acknowledged, half were acknowledged "
        f"within {acknowledge_time(statistics.median(hours), 'hours')}, nine in ten within "
        f"{acknowledge_time(hours[math.ceil(0.9 * len(hours)) - 1], 'hours')}."
    )
    # then how residents rated the closure (the demo's post-closure survey: about 8% of the closed contacts)
    rated = rated_count(engine, in_district_5)
    assert rated > 0 and sentences[2].startswith(
        f"{rated:,} residents answered the survey after closure: too few for a share."
        if rated < 30
        else f"Of {rated:,} residents who answered the survey after closure, "
    )
    # then the categories that came back most, each with its count and share of those closed
    assert 1 <= len(sentences) - 3 <= 3
    assert all(": " in line and "came back after closure" in line for line in sentences[3:])
    counts = [int(line.split(": ")[1].split(" came back")[0].replace(",", "")) for line in sentences[3:]]
    assert counts == sorted(counts, reverse=True) and min(counts) > 0

    mail = digest_text(
        build_digest(engine, watch, period=MONTH, month=MONTH, public_url=None, closure=DEFAULT_CLOSURE_RULES,
                     timezone="America/New_York")
    )  # fmt: skip
    assert "CLOSED, BUT NOT FIXED?\n" + sentences[0] in mail
