"""Uploads in real processes for the concurrency and kill tests: CRM rows, worker processes, forks.

tests/import_worker.py runs an import (or any `voc` command) in a process of its own; `fork` mode
forks one in milliseconds. The fixtures that start them (`spawn`, `forks`) are in conftest.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from voc.core.access import Role
from voc.core.config import Settings
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.store.engine import POSTGRES_WRITE_LOCK

WORKER = Path(__file__).with_name("import_worker.py")
ROOT = WORKER.parents[1]
TIMEZONE = "America/New_York"
SETTINGS = Settings(database_url="", timezone=TIMEZONE, max_upload_bytes=200_000_000, redact_personal=True, user="ana")
# The longest one step may take before the test fails instead of hanging (on a loaded 2-core machine, over 45 s).
WAIT_SECONDS = 120.0
COUNTS = ("rows_read", "inserted", "updated", "unchanged", "rejected")
READING, CHECKING, WRITING, DONE = "Reading the file", "Checking every row", "Writing to the store", "Done"

HEADER = ["Case Number", "Date Opened", "Date Closed", "Problem Type", "Status", "Channel", "Address",
          "Zip Code", "District", "Description"]  # fmt: skip
TYPES = ["Pothole", "Noise complaint", "Missed trash pickup", "Streetlight out", "Graffiti", "Where is my bin?"]
CHANNELS = ["Phone", "Web", "App", "Email"]
FIRST_OPENED = datetime(2024, 1, 1, 7, 0)


def source_id(number: int) -> str:
    return f"SR-{number:07d}"


def request_row(number: int, note: str = "", *, request_type: str | None = None) -> list[str]:
    """One CRM export row whose values follow from its number; `note` changes the description."""
    opened = FIRST_OPENED + timedelta(minutes=37 * number % (60 * 24 * 700))
    closed = (opened + timedelta(hours=1 + number % 90)).strftime("%Y-%m-%d %H:%M") if number % 3 else ""
    return [
        source_id(number),
        opened.strftime("%Y-%m-%d %H:%M"),
        closed,
        TYPES[number % len(TYPES)] if request_type is None else request_type,
        "Closed" if closed else "Open",
        CHANNELS[number % len(CHANNELS)],
        f"{number % 9999} Main St",
        f"{33000 + number % 97:05d}",
        str(1 + number % 5),
        f"Case {number}{note}",
    ]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def backend_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


# --- child processes -------------------------------------------------------------------------------


@dataclass
class Child:
    """A worker process (tests/import_worker.py) whose stdout lines a thread collects as they come."""

    process: subprocess.Popen[str]
    stderr_path: Path
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def expect(self, prefix: str, *, timeout: float = WAIT_SECONDS) -> str:
        """Wait for the next line starting with `prefix` and return it."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.001))
            except queue.Empty:
                raise AssertionError(f"no {prefix!r} line within {timeout} s; stderr:\n{self.stderr}") from None
            if line is None:
                raise AssertionError(f"exited before printing {prefix!r}; stderr:\n{self.stderr}")
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def drain(self) -> list[str]:
        """Take in the lines printed so far without waiting; return every line seen."""
        with contextlib.suppress(queue.Empty):
            while (line := self.lines.get_nowait()) is not None:
                self.seen.append(line)
            self.lines.put(None)  # keep the end in the queue for whoever waits next
        return self.seen

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def finish(self, *, timeout: float = WAIT_SECONDS) -> int:
        """Wait for the process to end; return its exit code, with every line it printed in `seen`."""
        returncode = self.process.wait(timeout=timeout)
        while (line := self.lines.get(timeout=timeout)) is not None:
            self.seen.append(line)
        return returncode

    def stop(self) -> None:
        """Kill the process if it is still running."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT_SECONDS)


Spawn = Callable[..., Child]


def start_worker(stderr_path: Path, url: str, *arguments: str) -> Child:
    """Start tests/import_worker.py with `arguments` on the store at `url`; its stderr goes to `stderr_path`."""
    environment = {**os.environ, "VOC_DATABASE_URL": url, "VOC_TIMEZONE": TIMEZONE, "VOC_USER": "ana"}
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, str(WORKER), *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=ROOT,
            env=environment,
        )
    return Child(process, stderr_path)


@dataclass
class Forked:
    """A process the worker forked; what it prints goes to a file the test reads as it grows."""

    pid: int
    output: Path

    def lines(self) -> list[str]:
        text = self.output.read_text() if self.output.exists() else ""
        return text.splitlines()[: text.count("\n")]  # whole lines only

    def stages(self) -> dict[str, float]:
        """Return when each import stage started (epoch seconds), in order."""
        lines = (line.split("\t") for line in self.lines() if line.startswith("stage"))
        return {name: float(at) for _, at, name in lines}

    def writes(self) -> list[tuple[float, str]]:
        """Return (time, what) for each statement of the write, the commit, and Done once done."""
        events = [line.split("\t")[1:] for line in self.lines() if line.startswith(("stage", "sql"))]
        names = [what for _, what in events]
        start = names.index(WRITING) + 1 if WRITING in names else len(events)
        return [(float(at), what) for at, what in events[start:]]

    def commits(self) -> int:
        """Count the transactions the process committed."""
        return sum(1 for line in self.lines() if line.startswith("sql") and line.endswith("\tCOMMIT"))

    def report(self) -> dict[str, Any]:
        return json.loads(next(line for line in self.lines() if line.startswith("report")).split("\t", 1)[1])

    @property
    def stderr(self) -> str:
        return self.output.with_suffix(".stderr").read_text(errors="replace")


@dataclass
class Forks:
    """The worker in `fork` mode: starts a process in milliseconds rather than seconds."""

    worker: Child
    directory: Path
    started: list[Forked] = field(default_factory=list)

    def start(self, url: str, *argv: str) -> Forked:
        assert self.worker.process.stdin is not None
        if "ready" not in self.worker.seen:
            self.worker.expect("ready")
        output = self.directory / f"forked-{len(self.started)}.out"
        command = {"argv": list(argv), "url": url, "output": str(output)}
        self.worker.process.stdin.write(json.dumps(command) + "\n")
        self.worker.process.stdin.flush()
        forked = [line for line in self.worker.seen if line.startswith("forked")]
        while len(forked) <= len(self.started):
            forked.append(self.worker.expect("forked"))
        self.started.append(Forked(int(forked[len(self.started)].split("\t")[1]), output))
        return self.started[-1]

    def exit_code(self, forked: Forked) -> int:
        """Wait for a forked process to end and return its exit code (-9 when killed)."""
        prefix = f"exited\t{forked.pid}\t"
        while not any(line.startswith(prefix) for line in self.worker.seen):
            self.worker.expect("exited")
        return int(next(line for line in self.worker.seen if line.startswith(prefix)).split("\t")[2])

    def ended(self, forked: Forked) -> bool:
        return any(line.startswith(f"exited\t{forked.pid}\t") for line in self.worker.drain())

    def wait_for(self, forked: Forked, condition: Callable[[], bool], what: str) -> None:
        """Wait until `condition` holds, failing at once should the process end first."""
        wait_until(lambda: condition() or self.ended(forked), what, every=0.002)
        assert condition(), f"the process ended before {what}:\n{forked.stderr}"

    def kill(self, forked: Forked) -> int:
        with contextlib.suppress(ProcessLookupError):  # it may have ended (and been reaped) already
            os.kill(forked.pid, signal.SIGKILL)
        return self.exit_code(forked)

    def close(self) -> int:
        assert self.worker.process.stdin is not None
        self.worker.process.stdin.close()
        return self.worker.finish()

    def kill_unfinished(self) -> None:
        """Kill every forked process that has not ended (what a failed test left running)."""
        for forked in self.started:
            if not self.ended(forked):
                os.kill(forked.pid, signal.SIGKILL)


def tagged(url: str, name: str) -> str:
    """Give a PostgreSQL URL an application name, so the test can find its children's sessions."""
    if backend_of(url) == "sqlite":
        return url
    return sa.engine.make_url(url).update_query_dict({"application_name": name}).render_as_string(False)


def sessions(engine: sa.Engine, name: str, *, waiting_for_write_lock: bool = False) -> int:
    """Count the PostgreSQL sessions of an application (only those queued for the write lock)."""
    query = "SELECT COUNT(*) FROM pg_stat_activity a WHERE a.application_name = :name"
    if waiting_for_write_lock:
        query += (
            " AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory'"
            " AND l.objid = :lock AND NOT l.granted)"
        )
    with engine.connect() as connection:
        return connection.execute(sa.text(query), {"name": name, "lock": POSTGRES_WRITE_LOCK}).scalar_one()


def no_sessions(engine: sa.Engine, name: str) -> bool:
    return sessions(engine, name) == 0


def wait_until(condition: Callable[[], bool], what: str, *, timeout: float = WAIT_SECONDS, every: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting until {what}"
        time.sleep(every)


# --- monthly exports -------------------------------------------------------------------------------

REJECTED_PER_FILE = 25


@dataclass(frozen=True)
class Generation:
    """Month k's export: every record so far (the even ones edited again), some new, some unreadable."""

    path: Path
    old: range  # record ids the previous month's export already held
    new: range  # record ids new this month

    def expected(self) -> dict[str, int]:
        even = sum(1 for n in self.old if n % 2 == 0)
        return {"rows_read": len(self.old) + len(self.new) + REJECTED_PER_FILE, "inserted": len(self.new),
                "updated": even, "unchanged": len(self.old) - even, "rejected": REJECTED_PER_FILE}  # fmt: skip


def small_import(engine: sa.Engine, number: int) -> dict[str, int]:
    """Import three new records in this process; return the report's counts."""
    rows = [HEADER, *(request_row(8_000_000 + number * 10 + j) for j in range(3))]
    data = "".join(",".join(row) + "\n" for row in rows).encode()
    report = import_requests(engine, data, f"small-{number}.csv", SETTINGS, ImportOptions(), role=Role.ANALYST)
    return {count: getattr(report, count) for count in COUNTS}
