"""Uploads in real processes: several at the same moment, one killed half-way, pages reading meanwhile.

The requirement: each upload is one transaction, so a crash or a kill mid-import leaves the store
as it was; two analysts uploading at the same time both succeed and nothing is lost.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from voc.core.access import Role
from voc.core.config import Settings
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.store.engine import POSTGRES_WRITE_LOCK, open_store, write_transaction
from voc.store.models import MonthlyCount, RequestChange, ServiceRequest, Upload
from voc.store.uploads import list_uploads, undo

WORKER = Path(__file__).with_name("import_worker.py")
ROOT = WORKER.parents[1]
TIMEZONE = "America/New_York"
SETTINGS = Settings(database_url="", timezone=TIMEZONE, max_upload_bytes=200_000_000, redact_personal=True, user="ana")
WAIT_SECONDS = 45.0  # the longest any one step may take before the test fails instead of hanging
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


Spawn = Callable[..., Child]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """Start worker processes on a store; any still running at the end of the test are killed."""
    children: list[Child] = []

    def start(url: str, *arguments: str) -> Child:
        stderr_path = tmp_path / f"child-{len(children)}.stderr"
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
        children.append(Child(process, stderr_path))
        return children[-1]

    yield start
    for child in children:
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait(timeout=WAIT_SECONDS)


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


@pytest.fixture
def forks(tmp_path: Path, spawn: Spawn) -> Iterator[Forks]:
    """The fork worker, still loading voc when the test starts; forks wait until it is ready."""
    forks = Forks(spawn("", "fork"), tmp_path)
    yield forks
    for forked in forks.started:  # end whatever a failed test left running
        if not forks.ended(forked):
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


# --- what the store holds --------------------------------------------------------------------------

# The large tables by key, upload and row hash (a changed row gets a new hash or upload); the rest whole.
KEY_COLUMNS = {
    "service_requests": ("id", "source", "source_id", "upload_id", "row_hash"),
    "request_changes": ("id", "upload_id", "request_id"),
}


def store_state(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the store, to compare before and after an upload."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in KEY_COLUMNS:
                query = sa.select(*(table.c[name] for name in KEY_COLUMNS[table.name])).order_by(table.c.id)
                state[table.name] = [tuple(row) for row in connection.execute(query)]
            else:  # JSON columns come back as dicts: compare their text, in a fixed order
                state[table.name] = sorted(tuple(map(str, row)) for row in connection.execute(sa.select(table)))
    return state


def assert_consistent(engine: sa.Engine) -> None:
    """The roll-up recounts the stored requests; every upload's counts add up; SQLite is undamaged."""
    requests, rollup, uploads = ServiceRequest.__table__, MonthlyCount.__table__, Upload.__table__
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalars().all() == ["ok"]
        recount = connection.execute(
            sa.select(requests.c.opened_month, sa.func.count(), sa.func.count(requests.c.closed_at))
            .group_by(requests.c.opened_month)
        ).all()  # fmt: skip
        rolled_up = connection.execute(
            sa.select(rollup.c.month, sa.func.sum(rollup.c.contacts), sa.func.sum(rollup.c.closed))
            .group_by(rollup.c.month)
        ).all()  # fmt: skip
        history = connection.execute(sa.select(uploads)).all()
        orphans = connection.execute(
            sa.select(sa.func.count())
            .select_from(requests.outerjoin(uploads, uploads.c.id == requests.c.upload_id))
            .where(sa.or_(uploads.c.id.is_(None), uploads.c.status != "committed"))
        ).scalar_one()  # fmt: skip
    assert sorted(map(tuple, rolled_up)) == sorted(map(tuple, recount))
    for upload in history:
        assert upload.inserted + upload.updated + upload.unchanged + upload.rejected == upload.rows_read
    assert orphans == 0, "stored requests whose upload is missing or undone"


def stored_requests(engine: sa.Engine) -> dict[tuple[str, str], Any]:
    requests = ServiceRequest.__table__
    query = sa.select(requests.c.source, requests.c.source_id, requests.c.upload_id, requests.c.description)
    with engine.connect() as connection:
        return {(row.source, row.source_id): row for row in connection.execute(query)}


# --- 1. uploads at the same moment -----------------------------------------------------------------

OVERLAP = range(2500, 4000)  # record ids in both crm files; the even ones differ between them


def analysts_files(directory: Path) -> dict[str, tuple[Path, str]]:
    """Three exports: two of the CRM that share 1,500 record ids, one of a web portal."""
    north = [request_row(n, request_type="" if n < 10 else None) for n in range(0, 4000)]
    south = [
        request_row(n, " (south)" if n in OVERLAP and n % 2 == 0 else "", request_type="" if n >= 6490 else None)
        for n in range(2500, 6500)
    ]
    portal = [request_row(n, " (portal)", request_type="" if n >= 2995 else None) for n in range(0, 3000)]
    return {
        "north.csv": (write_csv(directory / "north.csv", north), "crm"),
        "south.csv": (write_csv(directory / "south.csv", south), "crm"),
        "portal.csv": (write_csv(directory / "portal.csv", portal), "portal"),
    }


Outcome = tuple[int, str, str]  # exit code, stdout, stderr


def import_arguments(files: dict[str, tuple[Path, str]]) -> list[list[str]]:
    return [["import", "requests", str(path), "--json", "--source", source] for path, source in files.values()]


def upload_at_the_same_moment(url: str, spawn: Spawn, files: dict[str, tuple[Path, str]]) -> list[Outcome]:
    """Run `voc import requests` in new interpreters, released together once all have loaded."""
    children = [spawn(url, "cli", *arguments) for arguments in import_arguments(files)]
    for child in children:
        child.expect("ready")
    for child in children:
        child.go()
    return [(child.finish(), "\n".join(child.seen[1:]), child.stderr) for child in children]


def upload_behind_a_writer(
    store_url: str, forks: Forks, files: dict[str, tuple[Path, str]], *, session: str
) -> list[Outcome]:
    """Start `voc import requests` processes while the test holds the write lock; release it once all wait."""
    engine, url = open_store(store_url), tagged(store_url, session)
    with write_transaction(engine):
        uploads = [forks.start(url, "cli", *arguments) for arguments in import_arguments(files)]
        if engine.dialect.name == "postgresql":
            waiting = partial(all_waiting, engine, session, len(uploads))
            wait_until(lambda: waiting() or any(map(forks.ended, uploads)), "every upload waits for the lock")
        else:  # SQLite shows no queue: give files of 4,000 rows ample time to reach the write
            time.sleep(2)
        assert not any(line.startswith("exited") for line in forks.worker.drain()), "an upload did not wait"
    engine.dispose()
    return [(forks.exit_code(upload), "\n".join(upload.lines()), upload.stderr) for upload in uploads]


def all_waiting(engine: sa.Engine, session: str, count: int) -> bool:
    return sessions(engine, session, waiting_for_write_lock=True) == count


@pytest.mark.parametrize("queued", [False, True], ids=["racing", "queued-behind-a-writer"])
def test_analysts_uploading_at_the_same_moment_all_succeed_and_nothing_is_lost(
    store_url: str, tmp_path: Path, spawn: Spawn, request: pytest.FixtureRequest, queued: bool
) -> None:
    files = analysts_files(tmp_path)
    session = f"voc-test-{uuid.uuid4().hex[:8]}"
    if queued:  # forked from a loaded worker, so they reach the lock together, and the test sees them wait
        outcomes = upload_behind_a_writer(store_url, request.getfixturevalue("forks"), files, session=session)
    else:  # new interpreters, racing to create the new store's schema too
        outcomes = upload_at_the_same_moment(store_url, spawn, files)

    assert [code for code, _, _ in outcomes] == [0, 0, 0], outcomes
    assert not any("locked" in (out + err).lower() or "Traceback" in err for _, out, err in outcomes), outcomes
    reports = {report["file"]: report for report in (json.loads(out.splitlines()[-1]) for _, out, _ in outcomes)}
    assert set(reports) == set(files)

    engine = open_store(store_url)
    for report in reports.values():
        assert report["upload_id"] is not None, report
        assert sum(report[count] for count in COUNTS[1:]) == report["rows_read"], report
    north, south, portal = reports["north.csv"], reports["south.csv"], reports["portal.csv"]
    assert [r["rows_read"] for r in (north, south, portal)] == [4000, 4000, 3000]
    assert [r["rejected"] for r in (north, south, portal)] == [10, 10, 5]
    first, last = sorted([north, south], key=lambda r: r["upload_id"])
    changed = sum(1 for n in OVERLAP if n % 2 == 0)
    assert (first["inserted"], first["updated"], first["unchanged"]) == (3990, 0, 0)
    assert (last["inserted"], last["updated"], last["unchanged"]) == (3990 - len(OVERLAP), changed, changed)
    assert (portal["inserted"], portal["updated"], portal["unchanged"]) == (2995, 0, 0)

    history = list_uploads(engine).set_index("id")
    assert len(history) == 3
    for report in reports.values():
        stored = history.loc[report["upload_id"]]
        assert (stored["file_name"], stored["status"]) == (report["file"], "committed")
        assert [int(stored[count]) for count in COUNTS] == [report[count] for count in COUNTS]

    stored = stored_requests(engine)
    expected = {("crm", source_id(n)) for n in range(10, 6490)} | {("portal", source_id(n)) for n in range(2995)}
    assert set(stored) == expected  # (source, source_id) is unique, so each is stored exactly once
    for n in OVERLAP:
        row = stored["crm", source_id(n)]
        if n % 2 == 0:  # changed: the later upload's version, with the earlier kept for undo
            note = " (south)" if last is south else ""
            assert (row.upload_id, row.description) == (last["upload_id"], f"Case {n}{note}")
        else:  # the same in both files: left as the first upload stored it
            assert (row.upload_id, row.description) == (first["upload_id"], f"Case {n}")
    with engine.connect() as connection:
        kept = connection.execute(sa.select(sa.func.count()).select_from(RequestChange.__table__)).scalar_one()
        rolled_up = connection.execute(sa.select(sa.func.sum(MonthlyCount.__table__.c.contacts))).scalar_one()
    assert kept == changed
    assert rolled_up == len(expected)
    assert_consistent(engine)
    engine.dispose()


# --- 2. an upload killed at random moments ---------------------------------------------------------

# Each import takes a second or two; the kills are aimed at statements, so more rows add only time.
ROWS = {"sqlite": 20_000, "postgresql": 8_000}
REJECTED_PER_FILE = 25
SEED = 20_261_122
# Kill once while reading and once while checking, this share of the way through the stage...
EARLY_KILLS = [(READING, 0.1, 0.4), (CHECKING, 0.1, 0.5)]
EARLY_RETRIES = 3  # at once, if the stage ended first
WRITE_KILLS = 3  # ... at moments spread over the write, and once as it commits


@dataclass(frozen=True)
class KillPoint:
    """A moment of the write: `seconds` into the `occurrence`-th statement that begins `statement`."""

    statement: str
    occurrence: int
    seconds: float

    def reached(self, forked: Forked) -> bool:
        return [what for _, what in forked.writes()].count(self.statement) >= self.occurrence


def reached_stage(forked: Forked, stage: str) -> bool:
    return stage in forked.stages()


def kill_points(calibration: Forked, rng: random.Random) -> list[KillPoint]:
    """Pick moments spread over a full run's write, by statement, so a later run can be stopped there too."""
    writes = calibration.writes()
    start, end = calibration.stages()[WRITING], writes[-1][0]
    points = []
    for slot in range(WRITE_KILLS):
        instant = start + (slot + rng.random()) / WRITE_KILLS * (end - start)
        index = max([0] + [i for i, (at, _) in enumerate(writes[:-1]) if at <= instant])
        (at, statement), following = writes[index], writes[index + 1][0]
        occurrence = [what for _, what in writes[: index + 1]].count(statement)
        # At most half the statement's calibrated time in: a run on a less busy machine is faster than calibration.
        points.append(KillPoint(statement, occurrence, max(0.0, min(instant - at, 0.5 * (following - at)))))
    return [*points, KillPoint("COMMIT", 1, 0.0)]


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


@pytest.fixture(scope="module")
def generations(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], list[Generation]]:
    """Return three monthly exports per backend, written once per test module."""
    made: dict[str, list[Generation]] = {}

    def make(backend: str) -> list[Generation]:
        if backend not in made:
            rows, grow = ROWS[backend], ROWS[backend] // 10
            directory = tmp_path_factory.mktemp(f"exports-{backend}")
            made[backend] = []
            for k in (1, 2, 3):
                old, new = range(0, rows + (k - 1) * grow), range(rows + (k - 1) * grow, rows + k * grow)
                records = [request_row(n, f" v{k}" if n % 2 == 0 else "") for n in range(new.stop)]
                unreadable = [[source_id(9_000_000 + k * 1000 + j), "not a date", *request_row(0)[2:]]
                              for j in range(REJECTED_PER_FILE)]  # fmt: skip
                path = write_csv(directory / f"month-{k}.csv", records + unreadable)
                made[backend].append(Generation(path, old if k > 1 else range(0), new if k > 1 else range(new.stop)))
        return made[backend]

    return make


def small_import(engine: sa.Engine, number: int) -> dict[str, int]:
    """Import three new records in this process; return the report's counts."""
    rows = [HEADER, *(request_row(8_000_000 + number * 10 + j) for j in range(3))]
    data = "".join(",".join(row) + "\n" for row in rows).encode()
    report = import_requests(engine, data, f"small-{number}.csv", SETTINGS, ImportOptions(), role=Role.ANALYST)
    return {count: getattr(report, count) for count in COUNTS}


@dataclass
class Killer:
    """Start uploads of one file and kill each at a chosen moment, checking the store every time."""

    engine: sa.Engine
    forks: Forks
    store_url: str
    month: Generation
    name: str = field(default_factory=lambda: f"voc-test-{uuid.uuid4().hex[:8]}")
    kills: int = 0

    def kill(self, target: tuple[str, float] | KillPoint, *, at_commit: bool = False) -> str:
        """Kill an upload at `target`; check the store is as before; return the last stage or statement seen."""
        self.kills += 1
        before = store_state(self.engine)
        session = f"{self.name}-{self.kills}"  # its own session name, to see the server end the session
        upload = self.forks.start(tagged(self.store_url, session), "import", str(self.month.path))
        if isinstance(target, KillPoint):
            self.forks.wait_for(upload, partial(target.reached, upload), f"it reaches {target}")
            time.sleep(target.seconds)
        else:
            self.forks.wait_for(upload, partial(reached_stage, upload, target[0]), f"it reaches {target[0]!r}")
            time.sleep(target[1])
        returncode = self.forks.kill(upload)
        stages, writes = list(upload.stages()), [what for _, what in upload.writes()]
        landed = writes[-1] if writes else stages[-1]
        where = f"kill at {target}: stages {stages}, last statement {landed!r}"
        # The commit can be over before the kill arrives (on PostgreSQL it takes a millisecond or two).
        if at_commit:
            assert returncode in (-signal.SIGKILL, 0), where
        else:
            assert returncode == -signal.SIGKILL and "COMMIT" not in writes and DONE not in stages, where
        if self.engine.dialect.name == "postgresql":  # the server sees the client gone, rolls back, frees the lock
            wait_until(partial(no_sessions, self.engine, session), "the killed upload's session has ended")
        if store_state(self.engine) != before:  # then the upload must be there in full
            assert at_commit and landed in ("COMMIT", DONE), where
            self.undo_complete_upload(before, where)
        assert_consistent(self.engine)
        assert small_import(self.engine, self.kills)["inserted"] == 3, where
        return landed

    def undo_complete_upload(self, before: dict[str, list[tuple[Any, ...]]], where: str) -> None:
        newest = list_uploads(self.engine).iloc[0]
        assert {count: int(newest[count]) for count in COUNTS} == self.month.expected(), where
        assert_consistent(self.engine)
        undo(self.engine, int(newest["id"]), user="ana", role=Role.ANALYST)
        # The roll-up is recounted (its float sums may differ in the last digit): compare the rows.
        assert store_state(self.engine)["service_requests"] == before["service_requests"], where


def test_killing_an_upload_at_any_moment_leaves_the_store_as_it_was(
    store_url: str, forks: Forks, generations: Callable[[str], list[Generation]]
) -> None:
    first, second, third = generations(backend_of(store_url))
    engine = open_store(store_url)
    report = import_requests(
        engine, first.path.read_bytes(), first.path.name, SETTINGS, ImportOptions(), role=Role.ANALYST
    )
    assert {count: getattr(report, count) for count in COUNTS} == first.expected()

    # Import month 2 in full to time its stages and statements; month 3 then does the same work again.
    calibration = forks.start(store_url, "import", str(second.path))
    assert forks.exit_code(calibration) == 0, calibration.stderr
    assert {count: calibration.report()[count] for count in COUNTS} == second.expected()
    assert calibration.commits() == 1, "an upload must be written in one transaction"
    at = calibration.stages()
    took = {READING: at[CHECKING] - at[READING], CHECKING: at[WRITING] - at[CHECKING]}
    rng = random.Random(SEED)
    killer = Killer(engine, forks, store_url, third)

    for stage, earliest, latest in EARLY_KILLS:
        landed = killer.kill((stage, rng.uniform(earliest, latest) * took[stage]))
        for _ in range(EARLY_RETRIES):  # a busy machine can make the stage end before the kill arrives
            if landed == stage:
                break
            landed = killer.kill((stage, 0.0))
        assert landed == stage
    points = kill_points(calibration, rng)
    landed_in_write = [killer.kill(point, at_commit=point.statement == "COMMIT") for point in points]
    assert len(set(landed_in_write[:-1])) >= 2, f"the kills all stopped the write in one statement: {landed_in_write}"

    final = forks.start(store_url, "import", str(third.path))
    assert forks.exit_code(final) == 0, final.stderr
    assert {count: final.report()[count] for count in COUNTS} == third.expected()
    assert final.commits() == 1
    assert_consistent(engine)
    assert forks.close() == 0, forks.worker.stderr
    engine.dispose()


# --- 3. pages reading while an upload writes -------------------------------------------------------


def read_since(reader: Forked, moment: float) -> bool:
    return any(float(line.split("\t")[1]) > moment for line in reader.lines() if line.startswith("seen"))


def test_pages_keep_reading_while_an_upload_writes(
    store_url: str, tmp_path: Path, forks: Forks, generations: Callable[[str], list[Generation]]
) -> None:
    month = generations(backend_of(store_url))[0]
    engine = open_store(store_url)
    assert small_import(engine, 0)["inserted"] == 3
    before, after = 3, 3 + month.expected()["inserted"]
    stop = tmp_path / "stop"
    reader = forks.start(store_url, "read", str(stop))
    forks.wait_for(reader, lambda: len(reader.lines()) >= 3, "the page has read a few times")
    importer = forks.start(store_url, "import", str(month.path))
    assert forks.exit_code(importer) == 0, importer.stderr
    at = importer.stages()
    forks.wait_for(reader, partial(read_since, reader, at[DONE]), "the page has read since the upload")
    stop.touch()
    assert forks.exit_code(reader) == 0, reader.stderr
    assert forks.close() == 0, forks.worker.stderr
    assert "locked" not in (reader.stderr + importer.stderr).lower()

    reads = [line.split("\t")[1:5] for line in reader.lines() if line.startswith("seen")]
    reads = [(float(start), float(end), int(stored), int(rolled_up)) for start, end, stored, rolled_up in reads]
    assert len(reads) < 5_000, "the page reader stopped at its bound, not at the stop file"
    for start, _end, stored, rolled_up in reads:
        assert stored == rolled_up, "a read saw the requests and the roll-up out of step"
        assert stored in (before, after), "a read saw part of an upload"
        if start < at[WRITING]:
            assert stored == before
        if start > at[DONE]:
            assert stored == after
    during = [stored for start, end, stored, _ in reads if at[WRITING] < start and end < at[DONE]]
    assert during.count(before) >= 3, f"{len(reads)} reads, {len(during)} of them while the upload wrote"
    assert reads[-1][2] == after
    engine.dispose()
