"""The README's command table and the `voc` command tree agree: every command and option it names exists, and
every command exists in it."""

from __future__ import annotations

import re
from pathlib import Path

import click

from voc.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def table_calls() -> list[str]:
    """Every `voc ...` call written in the table of the README's "The command line" section."""
    section = README.read_text(encoding="utf-8").split("\n## The command line\n")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| `voc")]
    return [call.replace("\\|", "|") for row in rows for call in re.findall(r"`(voc [^`]*)`", row)]


def resolve(call: str) -> tuple[str, click.Command, list[str]]:
    """The command a call names (its words that are subcommands), and the options it writes."""
    words = call.split()[1:]
    command: click.Command = main
    path = ["voc"]
    while isinstance(command, click.Group) and words and words[0] in command.commands:
        command = command.commands[words[0]]
        path.append(words.pop(0))
    return " ".join(path), command, re.findall(r"--[a-z][a-z-]*", " ".join(words))


def test_the_readme_table_names_only_commands_and_options_that_exist() -> None:
    calls = table_calls()
    assert len(calls) >= 20
    missing = []
    for call in calls:
        name, command, options = resolve(call)
        if isinstance(command, click.Group) and not command.invoke_without_command:
            missing.append(f"{call!r}: {name} is a group; name one of its commands")
        known = {opt for param in command.params for opt in param.opts}
        missing += [f"{call!r}: {name} has no option {option}" for option in options if option not in known]
    assert missing == []


def test_every_command_is_in_the_readme_table() -> None:
    documented = {resolve(call)[0] for call in table_calls()}

    def leaves(group: click.Group, prefix: str) -> set[str]:
        names = set()
        for name, command in group.commands.items():
            path = f"{prefix} {name}"
            if isinstance(command, click.Group):
                names |= leaves(command, path) | ({path} if command.invoke_without_command else set())
            else:
                names.add(path)
        return names

    assert leaves(main, "voc") - documented == set()


def test_an_option_the_tree_lacks_is_caught() -> None:
    name, command, options = resolve("voc rank [--weights W] [--speed S]")
    assert name == "voc rank" and options == ["--weights", "--speed"]
    assert "--speed" not in {opt for param in command.params for opt in param.opts}
