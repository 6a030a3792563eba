"""`voc themes ...`: group the stored descriptions into themes, and list them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from voc.cli.common import count_closure_figures, open_engine, print_json
from voc.cli.contract import ContractGroup
from voc.core.config import load_settings

if TYPE_CHECKING:
    from voc.contacts.theming import ThemeBuild

BACKGROUND_OPTION = click.option(
    "--themes-in-background",
    "themes_in_background",
    is_flag=True,
    help="Regroup the themes in a process of its own and return at once (default: regroup before returning).",
)


@click.group(cls=ContractGroup)
def themes() -> None:
    """Themes: what residents write about, grouped by meaning."""


@themes.command("build")
@click.option(
    "--if-requested",
    is_flag=True,
    help="Only what a change asked for, and nothing if another build is running (what the app starts after a write).",
)
def themes_build(if_requested: bool) -> None:
    """Group every stored description into themes now, waiting for a build another process is running."""
    if if_requested:
        from voc.contacts.regrouping import run_requested_builds

        engine = open_engine()
        # The app starts this after every write: the closure figures the write changed are counted here too,
        # so the first page showing them after an upload finds them counted.
        count_closure_figures(engine)
        ran = run_requested_builds(engine, user=load_settings().user, wait=False)
        if ran is not None:
            click.echo(_built(ran))
        return
    click.echo(build_message())


def _built(build: ThemeBuild) -> str:
    if not build.themes:
        return f"Themes: too few descriptions to group ({build.described:,})."
    if not build.regrouped:
        return (f"Themes: {build.placed:,} new descriptions placed in the {build.themes} themes "
                f"({build.described:,} in all), in {build.seconds:.1f} s.")  # fmt: skip
    return f"Themes: {build.described:,} descriptions in {build.themes} themes, in {build.seconds:.1f} s."


def build_message() -> str:
    """Build the themes and say what was built: the line `voc themes build` and imports print."""
    from voc.contacts.regrouping import build_themes

    built = build_themes(open_engine(), user=load_settings().user)
    return _built(built)


def load_theme_build_in_thread() -> None:
    """Import the theme build's modules (SciPy, scikit-learn: 2 s) in a thread of their own, now.

    An import that regroups before it returns spends seconds waiting for its parse child and the
    store; the imports run then, and the build starts at once when the rows are written. Call it
    after the command's own imports, so that the two threads never wait on each other's modules.
    """
    import importlib
    import threading

    threading.Thread(
        target=importlib.import_module, args=("voc.contacts.theming",), name="load-theme-build", daemon=True
    ).start()


def regroup_message(*, in_background: bool) -> str:
    """Regroup the themes after a change of the contacts, waiting or in the background; say what happened."""
    if not in_background:
        return build_message()
    from voc.contacts.regrouping import regroup_in_background, status_sentence

    status = regroup_in_background(open_engine(), user=load_settings().user)
    return status_sentence(status, timezone=load_settings().timezone) or "Themes: regrouping in the background."


@themes.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per theme.")
def themes_list(as_json: bool) -> None:
    """List the stored themes, largest first, with their example descriptions (PII redacted)."""
    from voc.contacts.theming import stored_themes

    found = stored_themes(open_engine())
    if found.empty:
        click.echo("No themes yet: import contacts with descriptions, or run `voc themes build`.")
        return
    for theme in found.to_dict("records"):
        if as_json:
            print_json(theme)
        else:
            click.echo(f"{theme['theme']:>3}  {theme['contacts']:>8,}  {theme['name']}")
