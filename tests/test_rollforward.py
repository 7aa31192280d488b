"""The deferred revenue roll-forward: the pure function on hand-made moves, and `beanbill
rollforward` on books loaded by Beancount, tied out to the Deferred Revenue balances."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data

from beanbill import cli
from beanbill.rollforward import ADJUSTED, BILLED, RECOGNISED, DeferredMove, roll_forward
from tests.test_adjustments import ACME, TWO_CONTRACTS, write_books
from tests.test_fava_extension import LEDGER

D = Decimal
day = datetime.date.fromisoformat
MEMO = (
    "  - {type: credit_memo, id: CM-1, date: 2026-02-15, invoice: INV-ACME-1-20260201,\n"
    '     amount: "55.00", reason: Outage}\n'
)


def move(
    date: str, contract: str, invoice: str, kind: str, amount: str, currency: str = "USD"
) -> DeferredMove:
    return DeferredMove(day(date), contract, invoice, kind, D(amount), currency)


def test_a_period_opens_with_what_was_owed_and_closes_with_what_is_owed() -> None:
    moves = [
        move("2026-01-01", "C-1", "INV-1", BILLED, "1200.00"),  # a year, billed in advance
        move("2026-01-31", "C-1", "INV-1", RECOGNISED, "-100.00"),
        move("2026-02-28", "C-1", "INV-1", RECOGNISED, "-100.00"),
        move("2026-03-01", "C-1", "INV-2", BILLED, "50.00"),  # an add-on, in the period
        move("2026-03-10", "C-1", "INV-1", ADJUSTED, "-30.00"),  # a credit memo's share
        move("2026-03-31", "C-1", "INV-1", RECOGNISED, "-97.00"),
        move("2026-03-31", "C-1", "INV-2", RECOGNISED, "-20.00"),
        move("2026-04-30", "C-1", "INV-1", RECOGNISED, "-97.00"),  # after the period
        move("2026-01-01", "J-1", "INV-J", BILLED, "12000", "JPY"),
        move("2026-01-31", "J-1", "INV-J", RECOGNISED, "-12000", "JPY"),  # all before
        move("2026-03-01", "Z-1", "INV-Z", BILLED, "0", "JPY"),
    ]
    rows = roll_forward(moves, day("2026-03-01"), day("2026-03-31"))
    assert [tuple(r) for r in rows] == [
        # 1000.00 owed on 1 March; 117.00 recognised, 97.00 of it from that opening balance
        # (the add-on's 20.00 was billed in the period); 30.00 credited.
        ("C-1", "USD", D("1000.00"), D("50.00"), D("117.00"), D("97.00"), D("-30.00"),
         D("903.00")),
        ("total", "USD", D("1000.00"), D("50.00"), D("117.00"), D("97.00"), D("-30.00"),
         D("903.00")),
    ]  # fmt: skip
    # J-1 owed nothing and moved nothing in March, and Z-1 billed nothing: left out.
    rows = roll_forward(moves, day("2026-01-01"), day("2026-01-31"))
    assert [(r.contract, r.currency, r.opening, r.closing) for r in rows] == [
        ("C-1", "USD", D("0.00"), D("1100.00")),
        ("J-1", "JPY", D("0"), D("0")),
        ("total", "JPY", D("0"), D("0")),
        ("total", "USD", D("0.00"), D("1100.00")),
    ]
    assert str(rows[0].opening) == "0.00" and str(rows[1].opening) == "0"


def test_rollforward_ties_out_to_the_books(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = write_books(tmp_path, {"acme": ACME + MEMO}, LEDGER)
    args = ["rollforward", str(ledger), "--from", "2026-02-10", "--to", "2026-03-10"]
    assert cli.main(args) == 0
    # Owed on 9 February: February's 300.00 (released at the month's end). In the period:
    # March billed; February recognised, less the 27.50 the credit memo took of its
    # unrecognised share (the rest of the memo, 27.50, was already recognised: Sales Returns).
    assert capsys.readouterr().out.splitlines() == [
        "Deferred revenue from 2026-02-10 to 2026-03-10",
        "contract  currency  opening  billed  recognised  of which opening  adjusted  closing",
        "--------  --------  -------  ------  ----------  ----------------  --------  -------",
        "ACME-1    USD        300.00  300.00      272.50            272.50    -27.50   300.00",
        "total     USD        300.00  300.00      272.50            272.50    -27.50   300.00",
    ]
    assert cli.main([*args, "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1] == "ACME-1,USD,300.00,300.00,272.50,272.50,-27.50,300.00"
    # Opening and closing are the ledger's Deferred Revenue balances on 9 February and
    # 10 March (March's invoice is released on 31 March).
    entries, errors, _ = loader.load_file(str(ledger))
    assert errors == []
    owed = [
        -sum(
            (
                p.units.number
                for e in entries
                if isinstance(e, data.Transaction) and e.date <= until
                for p in e.postings
                if p.account == "Liabilities:DeferredRevenue"
            ),
            D(0),
        )
        for until in (day("2026-02-09"), day("2026-03-10"))
    ]
    assert owed == [D("300.00"), D("300.00")]
    bad = ["rollforward", str(ledger), "--from", "2026-03-01", "--to", "2026-02-01"]
    assert cli.main(bad) == 1
    assert "--to 2026-02-01 is before --from 2026-03-01" in capsys.readouterr().err


def test_a_consolidated_invoice_rolls_forward_per_contract(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One invoice for ACME-1's January (300.00) and ACME-2's quarter (300.00), and a memo on
    # ACME-2's line: each contract's own row, not one "ACME-1, ACME-2".
    memo = (
        "  - {type: credit_memo, id: CM-1, date: 2026-01-01, invoice: INV-acme-20260101,\n"
        '     lines: [{product: platform, contract: ACME-2, amount: "40.00"}]}\n'
    )
    ledger = write_books(tmp_path, {"acme": TWO_CONTRACTS + memo})
    assert cli.main(["rollforward", str(ledger), "--from", "2026-01-01", "--to", "2026-01-31"]) == 0
    assert capsys.readouterr().out.splitlines()[3:6] == [
        "ACME-1    USD          0.00  300.00      300.00              0.00      0.00     0.00",
        # 31 of the quarter's 90 days: 103.33 of the line, less 13.78 of the memo's 40.00
        "ACME-2    USD          0.00  300.00       89.55              0.00    -40.00   170.45",
        "total     USD          0.00  600.00      389.55              0.00    -40.00   170.45",
    ]
    # The invoice and its releases say each line's contract.
    entries, errors, _ = loader.load_file(str(ledger))
    assert errors == []
    releases = [
        e for e in entries if isinstance(e, data.Transaction) and e.date == day("2026-01-31")
    ]
    contracts = [p.meta["contract"] for e in releases for p in e.postings if p.meta]
    assert sorted(contracts) == ["ACME-1", "ACME-2", "ACME-2"]
