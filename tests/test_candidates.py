"""Candidate import: the real Pittsburgh and DC lists, upsert by project id, the row-by-row report, undo."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from openpyxl import load_workbook

from tests.files import DATA
from voc.cli import main
from voc.core.access import Role
from voc.core.errors import FileRefused, VocError
from voc.priorities.candidates import CandidateOptions, import_candidates
from voc.priorities.evidence import load_candidates
from voc.store.uploads import list_uploads, undo

PITTSBURGH = DATA / "candidates" / "pgh_capital_projects_sample.csv"
DC = DATA / "candidates" / "dc_cip_projects_flat_sample.csv"


def _import(engine: sa.Engine, path: Path, **options: object):
    return import_candidates(
        engine, path.read_bytes(), path.name, user="ana", role=Role.ANALYST, options=CandidateOptions(**options)
    )


def test_pittsburgh_capital_projects_import(engine: sa.Engine) -> None:
    source = pd.read_csv(PITTSBURGH, dtype=str, keep_default_na=False)
    report = _import(engine, PITTSBURGH)
    assert report.mapping == {
        "source_id": "id", "name": "name", "category": "asset_type", "district": "council_district",
        "latitude": "latitude", "longitude": "longitude", "estimated_cost": "budgeted_amount",
        "fiscal_year": "fiscal_year", "status": "status", "description": "task_description",
    }  # fmt: skip
    assert (report.rows_read, report.inserted, report.updated, report.rejected) == (153, 150, 0, 3)
    rejected = report.problems[report.problems["severity"] == "rejected"]
    assert rejected[["row", "column", "message"]].values.tolist() == [
        [152, "name", "No project name."], [153, "name", "No project name."], [154, "name", "No project name."],
    ]  # fmt: skip
    stored = load_candidates(engine).set_index("source_id")
    assert len(stored) == 150
    first = stored.loc["1850147310"]
    assert (first["name"], first["kind"], first["category"], first["district_code"], first["status"]) == (
        "BRIDGE REPAIRS", "capital", "Bridge", "6", "Planned",
    )  # fmt: skip
    assert (first["latitude"], first["longitude"], first["estimated_cost"]) == (40.45848456, -80.02443938, 100000.0)
    kept = source.iloc[:150]
    assert stored["latitude"].notna().sum() == (kept["latitude"] != "").sum()
    assert stored["district_code"].isna().sum() == (kept["council_district"] == "").sum()
    assert stored["fiscal_year"].tolist() == kept["fiscal_year"].astype(int).tolist()
    assert list_uploads(engine).loc[0, ["kind", "file_name", "inserted"]].tolist() == [
        "candidates", PITTSBURGH.name, 150,
    ]  # fmt: skip

    again = _import(engine, PITTSBURGH)
    assert (again.upload_id, again.inserted, again.updated, again.unchanged) == (None, 0, 0, 150)
    assert again.message.startswith("Nothing changed")
    assert len(list_uploads(engine)) == 1


def test_dc_capital_improvement_plans_keep_each_projects_latest_plan(engine: sa.Engine) -> None:
    source = pd.read_csv(DC, dtype=str, keep_default_na=False)
    report = _import(engine, DC)
    assert report.mapping == {
        "source_id": "project_no", "name": "title", "category": "agency", "district": "ward",
        "estimated_cost": "est_cost", "fund": "funding_sources", "fiscal_year": "cip_fy", "status": "status",
        "description": "description",
    }  # fmt: skip
    assert (report.rows_read, report.inserted, report.rejected) == (107, 30, 0)
    assert "77 rows gave an id a later row repeats" in report.message
    latest = source.groupby("project_no").tail(1).set_index("project_no")
    stored = load_candidates(engine).set_index("source_id")
    assert sorted(stored.index) == sorted(latest.index)
    stored = stored.astype(object).where(stored.notna(), None)
    for project, plan in latest.iterrows():
        assert stored.loc[project, "name"] == plan["title"]
        assert stored.loc[project, "district_code"] == (plan["ward"] or None)
        assert stored.loc[project, "estimated_cost"] == (float(plan["est_cost"]) if plan["est_cost"] else None)
        assert stored.loc[project, "fund"] == (plan["funding_sources"] or None)  # "GO Bonds - New (0300)"
        assert stored.loc[project, "fiscal_year"] == 2000 + int(plan["cip_fy"])  # the plan of "FY 10" to "FY 17"
    assert set(stored["kind"]) == {"capital"}


def test_a_changed_list_updates_and_undo_restores_in_order(engine: sa.Engine, tmp_path: Path) -> None:
    first = tmp_path / "list.csv"
    first.write_text(
        "Project ID,Project Name,Type,Asset type,District,Cost,Condition,Health & Safety,Equity\n"
        'R-1,Resurface Main St,Maintenance,Potholes,District 2,"$1,200,000",40,3,2\n'
        "R-2,New library,Capital,Library services,3,9000000,,0,4\n"
    )
    report = _import(engine, first)
    assert report.mapping["criterion:health_safety"] == "Health & Safety"
    stored = load_candidates(engine).set_index("source_id")
    assert stored.loc["R-1", "estimated_cost"] == 1_200_000
    assert stored.loc["R-1", "district_code"] == "2" and stored.loc["R-1", "kind"] == "maintenance"
    assert stored.loc["R-1", "criteria"] == {"health_safety": 3.0, "equity": 2.0}
    before = load_candidates(engine)

    second = tmp_path / "list-v2.csv"
    second.write_text(
        "Project ID,Project Name,Type,Asset type,District,Cost,Condition,Health & Safety,Equity\n"
        'R-1,Resurface Main St,Maintenance,Potholes,District 2,"$1,350,000",35,3,2\n'
        "R-2,New library,Capital,Library services,3,9000000,,0,4\n"
        "R-3,Culvert at Elm Creek,Maintenance,Drainage ditch / culvert,1,250000,20,4,3\n"
    )
    update = _import(engine, second)
    assert (update.inserted, update.updated, update.unchanged) == (1, 1, 1)
    with pytest.raises(VocError, match="later upload"):
        undo(engine, report.upload_id, user="ana", role=Role.ANALYST)
    result = undo(engine, update.upload_id, user="ana", role=Role.ANALYST)
    assert (result.deleted, result.restored) == (1, 1)
    pd.testing.assert_frame_equal(load_candidates(engine), before)
    undo(engine, report.upload_id, user="ana", role=Role.ANALYST)
    assert load_candidates(engine).empty
    with pytest.raises(VocError, match="already undone"):
        undo(engine, report.upload_id, user="ana", role=Role.ANALYST)


def test_row_problems_are_reported_and_text_stays_text(engine: sa.Engine, tmp_path: Path) -> None:
    listing = tmp_path / "list.csv"
    listing.write_text(
        "id,name,kind,latitude,longitude,condition,cost\n"
        'A,=HYPERLINK("http://x"),maintenance,28.3,,40,100\n'
        "B,Pool,someday,28.3,-82.6,150,200\n"
        "C,Park,capital,28.3,-82.6,30,lots\n"
    )
    report = _import(engine, listing)
    problems = report.problems[["row", "column", "message", "severity"]].values.tolist()
    assert problems == [
        [2, "latitude", "Only one coordinate: location left blank.", "warning"],
        [3, "kind", "The kind must say maintenance or capital.", "rejected"],
        [3, "condition", "Not a condition from 0 (failed) to 100 (as new): left blank.", "warning"],
        [4, "cost", "Not a cost in dollars, 0 or more: left blank.", "warning"],
    ]
    stored = load_candidates(engine).set_index("source_id")
    assert sorted(stored.index) == ["A", "C"]
    assert stored.loc["A", "name"] == '=HYPERLINK("http://x")'
    assert pd.isna(stored.loc["A", "latitude"]) and pd.isna(stored.loc["C", "estimated_cost"])


def test_a_list_without_ids_is_refused(engine: sa.Engine, tmp_path: Path) -> None:
    listing = tmp_path / "list.csv"
    listing.write_text("title,cost\nPool,100\n")
    with pytest.raises(FileRefused, match="needs a project id and a project name"):
        _import(engine, listing)
    assert load_candidates(engine).empty and list_uploads(engine).empty


def test_cli_imports_candidates_and_ranks_them(monkeypatch: pytest.MonkeyPatch, sqlite_url: str, tmp_path) -> None:
    monkeypatch.setenv("VOC_DATABASE_URL", sqlite_url)
    runner = CliRunner()

    def voc(*args: object):
        return runner.invoke(main, list(map(str, args)))

    assert voc("rank").exit_code == 2
    imported = voc("import", "candidates", PITTSBURGH, "--json")
    assert imported.exit_code == 0, imported.output
    assert (json.loads(imported.output)["inserted"], json.loads(imported.output)["rejected"]) == (150, 3)
    ranked = voc("rank", "--weights", "cost=100,demand=0,trend=0,repeat=0,survey=0,condition=0", "--json")
    assert ranked.exit_code == 0, ranked.output
    result = json.loads(ranked.output)
    assert result["last_month"] is None and result["weights"]["cost"] == 100
    costs = [c["estimated_cost"] for c in result["candidates"]]
    assert costs == sorted(costs, key=lambda c: float("inf") if c is None else c)
    assert [c["rank"] for c in result["candidates"]] == list(range(1, 151))
    assert all(c["total"] == pytest.approx(c["score_cost"]) for c in result["candidates"])  # cost alone decides
    assert len(result["removals"]) == 150 and {"source_id", "pairs_reordered"} <= set(result["removals"][0])
    bad = voc("rank", "--weights", "speed=3")
    assert bad.exit_code == 2 and "No criterion 'speed'" in bad.output
    out = tmp_path / "ranking.xlsx"
    assert voc("rank", "--district", "6", "--xlsx", out).exit_code == 0
    book = load_workbook(out)
    assert book.sheetnames == ["Ranking", "Breakdown", "Weights", "About"]
    header, *rows = book["Ranking"].iter_rows(values_only=True)
    assert header[:6] == ("Rank", "Project", "Id", "Kind", "Category", "District")
    district_six = {c["source_id"] for c in result["candidates"] if c["district_code"] == "6"}
    assert [row[0] for row in rows] == list(range(1, 13)) and {row[5] for row in rows} == {"6"}
    assert {row[2] for row in rows} == district_six
    weights = list(book["Weights"].iter_rows(min_row=2, values_only=True))
    assert [(key, weight) for _, key, weight, *_ in weights] == [
        ("demand", 30), ("trend", 10), ("repeat", 10), ("reopened", 0), ("survey", 10), ("condition", 15),
        ("cost", 10),
    ]  # fmt: skip
    assert sum(share for _, _, _, share, *_ in weights) == pytest.approx(1)
    assert book["Breakdown"].max_row - 1 == len(rows) * len(weights)
    assert book["About"]["A1"].value == "Priorities: 12 of 150 candidates (district: 6)"
    assert voc("import", "candidates", PITTSBURGH, "--map", "id=number").exit_code == 2


# Pittsburgh's real list with headers as another county's CIP workbook writes them.
RENAMED = {
    "id": "CIP No.",
    "name": "Project Title",
    "council_district": "Council District",
    "budgeted_amount": "Total Cost",
    "status": "Project Status",
    "asset_type": "Asset Category",
    "latitude": "Lat.",
    "longitude": "Long.",
    "task_description": "Scope",
    "fiscal_year": "FY",
}


def test_a_cip_list_with_other_headers_is_mapped_by_words_and_values(monkeypatch, sqlite_url, tmp_path) -> None:
    monkeypatch.setenv("VOC_DATABASE_URL", sqlite_url)
    listing = tmp_path / "cip.csv"
    pd.read_csv(PITTSBURGH, dtype=str, keep_default_na=False).rename(columns=RENAMED).to_csv(listing, index=False)
    result = CliRunner().invoke(main, ["import", "candidates", str(listing), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["mapping"] == {
        "source_id": "CIP No.",
        "name": "Project Title",
        "category": "Asset Category",
        "district": "Council District",
        "latitude": "Lat.",
        "longitude": "Long.",
        "estimated_cost": "Total Cost",
        "fiscal_year": "FY",
        "status": "Project Status",
        "description": "Scope",
    }
    explained = {row["field"]: row["reason"] for row in report["mapping_explained"]}
    assert explained["source_id"] == "name resembles 'cip no' (100%)"
    assert (report["dry_run"], report["inserted"], report["rejected"]) == (True, 150, 3)
    assert len(list_uploads(sa.create_engine(sqlite_url))) == 0  # a dry run writes nothing


def test_a_fund_and_a_fiscal_year_are_read_as_budget_books_write_them(engine: sa.Engine, tmp_path: Path) -> None:
    listing = tmp_path / "cip.csv"
    listing.write_text(
        "Project ID,Project Name,Funding Source,Year Funded,Cost\n"
        "R-1,Resurface Main St,Gas Tax,FY2027,1200000\n"
        "R-2,New library,Penny for Pasco,2026-27,9000000\n"
        "R-3,Culvert at Elm Creek,Stormwater utility,FY 28,250000\n"
        "R-4,Pond expansion,,when funded,4000000\n"
    )
    report = _import(engine, listing)
    assert (report.mapping["fund"], report.mapping["fiscal_year"]) == ("Funding Source", "Year Funded")
    stored = load_candidates(engine).set_index("source_id").astype(object)
    assert stored["fund"].where(stored["fund"].notna(), None).tolist() == [
        "Gas Tax", "Penny for Pasco", "Stormwater utility", None,
    ]  # fmt: skip
    assert stored["fiscal_year"].tolist()[:3] == [2027, 2027, 2028] and pd.isna(stored.loc["R-4", "fiscal_year"])
    warned = report.problems[report.problems["column"] == "Year Funded"]
    assert warned["message"].tolist() == ["Not a fiscal year (FY2027, 2027 or 2026-27): left blank."]
