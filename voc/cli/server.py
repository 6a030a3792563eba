"""`voc serve`, `voc demo` and `voc db`: start the app, fill a store with the demo county, upgrade a store."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from voc.cli.common import count_closure_figures, open_engine
from voc.cli.contract import ContractCommand, ContractGroup
from voc.cli.themes import regroup_message
from voc.core.config import PROJECT_ROOT, load_settings
from voc.core.errors import VocError

STREAMLIT_FOLDER = PROJECT_ROOT / ".streamlit"  # the settings and secrets voc serves with, wherever it starts


@click.command(cls=ContractCommand)
@click.option("--port", default=8501, show_default=True, help="Port to serve on.")
@click.option("--address", default="localhost", show_default=True, help="Address to listen on.")
def serve(port: int, address: str) -> None:
    """Upgrade the store and serve the app (refused beyond localhost until sign-in is configured)."""
    from voc.core.access import access_mode
    from voc.core.users import load_users

    oidc = _secrets_have_auth(STREAMLIT_FOLDER / "secrets.toml")
    users = load_users(load_settings().users_file)
    mode = access_mode(oidc_configured=oidc, local_users=len(users.users), address=address)
    click.echo(f"Sign-in: {mode.value}.", err=True)
    open_engine()
    app = PROJECT_ROOT / "app.py"
    arguments = ["-m", "streamlit", "run", str(app), *project_settings_flags(), "--server.port", str(port)]
    os.execv(sys.executable, [sys.executable, *arguments, "--server.address", address])


def project_settings_flags() -> list[str]:
    """Return the project's Streamlit settings and secrets file as `streamlit run` flags.

    Streamlit reads `.streamlit/` from the directory it starts in: served from anywhere else, voc
    would lose its safe settings (no raw-table export, no error details) and its sign-in.
    """
    import tomllib

    settings = tomllib.loads((STREAMLIT_FOLDER / "config.toml").read_text(encoding="utf-8"))
    flags = [
        f"--{section}.{name}={str(value).lower() if isinstance(value, bool) else value}"
        for section, options in settings.items()
        for name, value in options.items()
    ]
    return [*flags, f"--secrets.files={STREAMLIT_FOLDER / 'secrets.toml'}"]


def _secrets_have_auth(path: Path) -> bool:
    """Tell whether Streamlit's secrets file sets up an identity provider ([auth])."""
    import tomllib

    try:
        return "auth" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False


@click.command(cls=ContractCommand)
@click.option("--if-empty", is_flag=True, help="Load only when the store holds no contacts.")
def demo(if_empty: bool) -> None:
    """Load the demo county (Palmetto County, FL) into the store."""
    from voc.demo.load import load_demo, store_is_empty

    engine = open_engine()
    if not store_is_empty(engine):
        if if_empty:
            click.echo("The store already holds contacts: demo not loaded.")
            return
        raise VocError(
            "The store already holds contacts. Load the demo into an empty store "
            "(point VOC_DATABASE_URL at a new database)."
        )
    loaded = load_demo(engine, user=load_settings().user)
    click.echo(
        f"Loaded the demo county as upload {loaded.upload_id}: {loaded.requests:,} contacts over "
        f"{loaded.months} months, {loaded.categories} categories in {loaded.departments} departments, "
        f"in {loaded.seconds:.1f} s."
    )
    count_closure_figures(engine)
    # In the background: `make run` serves the county at once, and its pages show the themes when grouped.
    click.echo(regroup_message(in_background=True))


@click.group(cls=ContractGroup)
def db() -> None:
    """Manage the store."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring the store's schema to the newest version, and count the closure figures of months not yet counted."""
    engine = open_engine()
    click.echo("The store's schema is up to date.")
    count_closure_figures(engine)
