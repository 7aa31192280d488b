"""`beanbill invoices` and `beanbill aging`: on small books, and on the demo books checked
against beanquery."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from beanquery import query

from beanbill import cli
from beanbill.receivables import BUCKETS, bucket
from tests.test_adjustments import ACME, write_books
from tests.test_settlement import FEB, JAN, LEDGER, payment

D = Decimal
DEMO = Path(__file__).resolve().parent.parent / "ledgers" / "main.beancount"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def small(tmp_path: Path) -> Path:
    adjustments = (
        "  - {type: credit_memo, id: CM-1, date: 2026-02-10, invoice: INV-ACME-1-20260201,\n"
        '     amount: "100.00"}\n'
    )
    extra = payment("2026-01-20", "440.00", JAN) + payment("2026-02-05", "200.00", FEB)
    return write_books(tmp_path, {"acme": ACME + adjustments}, LEDGER, extra)


def test_invoices_table(small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "invoices", str(small), "--as-of", "2026-03-10")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Invoices as of 2026-03-10",
        "invoice              customer  date        due         currency   total    paid  wallet"
        "  credited  debited  written off    open  status   days overdue",
        "-------------------  --------  ----------  ----------  --------  ------  ------  ------"
        "  --------  -------  -----------  ------  -------  ------------",
        "INV-ACME-1-20260101  acme      2026-01-01  2026-01-31  USD       440.00  440.00    0.00"
        "      0.00     0.00         0.00    0.00  paid                0",
        "INV-ACME-1-20260201  acme      2026-02-01  2026-03-03  USD       330.00  200.00    0.00"
        "    110.00     0.00         0.00   20.00  overdue             7",
        "INV-ACME-1-20260301  acme      2026-03-01  2026-03-31  USD       330.00    0.00    0.00"
        "      0.00     0.00         0.00  330.00  open                0",
    ]


def test_invoices_filters_and_formats(small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "invoices", str(small), "--status", "overdue", "--as-of", "2026-03-31",
        "--format", "json",
    )  # fmt: skip
    assert code == 0
    (row,) = json.loads(out)
    assert row["invoice"] == FEB and row["open"] == "20.00" and row["days overdue"] == "28"
    # A customer of the books (its account component works too) with nothing issued yet.
    _, out, _ = run(
        capsys, "invoices", str(small), "--customer", "Acme", "--as-of", "2025-12-31",
        "--format", "csv",
    )  # fmt: skip
    assert out.splitlines() == [
        "invoice,customer,date,due,currency,total,paid,wallet,credited,debited,written off,"
        "open,status,days overdue"
    ]
    # A customer the books do not have is said, not shown as an empty report.
    for command in ("invoices", "aging"):
        code, out, err = run(capsys, command, str(small), "--customer", "acm")
        assert (code, out) == (1, "")
        assert err == (
            f'beanbill {command}: no customer "acm" has invoices in these books (did you mean '
            '"acme"? customers with invoices: acme)\n'
        )
    # As of a date before the payments: nothing paid yet, MAR not yet issued.
    _, out, _ = run(capsys, "invoices", str(small), "--as-of", "2026-01-15", "--format", "csv")
    assert out.splitlines()[1:] == [
        f"{JAN},acme,2026-01-01,2026-01-31,USD,440.00,0.00,0.00,0.00,0.00,0.00,440.00,open,0"
    ]


def test_invoices_issued_in_a_period(small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "invoices", str(small), "--from", "2026-02-01", "--as-of", "2026-02-28",
        "--format", "csv",
    )  # fmt: skip
    assert code == 0
    assert [line.split(",")[:3] for line in out.splitlines()[1:]] == [[FEB, "acme", "2026-02-01"]]
    code, out, _ = run(
        capsys, "invoices", str(small), "--from", "2026-02-01", "--as-of", "2026-03-10"
    )
    assert out.splitlines()[0] == "Invoices issued 2026-02-01 to 2026-03-10, as of 2026-03-10"
    assert [line.split()[0] for line in out.splitlines()[3:]] == [FEB, "INV-ACME-1-20260301"]
    code, out, err = run(
        capsys, "invoices", str(small), "--from", "2026-04-01", "--as-of", "2026-03-31"
    )
    assert (code, out) == (1, "")
    assert err == "beanbill invoices: --from 2026-04-01 is after --as-of 2026-03-31\n"


def test_aging_table(small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "aging", str(small), "--as-of", "2026-04-05")
    assert code == 0
    assert out.splitlines() == [
        "Receivables aging as of 2026-04-05 (days past due)",
        "customer  currency  current    1-30  31-60  61-90   90+   total",
        "--------  --------  -------  ------  -----  -----  ----  ------",
        "acme      USD          0.00  330.00  20.00   0.00  0.00  350.00",
        "total     USD          0.00  330.00  20.00   0.00  0.00  350.00",
    ]


def test_the_default_date_is_the_books_last_event_or_today_if_earlier(
    small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Books of the past report as of their last event (the 2026-03-01 invoice).
    _, out, _ = run(capsys, "aging", str(small))
    assert out.splitlines()[0] == "Receivables aging as of 2026-03-01 (days past due)"
    # Books that already hold a later date (here a payment of 2099) report as of today: what
    # is owed and overdue now, not on a day still to come.
    later = write_books(
        tmp_path / "later", {"acme": ACME}, LEDGER, payment("2099-01-05", "1.00", JAN)
    )
    today = datetime.date.today()
    _, out, _ = run(capsys, "invoices", str(later), "--format", "table")
    lines = out.splitlines()
    assert lines[0] == f"Invoices as of {today}"
    assert [line.split()[-3] for line in lines[3:]] == ["440.00", "330.00", "330.00"]  # open
    assert [line.split()[-1] for line in lines[3:]] == [
        str((today - datetime.date(2026, 1, 31)).days),
        str((today - datetime.date(2026, 3, 3)).days),
        str((today - datetime.date(2026, 3, 31)).days),
    ]


def test_bad_as_of_is_a_usage_error(small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["aging", str(small), "--as-of", "2026-13-01"])
    assert exit_.value.code == 2
    assert "'2026-13-01' is not a date YYYY-MM-DD" in capsys.readouterr().err


def test_reports_refuse_books_with_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = write_books(tmp_path, {"acme": ACME}, LEDGER, payment("2026-01-20", "1.00", "INV-X"))
    code, out, err = run(capsys, "aging", str(ledger))
    assert (code, out) == (1, "")
    assert err.endswith(
        "beanbill aging: 1 problem(s) in the books, so no report: it would leave out what they "
        "leave out; fix them and run it again\n"
    )
    code, out, err = run(capsys, "revenue", str(ledger))
    assert (code, out) == (1, "")
    assert err.endswith(
        "beanbill revenue: 1 problem(s) in the books, so no report: it would "
        "leave out what they leave out; fix them and run it again\n"
    )


# --- the demo books against beanquery -------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> tuple[list[Any], dict[str, Any]]:
    entries, errors, options = loader.load_file(str(DEMO))
    assert errors == []
    return entries, options


def beanquery_aging(
    entries: list[Any], options: dict[str, Any], as_of: datetime.date
) -> dict[tuple[str, str], dict[str, Decimal]]:
    """Aging from beanquery alone: receivable postings by invoice (posting or entry
    `invoice-id`), each invoice's due date and customer from its invoice entry.

    (Not `any_meta`: beanquery 0.2 returns None for a posting without metadata instead of
    falling back to the entry's, and generated postings have none.)"""
    _, balances = query.run_query(
        entries,
        options,
        "SELECT account, coalesce(meta('invoice-id'), entry_meta('invoice-id')) AS invoice, "
        "currency, sum(number) AS open "
        "WHERE account ~ '^Assets:AccountsReceivable:Customers:' AND date <= {} "
        "GROUP BY account, invoice, currency",
        as_of.isoformat(),
    )
    _, issued = query.run_query(
        entries,
        options,
        "SELECT DISTINCT entry_meta('invoice-id') AS invoice, entry_meta('customer') AS "
        "customer, entry_meta('due-date') AS due "
        "WHERE account ~ '^Assets:AccountsReceivable:Customers:' AND number > 0 "
        "AND entry_meta('due-date') IS NOT NULL AND date <= {}",
        as_of.isoformat(),
    )
    invoices = {invoice: (customer, due) for invoice, customer, due in issued}
    aged: dict[tuple[str, str], dict[str, Decimal]] = {}
    for _, invoice, currency, open_ in balances:
        if open_ == 0:
            continue
        customer, due = invoices[invoice]
        buckets = aged.setdefault((customer, currency), dict.fromkeys(BUCKETS, D(0)))
        buckets[bucket((as_of - due).days)] += open_
    return aged


@pytest.mark.parametrize("as_of", ["2026-03-31", "2026-06-15", "2026-09-30", "2026-12-01"])
def test_demo_aging_matches_beanquery(
    demo: tuple[list[Any], dict[str, Any]], as_of: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "aging", str(DEMO), "--as-of", as_of, "--format", "json")
    assert code == 0
    reported = {
        (row["customer"], row["currency"]): {b: D(row[b]) for b in BUCKETS}
        for row in json.loads(out)
    }
    assert reported  # something is owed on every one of these dates
    expected = beanquery_aging(*demo, datetime.date.fromisoformat(as_of))
    assert reported == expected
    # Per customer, the aging total is the receivable's balance.
    _, totals = query.run_query(
        demo[0],
        demo[1],
        "SELECT account, currency, sum(number) AS balance "
        "WHERE account ~ '^Assets:AccountsReceivable:Customers:' AND date <= {} "
        "GROUP BY account, currency",
        as_of,
    )
    assert sorted(sum(b.values(), D(0)) for b in reported.values()) == sorted(
        balance for _, _, balance in totals if balance != 0
    )


def test_demo_check_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", str(DEMO))
    assert (code, err) == (0, "")
    assert "is consistent" in out
