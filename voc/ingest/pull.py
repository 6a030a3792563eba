"""Pull a feed: fetch every page of what changed since its high-water mark, then import it as one upload.

All pages are fetched before anything is written, then the records go through the same mapping,
validation, upsert, report and undo as a file (an upload of kind "pull"), and the feed's new
high-water mark is stored in that same transaction. A failure while paging therefore leaves the
store and the mark as they were, and the next pull starts from the same place. Memory stays
bounded because the bytes fetched are capped at the upload limit (VOC_MAX_UPLOAD_MB); a larger
first pull is refused with a hint to pull it in slices with --where or --since.
"""

from __future__ import annotations

import hashlib
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from voc.core.access import Role, require
from voc.core.config import Settings
from voc.core.errors import FeedRefused
from voc.ingest.feeds import DEFAULT_PAGE_SIZE, PAGERS, Page, Query, table_of
from voc.ingest.fetch import HttpPolicy, Response, check_url, get_json
from voc.ingest.pipeline import DEFAULT_SOURCE, ImportOptions, ImportReport, Origin, Progress, import_table, plan_table
from voc.store.engine import record_audit, write_transaction
from voc.store.feeds import PullFigures, SavedFeed, find_feed, record_pull, save_feed

# GeoReport v2 filters by opening date only: each pull reads the month before the mark again, so
# that recent requests closed since the last pull are updated.
OPEN311_REVISIT = timedelta(days=30)
_MB = 1024 * 1024


@dataclass(frozen=True)
class FeedSpec:
    """A pull as asked for: the API, its address, and optionally a source name, a filter and a start."""

    api: str  # socrata, arcgis or open311
    url: str
    source: str | None = None  # default: the saved feed's, else the recognised layout, else the host
    where: str | None = None  # default: the saved feed's
    since: datetime | None = None  # default: the saved feed's high-water mark
    overrides: Mapping[str, str | None] | None = None  # field -> column, as `--map` gives them


@dataclass
class PullReport:
    feed: str
    api: str
    url: str
    pages: int
    records: int  # records fetched, each counted once
    seconds: float
    started_from: datetime | None
    reached: datetime | None  # the feed's high-water mark after this pull
    imported: ImportReport | None  # None when the feed had nothing to fetch
    message: str

    def as_json(self) -> dict[str, Any]:
        """Return the report as the JSON object `voc pull ... --json` prints."""
        imported = self.imported.as_json() if self.imported else {"upload_id": None, "inserted": 0, "updated": 0}
        return {
            **imported,
            "feed": self.feed,
            "api": self.api,
            "url": self.url,
            "pages": self.pages,
            "records": self.records,
            "seconds": round(self.seconds, 3),
            "since": self.started_from.isoformat() if self.started_from else None,
            "high_water": self.reached.isoformat() if self.reached else None,
            "message": self.message,
        }


def pull_feed(
    engine: sa.Engine,
    spec: FeedSpec,
    settings: Settings,
    *,
    role: Role,
    now: datetime | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    policy: HttpPolicy | None = None,
    progress: Progress | None = None,
) -> PullReport:
    """Pull what changed in a feed since its high-water mark and import it; the feed is saved for next time.

    Raises FeedRefused (a 4xx, an answer that is not the API's, too much data, failures that outlast
    the retries) or FileRefused (no usable record) with the store untouched; row problems go in the
    report. Raises NotAllowed unless the role is analyst or admin.
    """
    require(role, Role.ANALYST, doing="pull feeds")
    if spec.api not in PAGERS:
        raise FeedRefused(f"voc pulls {', '.join(PAGERS)} feeds, not {spec.api!r}.")
    check_url(spec.url)
    started = time.monotonic()
    saved = _saved(engine, spec)
    since = spec.since or _resume_from(spec.api, saved)
    where = spec.where if spec.where is not None else saved.where_clause if saved else None
    query = Query(url=spec.url, now=now or datetime.now(UTC), where=where, since=since, page_size=page_size)
    policy = policy or HttpPolicy(max_bytes=settings.max_upload_bytes, headers=_headers(spec.api, settings))
    pages = _fetch_all(query, spec.api, policy, settings.max_upload_bytes, progress)
    figures = _figures(pages, since)
    name = spec.source or (saved.name if saved else None)
    imported = None
    if figures.records:
        table = table_of(pages)
        overrides = dict(spec.overrides or {})
        name = name or _default_name(engine, table, ImportOptions(overrides=overrides), spec.url)
        _refuse_name_taken(engine, name, spec)
        feed = _Feed(spec=spec, name=name, where=where, user=settings.user, figures=figures, started=started)
        origin = Origin(name=spec.url[:500], sha256=_digest(table.frame), kind="pull", also=feed.remember)
        options = ImportOptions(source=name, overrides=overrides)
        imported = import_table(engine, table, origin, settings, options, role=role, progress=progress)
    name = name or _host(spec.url)
    if imported is None or imported.upload_id is None:  # no upload was written, but the mark still moves on
        _refuse_name_taken(engine, name, spec)
        with write_transaction(engine) as connection:
            feed = _Feed(spec=spec, name=name, where=where, user=settings.user, figures=figures, started=started)
            feed.remember(connection, None)
            record_audit(connection, user=settings.user, action="pull requests", detail=f"feed {name}: nothing new")
    marks = [m for m in (saved.high_water if saved else None, figures.reached) if m is not None]
    counted = f"{figures.pages:,} pages, {figures.records:,} records{_since_text(spec.api, since)}"
    return PullReport(
        feed=name, api=spec.api, url=spec.url, pages=figures.pages, records=figures.records,
        seconds=time.monotonic() - started, started_from=since, reached=max(marks, default=None), imported=imported,
        message=f"{name}: {counted}. {imported.message if imported else 'Nothing new.'}",
    )  # fmt: skip


@dataclass(frozen=True)
class _Feed:
    """What a pull remembers of its feed, in the transaction that writes its records (or alone)."""

    spec: FeedSpec
    name: str
    where: str | None
    user: str
    figures: PullFigures
    started: float

    def remember(self, connection: sa.Connection, upload_id: int | None) -> None:
        """Save the feed and log the pull, raising the feed's high-water mark."""
        spec = self.spec
        feed = save_feed(
            connection, name=self.name, api=spec.api, url=spec.url, where_clause=self.where, user=self.user
        )
        figures = replace(self.figures, seconds=time.monotonic() - self.started)
        record_pull(connection, feed, figures, upload_id=upload_id)


def _figures(pages: list[Page], since: datetime | None) -> PullFigures:
    reached = max((page.reached for page in pages if page.reached is not None), default=None)
    return PullFigures(
        pages=len(pages), records=sum(len(page.frame) for page in pages), seconds=0.0, started_from=since,
        reached=reached.to_pydatetime() if reached is not None else None,
    )  # fmt: skip


def _saved(engine: sa.Engine, spec: FeedSpec) -> SavedFeed | None:
    with engine.connect() as connection:
        if spec.source:
            return find_feed(connection, name=spec.source)
        return find_feed(connection, api=spec.api, url=spec.url)


def _resume_from(api: str, saved: SavedFeed | None) -> datetime | None:
    if saved is None or saved.high_water is None:
        return None
    return saved.high_water - OPEN311_REVISIT if api == "open311" else saved.high_water


def _headers(api: str, settings: Settings) -> dict[str, str]:
    return {"X-App-Token": settings.socrata_token} if api == "socrata" and settings.socrata_token else {}


def _fetch_all(query: Query, api: str, policy: HttpPolicy, max_bytes: int, progress: Progress | None) -> list[Page]:
    """Fetch every page into memory, refusing a pull whose answers add up to more than `max_bytes`."""

    def get(url: str, params: Mapping[str, Any]) -> Response:
        return get_json(url, params, policy)

    pages: list[Page] = []
    total = 0
    for page in PAGERS[api](query, get):
        pages.append(page)
        total += page.size
        if total > max_bytes:
            raise FeedRefused(
                f"The feed sent more than {max_bytes // _MB} MB (VOC_MAX_UPLOAD_MB) in this pull: nothing was written. "
                "Pull it in slices: --since a recent date, or --where a narrower filter."
            )
        if progress:
            progress(f"Fetched page {len(pages):,}", min(0.3, 0.01 * len(pages)))
    return pages


def _default_name(engine: sa.Engine, table: Any, options: ImportOptions, url: str) -> str:
    """Name a new feed as an upload of its records would be named (its layout), else by the portal's host."""
    source = plan_table(engine, table, options).source
    return _host(url) if source == DEFAULT_SOURCE else source


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc[:100]


def _refuse_name_taken(engine: sa.Engine, name: str, spec: FeedSpec) -> None:
    with engine.connect() as connection:
        other = find_feed(connection, name=name)
    if other is not None and (other.api, other.url) != (spec.api, spec.url):
        raise FeedRefused(
            f"The feed {name!r} already pulls {other.url} ({other.api}): nothing was written. "
            "Give this one a name of its own with --source NAME."
        )


def _digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()).hexdigest()


def _since_text(api: str, since: datetime | None) -> str:
    if since is None:
        return ""
    return f" {'opened' if api == 'open311' else 'changed'} since {since:%Y-%m-%d %H:%M} UTC"
