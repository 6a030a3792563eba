"""The voc command line: exit codes, output and JSON, on the same library functions as the pages."""

from __future__ import annotations

import json
from pathlib import Path

from tests.files import REAL

NYC = REAL / "nyc311_2024-04_sample.csv"


def test_import_requests_json_then_reupload_then_undo(voc) -> None:
    first = voc("import", "requests", NYC, "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert {"upload_id", "rows_read", "inserted", "updated", "unchanged", "rejected", "mapping", "problems"} <= set(
        report
    )
    assert (report["upload_id"], report["rows_read"], report["inserted"], report["rejected"]) == (1, 300, 300, 0)
    assert report["mapping"]["source_id"] == "unique_key"

    again = json.loads(voc("import", "requests", NYC, "--json").output)
    assert (again["upload_id"], again["inserted"], again["unchanged"]) == (None, 0, 300)

    history = json.loads(voc("uploads", "--json").output)
    assert [(u["id"], u["inserted"], u["uploaded_by"], u["status"]) for u in history] == [(1, 300, "ana", "committed")]
    undone = voc("undo", 1)
    assert undone.exit_code == 0 and "removed 300 contacts" in undone.output
    assert json.loads(voc("uploads", "--json").output)[0]["status"] == "undone"
    assert voc("undo", 1).exit_code == 2


def test_problems_are_listed_with_row_column_and_message(voc, tmp_path: Path) -> None:
    bad = tmp_path / "march.csv"
    good = "".join(f"{i},2026-03-0{i} 10:00,Pothole\n" for i in range(1, 6))
    bad.write_text("Case Number,Date Opened,Problem Type\n" + good + "6,yesterday,Pothole\n")
    report = json.loads(voc("import", "requests", bad, "--json").output)
    assert report["rejected"] == 1
    assert report["problems"] == [
        {"row": 7, "column": "Date Opened", "message": report["problems"][0]["message"], "severity": "rejected"}
    ]
    assert report["problems"][0]["message"].startswith("Unreadable date 'yesterday'")


def test_a_refused_file_exits_2_with_its_message(voc, tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    result = voc("import", "requests", empty, "--json")
    assert result.exit_code == 2
    assert json.loads(result.output) == {
        "file": "empty.xlsx",
        "error": "The file is empty (0 bytes). Export the records again and upload the new file.",
        "kind": "file",
    }
    assert "empty" in json.loads(result.output)["error"]


def test_a_refused_first_file_is_reported_and_the_next_one_still_imported(voc, tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    result = voc("import", "requests", empty, NYC, "--json")
    refused, imported = (json.loads(line) for line in result.output.splitlines())
    assert result.exit_code == 2
    assert (refused["file"], refused["kind"]) == ("empty.xlsx", "file")
    assert (imported["file"], imported["upload_id"], imported["inserted"]) == (NYC.name, 1, 300)


def test_map_option_overrides_and_validates(voc, tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("Ref,When,Issue\nA1,2026-03-01 10:00,Pothole\n")
    report = json.loads(
        voc("import", "requests", odd, "--map", "Ref=source_id", "--map", "When=opened_at", "--json").output
    )
    assert report["mapping"]["source_id"] == "Ref" and report["inserted"] == 1
    wrong = voc("import", "requests", odd, "--map", "Ref=record")
    assert wrong.exit_code == 2 and "field one of" in wrong.output


def test_dry_run_writes_nothing(voc) -> None:
    report = json.loads(voc("import", "requests", NYC, "--dry-run", "--json").output)
    assert report["dry_run"] is True and report["upload_id"] is None
    assert json.loads(voc("uploads", "--json").output) == []


def test_import_sessions_counts_residents_and_is_idempotent(voc, sqlite_url: str, tmp_path: Path) -> None:
    from voc.store.engine import open_store
    from voc.store.theme_builds import read_build_state

    sheet = tmp_path / "sessions.csv"
    sheet.write_text(
        "date,district,category,summary,raised\n"
        "2026-10-14,3,Flooding / standing water,Elm St floods at every storm,12\n"
        "2026-10-14,3,Potholes,Potholes on Ridge Rd,4\n"
    )
    first = voc("import", "sessions", sheet)
    assert first.exit_code == 0 and "2 sessions" in first.output and "16 new contacts" in first.output
    engine = open_store(sqlite_url)
    state = read_build_state(engine)  # what residents raised is grouped with the other descriptions
    engine.dispose()
    assert state.built_version == state.requested_version > 0 and not state.pending
    assert "0 new contacts" in voc("import", "sessions", sheet).output


def test_serve_applies_the_projects_streamlit_settings_from_any_directory(voc, monkeypatch, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    started: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda _program, arguments: started.append(arguments))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert voc("serve", "--port", 8650).exit_code == 0
    flags = [flag for flag in started[0] if flag.startswith("--") and "=" in flag]
    # Streamlit itself, started here with no .streamlit/ of its own, reads the flags as the project's settings.
    shown = subprocess.run(
        [sys.executable, "-m", "streamlit", "config", "show", *flags], cwd=elsewhere, capture_output=True,
        text=True, check=True,
    ).stdout  # fmt: skip
    settings = {line.split(" = ")[0]: line.split(" = ")[1] for line in shown.splitlines() if " = " in line}
    assert settings["disableDataExport"] == "true" and settings["showErrorDetails"] == '"none"'
    assert settings["baseFontSize"] == "18"
    root = Path(__file__).resolve().parents[1]
    secrets_files = shown.split("\nfiles = [")[1].split("]")[0]
    assert f'"{root / ".streamlit" / "secrets.toml"}"' in secrets_files
