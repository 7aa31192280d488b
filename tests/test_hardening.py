"""Bad situations end in clear errors, never tracebacks; the same inputs give the same books."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from beancount import loader

from beanbill import cli
from beanbill.plugins import contracts as contracts_plugin
from tests.test_contracts_plugin import ACME, write_books

ROOT = Path(__file__).resolve().parent.parent


def test_contracts_folder_outside_the_repository_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "ledgers").mkdir()
    ledger = repo / "ledgers" / "main.beancount"
    ledger.write_text('plugin "beanbill.plugins.contracts" "../../elsewhere"\n')
    _, errors, _ = loader.load_file(str(ledger))
    assert [e.message for e in errors] == [
        f"beanbill.plugins.contracts: the contracts folder {tmp_path / 'elsewhere'} is outside "
        f"the ledger's repository {repo}"
    ]


def test_a_file_linking_outside_the_contracts_folder_is_not_read(tmp_path: Path) -> None:
    ledger = write_books(tmp_path)
    secret = tmp_path.parent / f"{tmp_path.name}-secret.yaml"
    secret.write_text(ACME.replace("acme", "spy").replace("Acme", "Spy").replace("ACME", "SPY"))
    link = tmp_path / "contracts" / "customers" / "spy.yaml"
    link.symlink_to(secret)
    entries, errors, _ = loader.load_file(str(ledger))
    assert [(e.source["filename"], e.message) for e in errors] == [
        (str(link), "the file links outside the contracts folder; it is not read")
    ]
    assert all(e.meta.get("customer") != "spy" for e in entries)


def test_an_internal_bug_is_one_clear_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise KeyError("platform")

    monkeypatch.setattr(contracts_plugin, "compile_texts", broken)
    _, errors, _ = loader.load_file(str(write_books(tmp_path)))
    assert len(errors) == 1
    message = errors[0].message
    assert message.startswith(
        "beanbill.plugins.contracts: internal error KeyError: 'platform' at test_hardening.py:"
    )
    assert "This is a bug in beanbill, not in your books" in message
    assert "Traceback" not in message


def compile_text(ledger: Path, tmp_path: Path, name: str) -> bytes:
    target = tmp_path / name
    assert cli.main(["compile", str(ledger), "-o", str(target)]) == 0
    return target.read_bytes()


def test_compile_ignores_the_order_the_file_system_lists_files_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    beta = ACME.replace("acme", "beta").replace("Acme", "Beta").replace("ACME", "BETA")
    ledger = write_books(tmp_path, {"acme": ACME, "beta": beta})
    usual = compile_text(ledger, tmp_path, "a.beancount")
    listdir = os.listdir
    monkeypatch.setattr(os, "listdir", lambda path: list(reversed(listdir(path))))
    assert compile_text(ledger, tmp_path, "b.beancount") == usual


def test_demo_compiles_byte_identically_under_different_hash_seeds(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "987654"):
        target = tmp_path / f"seed-{seed}.beancount"
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-m", "beanbill.cli", "compile", "-o", str(target)]
        subprocess.run(command, cwd=ROOT, env=environment, check=True)
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) > 10_000
