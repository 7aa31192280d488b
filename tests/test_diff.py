"""`beanbill diff`: what the working tree changes in the books against a git revision, for the
review of a pull request (invoices and memos added, removed, changed, or paid)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from beanbill import cli
from beanbill.review import text_diff
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
        "beanbill diff: HEAD -> the working tree, invoices and adjustments: 0 added, 0 removed, "
        "3 changed, 0 status",
        "",
        "change   id                   date        customer  before      after       what",
        "-------  -------------------  ----------  --------  ----------  ----------  -------",
        "changed  INV-ACME-1-20260101  2026-01-01  acme      440.00 USD  451.00 USD  amounts",
        "changed  INV-ACME-1-20260201  2026-02-01  acme      330.00 USD  341.00 USD  amounts",
        "changed  INV-ACME-1-20260301  2026-03-01  acme      330.00 USD  341.00 USD  amounts",
        "",
        "Net revenue per month that moves (recognised, less returns and allowances):",
        "month    currency  net revenue before   after  change",
        "-------  --------  ------------------  ------  ------",
        "2026-01  USD                   400.00  410.00   10.00",
        "2026-02  USD                   300.00  310.00   10.00",
        "2026-03  USD                   300.00  310.00   10.00",
    ]
    code, out, _ = diff(ledger, capsys)
    assert code == 0
    assert "--- HEAD:main.beancount (compiled)\n+++ main.beancount (compiled)\n" in out
    assert "-    unit-price: 300.00\n+    unit-price: 310.00\n" in out


def test_a_change_that_keeps_the_totals_says_what_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Products swapped in the YAML, or payment terms changed, bill the same totals: the table
    said "changed" with equal amounts before and after, and nothing more."""
    ledger = committed_books(tmp_path)
    acme = tmp_path / "contracts" / "customers" / "acme.yaml"
    platform = (
        '          - product: platform\n            pricing: {model: flat_fee, price: "300.00"}\n'
    )
    onboarding = (
        "          - product: onboarding\n            billing: {cadence: one_time}\n"
        '            pricing: {model: flat_fee, price: "100.00"}\n'
    )
    assert platform + onboarding in ACME
    acme.write_text(ACME.replace(platform + onboarding, onboarding + platform))
    code, out, _ = diff(ledger, capsys, "--summary")
    assert code == 0
    assert out.splitlines()[0].endswith("0 added, 0 removed, 1 changed, 0 status")
    assert out.splitlines()[4].split() == [
        *("changed", "INV-ACME-1-20260101", "2026-01-01", "acme"),
        *("440.00", "USD", "440.00", "USD", "line", "order"),
    ]
    acme.write_text(ACME.replace("    billing:", "    payment_terms: net 15\n    billing:", 1))
    code, out, _ = diff(ledger, capsys, "--summary")
    assert (
        "changed  INV-ACME-1-20260201  2026-02-01  acme      330.00 USD  330.00 USD  due-date"
        in out
    )


def test_wallet_credits_refunds_and_write_offs_are_listed_with_their_amounts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = committed_books(tmp_path)
    acme = tmp_path / "contracts" / "customers" / "acme.yaml"
    acme.write_text(
        ACME
        + '  - {type: credit, id: CR-1, date: 2026-03-15, amount: "107.25", reason: Outage}\n'
        + '  - {type: refund, id: RF-1, date: 2026-03-20, amount: "100.00", from: wallet}\n'
        + "  - {type: write_off, date: 2026-03-25, invoice: INV-ACME-1-20260101}\n"
    )
    code, out, _ = diff(ledger, capsys, "--summary")
    assert code == 0
    assert out.splitlines()[0].endswith("3 added, 0 removed, 0 changed, 2 status")
    rows = [line.split() for line in out.splitlines()[4:9]]
    assert rows == [
        ["status", "INV-ACME-1-20260101", "2026-01-01", "acme", "overdue", "written_off"],
        # statuses are as of the books' last event, which the refund moves to 20 March
        ["status", "INV-ACME-1-20260201", "2026-02-01", "acme", "open", "overdue"],
        ["added", "CR-1", "2026-03-15", "acme", "107.25", "USD"],
        ["added", "RF-1", "2026-03-20", "acme", "100.00", "USD"],
        ["added", "WO-INV-ACME-1-20260101", "2026-03-25", "acme", "-440.00", "USD"],
    ]


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


def test_a_payment_changes_statuses_in_the_table_not_in_the_text_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A payment imported moves the books' last event, so every invoice's status-date: the
    # text diff once had a hunk per invoice. The table says what moved; the text is unchanged.
    ledger = committed_books(tmp_path)
    with ledger.open("a") as file:
        file.write(PAYMENT)
    code, out, _ = diff(ledger, capsys)
    assert code == 0
    assert [line.split()[:5] for line in out.splitlines() if line.startswith("status")] == [
        ["status", "INV-ACME-1-20260201", "2026-02-01", "acme", "open"]
    ]
    assert "(compiled)" not in out  # no text diff: nothing but statuses moved
    # A price raised on a paid invoice: it changes, and its status with it.
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "payment")
    acme = tmp_path / "contracts" / "customers" / "acme.yaml"
    acme.write_text(ACME.replace('"300.00"', '"310.00"'))
    code, out, _ = diff(ledger, capsys, "--summary")
    assert (
        "changed  INV-ACME-1-20260201  2026-02-01  acme      330.00 USD  341.00 USD  "
        "amounts, status paid to partially_paid" in out
    )


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
    # Problems in the working tree do not stop it: the customer left out shows as removed.
    code, out, err = diff(ledger, capsys)
    assert code == 1 and err.endswith(
        "beanbill diff: 1 problem(s) in the working tree's books; the diff below is of the "
        "books as they load with them\n"
    )
    assert out.splitlines()[0].endswith("0 added, 3 removed, 0 changed, 0 status")


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
        "beanbill diff: HEAD -> the working tree, invoices and adjustments: 0 added, 0 removed, "
        "0 changed, 0 status\n"
    )
    # The onboarding is recognised to another Income account: the same revenue per month.
    assert "Revenue recognised per month" not in out
    assert "-  Income:ProfessionalServices" in out and "+  Income:Consulting" in out


# --- the text diff -----------------------------------------------------------------------------


def patched(before: list[str], diff: list[str]) -> list[str]:
    """`before`'s lines with a unified diff applied, hunk by hunk at the lines it names."""
    result: list[str] = []
    at = 0  # the next line of `before` not yet copied
    for line in diff[2:]:
        if line.startswith("@@ -"):
            old = line.split()[1][1:]
            start = int(old.split(",")[0]) - (0 if old.endswith(",0") else 1)
            result += before[at:start]
            at = start
        elif line[0] == "+":
            result.append(line[1:])
        else:  # " " or "-": a line of `before`, kept or not
            assert before[at] == line[1:]
            if line[0] == " ":
                result.append(line[1:])
            at += 1
    return result + before[at:]


ENTRY = '2026-0{m}-01 * "Acme Corp" "Invoice {m}"\n  status-date: 2026-12-01\n  Assets:A  {n} USD\n'


def chunks(entries: list[str]) -> list[str]:
    out: list[str] = []
    for index, entry in enumerate(entries):
        out += ["\n"] if index else []
        out.append(entry)
    return out


@given(
    st.lists(st.integers(1, 9), max_size=12),
    st.lists(st.tuples(st.integers(0, 12), st.integers(1, 9), st.integers(0, 2)), max_size=6),
)
def test_the_text_diff_turns_before_into_after(amounts: list[int], edits: list[Any]) -> None:
    before = [ENTRY.format(m=i % 9 + 1, n=n) for i, n in enumerate(amounts)]
    after = list(before)
    for where, n, kind in edits:  # change an amount, insert an entry, or remove one
        where = min(where, len(after))
        if kind == 0 and where < len(after):
            after[where] = after[where].replace(" USD", f"{n} USD")
        elif kind == 1:
            after.insert(where, ENTRY.format(m=n, n=n))
        elif where < len(after):
            del after[where]
    a_lines = "".join(chunks(before)).splitlines(keepends=True)
    b_lines = "".join(chunks(after)).splitlines(keepends=True)
    diff = "".join(text_diff(chunks(before), chunks(after), "a", "b")).splitlines(keepends=True)
    assert (diff == []) == (a_lines == b_lines)
    if diff:
        assert diff[:2] == ["--- a\n", "+++ b\n"]
        assert patched(a_lines, diff) == b_lines


def test_the_text_diff_shows_only_the_lines_that_change() -> None:
    # Unchanged lines that occur in every entry (status-date) are not removed and added again.
    before = [ENTRY.format(m=m, n=m) for m in range(1, 9)] * 30  # 240 entries: difflib's
    after = list(before)  # heuristics skip lines that common
    after[100] = after[100].replace("  Assets:A  5 USD", "  Assets:A  55 USD")
    diff = list(text_diff(chunks(before), chunks(after), "a", "b"))
    changed = [line for line in diff if line[0] in "+-" and not line.startswith(("---", "+++"))]
    assert changed == ["-  Assets:A  5 USD\n", "+  Assets:A  55 USD\n"]
