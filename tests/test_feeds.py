"""Pulls from open-data portals served on loopback: paging, high-water marks, changes, failures, refusals."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tests.apptest import open_app_page, plain_texts
from tests.feed_server import Portal, PortalServer, gainesville_records
from voc.cli import main
from voc.core.access import Role
from voc.core.config import load_settings
from voc.core.errors import FeedRefused, FileRefused
from voc.ingest.fetch import HttpPolicy
from voc.ingest.pull import FeedSpec, pull_feed
from voc.store.engine import open_store
from voc.store.feeds import list_feeds
from voc.store.models import Feed, FeedPull, ServiceRequest, Upload
from voc.store.uploads import undo

SOCRATA = "/resource/erm2-nwe9.json"
ARCGIS = "/arcgis/rest/services/311/FeatureServer/0"
OPEN311 = "/open311/v2/requests.json"


@pytest.fixture
def portal() -> Iterator[PortalServer]:
    server = PortalServer(Portal())
    yield server
    server.stop()


class Naps:
    """Records the backoff instead of sleeping."""

    def __init__(self) -> None:
        self.taken: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.taken.append(seconds)


def _pull(engine: sa.Engine, api: str, url: str, *, naps: Naps | None = None, page_size: int = 100, **spec) -> object:
    policy = HttpPolicy(timeout=5, max_bytes=10_000_000, attempts=3, backoff=0.5, sleep=naps or Naps())
    return pull_feed(
        engine, FeedSpec(api=api, url=url, **spec), load_settings(), role=Role.ANALYST,
        now=datetime(2024, 5, 1, tzinfo=UTC), page_size=page_size, policy=policy,
    )  # fmt: skip


def _count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _request(engine: sa.Engine, source_id: str) -> sa.Row:
    requests = ServiceRequest.__table__
    with engine.connect() as connection:
        return connection.execute(sa.select(requests).where(requests.c.source_id == source_id)).one()


def test_socrata_pull_pages_remembers_its_mark_updates_a_changed_record_and_undoes(
    engine: sa.Engine, portal: PortalServer
) -> None:
    url = portal.base + SOCRATA
    first = _pull(engine, "socrata", url)
    assert (first.pages, first.records) == (4, 300)  # three full pages of 100, then an empty one
    assert first.imported.inserted + first.imported.rejected == 300
    assert first.imported.inserted > 250
    assert first.feed == "New York City 311"  # named as an upload of the same layout would be
    newest = max(r[":updated_at"] for r in portal.portal.socrata)
    assert first.reached == datetime.fromisoformat(newest)
    with engine.connect() as connection:
        kind = connection.execute(sa.select(Upload.__table__.c.kind)).scalar_one()
    assert kind == "pull"
    assert _request(engine, "60879417").status == "Open"

    portal.portal.requests.clear()
    second = _pull(engine, "socrata", url)
    assert (second.imported.inserted, second.imported.updated, second.imported.upload_id) == (0, 0, None)
    asked = urllib.parse.unquote_plus(portal.portal.requests[0])
    assert f":updated_at >= '{newest[:-1]}'" in asked  # only what changed since the newest change stored
    assert second.records < 10

    changed = next(r for r in portal.portal.socrata if r["unique_key"] == "60879417")
    changed.update(status="Closed", closed_date="2024-04-17T09:00:00.000")
    changed[":updated_at"] = "2024-04-17T13:00:00.000Z"
    third = _pull(engine, "socrata", url)
    assert (third.imported.inserted, third.imported.updated) == (0, 1)
    assert _request(engine, "60879417").status == "Closed"
    assert _count(engine, ServiceRequest.__table__) == first.imported.inserted  # updated, not duplicated

    undo(engine, third.imported.upload_id, user="analyst", role=Role.ANALYST)
    assert _request(engine, "60879417").status == "Open"
    fourth = _pull(engine, "socrata", url)  # the undone change is fetched again
    assert (fourth.imported.inserted, fourth.imported.updated) == (0, 1)
    feeds = list_feeds(engine)
    assert feeds["name"].tolist() == ["New York City 311"]
    assert feeds["high_water"].iloc[0] == datetime(2024, 4, 17, 13, tzinfo=UTC)


def test_a_socrata_pull_keeps_acknowledged_times_and_undo_puts_them_back(sqlite_url: str, portal: PortalServer) -> None:
    engine = open_store(sqlite_url)
    portal.portal.socrata = gainesville_records()
    url = portal.base + SOCRATA  # the loopback portal serves its records under one dataset id
    first = _pull(engine, "socrata", url)
    assert first.imported.mapping["acknowledged_at"] == "acknowledged"
    with engine.connect() as connection:
        acknowledged = connection.execute(
            sa.select(sa.func.count(ServiceRequest.__table__.c.acknowledged_at))
        ).scalar_one()
    assert acknowledged == sum("acknowledged" in r for r in portal.portal.socrata) == 126
    changed = next(r for r in portal.portal.socrata if "acknowledged" in r)
    before = _request(engine, changed["id"]).acknowledged_at
    later_time = datetime.strptime(changed["acknowledged"][:16], "%m/%d/%Y %H:%M") + timedelta(hours=16, minutes=27)
    changed["acknowledged"] = later_time.strftime("%m/%d/%Y %H:%M")
    changed[":updated_at"] = "2024-04-17T13:00:00.000Z"
    later = _pull(engine, "socrata", url)
    assert (later.imported.inserted, later.imported.updated) == (0, 1)
    assert _request(engine, changed["id"]).acknowledged_at - before == timedelta(hours=16, minutes=27)
    undo(engine, later.imported.upload_id, user="analyst", role=Role.ANALYST)
    assert _request(engine, changed["id"]).acknowledged_at == before


def test_a_failure_in_the_middle_of_paging_writes_nothing(sqlite_url: str, portal: PortalServer) -> None:
    engine = open_store(sqlite_url)
    portal.portal.fail_at = {"$offset": 200}
    naps = Naps()
    with pytest.raises(FeedRefused, match=r"kept failing \(HTTP 500\) after 3 attempts. Nothing was written"):
        _pull(engine, "socrata", portal.base + SOCRATA, naps=naps)
    assert naps.taken == [0.5, 1.0]  # backoff doubles
    for table in (ServiceRequest.__table__, Upload.__table__, Feed.__table__, FeedPull.__table__):
        assert _count(engine, table) == 0
    portal.portal.fail_at = {}
    assert _pull(engine, "socrata", portal.base + SOCRATA).imported.inserted > 250  # from the start again


def test_transient_errors_are_retried_and_a_4xx_stops_with_the_servers_message(
    sqlite_url: str, portal: PortalServer
) -> None:
    engine = open_store(sqlite_url)
    portal.portal.flaky = 2
    naps = Naps()
    report = _pull(engine, "socrata", portal.base + SOCRATA, naps=naps, page_size=1000)
    assert report.records == 300
    assert naps.taken == [0.0, 0.0]  # the server's Retry-After: 0
    with pytest.raises(FeedRefused, match=r"refused the request \(HTTP 400: No such column: \(nosuchfield = 'x'\)"):
        _pull(engine, "socrata", portal.base + SOCRATA, where="nosuchfield = 'x'", source="filtered")
    with pytest.raises(FeedRefused, match="HTTP 404"):
        _pull(engine, "socrata", portal.base + "/resource/nope.json", source="nope")
    assert _count(engine, Upload.__table__) == 1


def test_a_where_clause_and_since_narrow_a_socrata_pull(sqlite_url: str, portal: PortalServer) -> None:
    engine = open_store(sqlite_url)
    noise = sum(r.get("complaint_type") == "Noise - Residential" for r in portal.portal.socrata)
    report = _pull(engine, "socrata", portal.base + SOCRATA, where="complaint_type = 'Noise - Residential'",
                   source="nyc noise")  # fmt: skip
    assert report.records == noise > 10
    assert report.feed == "nyc noise"
    later = _pull(engine, "socrata", portal.base + SOCRATA, source="nyc noise",
                  since=datetime(2030, 1, 1, tzinfo=UTC))  # fmt: skip
    assert later.records == 0
    assert later.message == "nyc noise: 1 pages, 0 records changed since 2030-01-01 00:00 UTC. Nothing new."
    assert list_feeds(engine)["where_clause"].tolist() == ["complaint_type = 'Noise - Residential'"]


@pytest.mark.parametrize("answer", ["json", "geojson"])
def test_arcgis_layer_pull_reads_epoch_dates_and_points(sqlite_url: str, portal: PortalServer, answer: str) -> None:
    engine = open_store(sqlite_url)
    portal.portal.arcgis_max_records = 120  # the layer's own limit is below the page size asked for
    url = f"{portal.base}{ARCGIS}/query?f={answer}"
    report = _pull(engine, "arcgis", url, page_size=500)
    assert (report.pages, report.records) == (3, 300)
    assert report.imported.inserted + report.imported.rejected == 300
    first = _request(engine, "19-00711545")  # opened 10/21/2019 11:49:49 AM in Baltimore
    assert first.opened_at == datetime(2019, 10, 21, 15, 49, 49, tzinfo=UTC)
    assert (round(first.latitude, 5), round(first.longitude, 5)) == (39.31815, -76.65236)
    assert first.request_type == "TRM-Street and Crosswalk Markings"

    feature = next(f for f in portal.portal.arcgis if f["attributes"]["ServiceRequestNum"] == "19-00711545")
    feature["attributes"].update(SRStatus="Closed", StatusDate=1_571_760_000_000)  # 2019-10-22 16:00 UTC
    again = _pull(engine, "arcgis", url, page_size=500)
    # The changed record, and the one at the old mark again: ">=" never misses an edit in the same second.
    assert (again.imported.inserted, again.imported.updated, again.records) == (0, 1, 2)
    assert _count(engine, ServiceRequest.__table__) == report.imported.inserted


def test_arcgis_error_inside_an_http_200_answer_is_refused(sqlite_url: str, portal: PortalServer) -> None:
    engine = open_store(sqlite_url)
    with pytest.raises(FeedRefused, match=r"ArcGIS error 400: Cannot perform query.*'where' parameter is invalid"):
        _pull(engine, "arcgis", portal.base + ARCGIS, where="NoSuchField = 'x'")
    assert _count(engine, Upload.__table__) == 0


def test_open311_windows_are_halved_until_no_answer_is_cut_off(sqlite_url: str, portal: PortalServer) -> None:
    engine = open_store(sqlite_url)
    url = portal.base + OPEN311
    report = _pull(engine, "open311", url, since=datetime(2014, 9, 1, tzinfo=UTC))
    assert report.records == 300  # every request, though no answer holds more than 50
    assert report.imported.inserted + report.imported.rejected == 300
    assert report.imported.mapping["source_id"] == "service_request_id"
    again = _pull(engine, "open311", url)
    assert (again.imported.inserted, again.imported.updated) == (0, 0)
    assert again.started_from == datetime(2022, 9, 24, 16, 58, tzinfo=UTC)  # a month before the newest request


def test_hostile_addresses_and_answers_are_refused(
    sqlite_url: str, portal: PortalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = open_store(sqlite_url)
    with pytest.raises(FeedRefused, match="is not a web address"):
        _pull(engine, "socrata", "file:///etc/passwd")
    with pytest.raises(FeedRefused, match="larger than 0 MB"):
        policy = HttpPolicy(max_bytes=1000, attempts=1)
        pull_feed(engine, FeedSpec(api="socrata", url=portal.base + SOCRATA), load_settings(), role=Role.ANALYST,
                  policy=policy)  # fmt: skip
    with pytest.raises(FeedRefused, match="did not answer with a list of records"):
        _pull(engine, "socrata", portal.base + ARCGIS)
    monkeypatch.setattr("voc.ingest.feeds.OPEN311_MOST_REQUESTS", 40)
    portal.portal.open311 = portal.portal.open311[:1] * 60  # the same request at the same second, 60 times
    with pytest.raises(FeedRefused, match="needed more than 40 requests, as if every answer were cut off"):
        _pull(engine, "open311", portal.base + OPEN311, since=datetime(2014, 9, 1, tzinfo=UTC))
    with pytest.raises(FileRefused):
        _pull(engine, "socrata", portal.base + SOCRATA, overrides={"opened_at": None})
    assert _count(engine, Upload.__table__) == 0


def test_cli_pull_prints_json_and_pull_saved_pulls_every_feed(
    sqlite_url: str, portal: PortalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOC_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("VOC_SOCRATA_TOKEN", "county-app-token")
    runner = CliRunner()
    result = runner.invoke(main, ["pull", "socrata", portal.base + SOCRATA, "--source", "nyc", "--json"])
    assert result.exit_code == 0, result.output
    assert portal.portal.app_tokens == ["county-app-token"]
    report = json.loads(result.output)
    assert (report["feed"], report["pages"], report["records"]) == ("nyc", 1, 300)
    assert report["inserted"] > 250 and report["upload_id"] == 1
    assert report["high_water"].startswith("2024-04-16")

    result = runner.invoke(main, ["pull", "saved", "--json"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["inserted"] for line in result.output.splitlines()] == [0]

    result = runner.invoke(main, ["pull", "arcgis", portal.base + ARCGIS, "--where", "NoSuchField = 'x'", "--json"])
    assert result.exit_code == 2
    failure = json.loads(result.stdout)
    assert failure["kind"] == "feed" and "ArcGIS error 400" in failure["error"]

    portal.portal.fail_at, portal.portal.failure_status = {"$offset": 0}, 403  # a scheduled run fails visibly
    result = runner.invoke(main, ["pull", "saved"])
    assert result.exit_code == 2
    assert result.stderr.startswith("nyc: refused. ") and "HTTP 403: internal error" in result.stderr


def test_upload_page_pulls_a_new_feed_then_pulls_it_again_as_saved(
    sqlite_url: str, portal: PortalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = open_app_page(monkeypatch, sqlite_url, "pages/upload.py")
    assert "No saved feeds yet" in app.info[0].value
    app.selectbox(key="upload_feed_api").set_value("socrata")
    app.text_input(key="upload_feed_url").set_value(portal.base + SOCRATA)
    app.text_input(key="upload_feed_name").set_value("nyc").run()
    app.button(key="upload_feed_new").click().run(timeout=60)
    assert not app.exception
    assert plain_texts(app, "success")[0].startswith("Imported as upload 1: ")
    assert any(caption.startswith("nyc: 1 pages, 300 records.") for caption in plain_texts(app, "caption"))
    saved = next(frame.value for frame in app.dataframe if "high_water" in frame.value.columns)
    assert saved["name"].tolist() == ["nyc"] and saved["last_records"].tolist() == [300]

    app.button(key="upload_feed_pull").click().run(timeout=60)
    assert not app.exception
    assert any(message.startswith("Nothing changed") for message in plain_texts(app, "info"))
