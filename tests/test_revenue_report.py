"""The revenue waterfall report: the pure function and `beanbill revenue`."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data

from beanbill import cli
from beanbill.reports import revenue_rows
from beanbill.revenue_report import PostingRow, waterfall
from tests.test_recognition import HEADER, invoice

D = datetime.date


def test_waterfall_sums_income_per_month_and_takes_balances_at_month_end() -> None:
    rows = [
        PostingRow(D(2026, 1, 1), "Liabilities:DeferredRevenue", Decimal("-300.00"), "USD"),
        PostingRow(D(2026, 1, 31), "Liabilities:DeferredRevenue", Decimal("100.00"), "USD"),
        PostingRow(D(2026, 1, 31), "Income:Subscriptions", Decimal("-100.00"), "USD"),
        PostingRow(D(2026, 2, 10), "Assets:UnbilledRevenue", Decimal("40.00"), "USD"),
        PostingRow(D(2026, 2, 10), "Income:Usage", Decimal("-40.00"), "USD"),
        PostingRow(D(2026, 2, 28), "Liabilities:DeferredRevenue", Decimal("100.00"), "USD"),
        PostingRow(D(2026, 2, 28), "Income:Subscriptions", Decimal("-100.00"), "USD"),
        PostingRow(D(2026, 2, 28), "Assets:Cash", Decimal("999.00"), "USD"),  # not revenue
    ]
    months = waterfall(rows)
    assert [(m.month, m.recognised, m.total, m.deferred, m.unbilled) for m in months] == [
        (
            "2026-01",
            {"Income:Subscriptions": Decimal("100.00")},
            Decimal("100.00"),
            Decimal("200.00"),
            0,
        ),
        (
            "2026-02",
            {"Income:Subscriptions": Decimal("100.00"), "Income:Usage": Decimal("40.00")},
            Decimal("140.00"),
            Decimal("100.00"),
            Decimal("40.00"),
        ),
    ]


def test_net_revenue_takes_off_what_returns_and_allowances_took_back() -> None:
    # January: 100.00 recognised. February: 100.00 recognised; a credit memo takes back 30.00
    # of revenue already earned and a promotional wallet credit of 50.00 is granted (both to
    # Sales Returns and Allowances, contra-revenue); March: a debit memo's earned share comes
    # back to Income, and a returned allowance (a credit memo reversed by hand) of 5.00.
    returns = "Expenses:SalesReturnsAndAllowances"
    rows = [
        PostingRow(D(2026, 1, 31), "Income:Subscriptions", Decimal("-100.00"), "USD"),
        PostingRow(D(2026, 2, 28), "Income:Subscriptions", Decimal("-100.00"), "USD"),
        PostingRow(D(2026, 2, 10), returns, Decimal("30.00"), "USD"),
        PostingRow(D(2026, 2, 15), returns, Decimal("50.00"), "USD"),
        PostingRow(D(2026, 3, 5), "Income:Subscriptions", Decimal("-12.00"), "USD"),
        PostingRow(D(2026, 3, 9), returns, Decimal("-5.00"), "USD"),
    ]
    months = waterfall(rows)
    assert [(m.month, m.total, m.returns, m.net) for m in months] == [
        ("2026-01", Decimal("100.00"), Decimal("0.00"), Decimal("100.00")),
        ("2026-02", Decimal("100.00"), Decimal("80.00"), Decimal("20.00")),
        ("2026-03", Decimal("12.00"), Decimal("-5.00"), Decimal("17.00")),
    ]


def test_the_demo_net_revenue_is_its_income_statement(capsys: pytest.CaptureFixture[str]) -> None:
    # Income less Sales Returns and Allowances, month by month, as the books hold them.
    ledger = Path(__file__).resolve().parent.parent / "ledgers" / "main.beancount"
    assert cli.main(["revenue", str(ledger), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    entries, _, _ = loader.load_file(str(ledger))
    for row in rows:
        moved = {"income": Decimal(0), "returns": Decimal(0)}
        for entry in entries:
            if not isinstance(entry, data.Transaction) or f"{entry.date:%Y-%m}" != row["month"]:
                continue
            for posting in entry.postings:
                if posting.units.currency != row["currency"]:
                    continue
                if posting.account.startswith("Income:"):
                    moved["income"] -= posting.units.number
                elif posting.account == "Expenses:SalesReturnsAndAllowances":
                    moved["returns"] += posting.units.number
        assert (Decimal(row["returns"]), Decimal(row["net"])) == (
            moved["returns"],
            moved["income"] - moved["returns"],
        ), row
    assert sum(Decimal(row["returns"]) for row in rows if row["currency"] == "USD") > 0


def test_a_month_that_credits_the_deferred_balance_back_to_zero_is_shown() -> None:
    rows = [
        PostingRow(D(2025, 12, 1), "Liabilities:DeferredRevenue", Decimal("-100.00"), "USD"),
        PostingRow(D(2025, 12, 31), "Liabilities:DeferredRevenue", Decimal("50.00"), "USD"),
        PostingRow(D(2025, 12, 31), "Income:Subscriptions", Decimal("-50.00"), "USD"),
        # a credit memo in January takes back what was not yet recognised: no revenue
        PostingRow(D(2026, 1, 10), "Liabilities:DeferredRevenue", Decimal("50.00"), "USD"),
        # February: nothing happens and nothing is owed; March: a new invoice, in EUR only
        PostingRow(D(2026, 3, 1), "Liabilities:DeferredRevenue", Decimal("-30.00"), "EUR"),
    ]
    months = waterfall(rows)
    assert [(m.month, m.currency, m.total, m.deferred) for m in months] == [
        ("2025-12", "USD", Decimal("50.00"), Decimal("50.00")),
        ("2026-01", "USD", 0, 0),
        ("2026-03", "EUR", 0, Decimal("30.00")),
    ]


def test_zeros_are_written_to_the_currencys_minor_unit() -> None:
    rows = [
        PostingRow(D(2026, 1, 1), "Liabilities:DeferredRevenue", Decimal("-300.00"), "USD"),
        PostingRow(D(2026, 1, 1), "Liabilities:DeferredRevenue", Decimal("-3000"), "JPY"),
        PostingRow(D(2026, 2, 28), "Liabilities:DeferredRevenue", Decimal("300.00"), "USD"),
        PostingRow(D(2026, 2, 28), "Income:Subscriptions", Decimal("-300.00"), "USD"),
    ]
    cells = [
        (m.month, m.currency, str(m.total), str(m.deferred), str(m.unbilled))
        for m in waterfall(rows)
    ]
    # January: nothing recognised, and no unbilled revenue ever: 0.00 USD and 0 JPY, not 0
    assert cells == [
        ("2026-01", "JPY", "0", "3000", "0"),
        ("2026-01", "USD", "0.00", "300.00", "0.00"),
        ("2026-02", "JPY", "0", "3000", "0"),
        ("2026-02", "USD", "300.00", "0.00", "0.00"),
    ]


def test_waterfall_of_nothing_is_empty() -> None:
    assert waterfall([PostingRow(D(2026, 1, 1), "Assets:Cash", Decimal(1), "USD")]) == []


def test_revenue_rows_are_the_revenue_postings_summed_per_day_account_and_currency() -> None:
    text = HEADER + invoice("2026-01-01", "300.00", "monthly", "2026-01-01", "2026-03-31")
    text += invoice(
        "2026-01-01", "60.00", "monthly", "2026-01-01", "2026-03-31", invoice_id="INV-2"
    )
    entries, errors, _ = loader.load_string(text)
    assert errors == []
    rows = sorted(revenue_rows(entries), key=lambda r: (r.date, r.account))
    assert [(r.date, r.account, r.amount, r.currency) for r in rows] == [
        (D(2026, 1, 1), "Liabilities:DeferredRevenue", Decimal("-360.00"), "USD"),
        (D(2026, 1, 31), "Income:SalesAndServicesRevenue", Decimal("-120.00"), "USD"),
        (D(2026, 1, 31), "Liabilities:DeferredRevenue", Decimal("120.00"), "USD"),
        (D(2026, 2, 28), "Income:SalesAndServicesRevenue", Decimal("-120.00"), "USD"),
        (D(2026, 2, 28), "Liabilities:DeferredRevenue", Decimal("120.00"), "USD"),
        (D(2026, 3, 31), "Income:SalesAndServicesRevenue", Decimal("-120.00"), "USD"),
        (D(2026, 3, 31), "Liabilities:DeferredRevenue", Decimal("120.00"), "USD"),
    ]  # the receivables are not revenue rows
    each = [
        PostingRow(e.date, p.account, p.units.number, p.units.currency)
        for e in entries
        if isinstance(e, data.Transaction)
        for p in e.postings
    ]
    assert waterfall(rows) == waterfall(each)


def test_revenue_command_prints_the_schedule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = tmp_path / "main.beancount"
    ledger.write_text(
        HEADER + invoice("2026-01-01", "12000.00", "daily", "2026-01-01", "2026-12-31")
    )
    assert cli.main(["revenue", str(ledger), "--to", "2026-02", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {
            "month": "2026-01",
            "currency": "USD",
            "Income:SalesAndServicesRevenue": "1019.18",
            "recognised": "1019.18",
            "returns": "0.00",
            "net": "1019.18",
            "deferred": "10980.82",
            "unbilled": "0.00",
        },
        {
            "month": "2026-02",
            "currency": "USD",
            "Income:SalesAndServicesRevenue": "920.55",
            "recognised": "920.55",
            "returns": "0.00",
            "net": "920.55",
            "deferred": "10060.27",
            "unbilled": "0.00",
        },
    ]
    assert cli.main(["revenue", str(ledger), "--from", "2026-12", "--csv"]) == 0
    assert capsys.readouterr().out == (
        "month,currency,Income:SalesAndServicesRevenue,recognised,returns,net,deferred,unbilled\n"
        "2026-12,USD,1019.18,1019.18,0.00,1019.18,0.00,0.00\n"
    )
    # Months the wrong way round are said, not an empty table.
    assert cli.main(["revenue", str(ledger), "--from", "2026-12", "--to", "2026-01"]) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", "beanbill revenue: --to 2026-01 is before --from 2026-12\n")


def test_revenue_command_table_is_aligned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = tmp_path / "main.beancount"
    ledger.write_text(
        HEADER + invoice("2026-01-01", "12000.00", "monthly", "2026-01-01", "2026-12-31")
    )
    assert cli.main(["revenue", str(ledger), "--to", "2026-01"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "month",
        "currency",
        "Income:SalesAndServicesRevenue",
        "recognised",
        "returns",
        "net",
        "deferred",
        "unbilled",
    ]
    assert lines[2].split() == [
        "2026-01",
        "USD",
        "1000.00",
        "1000.00",
        "0.00",
        "1000.00",
        "11000.00",
        "0.00",
    ]


def test_bad_month_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        cli.main(["revenue", str(tmp_path / "x.beancount"), "--from", "January"])


def test_a_month_out_of_range_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["revenue", str(tmp_path / "x.beancount"), "--to", "9999-12"])
    assert "'9999-12' is out of range (years 1900 to 2999)" in capsys.readouterr().err
