"""The command line's error contract, for every command the `voc` group has (a new one is covered as it is added).

A failing command exits 2; with --json it prints exactly one JSON object {"error", "kind"} on stdout,
without it one line on stderr; never a traceback.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from voc.cli import main
from voc.cli.contract import error_kind
from voc.core.errors import FileRefused, NotAllowed, NotFound, StoreUnavailable, VocError

ROOT = Path(__file__).resolve().parents[1]


def leaf_commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            if command.invoke_without_command:  # a group that also runs alone (`voc alerts`) is a command too
                yield " ".join((*path, name)), command
            yield from leaf_commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


COMMANDS = dict(leaf_commands(main))


def _wants_json(command: click.Command) -> bool:
    return any("--json" in param.opts for param in command.params)


JSON_COMMANDS = {name: command for name, command in COMMANDS.items() if _wants_json(command)}


def _value(param: click.Parameter, sample: Path) -> str:
    """A value the parameter accepts, so that the command gets past parsing and fails where it runs."""
    if isinstance(param.type, click.Path):
        return str(sample.with_suffix(".html") if param.name == "out_path" else sample)  # voc pack writes .html or .pdf
    if isinstance(param.type, click.Choice):
        return str(param.type.choices[0])
    if isinstance(param.type, click.DateTime):
        return "2026-01-01"
    if isinstance(param.type, click.types.IntParamType):
        return "1"
    return "x"


def command_line(name: str, command: click.Command, sample: Path) -> list[str]:
    """The words of a well-formed call of the command: every argument and required option given."""
    words = name.split()
    for param in command.params:
        if isinstance(param, click.Argument):
            words.append(_value(param, sample))
        elif param.required:
            words += [param.opts[0], _value(param, sample)]
    return words


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def unreachable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A store nobody serves and a users file voc cannot read; returns a small input file."""
    monkeypatch.setenv("VOC_DATABASE_URL", f"postgresql://voc@127.0.0.1:{closed_port()}/voc")
    users = tmp_path / "users.toml"
    users.write_text("[users\nthis is not TOML")
    monkeypatch.setenv("VOC_USERS_FILE", str(users))
    sample = tmp_path / "input.csv"
    sample.write_text("id,opened\n1,2026-03-01\n")
    return sample


def run(words: list[str]) -> Result:
    # `voc user add` asks for a password twice before it reads the users file.
    return CliRunner().invoke(main, words, input="a long enough password\n" * 2)


def assert_no_traceback(result: Result) -> None:
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr


def test_the_group_lists_every_command() -> None:
    assert {
        "serve",
        "uploads",
        "import requests",
        "import satisfaction",
        "pull socrata",
        "survey compare",
        "action add",
        "themes build",
        "alerts ack",
        "watch add",
        "digest",
        "performance",
        "pack",
        "import areas",
        "equity",
    } <= set(COMMANDS)
    assert len(COMMANDS) == 40
    assert {
        "uploads",
        "import requests",
        "import satisfaction",
        "pull saved",
        "alerts",
        "alerts ack",
        "watch list",
        "rank",
        "action list",
        "themes list",
    } <= set(JSON_COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_failing_command_prints_one_line_and_exits_2(name: str, unreachable: Path) -> None:
    result = run(command_line(name, COMMANDS[name], unreachable))
    assert result.exit_code == 2, result.output
    assert_no_traceback(result)
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and ("VOC_DATABASE_URL" in line or "users file" in line), line


@pytest.mark.parametrize("name", sorted(JSON_COMMANDS))
def test_a_failing_command_with_json_prints_one_json_object_and_exits_2(name: str, unreachable: Path) -> None:
    result = run([*command_line(name, JSON_COMMANDS[name], unreachable), "--json"])
    assert result.exit_code == 2, result.output
    assert_no_traceback(result)
    [line] = result.stdout.splitlines()
    failure = json.loads(line)
    assert set(failure) == {"error", "kind"}
    expected = "input" if name.startswith("user ") else "database"
    assert failure["kind"] == expected, failure
    assert result.stderr == ""


def test_the_store_is_named_without_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOC_DATABASE_URL", f"postgresql://voc:hunter2@127.0.0.1:{closed_port()}/voc")
    failure = json.loads(run(["uploads", "--json"]).stdout)
    assert failure["kind"] == "database"
    assert failure["error"].startswith("Cannot open the store postgresql+psycopg://voc:***@127.0.0.1:")
    assert "hunter2" not in failure["error"] and "Check VOC_DATABASE_URL." in failure["error"]


def test_a_usage_error_with_json_is_a_json_object_too(tmp_path: Path) -> None:
    result = run(["rank", "--radius", "far", "--json"])
    assert result.exit_code == 2
    failure = json.loads(result.stdout)
    assert failure["kind"] == "usage" and "'far' is not a valid float" in failure["error"]
    without = run(["rank", "--radius", "far"])
    assert without.exit_code == 2 and "Usage: " in without.stderr and without.stdout == ""


def test_a_bug_is_reported_as_internal_not_as_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(url: str) -> None:
        raise TypeError("a bug")

    monkeypatch.setattr("voc.store.engine.open_store", broken)
    failure = json.loads(run(["uploads", "--json"]).stdout)
    assert failure == {
        "error": "voc hit a bug (TypeError: a bug). Please report it with the command you ran.",
        "kind": "internal",
    }


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (StoreUnavailable("x"), "database"),
        (NotAllowed("x"), "permission"),
        (NotFound("x"), "not_found"),
        (FileRefused("x"), "file"),
        (VocError("x"), "input"),
        (click.BadParameter("x"), "usage"),
        (PermissionError(13, "Permission denied", "out.xlsx"), "permission"),
        (FileNotFoundError(2, "No such file", "in.csv"), "file"),
        (ValueError("x"), "internal"),
    ],
)
def test_each_error_has_its_kind(error: Exception, kind: str) -> None:
    assert error_kind(error) == kind


@pytest.mark.parametrize("as_json", [False, True])
def test_an_uncreatable_sqlite_store_fails_cleanly_in_a_real_process(as_json: bool, tmp_path: Path) -> None:
    # /proc refuses new folders, even to root.
    env = {**os.environ, "VOC_DATABASE_URL": "sqlite:////proc/voc/voc.db"}
    command = [sys.executable, "-m", "voc.cli", "uploads", *(["--json"] if as_json else [])]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    if as_json:
        assert json.loads(done.stdout) == {
            "error": "Cannot open the store sqlite:////proc/voc/voc.db ([Errno 2] No such file or directory: "
            "'/proc/voc'). Check VOC_DATABASE_URL.",
            "kind": "database",
        }
    else:
        assert done.stdout == ""
        assert done.stderr.startswith("Error: Cannot open the store sqlite:////proc/voc/voc.db") and (
            done.stderr.count("\n") == 1
        )
