"""`voc equity`: contacts and service times per 1,000 residents by small area and income fifth."""

from __future__ import annotations

import click

from voc.cli.common import open_engine, print_json
from voc.cli.contract import ContractCommand
from voc.core.config import load_settings

IMPORT_HINT = "No small areas yet: import census block groups or tracts with `voc import areas FILE`."


@click.command(cls=ContractCommand)
@click.option("--months", type=int, default=12, show_default=True, help="Complete months to count contacts over.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: areas, income fifths, the rate ratio, the finding.")
def equity(months: int, as_json: bool) -> None:
    """Show whether lower-income small areas contact the county less per resident than higher-income ones."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from voc.priorities.equity import stored_equity

    settings = load_settings()
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    view = stored_equity(open_engine(), today=today, timezone=settings.timezone, months=months)
    if as_json:
        print_json(
            {"areas": [], "tiers": [], "rate_ratio": None, "finding": IMPORT_HINT} if view is None else view.as_json()
        )
        return
    if view is None:
        click.echo(IMPORT_HINT)
        return
    click.echo(f"Contacts opened {view.first_month} to {view.last_month} by income fifth of small areas:")
    for tier in view.tiers.itertuples():
        click.echo(
            f"  {tier.income_tier:<10} {tier.areas:>3} areas  {tier.population:>10,.0f} residents  "
            f"incomes ${tier.lowest_income:,.0f}-${tier.highest_income:,.0f}  {tier.per_1000:7.1f} per 1,000  "
            f"median {tier.median_days:.1f} days to close"
        )
    click.echo(view.sentence)
    if view.outside:
        click.echo(f"{view.outside:,} located contacts fall in no small area and are not counted.")
