"""The command line's one error contract, kept by every command through the classes below.

A command that fails exits 2. With `--json` it prints exactly one JSON object on stdout,
`{"error": MESSAGE, "kind": KIND}`; without, one line `Error: MESSAGE` on stderr, never a traceback.
KIND is a stable word a script can branch on (ERROR_KINDS, then "database", "permission", "file", "feed",
"usage" and, for a bug in voc, "internal"). Click's own usage errors without --json keep Click's
usage hint.
"""

from __future__ import annotations

from typing import Any

import click

from voc.cli.common import print_json
from voc.core.errors import FeedRefused, FileRefused, NotAllowed, NotFound, StoreUnavailable, VocError

FAILED = 2
# Most specific first: the first class an error is an instance of names its kind.
ERROR_KINDS: tuple[tuple[type[Exception], str], ...] = (
    (StoreUnavailable, "database"),
    (NotAllowed, "permission"),
    (NotFound, "not_found"),
    (FileRefused, "file"),
    (FeedRefused, "feed"),
    (VocError, "input"),
    (click.UsageError, "usage"),
    (PermissionError, "permission"),
    (OSError, "file"),
)


def error_kind(error: Exception) -> str:
    """Name the kind of a failure; "internal" for anything voc did not expect (a bug)."""
    import sqlalchemy.exc

    if isinstance(error, sqlalchemy.exc.DBAPIError):
        return "database"
    return next((kind for cls, kind in ERROR_KINDS if isinstance(error, cls)), "internal")


def error_message(error: Exception, kind: str) -> str:
    """The error's message on one line."""
    text = error.format_message() if isinstance(error, click.ClickException) else str(error)
    if kind == "internal":
        text = f"voc hit a bug ({type(error).__name__}: {text}). Please report it with the command you ran."
    elif isinstance(error, OSError) and not isinstance(error, VocError):
        text = f"{error.strerror or text}: {error.filename}" if error.filename else text
    return " ".join(text.split())


def failure(error: Exception) -> dict[str, str]:
    """The contract's JSON object for an error: its one-line message and its kind."""
    kind = error_kind(error)
    return {"error": error_message(error, kind), "kind": kind}


def report_failure(error: Exception, *, as_json: bool) -> None:
    """Print a failure as the contract says: JSON on stdout, or one line on stderr."""
    if as_json:
        print_json(failure(error))
    else:
        click.echo(f"Error: {failure(error)['error']}", err=True)


def wants_json(command: click.Command, args: list[str]) -> bool:
    """Tell whether a command line asks this command for JSON (before any `--`)."""
    options = args[: args.index("--")] if "--" in args else args
    return "--json" in options and any(param.name == "as_json" for param in command.params)


class ContractMixin:
    """Keep the contract for a command's (or a group's own) failures, whatever raised them."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        as_json = wants_json(self, args)  # type: ignore[arg-type]
        try:
            return super().make_context(info_name, args, parent=parent, **extra)  # type: ignore[misc]
        except click.UsageError as error:
            if not as_json:
                raise
            report_failure(error, as_json=True)
            raise click.exceptions.Exit(FAILED) from error

    def invoke(self, ctx: click.Context) -> Any:
        as_json = bool(ctx.params.get("as_json"))
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except (click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            if isinstance(error, click.UsageError) and not as_json:
                raise
            report_failure(error, as_json=as_json)
            ctx.exit(FAILED)


class ContractCommand(ContractMixin, click.Command):
    """A command whose failures, whatever raised them, follow the contract."""


class ContractGroup(ContractMixin, click.Group):
    """A group whose commands and subgroups all keep the contract, and so does the group run as a command
    (`voc alerts` lists, `voc alerts ack` sets a state)."""

    command_class = ContractCommand
    group_class = type
