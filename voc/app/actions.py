"""How a page changes the store: as the signed-in user, with a refusal shown rather than raised."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, TypeVar

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from voc.app import plain
from voc.app.cache import engine
from voc.app.frame import current_user, role, settings
from voc.app.show import themes_status
from voc.contacts.regrouping import regroup_in_background
from voc.core.access import Role
from voc.core.errors import StoreUnavailable, VocError
from voc.ingest.pipeline import ImportOptions, ImportReport, import_requests
from voc.ingest.pull import FeedSpec, PullReport, pull_feed
from voc.store.districts import populations_by_code, set_populations
from voc.store.requests import UndoResult
from voc.store.uploads import sha256_of, undo

T = TypeVar("T")


@contextmanager
def refusals(prefix: str = "") -> Iterator[None]:
    """Show a VocError raised in the block as st.error (after `prefix`), skipping the rest of the block.

    For changes that are not the store's (the users file); a change of the store goes through act().
    """
    try:
        yield
    except StoreUnavailable as error:
        plain.show(error, kind="error")  # it says itself that nothing was written: no refusal of the input
    except VocError as error:
        plain.show(f"{prefix} {error}".strip(), kind="error")


def act(
    action: Callable[..., T], *args: Any, refused: str = "", done: str | Callable[[T], str] = "", **options: Any
) -> T | None:
    """Run a library change `action(engine, *args, user=..., role=..., **options)` as the signed-in user.

    On success show `done` (a message, or a function of the result making one) and return the result;
    when the library refuses (VocError), show why after `refused` and return None. The library
    checks the role again: the page's own check only hides what the role may not use.
    """
    with refusals(refused):
        result = action(engine(), *args, user=current_user(), role=role(), **options)
        if done:
            plain.show(done(result) if callable(done) else done, kind="success")
        return result
    return None


def undo_upload(upload_id: int) -> UndoResult | None:
    """Put the store back as it was before an upload (see voc.store.uploads.undo), then regroup the themes."""
    result = act(undo, upload_id, done=lambda result: (
        f"Undid upload {upload_id}: removed {result.deleted:,} {result.records}, restored {result.restored:,}."
    ))  # fmt: skip
    if result is not None:
        regroup_themes()
    return result


def regroup_themes() -> None:
    """Start regrouping the descriptions into themes in the background, after a change of the contacts; say so.

    The page never waits for it: the Trends and Map pages show the previous themes, saying so, until it ends.
    """
    status = regroup_in_background(engine(), user=current_user())
    plain.show(themes_status(status), kind="info")


def save_populations(engine: sa.Engine, table: pd.DataFrame, *, user: str, role: Role) -> None:
    """Store the populations entered in the Data page's district table (an action for act())."""
    set_populations(engine, populations_by_code(table), user=user, role=role)


def import_contacts(
    data: bytes, name: str, options: ImportOptions, progress: Callable[[str, float], None]
) -> ImportReport | None:
    """Import a CRM export as the signed-in user; a refused file writes nothing and its reason is shown."""
    with refusals(f"{name} was refused and nothing was written."):
        report = import_requests(engine(), data, name, settings(), options, role=role(), progress=progress)
        if report.upload_id is not None:
            regroup_themes()
        return report
    return None


def check_contacts(data: bytes, name: str, options: ImportOptions) -> ImportReport | None:
    """Dry-run a CRM export as the signed-in user: what it would import and whether it looks like this county's.

    Kept in the session per file, sheet and mapping: a dry run reads every row, too slow for every rerun.
    """
    signature = (sha256_of(data), options.sheet, tuple(sorted(options.overrides.items())))
    kept = st.session_state.get("upload_checks", {})
    if signature not in kept:
        with refusals(f"{name} cannot be imported."):
            kept[signature] = import_requests(
                engine(), data, name, settings(), replace(options, dry_run=True), role=role()
            )
        st.session_state["upload_checks"] = kept
    return kept.get(signature)


def pull(spec: FeedSpec, progress: Callable[[str, float], None]) -> PullReport | None:
    """Pull a feed as the signed-in user; a refused pull writes nothing and its reason is shown."""
    with refusals(f"{spec.source or spec.url} was refused and nothing was written."):
        report = pull_feed(engine(), spec, settings(), role=role(), progress=progress)
        if report.imported is not None and report.imported.upload_id is not None:
            regroup_themes()
        return report
    return None
