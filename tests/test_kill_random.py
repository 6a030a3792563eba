"""SIGKILL at moments drawn at random over a whole run, not aimed at a stage: uploads and undos.

tests/test_import_concurrency.py aims its kills at each stage and statement of an import. Here the
moments are drawn uniformly from the start of the process to a little past its usual end (seeded),
as a power cut or an out-of-memory kill would fall, and the same is done to `voc undo`. After every
kill the store is either exactly as before or holds the whole change, never part of it; it stays
consistent, and the next upload works.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable
from contextlib import suppress

import pytest
import sqlalchemy as sa

from tests.stores import assert_consistent, store_state
from tests.workers import (
    COUNTS,
    SETTINGS,
    Forked,
    Forks,
    Generation,
    backend_of,
    request_row,
    small_import,
    source_id,
    tagged,
    wait_until,
    write_csv,
)
from voc.core.access import Role
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.store.engine import open_store
from voc.store.uploads import list_uploads, undo

SEED = 8_675_309
KILLS = 3  # per kind of run and backend
PAST_THE_END = 1.15  # draw moments up to this share of a full run, so some kills come too late
ROWS, NEW, UNREADABLE = 3_000, 300, 25  # a run of about a second: long enough to land kills all through it


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> tuple[Generation, Generation]:
    """Two monthly exports: the second edits the even records of the first, adds some, and has unreadable rows."""
    folder = tmp_path_factory.mktemp("random-kills")
    unreadable = [[source_id(9_500_000 + j), "not a date", *request_row(0)[2:]] for j in range(UNREADABLE)]
    first = write_csv(folder / "month-1.csv", [request_row(n) for n in range(ROWS)] + unreadable)
    edited = [request_row(n, " v2" if n % 2 == 0 else "") for n in range(ROWS + NEW)]
    second = write_csv(folder / "month-2.csv", edited + unreadable)
    return Generation(first, range(0), range(ROWS)), Generation(second, range(ROWS), range(ROWS, ROWS + NEW))


def kill_at(workers: Forks, run: Forked, seconds: float) -> int:
    """SIGKILL a forked run `seconds` after it was started; return its exit code (0 if it ended first)."""
    time.sleep(seconds)
    with suppress(ProcessLookupError):
        os.kill(run.pid, signal.SIGKILL)
    return workers.exit_code(run)


def timed(workers: Forks, url: str, *argv: str) -> float:
    """Run a forked command to its end and return the seconds it took; it must succeed."""
    run = workers.start(url, *argv)  # the first start waits for the worker to load voc: not part of the run
    started = time.monotonic()
    assert workers.exit_code(run) == 0, run.stderr
    return time.monotonic() - started


def commit_moment(workers: Forks, url: str, argv: list[str], committed: Callable[[], bool]) -> float:
    """Run a forked command to its end; return the seconds from its start until `committed()` first held."""
    run = workers.start(url, *argv)
    started = time.monotonic()
    workers.wait_for(run, committed, "the run committed")
    seconds = time.monotonic() - started
    assert workers.exit_code(run) == 0, run.stderr
    return seconds


def upload_status(engine: sa.Engine, upload: int) -> str:
    return str(list_uploads(engine).set_index("id").loc[upload, "status"])


def wait_for_session_end(engine: sa.Engine, url: str, name: str) -> None:
    """On PostgreSQL, wait until the server has noticed the killed client and rolled its transaction back."""
    if backend_of(url) != "postgresql":
        return
    query = sa.text("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = :name")

    def ended() -> bool:
        with engine.connect() as connection:
            return connection.execute(query, {"name": name}).scalar_one() == 0

    wait_until(ended, "the killed process's session has ended")


def outcome(engine: sa.Engine, before: dict, complete: Callable[[dict], bool], where: str) -> str:
    """Tell whether the run left the store as it was ("none") or changed in full ("all"); anything else fails."""
    after = store_state(engine)
    assert_consistent(engine)
    if after == before:
        return "none"
    assert complete(after), f"{where}: the store holds part of the change"
    return "all"


def kill_once(engine: sa.Engine, workers: Forks, url: str, argv: list[str], moment: float, label: str) -> tuple:
    """Start a forked command, SIGKILL it `moment` seconds in; return the store before it, its exit code, and where."""
    before, session = store_state(engine), f"voc-random-{label.replace(' ', '-')}-{os.getpid()}"
    run = workers.start(tagged(url, session), *argv)
    code = kill_at(workers, run, moment)
    wait_for_session_end(engine, url, session)
    where = f"{label} at {moment:.2f} s, exit code {code}"
    assert code in (-signal.SIGKILL, 0), where
    return before, code, where


def first_month_stored(store_url: str, months: tuple[Generation, Generation]) -> sa.Engine:
    engine = open_store(store_url)
    import_requests(
        engine, months[0].path.read_bytes(), months[0].path.name, SETTINGS, ImportOptions(), role=Role.ANALYST
    )
    return engine


def test_uploads_killed_at_random_moments_leave_all_or_nothing(
    store_url: str, months: tuple[Generation, Generation], request: pytest.FixtureRequest
) -> None:
    workers: Forks = request.getfixturevalue("forks")
    second, engine = months[1], first_month_stored(store_url, months)
    full = timed(workers, store_url, "import", str(second.path))  # the calibration run, then undone
    undo(engine, int(list_uploads(engine).iloc[0]["id"]), user="ana", role=Role.ANALYST)
    rng = random.Random(SEED)
    seen = []
    for kill in range(KILLS):
        moment = rng.uniform(0, PAST_THE_END * full)
        argv = ["import", str(second.path)]
        before, _, where = kill_once(engine, workers, store_url, argv, moment, f"upload {kill} of {full:.2f} s")

        def whole(_after: dict) -> bool:
            newest = list_uploads(engine).iloc[0]
            counts = {count: int(newest[count]) for count in COUNTS}
            return counts == second.expected() and newest["status"] == "committed"

        seen.append(outcome(engine, before, whole, where))
        if seen[-1] == "all":
            undo(engine, int(list_uploads(engine).iloc[0]["id"]), user="ana", role=Role.ANALYST)
            assert store_state(engine)["service_requests"] == before["service_requests"], where
        assert small_import(engine, 100 + kill)["inserted"] == 3, where
    assert "none" in seen, f"every kill came after the commit: {seen}"
    assert workers.close() == 0, workers.worker.stderr
    engine.dispose()


def test_undo_killed_at_random_moments_leaves_all_or_nothing(
    store_url: str, months: tuple[Generation, Generation], request: pytest.FixtureRequest
) -> None:
    workers: Forks = request.getfixturevalue("forks")
    second, engine = months[1], first_month_stored(store_url, months)
    without = store_state(engine)["service_requests"]  # as the first undo must leave it

    def upload_second() -> int:
        report = import_requests(
            engine, second.path.read_bytes(), second.path.name, SETTINGS, ImportOptions(), role=Role.ANALYST
        )
        return int(report.upload_id)

    upload = upload_second()
    # Calibrated on the forked `voc undo` itself, up to its commit: it then waits for the themes to
    # regroup, and kills drawn over that wait would all come too late; an in-process undo is no
    # measure either (the fork opens its own store first, and under load the two differ several-fold).
    full = commit_moment(
        workers, store_url, ["cli", "undo", str(upload)], lambda: upload_status(engine, upload) == "undone"
    )
    assert store_state(engine)["service_requests"] == without
    upload = upload_second()
    inserted = second.expected()["inserted"]
    rng = random.Random(SEED + 1)
    seen = []
    for kill in range(KILLS):
        moment = rng.uniform(0, PAST_THE_END * full)
        argv = ["cli", "undo", str(upload)]
        before, _, where = kill_once(engine, workers, store_url, argv, moment, f"undo {kill} of {full:.2f} s")
        rows = len(before["service_requests"])

        def undone(after: dict, upload: int = upload, rows: int = rows) -> bool:
            kept = after["service_requests"]
            return (
                upload_status(engine, upload) == "undone"
                and len(kept) == rows - inserted
                and all(r[3] != upload for r in kept)
            )

        seen.append(outcome(engine, before, undone, where))
        if seen[-1] == "all":
            upload = upload_second()
        assert small_import(engine, 200 + kill)["inserted"] == 3, where
    assert "none" in seen, f"every kill came after the commit: {seen}"
    assert workers.close() == 0, workers.worker.stderr
    engine.dispose()
