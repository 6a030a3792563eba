"""Child processes for tests/test_import_concurrency.py.

    python tests/import_worker.py cli ARGS...   load the CLI, print "ready", wait for a line on
                                                stdin, then run `voc ARGS...`: several can be
                                                started at the same moment
    python tests/import_worker.py fork          for each JSON line {"argv", "url", "output"} on
                                                stdin, fork a process that runs argv on the store
                                                at url, its stdout to output (stderr beside it)

Loading voc takes seconds; `fork` pays that once and then starts each process in milliseconds.
It prints "forked PID" for each and "exited PID CODE" when one ends (CODE -9 when killed).

    python tests/import_worker.py browse URL N  open the app's pages at URL in headless Chromium N
                                                times in turn (Overview, Trends), printing
                                                "loaded PATH SECONDS EXCEPTIONS LOCKED" per load
What a forked process runs:

    cli ARGS...       `voc ARGS...`
    import FILE       import FILE, printing "stage TIME NAME" as each stage starts, "sql TIME WORDS"
                      as each statement (and the commit) starts, then "report JSON"
    read STOP_FILE    read as the Overview page does, a line per read, until STOP_FILE exists
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from voc.cli import main as voc_main
from voc.contacts.overview import load_overview
from voc.core.access import Role
from voc.core.config import load_settings
from voc.ingest.pipeline import import_requests
from voc.store.engine import open_store
from voc.store.uploads import list_uploads

MAX_READS = 5_000
MAX_READ_SECONDS = 45.0
# One statement, so it sees one snapshot of the store on SQLite and on PostgreSQL alike.
STORED_AND_ROLLED_UP = sa.text(
    "SELECT (SELECT COUNT(*) FROM service_requests), (SELECT COALESCE(SUM(contacts), 0) FROM monthly_counts)"
)


def _stage(name: str, _fraction: float) -> None:
    print(f"stage\t{time.time():.6f}\t{name}", flush=True)


def _trace(engine: sa.Engine) -> None:
    """Print a line as each statement, and the commit, starts: where a test may kill the import."""

    def statement(_connection, _cursor, text, _parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        print(f"sql\t{time.time():.6f}\t{' '.join(text.split()[:3])}", flush=True)

    def commit(_connection: sa.Connection) -> None:
        print(f"sql\t{time.time():.6f}\tCOMMIT", flush=True)

    sa.event.listen(engine, "before_cursor_execute", statement)
    sa.event.listen(engine, "commit", commit)


def run_import(path: Path) -> None:
    settings = load_settings()
    engine = open_store(settings.database_url)
    _trace(engine)
    report = import_requests(engine, path.read_bytes(), path.name, settings, role=Role.ANALYST, progress=_stage)
    counts = report.as_json()
    counts.pop("problems")
    print("report\t" + json.dumps(counts, default=str), flush=True)


def keep_reading(stop_file: Path) -> None:
    settings = load_settings()
    engine = open_store(settings.database_url)
    deadline = time.monotonic() + MAX_READ_SECONDS
    for _ in range(MAX_READS):
        started = time.time()
        with engine.connect() as connection:
            stored, rolled_up = connection.execute(STORED_AND_ROLLED_UP).one()
        overview = load_overview(engine, today=date(2026, 1, 1), timezone=settings.timezone)
        uploads = len(list_uploads(engine))
        contacts = overview.contacts if overview else None
        print(f"seen\t{started:.6f}\t{time.time():.6f}\t{stored}\t{rolled_up}\t{uploads}\t{contacts}", flush=True)
        if stop_file.exists() or time.monotonic() > deadline:
            return


def _say(line: str) -> None:
    # Unbuffered and below PIPE_BUF, so a line written from the signal handler never splits another.
    os.write(sys.stdout.fileno(), f"{line}\n".encode())


def _report_exits(_signal: int, _frame: object) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _say(f"exited\t{pid}\t{os.waitstatus_to_exitcode(status)}")


def _forked(argv: list[str], url: str, output: Path) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.environ["VOC_DATABASE_URL"] = url
    code = 1
    try:
        with output.open("w", buffering=1) as out, output.with_suffix(".stderr").open("w") as err:
            sys.stdout, sys.stderr = out, err
            try:
                mode, *arguments = argv
                if mode == "cli":
                    voc_main(arguments, prog_name="voc")
                else:
                    {"import": run_import, "read": keep_reading}[mode](Path(arguments[0]))
                code = 0
            except SystemExit as exit:
                code = exit.code if isinstance(exit.code, int) else int(exit.code is not None)
            except BaseException:
                traceback.print_exc()
    finally:
        os._exit(code)


def serve_forks() -> None:
    signal.signal(signal.SIGCHLD, _report_exits)
    _say("ready")
    for line in sys.stdin:
        command = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _forked(command["argv"], command["url"], Path(command["output"]))
        _say(f"forked\t{pid}")


BROWSED_PAGES = ("", "trends")


def browse(url: str, loads: int) -> None:
    """Load the app's pages in turn, as a department head clicking around while analysts upload."""
    from tests.browser import chromium_page, open_page

    print("ready", flush=True)
    sys.stdin.readline()
    with chromium_page(width=1400, height=1000) as page:
        for number in range(loads):
            path = BROWSED_PAGES[number % len(BROWSED_PAGES)]
            started = time.monotonic()
            open_page(page, f"{url}/{path}", timeout_ms=90_000)
            page.wait_for_selector("h1")
            exceptions = page.locator('[data-testid="stException"]').count()
            locked = "locked" in page.inner_text('[data-testid="stMain"]').lower()
            print(f"loaded\t/{path}\t{time.monotonic() - started:.2f}\t{exceptions}\t{locked}", flush=True)


if __name__ == "__main__":
    mode, *arguments = sys.argv[1:]
    if mode == "browse":
        browse(arguments[0], int(arguments[1]))
    elif mode == "cli":
        print("ready", flush=True)
        sys.stdin.readline()
        voc_main(arguments, prog_name="voc")
    elif mode == "fork":
        serve_forks()
    else:
        raise SystemExit(f"unknown mode {mode!r}")
