"""Tests of voc.ingest.read on real exports and on workbooks and CSVs built here, good and bad."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.files import REAL, compound_file, ods, xls, xlsx, zip_bomb
from tests.hostile_inputs import long_header_csv, no_line_csv
from voc.core.errors import FileRefused
from voc.ingest.read import PendingRead, RawTable, list_sheets, read_table

REAL_CSVS = sorted(p.name for p in REAL.glob("*.csv"))
PASSWORD = (
    "The workbook is password-protected: open it in Excel, remove the password "
    "(File > Info > Protect Workbook), save and upload again."
)


def csv_records(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def assert_plain_frame(table: RawTable) -> None:
    """Check the invariants every RawTable keeps."""
    assert table.frame.index.tolist() == list(range(len(table.frame)))
    assert len(table.row_numbers) == len(table.frame)
    assert table.row_numbers.dtype.kind == "i"
    assert (np.diff(table.row_numbers) > 0).all()
    assert table.row_numbers[0] > table.header_row
    assert table.frame.columns.is_unique


# --- real exports -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", REAL_CSVS)
def test_real_csv_reads_every_record_and_cell_as_csv_module_does(name: str) -> None:
    records = csv_records(REAL / name)
    header, rows = records[0], records[1:]

    table = read_table((REAL / name).read_bytes(), name)

    assert table.frame.shape == (len(rows), len(header))
    assert table.frame.to_numpy().tolist() == rows
    assert table.header_row == 1
    assert table.row_numbers.tolist() == list(range(2, len(rows) + 2))
    assert table.delimiter == ","
    assert table.sheet is None and table.sheets == ()
    assert all(str(dtype) == "str" for dtype in table.frame.dtypes)
    assert_plain_frame(table)


def test_kc_csv_bom_is_stripped_and_quoted_line_breaks_stay_in_one_cell() -> None:
    data = (REAL / "kc311_potholes_2020JanFeb.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")

    table = read_table(data, "kc311_potholes_2020JanFeb.csv")

    assert table.encoding == "utf-8-sig"
    assert table.frame.columns[0] == "CASE ID"
    assert table.frame["CASE ID"].iloc[0] == "2020002530"
    assert table.frame["ADDRESS WITH GEOCODE"].iloc[0] == "4900 E 63rd St64130\n(39.014495, -94.527365)"
    # Row numbers count records: the file has far more physical lines than records.
    assert data.count(b"\n") > 2 * len(table.frame)
    assert table.row_numbers[-1] == 4494


def test_real_r_export_keeps_its_unnamed_index_column() -> None:
    table = read_table((REAL / "baltimore311_2019-10_sample.csv").read_bytes(), "baltimore.csv")

    assert table.frame.columns[:2].tolist() == ["column_1", "SRRecordID"]
    assert table.frame["column_1"].iloc[:3].tolist() == ["1", "2", "3"]


def test_kc_xlsx_reads_its_records_with_dates_and_skips_the_empty_dimension() -> None:
    data = (REAL / "kc311_potholes_2020JanFeb.xlsx").read_bytes()

    table = read_table(data, "kc311_potholes_2020JanFeb.xlsx")

    assert len(table.frame) == 2534
    assert table.frame.shape[1] == 30
    assert table.sheet == "311_Call_Center_Service_Request"
    assert table.sheets == ("311_Call_Center_Service_Request",)
    assert table.header_row == 1
    assert table.row_numbers.tolist() == list(range(2, 2536))
    assert table.encoding is None and table.delimiter is None
    created = table.frame["CREATION DATE"]
    assert all(isinstance(v, dt.date) for v in created)
    assert created.iloc[0] == dt.date(2020, 1, 7)
    assert table.frame["CREATION TIME"].iloc[0] == dt.time(12, 59)
    assert table.frame["CASE ID"].iloc[0] == 2020002530
    assert table.frame["ADDRESS WITH GEOCODE"].iloc[0] == "4900 E 63rd St64130\n(39.014495, -94.527365)"
    assert_plain_frame(table)


def test_kc_metric_tree_header_under_title_and_merged_categories_filled_down() -> None:
    table = read_table((REAL / "kc_pothole_metric_tree.xlsx").read_bytes(), "metric_tree.xlsx")

    assert table.header_row == 2
    assert table.frame.columns.tolist()[:3] == ["column_1", "Strategic Objective", "SMART Goal"]
    assert table.frame.columns.tolist()[-1] == "Target"
    assert table.frame["column_1"].tolist() == [
        "FINANCIAL",
        "CUSTOMER",
        "CUSTOMER",
        "INTERNAL PROCESSES",
        "INTERNAL PROCESSES",
        "LEARNING & GROWTH",
        "LEARNING & GROWTH",
        # A stray "\\" typed below the table: a sparse row without footer words is kept, so that
        # an import reports it rather than silently dropping what may be a record.
        "\\",
    ]
    assert table.frame["Strategic Objective"].iloc[2] == table.frame["Strategic Objective"].iloc[1]
    assert table.row_numbers.tolist() == [3, 4, 5, 6, 7, 8, 9, 10]
    assert table.frame["Target"].tolist() == [0.6, 0.5, 0.5, 0.6, 1, 0.9, 0.7, ""]  # as openpyxl reads K3:K10


def test_list_sheets_names_the_real_workbook_sheets_and_none_for_csv() -> None:
    assert list_sheets((REAL / "kc_pothole_metric_tree.xlsx").read_bytes(), "x.xlsx") == ["Sheet1"]
    assert list_sheets((REAL / "nyc311_2024-04_sample.csv").read_bytes(), "x.csv") == []


# --- workbooks built here ----------------------------------------------------------------------


def test_title_notes_and_blank_rows_above_the_header_and_blank_rows_inside() -> None:
    created = dt.datetime(2024, 1, 2, 8, 30)
    data = xlsx(
        (
            "Export",
            [
                ["Service requests — January 2024"],
                ["Filters: Department = Public Works"],
                [],
                ["Case ID", "Created", "Type", "ZIP", None, "Notes"],
                [1001, created, "Pothole", "02134"],
                [],
                [1002, created, "Streetlight", "02135", None, "night crew"],
                [1003, created, "Trash", "02136"],
            ],
        )
    )

    table = read_table(data, "export.xlsx")

    assert table.header_row == 4
    assert table.row_numbers.tolist() == [5, 7, 8]
    # The unnamed empty column E is dropped; "Notes", named, stays.
    assert table.frame.columns.tolist() == ["Case ID", "Created", "Type", "ZIP", "Notes"]
    assert table.frame["Case ID"].tolist() == [1001, 1002, 1003]
    assert table.frame["Created"].tolist() == [created] * 3
    assert table.frame["ZIP"].tolist() == ["02134", "02135", "02136"]
    assert table.frame["Notes"].tolist() == ["", "night crew", ""]


def test_total_and_report_rows_at_the_bottom_are_dropped() -> None:
    rows = [["ID", "Type", "District", "Status", "Days"]]
    rows += [[i, "Pothole", f"D{i % 3}", "Closed", i] for i in range(1, 6)]
    rows += [["Total", None, None, None, 15], [], ["Grand Total: 4,512"], ["Report generated 2024-03-01"]]

    table = read_table(xlsx(("Report", rows)), "report.xlsx")

    assert table.frame["ID"].tolist() == [1, 2, 3, 4, 5]
    assert table.row_numbers.tolist() == [2, 3, 4, 5, 6]


def test_duplicate_headers_are_numbered_and_merged_cells_filled_in_data_rows_only() -> None:
    rows = [
        ["Weekly report"],
        ["Category", "Status", "Status", "Count"],
        ["Roads", "Open", "New", 3],
        [None, "Closed", "Old", 4],
        ["Parks", "Open", "New", 5],
    ]
    data = xlsx(("Sheet", rows), merges=("A1:D1", "A3:A4"))

    table = read_table(data, "weekly.xlsx")

    assert table.header_row == 2
    assert table.frame.columns.tolist() == ["Category", "Status", "Status (2)", "Count"]
    assert table.frame["Category"].tolist() == ["Roads", "Roads", "Parks"]


def test_records_on_the_second_sheet_are_found_and_a_sheet_can_be_named() -> None:
    notes = [["About this export"], ["Run by", "jdoe"], ["Rows", 3]]
    records = [["Case", "Type"], ["A-1", "Pothole"], ["A-2", "Trash"], ["A-3", "Noise"]]
    data = xlsx(("Notes", notes), ("Requests", records))

    picked = read_table(data, "two.xlsx")
    named = read_table(data, "two.xlsx", sheet="Notes")

    assert list_sheets(data, "two.xlsx") == ["Notes", "Requests"]
    assert picked.sheet == "Requests"
    assert picked.sheets == ("Notes", "Requests")
    assert picked.frame["Case"].tolist() == ["A-1", "A-2", "A-3"]
    assert named.sheet == "Notes"
    with pytest.raises(FileRefused, match=r"no sheet named 'Data'.*'Notes', 'Requests'"):
        read_table(data, "two.xlsx", sheet="Data")


def test_an_xlsx_named_csv_is_read_as_a_workbook() -> None:
    data = xlsx(("Export", [["ID", "Type"], ["1", "Pothole"]]))

    table = read_table(data, "export.csv")

    assert table.sheet == "Export"
    assert table.frame.to_dict("list") == {"ID": ["1"], "Type": ["Pothole"]}


def test_ods_is_read_with_strings_numbers_and_dates() -> None:
    rows = [
        ["Contacts export"],
        ["ID", "Opened", "ZIP", "Type"],
        ["02134", dt.date(2024, 5, 1), 64130, "Noise"],
    ]
    rows += [[None, None, None, None], ["02135", dt.date(2024, 5, 2), 64131, "Trash"]]

    table = read_table(ods("Contacts", rows), "contacts.ods")

    assert table.sheet == "Contacts"
    assert table.header_row == 2
    assert table.row_numbers.tolist() == [3, 5]
    assert table.frame.to_dict("list") == {
        "ID": ["02134", "02135"],
        "Opened": [dt.date(2024, 5, 1), dt.date(2024, 5, 2)],
        "ZIP": [64130.0, 64131.0],
        "Type": ["Noise", "Trash"],
    }


def test_xls_is_read_with_merged_cells_filled() -> None:
    rows = [
        ["Monthly 311"],
        [],
        ["Area", "Case", "Days"],
        ["North", "A-1", 3],
        [None, "A-2", 5],
        ["South", "B-1", 2],
    ]

    table = read_table(xls("Requests", rows, merges=((3, 4, 0, 0),)), "monthly.xls")

    assert table.sheets == ("Requests",)
    assert table.header_row == 3
    assert table.frame.to_dict("list") == {
        "Area": ["North", "North", "South"],
        "Case": ["A-1", "A-2", "B-1"],
        "Days": [3.0, 5.0, 2.0],
    }
    assert table.row_numbers.tolist() == [4, 5, 6]


# --- CSVs built here ---------------------------------------------------------------------------


def test_cp1252_csv_is_decoded() -> None:
    data = "ID,Street,Comment\r\n1,Café Street,It’s broken\r\n2,Rue Été,OK\r\n".encode("cp1252")
    assert b"\x92" in data

    table = read_table(data, "export.csv")

    assert table.encoding == "cp1252"
    assert table.frame["Street"].tolist() == ["Café Street", "Rue Été"]
    assert table.frame["Comment"].tolist() == ["It’s broken", "OK"]


@pytest.mark.parametrize(("delimiter", "name"), [(";", "export.csv"), ("\t", "export.txt"), ("|", "x.csv")])
def test_delimiters_are_detected(delimiter: str, name: str) -> None:
    lines = ["ID;ZIP;Note", "1;02134;a, b and c", "2;64130;d, e", "3;00501;"]
    data = "\n".join(line.replace(";", delimiter) for line in lines).encode()

    table = read_table(data, name)

    assert table.delimiter == delimiter
    assert table.frame.to_dict("list") == {
        "ID": ["1", "2", "3"],
        "ZIP": ["02134", "64130", "00501"],
        "Note": ["a, b and c", "d, e", ""],
    }


def test_utf8_bom_csv_names_its_first_column_cleanly() -> None:
    data = "\ufeffCase Number,Descripción\n0007,Bache\n".encode()

    table = read_table(data, "bom.csv")

    assert table.encoding == "utf-8-sig"
    assert table.frame.columns.tolist() == ["Case Number", "Descripción"]
    assert table.frame["Case Number"].tolist() == ["0007"]


def test_excel_unicode_text_export_is_read() -> None:
    data = "ID\tStreet\r\n0042\tPeña Blvd\r\n".encode("utf-16")

    table = read_table(data, "unicode.txt")

    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert table.frame.to_dict("list") == {"ID": ["0042"], "Street": ["Peña Blvd"]}


def test_leading_zeros_and_text_survive_in_csv() -> None:
    data = b"ID,ZIP,District,Amount\n000123,02134,007,1.50\n000124,00501,010,NA\n"

    table = read_table(data, "ids.csv")

    assert table.encoding == "utf-8"
    assert table.frame.to_dict("list") == {
        "ID": ["000123", "000124"],
        "ZIP": ["02134", "00501"],
        "District": ["007", "010"],
        "Amount": ["1.50", "NA"],
    }


def test_csv_title_lines_blank_records_and_quoted_breaks_keep_row_numbers_truthful() -> None:
    data = (
        b'"Open requests\nas of March",,\n'
        b"\n"
        b"Case,Type,Address\n"
        b'1,Pothole,"12 Main St\nApt 4"\n'
        b"\n"
        b"2,Trash,3 Oak Ave\n"
        b"3,Noise,\n"
        b"Total: 3,,\n"
    )

    table = read_table(data, "open.csv")

    assert table.header_row == 3
    assert table.row_numbers.tolist() == [4, 6, 7]
    assert table.frame["Address"].tolist() == ["12 Main St\nApt 4", "3 Oak Ave", ""]


def test_csv_records_with_trailing_delimiter_and_short_records() -> None:
    data = b"ID,Type,Status\n1,Pothole,Open,\n2,Trash,\n3,Noise,Closed,\n"

    table = read_table(data, "trailing.csv")

    assert table.frame.to_dict("list") == {
        "ID": ["1", "2", "3"],
        "Type": ["Pothole", "Trash", "Noise"],
        "Status": ["Open", "", "Closed"],
    }


def test_r_write_table_header_one_short_gets_a_name_for_the_row_names() -> None:
    data = b'"id","type"\n"1","A-1","Pothole"\n"2","A-2","Trash"\n'

    table = read_table(data, "r.csv")

    assert table.frame.columns.tolist() == ["column_1", "id", "type"]
    assert table.frame["id"].tolist() == ["A-1", "A-2"]


def test_large_csv_keeps_arrow_strings_and_counts_rows() -> None:
    body = "".join(f'{i:06d},{i % 7},"line\nbreak {i}"\n' for i in range(50_000))
    data = ("ID,Group,Text\n" + body).encode()

    table = read_table(data, "big.csv")

    assert len(table.frame) == 50_000
    assert table.frame["ID"].iloc[-1] == "049999"
    assert table.row_numbers[-1] == 50_001
    assert all(str(dtype) == "str" for dtype in table.frame.dtypes)


# --- refusals ----------------------------------------------------------------------------------


def refusal(data: bytes, name: str, **options: object) -> str:
    with pytest.raises(FileRefused) as caught:
        read_table(data, name, **options)
    return str(caught.value)


def test_empty_file_is_refused() -> None:
    assert refusal(b"", "empty.csv") == (
        "The file is empty (0 bytes). Export the records again and upload the new file."
    )


def test_file_over_the_size_limit_is_refused_before_reading() -> None:
    data = b"ID\n" + b"1\n" * (3 * 1024 * 1024)

    message = refusal(data, "big.csv", max_bytes=2 * 1024 * 1024)

    assert message == "The file is 6 MB; the limit is 2 MB. Split it by month and upload the parts."


def test_password_protected_workbook_is_refused() -> None:
    encrypted = compound_file({"EncryptionInfo": bytes(200), "EncryptedPackage": bytes(6000)})

    assert refusal(encrypted, "secret.xlsx") == PASSWORD
    with pytest.raises(FileRefused, match="password-protected"):
        list_sheets(encrypted, "secret.xlsx")


def test_truncated_xlsx_is_refused_as_damaged() -> None:
    data = (REAL / "kc311_potholes_2020JanFeb.xlsx").read_bytes()

    message = refusal(data[: len(data) // 2], "kc.xlsx")

    assert message.startswith("The workbook could not be read: it is damaged or cut short")
    assert message.endswith("Open it in Excel, save it again as .xlsx and upload that.")


def test_xlsx_with_a_corrupt_sheet_stream_is_refused_as_damaged() -> None:
    data = bytearray((REAL / "kc311_potholes_2020JanFeb.xlsx").read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        entry = archive.getinfo("xl/worksheets/sheet1.xml")
    start = entry.header_offset + 30 + len(entry.filename) + len(entry.extra) + 1000
    data[start : start + 200] = bytes(b ^ 0x5A for b in data[start : start + 200])

    assert "damaged or cut short" in refusal(bytes(data), "kc.xlsx")


def test_compound_file_that_makes_calamine_panic_is_refused() -> None:
    # A Workbook stream declared shorter than 4,096 bytes points into a mini-stream that does
    # not exist: calamine panics (a BaseException from pyo3), which must still become a refusal.
    data = bytearray(xls("S", [["a"]]))
    size_field = 512 + 512 + 128 + 120
    struct.pack_into("<I", data, size_field, 100)

    assert "damaged or cut short" in refusal(bytes(data), "old.xls")


def test_zip_bomb_is_refused_from_its_directory() -> None:
    message = refusal(zip_bomb(), "bomb.xlsx")

    assert message.startswith("The workbook would unpack to 2,048 MB, more than the 1,536 MB allowed")


def test_binary_junk_named_csv_is_refused() -> None:
    junk = random.Random(0).randbytes(4096)

    assert refusal(junk, "export.csv") == (
        "The file is not a spreadsheet or a text (CSV) export: it holds binary data. "
        "Upload the .xlsx or .csv file exported from your CRM."
    )
    assert "named .xlsx but is not a workbook" in refusal(junk, "export.xlsx")


@pytest.mark.parametrize("data", [b"ID,Type,Status\n", b"ID,Type,Status\r\n\r\n,,\r\n", b"Report\n\nID,Type,Status\n"])
def test_header_without_data_rows_is_refused(data: bytes) -> None:
    assert "but no data rows under it" in refusal(data, "empty.csv")


def test_workbook_with_header_only_or_blank_sheet_is_refused() -> None:
    assert "row 2) but no data rows" in refusal(xlsx(("S", [["Title"], ["ID", "Type"]])), "h.xlsx")
    assert refusal(xlsx(("Blank", [])), "b.xlsx").startswith("The sheet 'Blank' is blank.")


def test_table_over_the_row_limit_is_refused() -> None:
    data = b"ID\n" + b"".join(b"%d\n" % i for i in range(11))

    assert read_table(data, "rows.csv", max_rows=11).frame.shape == (11, 1)
    assert refusal(data, "rows.csv", max_rows=10) == (
        "The table has more than 10 rows, the most one upload may hold. Split it by month and upload the parts."
    )
    assert "more than 10 rows" in refusal(xlsx(("S", [["ID"], *[[i] for i in range(11)]])), "r.xlsx", max_rows=10)


def test_csv_record_wider_than_the_table_is_refused_with_its_row() -> None:
    data = b"ID,Type,Address\n1,Pothole,12 Main St\n2,Trash,3 Oak Ave, Apt 4\n3,Noise,\n"

    assert refusal(data, "bad.csv") == (
        "Row 3 of the file has 4 values but the table has 3 columns: a value probably holds an "
        "unquoted comma. Fix that row, or export again with text in quotes, and upload the new file."
    )


def test_csv_with_an_unclosed_quote_is_refused_with_its_row() -> None:
    data = b'ID,Note\n1,fine\n2,"never closed\n3,lost\n'

    assert refusal(data, "quote.csv") == (
        "A quoted value that starts in row 3 is never closed: the file is cut short or a value "
        'holds a stray quote ("). Export it again and upload the new file.'
    )


def test_web_page_saved_as_xls_and_plain_zip_are_refused() -> None:
    page = b"<html><body><table><tr><td>ID</td></tr></table></body></html>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("export.csv", "ID\n1\n")

    assert "web page or XML document" in refusal(page, "export.xls")
    assert refusal(buffer.getvalue(), "export.zip").startswith("The file is a zip archive, not a workbook")


def test_damaged_bytes_never_escape_as_another_exception() -> None:
    sources = [(REAL / "kc_pothole_metric_tree.xlsx").read_bytes(), xls("S", [["ID"], [1]])]
    sources.append(ods("S", [["ID"], ["1"]]))
    rng = random.Random(11)
    for source in sources:
        for _ in range(15):
            data = bytearray(source)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            cut = bytes(data[: rng.randint(1, len(data))])
            for variant in (bytes(data), cut):
                try:
                    table = read_table(variant, "fuzz.xlsx")
                except FileRefused:
                    continue
                assert_plain_frame(table)


def test_csv_whose_header_line_is_longer_than_the_encoding_sample_is_read() -> None:
    # 300 columns with names of about 1 KB (the way some exports spell out a question): a 300 KB header.
    data = long_header_csv()
    names = next(csv.reader(io.StringIO(data.decode())))
    assert len(names) == 300 and len(data.split(b"\n", 1)[0]) > 256 * 1024  # longer than the encoding's sample
    raw = read_table(data, "survey.csv")
    assert raw.header_row == 1 and list(raw.frame.columns) == [name.strip() for name in names]
    assert raw.frame.iloc[2, 299] == "r2c299"


def test_csv_without_a_line_in_its_first_megabytes_is_refused_as_no_table() -> None:
    with pytest.raises(FileRefused, match="first 4 MB hold no complete line"):
        read_table(no_line_csv(), "one-line.csv")


def test_a_pending_read_gives_the_table_read_table_gives_and_raises_its_refusal_when_taken(tmp_path: Path) -> None:
    path = REAL / "nyc311_2024-04_sample.csv"
    table = PendingRead(path).take()
    expected = read_table(path.read_bytes(), path.name)
    assert table.frame.equals(expected.frame) and (table.row_numbers == expected.row_numbers).all()
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    refused = PendingRead(empty)  # the read's failure is not raised in the thread that began it
    with pytest.raises(FileRefused, match="empty"):
        refused.take()
