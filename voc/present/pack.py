"""The budget meeting's pack as a document: one HTML file (charts inline as PNG) and the same as PDF.

Every value from the store is escaped (Jinja's autoescape): a project named "<script>" prints those
characters. The HTML names no external resource, and the PDF renderer may fetch only data: URLs,
so the pack is made offline and opens offline.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import jinja2
import pandas as pd

from voc.core.errors import VocError
from voc.core.pack import MeetingPack
from voc.present import charts, priority_charts
from voc.present.export import chart_png

TEMPLATE = Path(__file__).with_name("pack.html.j2")
PDF_CHART_WIDTH = 600
CHART_TYPE = 13  # the charts' label size: a page is read at arm's length, not across a room


def _money(value: object) -> str:
    return "" if pd.isna(value) else f"${float(value):,.0f}"


def _number(value: object, digits: int = 1) -> str:
    return "" if pd.isna(value) else f"{float(value):,.{digits}f}"


def _png(figure: object) -> str:
    return "data:image/png;base64," + base64.b64encode(chart_png(figure, width=PDF_CHART_WIDTH)).decode("ascii")


def pack_html(pack: MeetingPack) -> str:
    """Render the pack as one self-contained HTML document (printable: a funded project per page)."""
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    environment.filters.update(money=_money, number=_number, percent=lambda share: f"{float(share):.0%}")
    template = environment.from_string(TEMPLATE.read_text(encoding="utf-8"))
    funded = int(pack.ranking["funding"].str.startswith("Funded").sum())
    weights = pack.weights.assign(label=pack.weights["criterion"], value=pack.weights["share"] * 100)
    return template.render(
        pack=pack,
        funded=funded,
        ranking=pack.ranking.to_dict("records"),
        weights=pack.weights.to_dict("records"),
        provenance=pack.provenance.to_dict("records"),
        funding_chart=_png(priority_charts.funding_line(pack.steps, budget=pack.budget, size=CHART_TYPE)),
        weights_chart=_png(
            charts.labelled_bars(weights, title="Share of the weights (%)", value_format=".0f", size=CHART_TYPE)
        ),
        projects=[(p, p.breakdown.to_dict("records")) for p in pack.projects],
    )


def pack_pdf(html: str) -> bytes:
    """Render the pack's HTML as PDF with WeasyPrint, fetching nothing but the inline (data:) images."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except OSError as missing:  # WeasyPrint needs Pango from the system
        raise VocError(f"PDF needs the Pango library ({missing}); write the pack as .html and print it.") from None
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()


WRITERS: dict[str, Callable[[str], bytes]] = {".html": lambda html: html.encode("utf-8"), ".pdf": pack_pdf}


def pack_writer(suffix: str) -> Callable[[MeetingPack], bytes]:
    """Return what writes a pack as the bytes of a `suffix` file (.html or .pdf); raise VocError for another."""
    writer = WRITERS.get(suffix.lower())
    if writer is None:
        raise VocError(f"The pack is written as .html or .pdf, not {suffix or 'a file without extension'}.")
    return lambda pack: writer(pack_html(pack))
