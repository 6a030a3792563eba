"""Regrouping the themes as a job: asked for after every change of the contacts, one build per store at a time.

A write asks for a build (the store's data version goes into voc.store.theme_builds); whoever runs
builds claims the row first, so a second build never starts while one runs, and a build that ends
with a newer request waiting groups once more. The app never waits: it starts `voc themes build
--if-requested` in a process of its own and the pages show the previous themes, saying so, until
it ends. The command line waits by default, so a script finds the store complete when it returns.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from voc.store.engine import data_version, write_transaction
from voc.store.models import utc_now
from voc.store.theme_builds import BuildState, read_build_state, record_failure, record_request, record_start

if TYPE_CHECKING:
    from voc.contacts.theming import ThemeBuild

# What the app starts after a write: a process of its own, so the Streamlit server never runs the build.
BUILD_COMMAND: tuple[str, ...] = (sys.executable, "-m", "voc.cli", "themes", "build", "--if-requested")
# A claim older than this is taken over whatever its process: no build of a county's store takes an hour.
CLAIM_EXPIRES = timedelta(hours=1)
WAIT_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class BuildStatus:
    """How current the stored themes are: what the pages say above them."""

    built_at: datetime | None  # when the stored themes were grouped (None: never)
    running_since: datetime | None  # when the build now running started (None: none runs)
    pending: bool  # a change asked for themes the stored ones do not cover
    failure: str | None  # why the last build failed, when it did


def _runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _claim_alive(state: BuildState, now: datetime) -> bool:
    """Tell whether the build holding the claim may still be running (its process lives, on this host)."""
    if state.running_since is None or now - state.running_since > CLAIM_EXPIRES:
        return False
    host, _, pid = (state.runner or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's process: trust the claim until it expires
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user
        return True
    return True


def build_status(engine: sa.Engine) -> BuildStatus:
    """Return how current the stored themes are and whether a build is regrouping them now."""
    state = read_build_state(engine)
    running = state.running_since if _claim_alive(state, utc_now()) else None
    return BuildStatus(built_at=state.built_at, running_since=running, pending=state.pending, failure=state.failure)


def request_build(engine: sa.Engine) -> BuildStatus:
    """Ask for themes covering the store as it is now (after a write); return the status, to start a build or not."""
    version = data_version(engine)  # the write asking has committed: its change is in this version
    with write_transaction(engine) as connection:
        record_request(connection, version=version, at=utc_now())
    return build_status(engine)


def regroup_in_background(engine: sa.Engine, *, user: str) -> BuildStatus:
    """Ask for a build and, unless one is running (it will group again when done), start one; return at once.

    The build runs `BUILD_COMMAND` in a process detached from this one, on the same store, as `user`; the claim
    is recorded for that process before returning, so the status says at once that a build runs.
    """
    status = request_build(engine)
    if status.running_since is not None:
        return status
    store = engine.url.render_as_string(hide_password=False)
    environment = {**os.environ, "VOC_DATABASE_URL": store, "VOC_USER": user}
    # sh starts the build in the background, prints its process id and exits: the build is nobody's
    # child, so it never lingers as a zombie of the server, and its process id says whether it runs.
    launcher = ["/bin/sh", "-c", '"$@" </dev/null >/dev/null 2>&1 & echo $!', "sh", *BUILD_COMMAND]
    started = subprocess.run(launcher, env=environment, start_new_session=True, check=True, capture_output=True)
    with write_transaction(engine) as connection:
        state, now = read_build_state(connection), utc_now()
        if not _claim_alive(state, now):
            runner = f"{socket.gethostname()}:{int(started.stdout)}"
            record_start(connection, version=state.requested_version, runner=runner, at=now)
    return build_status(engine)


def run_requested_builds(engine: sa.Engine, *, user: str, wait: bool, seed: int = 0) -> ThemeBuild | None:
    """Build themes until they cover the latest request; return the last build this process ran.

    When another process holds the claim, wait=True waits for it (and builds itself if it dies or a
    newer request remains); wait=False returns None at once, leaving the work to that build. A
    failed build records why (the pages show it), releases the claim and raises.
    """
    # The build's modules (SciPy, scikit-learn: seconds) load here, not where a command only asks for a build.
    from voc.contacts.theming import store_themes

    ran = None
    while True:
        with write_transaction(engine) as connection:
            state, now = read_build_state(connection), utc_now()
            if not state.pending:
                return ran
            busy = _claim_alive(state, now) and state.runner != _runner()  # the app may have claimed for us
            if not busy:
                record_start(connection, version=state.requested_version, runner=_runner(), at=now)
        if busy:
            if not wait:
                return None
            time.sleep(WAIT_POLL_SECONDS)
            continue
        try:
            ran = store_themes(engine, version=state.requested_version, user=user, seed=seed)
        except BaseException as error:
            with write_transaction(engine) as connection:
                record_failure(connection, reason=f"{type(error).__name__}: {error}")
            raise


def build_themes(engine: sa.Engine, *, user: str, seed: int = 0) -> ThemeBuild:
    """Regroup every stored description into themes now and wait until the stored themes cover the store.

    When another process was already building, its result is reported (embedded 0, seconds waited).
    """
    from voc.contacts.theming import ThemeBuild
    from voc.store.themes import load_themes

    started = time.perf_counter()
    request_build(engine)
    ran = run_requested_builds(engine, user=user, wait=True, seed=seed)
    if ran is not None:
        return ran
    stored = load_themes(engine)
    return ThemeBuild(len(stored), int(stored["contacts"].sum()) if len(stored) else 0, 0,
                      time.perf_counter() - started)  # fmt: skip


def status_sentence(status: BuildStatus, *, timezone: str) -> str:
    """Say which data the shown themes cover, and whether a regrouping is under way or needed.

    Times are HH:MM (with the day when it is not today) in the county's zone.
    """
    zone = ZoneInfo(timezone)
    today = utc_now().astimezone(zone).date()

    def when(moment: datetime) -> str:
        local = moment.astimezone(zone)
        return f"{local:%H:%M}" if local.date() == today else f"{local:%H:%M} on {local:%-d %b %Y}"

    covers = f"the contacts as stored at {when(status.built_at)}" if status.built_at else ""
    if status.running_since is not None:
        if not covers:
            return f"Themes are being grouped for the first time (started {when(status.running_since)})."
        return (
            f"Themes are being regrouped to include the latest upload (started {when(status.running_since)}); "
            f"until then these are the themes of {covers}."
        )
    if status.pending and status.failure:
        return f"These themes cover {covers or 'no contacts yet'}: the last regrouping failed ({status.failure})."
    if status.pending:
        return f"These themes cover {covers or 'no contacts yet'}: newer changes wait for `voc themes build`."
    return f"Themes cover {covers}, every change since included." if covers else ""
