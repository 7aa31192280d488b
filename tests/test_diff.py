"""`beanbill diff`: what the working tree changes in the books against a git revision, for the
review of a pull request (invoices and memos added, removed, changed, or paid)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from beanbill import cli
from tests.test_adjustments import ACME, write_books
from tests.test_export import LEDGER

BETA = ACME.replace("acme", "beta").replace("Acme", "Beta").replace("ACME", "BETA")
NO_PAYMENT = LEDGER[: LEDGER.index("\n2026-01-20")] + "\n"
PAYMENT = """
2026-02-20 * "Acme Corp" "Payment" ^INV-ACME-1-20260201
  Assets:Cash:Bank   330.00 USD
  Assets:AccountsReceivable:Customers:Acme  -330.00 USD
"""


def git(root: Path, *args: str) -> None:
    command = ["git", "-C", str(root), "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run([*command, *args], check=True, capture_output=True)


def committed_books(root: Path) -> Path:
    ledger = write_books(root, {"acme": ACME}, NO_PAYMENT)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "books")
    return ledger


def diff(ledger: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = cli.main(["diff", str(ledger), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_changed_price_shows_the_invoices_it_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = committed_books(tmp_path)
    acme = tmp_path / "contracts" / "customers" / "acme.yaml"
    acme.write_text(ACME.replace('"300.00"', '"310.00"'))
    code, out, _ = diff(ledger, capsys, "--summary")
    assert code == 0
    assert out.splitlines() == [
        "beanbill diff: HEAD -> the working tree, invoices and memos: 0 added, 0 removed, "
        "3 changed, 0 status",
        "",
        "change   id                   date        customer  before      after",
        "-------  -------------------  ----------  --------  ----------  ----------",
        "changed  INV-ACME-1-20260101  2026-01-01  acme      440.00 USD  451.00 USD",
        "changed  INV-ACME-1-20260201  2026-02-01  acme      330.00 USD  341.00 USD",
        "changed  INV-ACME-1-20260301  2026-03-01  acme      330.00 USD  341.00 USD",
        "",
        "Revenue recognised per month that moves:",
        "month    currency  recognised before   after  change",
        "-------  --------  -----------------  ------  ------",
        "2026-01  USD                  400.00  410.00   10.00",
        "2026-02  USD                  300.00  310.00   10.00",
        "2026-03  USD                  300.00  310.00   10.00",
    ]
    code, out, _ = diff(ledger, capsys)
    assert code == 0
    assert "--- HEAD:main.beancount (compiled)\n+++ main.beancount (compiled)\n" in out
    assert "-    unit-price: 300.00\n+    unit-price: 310.00\n" in out


def test_added_and_removed_customers_and_a_payment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = committed_books(tmp_path)
    (tmp_path / "contracts" / "customers" / "beta.yaml").write_text(BETA)
    with ledger.open("a") as file:
        file.write(PAYMENT)
    code, out, _ = diff(ledger, capsys, "--summary")
    assert code == 0
    rows = [line.split() for line in out.splitlines()[4:8]]
    assert rows == [
        ["added", "INV-BETA-1-20260101", "2026-01-01", "beta", "440.00", "USD"],
        ["status", "INV-ACME-1-20260201", "2026-02-01", "acme", "open", "paid"],
        ["added", "INV-BETA-1-20260201", "2026-02-01", "beta", "330.00", "USD"],
        ["added", "INV-BETA-1-20260301", "2026-03-01", "beta", "330.00", "USD"],
    ]
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "beta")
    (tmp_path / "contracts" / "customers" / "beta.yaml").unlink()
    code, out, _ = diff(ledger, capsys, "--summary")
    assert out.splitlines()[0].endswith("0 added, 3 removed, 0 changed, 0 status")
    assert [line.split()[:2] for line in out.splitlines()[4:7]] == [
        ["removed", "INV-BETA-1-20260101"],
        ["removed", "INV-BETA-1-20260201"],
        ["removed", "INV-BETA-1-20260301"],
    ]
    # Against the first commit, beta never existed: only the payment shows.
    code, out, _ = diff(ledger, capsys, "--summary", "--base", "HEAD~1")
    assert out.splitlines()[0].endswith("0 added, 0 removed, 0 changed, 1 status")


def test_books_new_since_the_base_are_all_added(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "README.md").write_text("books to come\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "start")
    ledger = write_books(tmp_path, {"acme": ACME}, NO_PAYMENT)
    code, out, _ = diff(ledger, capsys, "--summary")
    assert code == 0
    assert out.splitlines()[0].endswith("3 added, 0 removed, 0 changed, 0 status")


def test_diff_says_what_stops_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ledger = write_books(tmp_path, {"acme": ACME}, NO_PAYMENT)
    code, out, err = diff(ledger, capsys)
    assert code == 1 and out == ""
    assert err.startswith(f"beanbill diff: {tmp_path} is not in a git repository")
    ledger = committed_books(tmp_path / "repo")
    code, _, err = diff(ledger, capsys, "--base", "nope")
    assert code == 1 and "beanbill diff: no revision 'nope' in" in err
    (tmp_path / "repo" / "contracts" / "customers" / "acme.yaml").write_text(
        ACME.replace('price: "300.00"', "price: 300.00")
    )
    code, _, err = diff(ledger, capsys)
    assert code == 1 and err.endswith("beanbill diff: 1 problem(s) in the books\n")


def test_entries_that_move_without_any_invoice_are_still_diffed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = committed_books(tmp_path)
    catalog = tmp_path / "contracts" / "catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace("Income:ProfessionalServices", "Income:Consulting")
    )
    code, out, _ = diff(ledger, capsys)
    assert code == 0
    assert out.startswith(
        "beanbill diff: HEAD -> the working tree, invoices and memos: 0 added, 0 removed, "
        "0 changed, 0 status\n"
    )
    # The onboarding is recognised to another Income account: the same revenue per month.
    assert "Revenue recognised per month" not in out
    assert "-  Income:ProfessionalServices" in out and "+  Income:Consulting" in out
