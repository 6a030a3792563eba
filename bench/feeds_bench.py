"""Time pulls from a Socrata portal on loopback against uploading the same records as a CSV; print figures and ratios.

The portal (tests/feed_server.py, in a process of its own) serves the real NYC 311 records,
repeated under new ids to `--rows` records. Measured on a new SQLite store: the first pull (every
page), a second pull (only the records at the high-water mark come back; nothing is inserted), a
pull after 1% of the records changed, and, as the baseline, an upload of the same records as one
CSV file into another new store.
Not a pass/fail test. Run `uv run python bench/feeds_bench.py --help`.
"""

from __future__ import annotations

import argparse
import csv
import io
import multiprocessing
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.feed_server import Portal, PortalServer, nyc_records  # noqa: E402
from voc.core.access import Role  # noqa: E402
from voc.core.config import load_settings  # noqa: E402
from voc.ingest.pipeline import import_requests  # noqa: E402
from voc.ingest.pull import FeedSpec, pull_feed  # noqa: E402
from voc.store.engine import open_store  # noqa: E402


def records(rows: int) -> list[dict]:
    """The real records repeated under new ids, each copy's changes a second later than the last."""
    real = nyc_records()
    made = []
    for number in range(rows):
        record = dict(real[number % len(real)])
        record["unique_key"] = f"{record['unique_key']}-{number // len(real)}"
        record[":id"] = f"row-{number:07d}"
        stamp = datetime.fromisoformat(record[":updated_at"]) + timedelta(seconds=number // len(real))
        record[":updated_at"] = stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        made.append(record)
    return made


def as_csv(made: list[dict]) -> bytes:
    columns = [c for c in dict.fromkeys(k for r in made for k in r) if not c.startswith(":") and c != "location"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(made)
    return out.getvalue().encode()


def serve(made: list[dict], port: int, started: multiprocessing.Queue, stop: multiprocessing.Event) -> None:  # type: ignore[type-arg]
    """Serve the records from a process of its own, so that the server's work does not slow the pull's."""
    server = PortalServer(Portal(socrata=made), port)
    started.put(server.base)
    stop.wait()
    server.stop()


@contextmanager
def portal(made: list[dict], port: int) -> Iterator[str]:
    started, stop = multiprocessing.Queue(), multiprocessing.Event()
    process = multiprocessing.Process(target=serve, args=(made, port, started, stop))
    process.start()
    try:
        yield started.get(timeout=120) + "/resource/erm2-nwe9.json"
    finally:
        stop.set()
        process.join()


def timed_pull(engine, url: str, settings, page_size: int):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    report = pull_feed(engine, FeedSpec(api="socrata", url=url, source="bench"), settings, role=Role.ANALYST,
                       page_size=page_size)  # fmt: skip
    return report, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--page-size", type=int, default=5_000)
    args = parser.parse_args()
    made = records(args.rows)
    settings = load_settings()
    with socket.socket() as probe:  # the same address for both servers: a feed is known by its URL
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        engine = open_store(f"sqlite:///{folder}/pull.db")
        with portal(made, port) as url:
            first, first_s = timed_pull(engine, url, settings, args.page_size)
            second, second_s = timed_pull(engine, url, settings, args.page_size)
        for record in made[::100]:
            record["status"] = "Closed" if record.get("status") != "Closed" else "Open"
            record[":updated_at"] = "2030-01-01T00:00:00.000Z"
        with portal(made, port) as url:
            third, third_s = timed_pull(engine, url, settings, args.page_size)
        upload_engine = open_store(f"sqlite:///{folder}/upload.db")
        data = as_csv(made)
        started = time.perf_counter()
        uploaded = import_requests(upload_engine, data, "same-records.csv", settings, role=Role.ANALYST)
        upload_s = time.perf_counter() - started
    print(f"records served: {args.rows:,}; page size {args.page_size:,}")
    print(
        f"first pull:  {first.pages} pages, {first.records:,} records, {first.imported.inserted:,} inserted, "
        f"{first.imported.rejected:,} rejected in {first_s:.2f} s ({first.records / first_s:,.0f} records/s)"
    )
    print(
        f"second pull: {second.pages} pages, {second.records:,} records re-read at the mark, "
        f"{second.imported.inserted:,} inserted, {second.imported.updated:,} updated in {second_s:.2f} s"
    )
    print(
        f"after 1% changed: {third.pages} pages, {third.records:,} records, {third.imported.inserted:,} inserted, "
        f"{third.imported.updated:,} updated in {third_s:.2f} s"
    )
    print(f"baseline, the same records uploaded as one CSV: {uploaded.inserted:,} inserted in {upload_s:.2f} s; "
          f"first pull / upload = {first_s / upload_s:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
