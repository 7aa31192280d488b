"""The docs' examples of the read-only commands, run on the demo books: what the docs show is
what the command prints. A block that ends in a line "..." shows the first lines only."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from beanbill import cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("README.md", "docs/month-end.md", "docs/cli.md", "docs/how-to.md")
READ_ONLY = ("check", "revenue", "rollforward", "invoices", "aging")
EXAMPLE = re.compile(r"```\n\$ beanbill ([^\n]*)\n(.*?)```", re.S)
ENTRIES = re.compile(r"\(\d+ entries")


def examples() -> list[tuple[str, str, str]]:
    found = []
    for doc in DOCS:
        for match in EXAMPLE.finditer((ROOT / doc).read_text(encoding="utf-8")):
            command, shown = match.group(1), match.group(2)
            if command.split()[0] in READ_ONLY:
                found.append((doc, command, shown))
    return found


def test_the_docs_have_examples_of_every_read_only_command() -> None:
    assert {command.split()[0] for _, command, _ in examples()} == set(READ_ONLY)


@pytest.mark.parametrize(("doc", "command", "shown"), examples())
def test_a_docs_example_is_what_the_command_prints(
    doc: str,
    command: str,
    shown: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)  # the commands' default ledger: ledgers/main.beancount
    assert cli.main(shlex.split(command)) == 0
    out, err = capsys.readouterr()
    printed = (out + err).splitlines()
    lines = shown.splitlines()
    if lines[-1] == "...":
        lines = lines[:-1]
        printed = printed[: len(lines)]
    # check counts the documents rendered into ledgers/documents/ too: none on a fresh clone
    printed, lines = (
        [ENTRIES.sub("(N entries", line) for line in text] for text in (printed, lines)
    )
    assert printed == lines, f"{doc}: beanbill {command}"
