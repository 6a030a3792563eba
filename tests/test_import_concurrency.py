"""Uploads in real processes: several at the same moment, one killed half-way, pages reading meanwhile.

The requirement: each upload is one transaction, so a crash or a kill mid-import leaves the store
as it was; two analysts uploading at the same time both succeed and nothing is lost.
"""

from __future__ import annotations

import json
import random
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.stores import assert_consistent, store_state, stored_requests
from tests.workers import (
    CHECKING,
    COUNTS,
    DONE,
    READING,
    REJECTED_PER_FILE,
    SETTINGS,
    WRITING,
    Forked,
    Forks,
    Generation,
    Spawn,
    backend_of,
    no_sessions,
    request_row,
    sessions,
    small_import,
    source_id,
    tagged,
    wait_until,
    write_csv,
)
from voc.core.access import Role
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.store.engine import open_store, write_transaction
from voc.store.models import MonthlyCount, RequestChange
from voc.store.uploads import list_uploads, undo

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


@dataclass
class Killer:
    """Start uploads of one file and kill each at a chosen moment, checking the store every time."""

    engine: sa.Engine
    forks: Forks
    store_url: str
    month: Generation
    name: str = field(default_factory=lambda: f"voc-test-{uuid.uuid4().hex[:8]}")
    kills: int = 0

    def kill(self, target: tuple[str, float] | KillPoint) -> str:
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
        # The commit can be over before the kill arrives: at the commit (on PostgreSQL it takes a millisecond
        # or two), or after a statement when this run is faster than the calibration was.
        committed = "COMMIT" in writes or DONE in stages
        landed = DONE if DONE in stages else "COMMIT" if committed else writes[-1] if writes else stages[-1]
        where = f"kill at {target}: stages {stages}, last statement {landed!r}"
        assert returncode == -signal.SIGKILL or (committed and returncode == 0), where
        if self.engine.dialect.name == "postgresql":  # the server sees the client gone, rolls back, frees the lock
            wait_until(partial(no_sessions, self.engine, session), "the killed upload's session has ended")
        if store_state(self.engine) != before:  # then the upload must be there in full
            assert landed in ("COMMIT", DONE), where
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
    landed_in_write = []
    for point in points[:-1]:
        landed = killer.kill(point)
        for _ in range(EARLY_RETRIES):  # a run faster than the calibration can commit before the kill arrives
            if landed not in ("COMMIT", DONE):
                break
            landed = killer.kill(replace(point, seconds=0.0))
        assert landed not in ("COMMIT", DONE), f"every kill at {point} came after the commit"
        landed_in_write.append(landed)
    assert len(set(landed_in_write)) >= 2, f"the kills all stopped the write in one statement: {landed_in_write}"
    killer.kill(points[-1])  # at the commit: the store holds the upload in full or not at all

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
