"""`voc uploads`, `voc undo` and `voc action`: what was loaded into the store, and what the county did."""

from __future__ import annotations

from datetime import datetime

import click

from voc.cli.common import OPERATOR, echo_table, open_engine, print_json
from voc.cli.contract import ContractCommand, ContractGroup
from voc.cli.themes import BACKGROUND_OPTION, load_theme_build_in_thread, regroup_message
from voc.core.config import load_settings


@click.command(cls=ContractCommand)
@click.option("--json", "as_json", is_flag=True, help="Print JSON, one object per upload.")
def uploads(as_json: bool) -> None:
    """List the upload history, newest first."""
    from voc.store.uploads import HISTORY_COLUMNS, upload_history

    history = upload_history(open_engine())
    if as_json:
        print_json(history)
        return
    if not history:
        click.echo("No uploads yet.")
        return
    echo_table(history, HISTORY_COLUMNS)


@click.command(cls=ContractCommand)
@click.argument("upload_id", type=int)
@BACKGROUND_OPTION
def undo(upload_id: int, themes_in_background: bool) -> None:
    """Put the store back exactly as it was before upload UPLOAD_ID."""
    from voc.store.uploads import undo as undo_upload

    if not themes_in_background:
        load_theme_build_in_thread()  # while the store is put back
    result = undo_upload(open_engine(), upload_id, user=load_settings().user, role=OPERATOR)
    click.echo(
        f"Undid upload {upload_id}: removed {result.deleted:,} {result.records} it added and restored "
        f"{result.restored:,} it had changed."
    )
    click.echo(regroup_message(in_background=themes_in_background))


@click.group(cls=ContractGroup)
def action() -> None:
    """Record and list actions (process changes, procedures, information campaigns)."""


@action.command("add")
@click.option("--date", "action_date", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--category", help="The category it addresses (blank: all).")
@click.option("--district", help="The district code (blank: county-wide).")
@click.option("--description", required=True, help="What changed.")
def action_add(action_date: datetime, category: str | None, district: str | None, description: str) -> None:
    """Record an action, to see its effect on the Trends page."""
    from voc.contacts.actions import add_action

    action_id = add_action(
        open_engine(), action_date=action_date.date(), category=category, district_code=district,
        description=description, user=load_settings().user, role=OPERATOR,
    )  # fmt: skip
    click.echo(f"Recorded action {action_id}.")


@action.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def action_list(as_json: bool) -> None:
    """List the recorded actions, newest first."""
    from voc.contacts.actions import list_actions

    actions = list_actions(open_engine())
    if as_json:
        print_json(actions.to_dict("records"))
    else:
        click.echo(actions.to_string(index=False) if len(actions) else "No actions recorded yet.")
