"""`voc user ...`: who may sign in (local users in the users file) and with which role."""

from __future__ import annotations

import click

from voc.cli.common import OPERATOR, print_json
from voc.cli.contract import ContractGroup
from voc.core.access import Role
from voc.core.config import load_settings


@click.group(cls=ContractGroup)
def user() -> None:
    """Manage who may sign in (local users in the users file) and with which role."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["viewer", "analyst", "admin"]), help="What they may do.")
def user_add(name: str, role: str) -> None:
    """Add a local user, or set a new password and role for one; the password is asked for, never an option."""
    from voc.core.users import add_user

    password = click.prompt("Password (12 characters or more)", hide_input=True, confirmation_prompt=True)
    added = add_user(load_settings().users_file, name, password, role=Role(role), acting_role=OPERATOR)
    click.echo(f"Saved {added.name} ({added.role}) in {load_settings().users_file}.")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def user_list(as_json: bool) -> None:
    """List the local users and the identity provider's role rules (never a password hash)."""
    from voc.core.users import load_users

    users = load_users(load_settings().users_file)
    rows = [{"name": u.name, "role": str(u.role)} for u in sorted(users.users.values(), key=lambda u: u.name)]
    rules = {"groups": dict(users.rules.groups), "emails": dict(users.rules.emails)}
    if as_json:
        print_json({"users": rows, "oidc": rules})
        return
    for row in rows:
        click.echo(f"{row['name']}\t{row['role']}")
    for kind, entries in rules.items():
        for key, value in entries.items():
            click.echo(f"{kind[:-1]} {key}\t{value}")
    if not rows and not any(rules.values()):
        click.echo(
            "No users yet: voc serves an open demo on localhost only. Add one with `voc user add NAME --role admin`."
        )


@user.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["viewer", "analyst", "admin"]))
def user_role(name: str, role: str) -> None:
    """Change a local user's role."""
    from voc.core.users import set_role

    set_role(load_settings().users_file, name, role=Role(role), acting_role=OPERATOR)
    click.echo(f"{name} is now {role}.")


@user.command("remove")
@click.argument("name")
def user_remove(name: str) -> None:
    """Remove a local user."""
    from voc.core.users import remove_user

    remove_user(load_settings().users_file, name, acting_role=OPERATOR)
    click.echo(f"Removed {name}.")


@user.command("grant")
@click.argument("who")
@click.option("--role", required=True, type=click.Choice(["viewer", "analyst", "admin", "none"]))
@click.option("--group", is_flag=True, help="WHO is a group of the identity provider, not an e-mail address.")
def user_grant(who: str, role: str, group: bool) -> None:
    """Give an identity provider's e-mail address (or --group) a role; --role none removes the rule."""
    from voc.core.users import set_rule

    kind = "groups" if group else "emails"
    set_rule(load_settings().users_file, kind=kind, key=who, role=None if role == "none" else Role(role),
             acting_role=OPERATOR)  # fmt: skip
    click.echo(f"{'Group' if group else 'E-mail'} {who}: {role}.")
