"""`voc types`: list (with suggestions for unmapped types), set, export and import the request-type mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tests.files import REAL

BALTIMORE = REAL / "baltimore311_2019-10_sample.csv"


def _json(result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_types_list_set_export_and_import(voc, tmp_path: Path) -> None:
    assert _json(voc("types", "list", "--json")) == []
    _json(voc("import", "requests", BALTIMORE, "--json"))
    raw_types = set(pd.read_csv(BALTIMORE, dtype=str)["SRType"].dropna())
    unmapped = _json(voc("types", "list", "--unmapped", "--json"))
    assert {row["raw_type"] for row in unmapped} == raw_types
    assert {"category", "department", "contact_type", "confidence", "reason", "contacts"} <= set(unmapped[0])

    result = voc("types", "set", "SW-Dirty Alley", "--category", "Dirty alleys", "--contact-type", "complaint")
    assert result.exit_code == 0, result.output
    assert "stored contacts changed" in result.output
    listed = {row["raw_type"]: row for row in _json(voc("types", "list", "--json"))}
    assert (listed["SW-Dirty Alley"]["category"], listed["SW-Dirty Alley"]["department"]) == ("Dirty alleys",
                                                                                             "Solid Waste")  # fmt: skip
    assert "SW-Dirty Alley" not in {row["raw_type"] for row in _json(voc("types", "list", "--unmapped", "--json"))}

    exported = tmp_path / "types.csv"
    assert voc("types", "export", exported).exit_code == 0
    table = pd.read_csv(exported, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert set(table["raw_type"]) == raw_types
    table.loc[table["raw_type"] == "SW-Dirty Street", ["category", "department"]] = ["Dirty streets", "DPW"]
    table.to_csv(exported, index=False)
    result = voc("types", "import", exported)
    assert result.exit_code == 0, result.output
    listed = {row["raw_type"]: row for row in _json(voc("types", "list", "--json"))}
    assert listed["SW-Dirty Street"]["category"] == "Dirty streets"
    assert listed["SW-Dirty Alley"]["category"] == "Dirty alleys"  # kept: the file left it as it was

    workbook = tmp_path / "types.xlsx"
    assert voc("types", "export", workbook).exit_code == 0
    assert set(pd.read_excel(workbook, engine="calamine")["raw_type"]) == raw_types


def test_types_import_refuses_a_file_without_the_columns(voc, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("type,owner\nPothole,Streets\n")
    result = voc("types", "import", bad)
    assert result.exit_code != 0
    assert "no column 'category'" in result.output
