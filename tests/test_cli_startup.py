"""The command line starts without the heavy libraries: commands import them when they run (issue 17)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = {"pandas", "geopandas", "statsmodels", "streamlit", "altair"}


def imported_packages(arguments: list[str], env: dict[str, str]) -> set[str]:
    """The top-level packages `python -m voc.cli ARGUMENTS` imports, read from -X importtime's report."""
    command = [sys.executable, "-X", "importtime", "-m", "voc.cli", *arguments]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    names = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in lines[1:]}
    assert {"click", "voc"} <= names  # the report was read
    return names


@pytest.mark.parametrize("arguments", [["--help"], ["alerts", "--help"], ["uploads"]], ids=" ".join)
def test_the_cli_starts_without_heavy_libraries(arguments: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "VOC_DATABASE_URL": f"sqlite:///{tmp_path / 'voc.db'}"}
    assert imported_packages(arguments, env) & HEAVY == set()


def test_the_report_names_a_heavy_library_a_command_imports(tmp_path: Path) -> None:
    env = {**os.environ, "VOC_DATABASE_URL": f"sqlite:///{tmp_path / 'voc.db'}"}
    assert "pandas" in imported_packages(["action", "list"], env)
