"""Downloads never turn uploaded text into formulas, show times in the county's zone; charts render as PNG."""

from __future__ import annotations

import csv
import io

import altair as alt
import pandas as pd
import pytest
from openpyxl import load_workbook
from PIL import Image

from voc.present import charts
from voc.present.export import PNG_TITLE_SIZE, PNG_WIDTH, chart_png, csv_bytes, vega_lite_spec, xlsx_bytes

HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "plain", "<img src=x onerror=alert(1)>"]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "description": HOSTILE,
            "contacts": range(len(HOSTILE)),
            "opened_at": pd.to_datetime(["2026-03-01 17:00"] * len(HOSTILE), utc=True),
        }
    )


def test_csv_neutralises_formulas_and_keeps_numbers() -> None:
    text = csv_bytes(_frame(), timezone="America/New_York").decode("utf-8-sig")
    read = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert read["description"].tolist() == ["'" + v for v in HOSTILE[:5]] + HOSTILE[5:]
    assert read["contacts"].tolist() == [str(i) for i in range(len(HOSTILE))]
    assert read["opened_at"].iloc[0] == "2026-03-01 12:00:00"


LINE_BREAKS = ['note\r=HYPERLINK("http://x","click")', "a\r\n+1+1", "b\n\n-2+3", "c\n@SUM(A1)", "two\nlines"]


def test_csv_quotes_every_field_and_neutralises_every_line_of_a_cell() -> None:
    frame = pd.DataFrame({"description": LINE_BREAKS, "contacts": range(len(LINE_BREAKS))})
    text = csv_bytes(frame).decode("utf-8-sig")
    # Read as a spreadsheet does: a CR or LF outside quotes starts a new row.
    records = list(csv.reader(io.StringIO(text, newline="")))
    assert [len(record) for record in records] == [2] * (len(LINE_BREAKS) + 1)
    assert text.startswith('"description","contacts"\n"note\r\'=HYPERLINK(')
    cells = [record[0] for record in records[1:]]
    assert cells[0] == 'note\r\'=HYPERLINK("http://x","click")'
    assert cells[1:] == ["a\r\n'+1+1", "b\n\n'-2+3", "c\n'@SUM(A1)", "two\nlines"]
    lines = [line for cell in cells for line in cell.splitlines()]
    assert not [line for line in lines if line.startswith(("=", "+", "-", "@"))]


def test_xlsx_stores_text_as_text_never_as_formula() -> None:
    workbook = load_workbook(io.BytesIO(xlsx_bytes(_frame(), timezone="America/New_York")))
    sheet = workbook.active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == HOSTILE
    assert all(c.data_type == "s" for c in cells)
    assert sheet.cell(row=2, column=2).value == 0 and sheet.cell(row=2, column=2).data_type == "n"
    assert sheet.cell(row=2, column=3).value.isoformat() == "2026-03-01T12:00:00"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.size


def test_chart_png_is_a_sharp_white_slide_with_its_title() -> None:
    monthly = pd.DataFrame({"month": [f"2025-{m:02d}" for m in range(1, 13)], "contacts": range(1000, 1600, 50)})
    chart = charts.monthly_bars(monthly, highlight="2025-12", height=320)
    plain, titled = chart_png(chart), chart_png(chart, title="Contacts per month")
    (width, height), (titled_width, titled_height) = _png_size(plain), _png_size(titled)
    # 1,200 CSS pixels plus the axis and padding, at 2 device pixels each; 320 px of plot plus labels.
    assert 2 * PNG_WIDTH < width < 2 * (PNG_WIDTH + 200)
    assert 2 * 320 < height < 2 * 320 + 400
    assert titled_width == width and titled_height - height >= 2 * PNG_TITLE_SIZE
    image = Image.open(io.BytesIO(plain)).convert("RGB")
    assert image.getpixel((2, 2)) == (255, 255, 255)  # opaque white, not transparent, for dark slides
    # The highlighted month is drawn in the strong blue of the page.
    assert (0x00, 0x72, 0xB2) in {colour for _, colour in image.getcolors(maxcolors=1_000_000)}


def test_chart_png_refuses_to_fetch_anything() -> None:
    remote = alt.Chart(alt.Data(url="https://example.org/contacts.csv")).mark_bar().encode(x="contacts:Q")
    with pytest.raises(ValueError, match="External data url not allowed"):
        chart_png(remote)


def test_a_charts_spec_carries_its_data_frames_by_content_and_no_default_view_size() -> None:
    monthly = pd.DataFrame({"month": [f"2025-{m:02d}" for m in range(1, 13)], "contacts": range(1000, 1600, 50)})
    spec = vega_lite_spec(charts.monthly_bars(monthly, highlight="2025-12", height=320))
    again = vega_lite_spec(charts.monthly_bars(monthly.copy(), highlight="2025-12", height=320))
    other = vega_lite_spec(charts.monthly_bars(monthly.assign(contacts=monthly["contacts"] + 1), highlight="2025-12"))
    [(name, frame)] = spec["datasets"].items()
    pd.testing.assert_frame_equal(frame[list(monthly.columns)], monthly)
    assert list(again["datasets"]) == [name] and list(other["datasets"]) != [name]
    assert "continuousWidth" not in str(spec.get("config", {}))
    # Altair's own settings are left as they were: a PNG still gets its data inline.
    assert alt.data_transformers.active == "default" and alt.theme.active == "default"
