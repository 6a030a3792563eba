"""`voc themes ...`: group the stored descriptions into themes, and list them."""

from __future__ import annotations

import click

from voc.cli.common import open_engine, print_json
from voc.cli.contract import ContractGroup
from voc.core.config import load_settings


@click.group(cls=ContractGroup)
def themes() -> None:
    """Themes: what residents write about, grouped by meaning."""


@themes.command("build")
def themes_build() -> None:
    """Group every stored description into themes (imports and `voc demo` do it themselves)."""
    click.echo(build_message())


def build_message() -> str:
    """Build the themes and say what was built: the line `voc themes build`, imports and `voc demo` print."""
    from voc.contacts.theming import build_themes

    built = build_themes(open_engine(), user=load_settings().user)
    if not built.themes:
        return f"Themes: too few descriptions to group ({built.described:,})."
    return f"Themes: {built.described:,} descriptions in {built.themes} themes, in {built.seconds:.1f} s."


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
