"""Downloads: CSV and XLSX whose cells from uploaded text can never run as formulas; charts as PNG."""

from __future__ import annotations

import csv
import hashlib
import io
import pickle
import re
import threading

import altair as alt
import pandas as pd

# A spreadsheet reads a cell starting with one of these as a formula (or a DDE call).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# A line of a multi-line cell that starts a formula: a spreadsheet importing the CSV with a lone
# CR as a row break, or a user splitting the cell, would run it.
_FORMULA_AFTER_BREAK = re.compile(r"(\r\n|\r|\n)(?=[=+\-@\t])")
# A chart PNG is laid out this many CSS pixels wide (a slide's width at the charts' 16 px labels)
# and rendered at PNG_SCALE device pixels per CSS pixel, sharp when a slide fills a wall.
PNG_WIDTH = 1200
PNG_SCALE = 2
PNG_TITLE_SIZE = 24
# Altair's active theme and data transformer are settings of the whole process: one conversion at a time.
_ALTAIR_SETTINGS = threading.Lock()


def neutralise(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe, and every such line in it."""
    if not isinstance(value, str):
        return value
    value = _FORMULA_AFTER_BREAK.sub(r"\1'", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells are neutralised; numbers stay numbers."""
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]) and not pd.api.types.is_datetime64_any_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise, na_action="ignore")
    safe.columns = [str(neutralise(str(c))) for c in safe.columns]
    return safe


def local_times(frame: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Show timestamps as the county's wall-clock time: spreadsheets have no timezones."""
    local = frame.copy()
    for column in local.columns:
        if isinstance(local[column].dtype, pd.DatetimeTZDtype):
            local[column] = local[column].dt.tz_convert(timezone).dt.tz_localize(None)
    return local


def csv_bytes(frame: pd.DataFrame, *, timezone: str = "UTC") -> bytes:
    """Return a UTF-8 (with BOM, so Excel reads accents) CSV, formula-safe, times in the county's zone.

    Every field is quoted: quoting only fields with a comma, a quote or a newline leaves a lone
    carriage return bare, and Excel and LibreOffice start a new row at it.
    """
    safe = safe_frame(local_times(frame, timezone))
    return safe.to_csv(index=False, quoting=csv.QUOTE_ALL).encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, *, sheet: str = "Data", timezone: str = "UTC") -> bytes:
    """Return an XLSX workbook whose text cells are stored as text, never as formulas."""
    from openpyxl import Workbook

    frame = local_times(frame, timezone)
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    worksheet.append([str(c) for c in frame.columns])
    for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
        worksheet.append([_text_cell(worksheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_cell(worksheet, value: object) -> object:  # type: ignore[no-untyped-def]
    if not isinstance(value, str):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(worksheet, value=value)
    cell.data_type = "s"
    return cell


def chart_png(chart: alt.TopLevelMixin, *, title: str | None = None, width: int = PNG_WIDTH) -> bytes:
    """Render an Altair chart as a PNG for slides and reports, on white, `width` CSS pixels wide at 2x.

    The chart keeps its own height, fonts and colours; `title` is drawn above it, since a page's
    heading does not travel with the picture. Rendered by vl-convert in-process (no browser), with
    every external URL refused: a chart's data is inline.
    """
    import vl_convert

    # A slide is wider than the page's column: without a hint, Vega fills it with ticks every 20.
    sized = chart.properties(width=width, background="white", padding=16).configure_axisQuantitative(tickCount=8)
    if title:
        sized = sized.properties(title=alt.TitleParams(title, fontSize=PNG_TITLE_SIZE, anchor="start", offset=12))
    with _ALTAIR_SETTINGS:
        spec = sized.to_dict()
    return vl_convert.vegalite_to_png(spec, scale=PNG_SCALE, allowed_base_urls=[])


def vega_lite_spec(chart: alt.TopLevelMixin) -> dict[str, object]:
    """Return the chart's Vega-Lite spec, checked against the schema, its data frames as named "datasets".

    Without Altair's default 300-pixel view, as Streamlit draws an Altair chart; the frames are
    kept as they are (a page sends them as Arrow), named by their content.
    """
    frames: dict[str, pd.DataFrame] = {}
    with (
        _ALTAIR_SETTINGS,
        alt.theme.enable("none"),
        alt.data_transformers.enable("voc_named_frames", frames=frames),
    ):
        spec = chart.to_dict()
    spec["datasets"] = {**spec.get("datasets", {}), **frames}
    return spec


def _named_frame(data: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> dict[str, str]:
    name = "frame_" + hashlib.sha256(pickle.dumps(data)).hexdigest()[:16]
    frames[name] = data
    return {"name": name}


alt.data_transformers.register("voc_named_frames", _named_frame)
