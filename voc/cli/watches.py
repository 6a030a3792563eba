"""`voc watch ...` and `voc digest`: saved filters with their recipients, and the e-mail each one receives."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from voc.cli.common import OPERATOR, open_engine, print_json
from voc.cli.contract import ContractCommand, ContractGroup
from voc.core.config import load_settings
from voc.core.errors import VocError

if TYPE_CHECKING:
    import sqlalchemy as sa

    from voc.core.config import Settings
    from voc.core.digest import Digest


@click.group(cls=ContractGroup)
def watch() -> None:
    """Watches: a filter of the contacts (departments, categories, districts) and who receives its digest."""


@watch.command("add")
@click.argument("name")
@click.option("--department", "departments", multiple=True, help="A department to follow (repeat for more).")
@click.option("--category", "categories", multiple=True, help="A category to follow (repeat for more).")
@click.option("--district", "districts", multiple=True, help="A district code to follow (repeat for more).")
@click.option("--to", "recipients", multiple=True, required=True, help="An address receiving the digest (repeat).")
def watch_add(
    name: str, departments: tuple[str, ...], categories: tuple[str, ...], districts: tuple[str, ...],
    recipients: tuple[str, ...],
) -> None:  # fmt: skip
    """Save watch NAME; a filter left out follows everything."""
    from voc.contacts.watches import SavedWatch, add_watch

    add_watch(
        open_engine(), SavedWatch(name, departments, categories, districts, recipients), user=load_settings().user,
        role=OPERATOR,
    )  # fmt: skip
    click.echo(f"Saved watch {name.strip()}: `voc digest --watch {name.strip()!r}` sends its digest.")


@watch.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, one object per watch.")
def watch_list(as_json: bool) -> None:
    """List the saved watches by name."""
    from dataclasses import asdict

    from voc.contacts.watches import list_watches

    watches = list_watches(open_engine())
    if as_json:
        print_json([asdict(saved) for saved in watches])
        return
    if not watches:
        click.echo("No watches yet: `voc watch add NAME --to ADDRESS` saves one.")
    for saved in watches:
        filters = [
            f"{title}: {', '.join(values)}"
            for title, values in (("departments", saved.departments), ("categories", saved.categories),
                                  ("districts", saved.districts)) if values
        ]  # fmt: skip
        click.echo(f"{saved.name} ({'; '.join(filters) or 'the whole county'}) -> {', '.join(saved.recipients)}")


@watch.command("remove")
@click.argument("name")
def watch_remove(name: str) -> None:
    """Remove watch NAME."""
    from voc.contacts.watches import remove_watch

    remove_watch(open_engine(), name, user=load_settings().user, role=OPERATOR)
    click.echo(f"Removed watch {name}.")


@click.command(cls=ContractCommand)
@click.option("--month", help="YYYY-MM to report (default: the latest complete month).")
@click.option("--week", help="YYYY-Www (ISO week) to send for: reports the latest month complete by its Sunday.")
@click.option("--watch", "watch_name", help="Only this watch's digest (default: every watch's).")
@click.option("--to", "recipients", multiple=True, help="Send to this address instead of the watch's (repeat).")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), help="Also write the HTML here.")
@click.option("--dry-run", is_flag=True, help="Build the digests and say what would be sent; send nothing.")
def digest(
    month: str | None, week: str | None, watch_name: str | None, recipients: tuple[str, ...], html_file: Path | None,
    dry_run: bool,
) -> None:  # fmt: skip
    """E-mail each watch its digest (VOC_SMTP_URL): what is emerging, what was acted on and its effect so far.

    A digest already sent for the period is not sent again, unless --to names where to send it.
    """
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from voc.contacts.digest import build_digest, period_month
    from voc.contacts.watches import SavedWatch, checked_addresses, find_watch, list_watches

    engine, settings = open_engine(), load_settings()
    recipients = checked_addresses(recipients)
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    period, report_month = period_month(engine, month=month, week=week, today=today, timezone=settings.timezone)
    watches = [find_watch(engine, watch_name)] if watch_name else list_watches(engine)
    if not watches and not recipients:
        raise VocError("No watches yet: save one with `voc watch add NAME --to ADDRESS`, or give --to for the county.")
    failures = []
    for saved in watches or [SavedWatch("")]:
        built = build_digest(
            engine, saved, period=period, month=report_month, public_url=settings.public_url,
            closure=settings.closure, timezone=settings.timezone,
        )  # fmt: skip
        if html_file:
            _write_html(built, html_file, several=len(watches) > 1)
        failure = _deliver(engine, built, recipients or saved.recipients, resend=bool(recipients), dry_run=dry_run)
        if failure:
            failures.append(failure)
    if failures:
        raise VocError(" ".join(failures) + " Nothing was marked sent for them: run the command again to resend.")


def _write_html(built: Digest, html_file: Path, *, several: bool) -> None:
    """Write a digest's HTML (charts embedded); with several watches, each to FILE-WATCH.html."""
    import re

    from voc.present.digest_mail import standalone_html

    target = html_file
    if several:
        target = html_file.with_name(f"{html_file.stem}-{re.sub(r'[^A-Za-z0-9]+', '-', built.watch)}{html_file.suffix}")
    target.write_text(standalone_html(built), encoding="utf-8")
    click.echo(f"Wrote {target}.")


def _deliver(
    engine: sa.Engine, built: Digest, recipients: tuple[str, ...], *, resend: bool, dry_run: bool
) -> str | None:
    """Send one digest unless it was sent already; return why it failed, or None."""
    from voc.contacts.watches import digest_sent_at, record_digest_sent
    from voc.core.mail import MailNotSent, send_message
    from voc.present.digest_mail import digest_message

    settings = load_settings()
    who = f"watch {built.watch}" if built.watch else "the county-wide digest"
    summary = f"{len(built.issues)} emerging, {len(built.acted)} acted on"
    if dry_run:
        click.echo(f"Would send {built.subject!r} ({summary}) to {', '.join(recipients)}.")
        return None
    sent_at = None if resend else digest_sent_at(engine, built.watch, built.period)
    if sent_at is not None:
        click.echo(f"Skipped {who}: its digest for {built.period} was sent on {sent_at:%Y-%m-%d %H:%M} UTC.")
        return None
    if not settings.smtp_url:
        raise VocError("Set VOC_SMTP_URL (smtp://user:password@host:587) to send digests, or use --dry-run.")
    message = digest_message(built, sender=_sender(settings), recipients=recipients)
    try:
        send_message(settings.smtp_url, message)
    except MailNotSent as error:
        click.echo(f"Not sent: {who} for {built.period}: {error}", err=True)
        return f"The digest of {who} was not sent: {error}"
    record_digest_sent(
        engine, watch=built.watch, period=built.period, recipients=recipients, subject=built.subject,
        user=settings.user,
    )  # fmt: skip
    click.echo(f"Sent {built.subject!r} ({summary}) to {', '.join(recipients)}.")
    return None


def _sender(settings: Settings) -> str:
    """VOC_MAIL_FROM, else the SMTP user when it is an address, else voc@ the SMTP server's host."""
    from urllib.parse import unquote, urlsplit

    if settings.mail_from:
        return settings.mail_from
    parts = urlsplit(settings.smtp_url)
    user = unquote(parts.username or "")
    return user if "@" in user else f"voc@{parts.hostname}"
