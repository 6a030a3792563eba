"""`voc import survey` and `voc survey compare`: exit codes, text and JSON, the same figures as the page."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.files import REAL
from voc.cli import main
from voc.store.engine import open_store
from voc.survey.compare import compare_waves
from voc.survey.store import current_results

SURVEYS = REAL / "surveys"

KC = [
    SURVEYS / "kcmo_resident_survey_fy2022_q1_sep2021_first300.csv",
    SURVEYS / "kcmo_resident_survey_fy2022_q3_mar2022_first300.csv",
]
DICTIONARY = SURVEYS / "kcmo_resident_survey_dictionary_DERIVED.csv"


@pytest.fixture
def voc(monkeypatch: pytest.MonkeyPatch, sqlite_url: str):
    monkeypatch.setenv("VOC_DATABASE_URL", sqlite_url)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(map(str, args)), catch_exceptions=False)


def test_import_two_waves_then_compare(voc, sqlite_url: str) -> None:
    first = voc("import", "survey", KC[0], "--dictionary", DICTIONARY, "--survey", "Kansas City", "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert (report["waves"], report["respondents"], report["items"]) == (["1QSEP2021"], 300, 83)
    second = voc("import", "survey", KC[1], "--survey", "Kansas City")
    assert second.exit_code == 0 and "Imported 83 items of Kansas City, wave 3QMAR2022" in second.output

    shown = voc("survey", "compare", "--battery", "q3", "--json")
    assert shown.exit_code == 0, shown.output
    figures = json.loads(shown.output)
    assert (figures["survey"], figures["wave"]) == ("Kansas City", "3QMAR2022")
    engine = open_store(sqlite_url)
    page = compare_waves(current_results(engine), survey="Kansas City", wave="3QMAR2022", battery="q3")
    engine.dispose()
    assert [item["service_area"] for item in figures["items"]] == page["service_area"].tolist()
    assert [item["margin"] for item in figures["items"]] == pytest.approx(page["margin"].tolist())
    assert [item["verdict"] for item in figures["items"]] == page["verdict"].tolist()

    text = voc("survey", "compare", "--battery", "q3", "--district", "2")
    assert text.exit_code == 0 and "Kansas City, wave 3QMAR2022, district 2" in text.output
    assert "changes are larger than sampling noise" in text.output


def test_compare_without_surveys_and_with_an_unknown_wave(voc) -> None:
    empty = voc("survey", "compare")
    assert empty.exit_code == 2 and "No survey results yet" in empty.output
    voc("import", "survey", KC[0], "--dictionary", DICTIONARY, "--survey", "Kansas City")
    unknown = voc("survey", "compare", "--wave", "2030")
    assert unknown.exit_code == 2 and "has no wave '2030'" in unknown.output


def test_a_file_that_is_no_survey_is_refused(voc, tmp_path) -> None:
    path = tmp_path / "notes_2024.csv"
    path.write_text("id,name\n1,a\n2,b\n")
    result = voc("import", "survey", path)
    assert result.exit_code == 2 and "no column holds 1-5 ratings" in result.output
