"""The budget meeting's workbook: the ranking, each candidate's breakdown, the weights, and how it was built.

Text cells are stored as text, never formulas (as in voc.present.export): a project named "=HYPERLINK(...)"
in an uploaded list stays those characters.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from voc.priorities.ranking import Ranking, breakdowns

HEADER_FILL = PatternFill("solid", fgColor="0072B2")
HEADER_FONT = Font(bold=True, color="FFFFFF", size=12)
WHOLE, ONE_DECIMAL, PERCENT, DOLLARS = "#,##0", "0.0", "0%", "$#,##0"


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    width: float
    number_format: str | None = None


RANKING_COLUMNS = (
    Column("Rank", "rank", 7, WHOLE),
    Column("Project", "name", 48),
    Column("Id", "source_id", 14),
    Column("Kind", "kind", 13),
    Column("Category", "category", 26),
    Column("District", "district_code", 10),
    Column("Status", "status", 14),
    Column("Score (0-100)", "total", 13, ONE_DECIMAL),
    Column("Best rank (weights ±10%)", "best_rank", 14, WHOLE),
    Column("Worst rank (weights ±10%)", "worst_rank", 14, WHOLE),
    Column("Linked contacts, 12 months", "contacts", 14, WHOLE),
    Column("Contacts per 1,000 residents", "per_1000", 14, ONE_DECIMAL),
    Column("Change on the year before (%)", "change_pct", 14, ONE_DECIMAL),
    Column("Repeat places", "repeat_places", 10, WHOLE),
    Column("Reopened after closure", "reopened", 12, WHOLE),
    Column("Survey priority (I-S)", "is_rating", 12, "0.000"),
    Column("Linked by", "linked_by", 22),
    Column("Estimated cost", "estimated_cost", 16, DOLLARS),
    Column("Cost per resident", "cost_per_resident", 14, DOLLARS),
    Column("Contacts per $1 million", "contacts_per_million", 14, ONE_DECIMAL),
)
BREAKDOWN_COLUMNS = (
    Column("Rank", "rank", 7, WHOLE),
    Column("Project", "name", 48),
    Column("Criterion", "criterion", 20),
    Column("What the value is", "meaning", 60),
    Column("Value", "value", 14, "#,##0.###"),
    Column("Score (0-100)", "score", 12, ONE_DECIMAL),
    Column("Weight share", "weight_share", 12, PERCENT),
    Column("Points", "points", 10, ONE_DECIMAL),
)
WEIGHT_COLUMNS = (
    Column("Criterion", "label", 22),
    Column("Key (voc rank --weights)", "key", 24),
    Column("Weight", "weight", 10, "0.##"),
    Column("Share", "share", 10, PERCENT),
    Column("What the value is", "meaning", 70),
    Column("How the value scores", "scale", 70),
)


def _value(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _write_table(sheet: Worksheet, columns: Sequence[Column], rows: pd.DataFrame) -> None:
    """Write a header and rows with formats; text goes in as text, never as a formula."""
    for number, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=number, value=column.header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    for row_number, record in enumerate(rows.to_dict("records"), start=2):
        for number, column in enumerate(columns, start=1):
            value = _value(record.get(column.field))
            cell = sheet.cell(row=row_number, column=number, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            elif column.number_format:
                cell.number_format = column.number_format
    sheet.freeze_panes = "C2" if len(columns) > 2 else "A2"
    sheet.row_dimensions[1].height = 48


def ranking_workbook(
    ranking: Ranking, ranges: pd.DataFrame, weights: dict[str, float], *, about: Sequence[str]
) -> bytes:
    """Return the XLSX of a ranking: sheets Ranking, Breakdown, Weights and About.

    `ranges` is rank_ranges' frame for the same candidates; `about` holds the lines of the About
    sheet (the demand window, the radius, the filters, how scores are built).
    """
    table = ranking.table.merge(ranges[["id", "best_rank", "worst_rank"]], on="id", how="left")
    details = breakdowns(ranking)
    weight_rows = pd.DataFrame(
        [
            {"label": c.label, "key": c.key, "weight": weights[c.key], "share": ranking.shares[c.key],
             "meaning": c.meaning, "scale": c.scale.how}
            for c in ranking.criteria
        ]
    )  # fmt: skip
    workbook = Workbook()
    first = workbook.active
    first.title = "Ranking"
    _write_table(first, RANKING_COLUMNS, table)
    _write_table(workbook.create_sheet("Breakdown"), BREAKDOWN_COLUMNS, details)
    _write_table(workbook.create_sheet("Weights"), WEIGHT_COLUMNS, weight_rows)
    notes = workbook.create_sheet("About")
    notes.column_dimensions["A"].width = 120
    for number, line in enumerate(about, start=1):
        cell = notes.cell(row=number, column=1, value=line)
        cell.data_type = "s"
        cell.alignment = Alignment(wrap_text=True)
    notes.cell(row=1, column=1).font = Font(bold=True, size=14)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
