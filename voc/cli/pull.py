"""`voc pull ...`: service requests from an open-data portal, only what changed since the feed's last pull."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from voc.cli.common import OPERATOR, echo_report, open_engine, parse_pairs, print_json
from voc.cli.contract import FAILED, ContractGroup, failure
from voc.cli.themes import BACKGROUND_OPTION, load_theme_build_in_thread, regroup_message
from voc.core.config import load_settings
from voc.core.errors import VocError

if TYPE_CHECKING:
    import sqlalchemy as sa

    from voc.ingest.pull import FeedSpec, PullReport

APIS = {
    "socrata": "Pull a Socrata dataset (its SODA 2 resource URL, .../resource/abcd-1234.json).",
    "arcgis": "Pull an ArcGIS FeatureServer layer (.../FeatureServer/0, or its /query; f=geojson in the URL is kept).",
    "open311": "Pull an Open311 GeoReport v2 endpoint (.../requests.json).",
}


@click.group(cls=ContractGroup)
def pull() -> None:
    """Pull an open-data portal's service requests: only what changed since the last pull of that feed."""


def _api_command(api: str) -> click.Command:
    @click.argument("url")
    @click.option("--source", help="Name of the feed and of its records' source (default: the saved feed's, else "
                  "the recognised layout, else the portal's host).")  # fmt: skip
    @click.option("--where", help="Only records matching this filter (SoQL for socrata, SQL for arcgis).")
    @click.option("--since", type=click.DateTime(), help="Only records changed (open311: opened) since this date, "
                  "UTC (default: since the feed's last pull).")  # fmt: skip
    @click.option("--map", "pairs", multiple=True, metavar="COLUMN=field", help="Map a column onto a field.")
    @click.option("--json", "as_json", is_flag=True, help="Print the pull's report as one JSON object.")
    @BACKGROUND_OPTION
    def command(url: str, source: str | None, where: str | None, since: Any, pairs: tuple[str, ...],
                as_json: bool, themes_in_background: bool) -> None:  # fmt: skip
        from datetime import UTC

        from voc.core.fields import REQUEST_FIELD_NAMES
        from voc.ingest.pull import FeedSpec, pull_feed

        overrides = parse_pairs(pairs, REQUEST_FIELD_NAMES)
        since_utc = since.replace(tzinfo=UTC) if since else None
        spec = FeedSpec(api=api, url=url, source=source, where=where, since=since_utc, overrides=overrides)
        report = pull_feed(open_engine(), spec, load_settings(), role=OPERATOR)
        _echo(report, as_json)
        _regroup_themes([report], as_json, in_background=themes_in_background)

    command.__doc__ = APIS[api]
    return pull.command(api)(command)


for _api in APIS:
    _api_command(_api)


@pull.command("saved")
@click.argument("names", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per feed.")
@BACKGROUND_OPTION
@click.pass_context
def pull_saved(ctx: click.Context, names: tuple[str, ...], as_json: bool, themes_in_background: bool) -> None:
    """Pull every saved feed (or those NAMES): the one command to schedule. Exits 2 if any pull was refused."""
    from voc.ingest.pull import FeedSpec
    from voc.store.feeds import list_feeds

    engine = open_engine()
    feeds = list_feeds(engine)
    unknown = sorted(set(names) - set(feeds["name"]))
    if unknown:
        raise VocError(f"There is no saved feed {unknown[0]!r}; saved: {', '.join(feeds['name']) or 'none'}.")
    chosen = feeds[feeds["name"].isin(names)] if names else feeds
    if chosen.empty and not as_json:
        click.echo("No saved feeds yet: pull one with `voc pull socrata|arcgis|open311 URL`.")
    specs = [FeedSpec(api=row.api, url=row.url, source=row.name) for row in chosen.itertuples()]
    if not _pull_each(engine, specs, as_json, themes_in_background):
        ctx.exit(FAILED)


def _pull_each(engine: sa.Engine, specs: list[FeedSpec], as_json: bool, themes_in_background: bool) -> bool:
    """Pull each feed in turn, a refused one reported and the next still pulled; return whether all succeeded."""
    from voc.ingest.pull import pull_feed

    if specs and not themes_in_background:
        load_theme_build_in_thread()  # while the feeds answer
    settings = load_settings()
    succeeded = True
    reports = []
    for spec in specs:
        try:
            report = pull_feed(engine, spec, settings, role=OPERATOR)
        except VocError as error:
            succeeded = False
            if as_json:
                print_json({"feed": spec.source, **failure(error)})
            else:
                click.echo(f"{spec.source}: refused. {failure(error)['error']}", err=True)
            continue
        _echo(report, as_json)
        reports.append(report)
    _regroup_themes(reports, as_json, in_background=themes_in_background)
    return succeeded


def _regroup_themes(reports: list[PullReport], as_json: bool, *, in_background: bool) -> None:
    """Regroup the descriptions into themes once, when a pull wrote contacts (the pulls embedded their texts)."""
    if any(report.imported is not None and report.imported.upload_id is not None for report in reports):
        message = regroup_message(in_background=in_background)
        if not as_json:  # whose output is one JSON object per feed
            click.echo(message)


def _echo(report: PullReport, as_json: bool) -> None:
    if as_json:
        print_json(report.as_json())
    elif report.imported is None:
        click.echo(report.message)
    else:
        echo_report(report.imported, title=report.message.removesuffix(report.imported.message).rstrip(". "))
