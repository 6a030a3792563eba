"""`voc ...`: parse the command line, call the library, print.

Commands live in modules by concern; each imports what it computes with when it runs, so that
`voc --help` loads neither pandas nor the store (tests/test_cli_startup.py). Every command keeps
one error contract (voc.cli.contract).
"""

from __future__ import annotations

import click

from voc.cli.contract import ContractGroup
from voc.cli.equity import equity
from voc.cli.findings import alerts, performance, survey
from voc.cli.history import action, undo, uploads
from voc.cli.imports import import_group
from voc.cli.pull import pull
from voc.cli.rank import pack, rank
from voc.cli.server import db, demo, serve
from voc.cli.themes import themes
from voc.cli.types import types
from voc.cli.users import user
from voc.cli.watches import digest, watch


@click.group(cls=ContractGroup)
def main() -> None:
    """voc: the Voice of the Customer dashboard for local government."""


for command in (
    serve,
    demo,
    db,
    uploads,
    undo,
    import_group,
    pull,
    types,
    survey,
    rank,
    pack,
    equity,
    action,
    alerts,
    performance,
    themes,
    user,
    watch,
    digest,
):
    main.add_command(command)
