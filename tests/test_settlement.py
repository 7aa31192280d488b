"""The settlement plugin through Beancount's loader: payments (linked, FIFO, split, gateway,
TDS), overpayments, wallets, write-offs, refunds, statuses; every problem with its message and
line."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount.core import data

from beanbill.books import read_settlement
from beanbill.plugins import settlement as settlement_plugin
from beanbill.receivables import aging, invoice_rows
from tests.test_adjustments import ACME, balance, by_meta, load, postings

D = Decimal
AR = "Assets:AccountsReceivable:Customers:Acme"
CONTRA = "Liabilities:ContraAccountsReceivable:Customers:Acme"
WALLET = "Liabilities:CustomerWallet:Acme"
JAN, FEB, MAR = "INV-ACME-1-20260101", "INV-ACME-1-20260201", "INV-ACME-1-20260301"
# ACME's invoices: JAN 440.00 (platform 300.00 + onboarding 100.00 + 10% tax), due 01-31;
# FEB 330.00, due 03-03; MAR 330.00, due 03-31.

LEDGER = """\
option "operating_currency" "USD"
plugin "beanbill.plugins.contracts" "{path: contracts, until: 2026-12-31}"
plugin "beanbill.plugins.recognition"
plugin "beanbill.plugins.settlement"
plugin "beanbill.plugins.chart"
2026-01-01 open Assets:Cash:Bank
2026-01-01 open Assets:AccountsReceivable:PaymentGateways:Stripe
"""


def payment(date: str, amount: str, invoice: str | None = None, links: str = "") -> str:
    link = f" ^{invoice}" if invoice else ""
    meta = f'\n  invoice-id: "{invoice}"' if invoice else ""
    return (
        f'\n{date} * "Acme Corp" "Payment"{link}{links}{meta}\n'
        f"  Assets:Cash:Bank   {amount} USD\n"
        f"  {AR}  -{amount} USD\n"
    )


def books(
    tmp_path: Path, extra: str = "", adjustments: str = "", ledger: str = LEDGER
) -> tuple[list[data.Directive], list[Any]]:
    return load(tmp_path, {"acme": ACME + adjustments}, ledger, extra)


def invoice(entries: list[data.Directive], invoice_id: str) -> data.Transaction:
    found = [
        e
        for e in entries
        if isinstance(e, data.Transaction)
        and e.meta.get("invoice-id") == invoice_id
        and "due-date" in e.meta
    ]
    assert len(found) == 1
    return found[0]


def status(entries: list[data.Directive], invoice_id: str) -> tuple[str, Decimal]:
    meta = invoice(entries, invoice_id).meta
    return meta["status"], meta["open-balance"].number


def generated(entries: list[data.Directive], kind: str) -> list[data.Transaction]:
    return [
        e for e in entries if isinstance(e, data.Transaction) and e.meta.get("adjustment") == kind
    ]


def line_of(ledger_text: str, needle: str) -> int:
    return ledger_text[: ledger_text.index(needle)].count("\n") + 1


# --- payments -------------------------------------------------------------------------------


def test_linked_payments_settle_their_invoices(tmp_path: Path) -> None:
    extra = payment("2026-01-20", "440.00", JAN) + payment("2026-03-10", "200.00", FEB)
    entries, errors = books(tmp_path, extra)
    assert errors == []
    assert status(entries, JAN) == ("paid", D("0.00"))
    assert status(entries, FEB) == ("overdue", D("130.00"))  # due 03-03, as of 03-10
    assert status(entries, MAR) == ("open", D("330.00"))
    meta = invoice(entries, MAR).meta
    assert meta["status-date"] == datetime.date(2026, 3, 10)  # the last payment
    # A plain linked payment is left as written.
    paid = [e for e in entries if isinstance(e, data.Transaction) and e.narration == "Payment"]
    assert all("applied-to" not in p.meta for p in paid)
    assert balance(entries, AR, datetime.date(2026, 3, 31)) == D("460.00")


def test_status_as_of_a_configured_date(tmp_path: Path) -> None:
    ledger = LEDGER.replace('settlement"', 'settlement" "2026-02-15"')
    extra = payment("2026-01-20", "100.00", JAN)
    entries, errors = books(tmp_path, extra, ledger=ledger)
    assert errors == []
    assert status(entries, JAN) == ("overdue", D("340.00"))
    assert status(entries, FEB) == ("open", D("330.00"))
    assert "status" not in invoice(entries, MAR).meta  # not issued yet on 02-15
    _, errors = books(tmp_path, extra, ledger=LEDGER.replace('settlement"', 'settlement" "soon"'))
    assert [e.message for e in errors] == [
        'beanbill.plugins.settlement: config must be a date YYYY-MM-DD, not "soon"'
    ]


def test_partial_payment_before_the_due_date(tmp_path: Path) -> None:
    entries, errors = books(tmp_path, payment("2026-01-20", "40.00", JAN))
    assert errors == []
    ledger = LEDGER.replace('settlement"', 'settlement" "2026-01-25"')
    entries, errors = books(tmp_path, payment("2026-01-20", "40.00", JAN), ledger=ledger)
    assert status(entries, JAN) == ("partially_paid", D("400.00"))


def test_overpayment_is_reclassified_to_the_contra_receivable(tmp_path: Path) -> None:
    extra = payment("2026-01-20", "440.00", JAN) + payment("2026-01-22", "440.00", JAN)
    entries, errors = books(tmp_path, extra)
    assert errors == []
    (reclass,) = generated(entries, "overpayment")
    assert reclass.date == datetime.date(2026, 1, 22)
    assert reclass.narration == f"Overpayment of {JAN} to Acme's unapplied cash"
    assert reclass.links == {JAN} and reclass.meta["invoice-id"] == JAN
    assert postings(reclass) == [(AR, D("440.00")), (CONTRA, D("-440.00"))]
    assert reclass.meta["filename"] == "<beanbill:main.beancount>"
    assert (
        reclass.meta["beanbill-source"] == f"main.beancount:{line_of(LEDGER + extra, '2026-01-22')}"
    )
    assert status(entries, JAN) == ("paid", D("0.00"))
    day = datetime.date(2026, 1, 31)
    assert balance(entries, AR, day) == D(0)
    assert balance(entries, CONTRA, day) == D("-440.00")


def by_invoice_id(entries: list[data.Directive], invoice_id: str) -> Decimal:
    """What the receivable postings naming `invoice_id` (on the posting or, else, on its
    transaction) add up to: the invoice's open balance."""
    return sum(
        (
            p.units.number
            for e in entries
            if isinstance(e, data.Transaction)
            for p in e.postings
            if p.account == AR
            and (p.meta or {}).get("invoice-id", e.meta.get("invoice-id")) == invoice_id
        ),
        D(0),
    )


def test_an_overpayment_names_its_invoice_however_the_payment_named_it(tmp_path: Path) -> None:
    # Found by tests/test_fuzz.py: a payment naming its invoice by link only lost the
    # invoice-id on its overpaid part, while the reclass kept it: by invoice-id, the
    # receivable postings of JAN added up to 10.00, not to its open balance of 0.
    by_link = (
        f'\n2026-01-20 * "Acme Corp" "Payment" ^{JAN}\n'
        f"  Assets:Cash:Bank   450.00 USD\n  {AR}  -450.00 USD\n"
    )
    by_metadata = payment("2026-02-10", "340.00", FEB)
    entries, errors = books(tmp_path, by_link + by_metadata)
    assert errors == []
    assert [r.meta["invoice-id"] for r in generated(entries, "overpayment")] == [JAN, FEB]
    assert status(entries, JAN) == ("paid", D("0.00"))
    assert by_invoice_id(entries, JAN) == D("0.00")
    assert status(entries, FEB) == ("paid", D("0.00"))
    assert by_invoice_id(entries, FEB) == D("0.00")


def test_unlinked_payment_is_applied_fifo_and_says_so(tmp_path: Path) -> None:
    extra = payment("2026-03-05", "800.00")
    entries, errors = books(tmp_path, extra)
    assert errors == []
    paid = [e for e in entries if isinstance(e, data.Transaction) and e.narration == "Payment"]
    (entry,) = paid
    assert entry.meta["beanbill-fifo"] is True
    assert entry.meta["applied-to"] == f"{JAN} 440.00 USD, {FEB} 330.00 USD, {MAR} 30.00 USD"
    assert entry.links == {JAN, FEB, MAR}
    assert postings(entry) == [
        ("Assets:Cash:Bank", D("800.00")),
        (AR, D("-440.00")),
        (AR, D("-330.00")),
        (AR, D("-30.00")),
    ]
    assert [p.meta.get("invoice-id") for p in entry.postings[1:]] == [JAN, FEB, MAR]
    assert entry.meta["filename"].endswith("main.beancount")  # still the hand-written entry
    assert [status(entries, i) for i in (JAN, FEB, MAR)] == [
        ("paid", D("0.00")),
        ("paid", D("0.00")),
        ("partially_paid", D("300.00")),
    ]


def test_fifo_excess_is_an_overpayment(tmp_path: Path) -> None:
    entries, errors = books(tmp_path, payment("2026-03-05", "1200.00"))
    assert errors == []
    (entry,) = [e for e in entries if isinstance(e, data.Transaction) and e.narration == "Payment"]
    assert entry.meta["applied-to"] == (
        f"{JAN} 440.00 USD, {FEB} 330.00 USD, {MAR} 330.00 USD, overpayment 100.00 USD"
    )
    assert postings(entry)[-1] == (AR, D("-100.00"))
    assert "invoice-id" not in (entry.postings[-1].meta or {})
    (reclass,) = generated(entries, "overpayment")
    assert reclass.links == frozenset() and "invoice-id" not in reclass.meta
    assert postings(reclass) == [(AR, D("100.00")), (CONTRA, D("-100.00"))]


def test_payment_naming_two_invoices_is_split_oldest_first(tmp_path: Path) -> None:
    extra = (
        f'\n2026-02-10 * "Acme Corp" "Two invoices"\n  invoice-id: "{FEB}, {JAN}"\n'
        f"  Assets:Cash:Bank   500.00 USD\n  {AR}  -500.00 USD\n"
    )
    entries, errors = books(tmp_path, extra)
    assert errors == []
    entry = by_meta(entries, "invoice-id", f"{FEB}, {JAN}")
    assert entry.meta["applied-to"] == f"{JAN} 440.00 USD, {FEB} 60.00 USD"
    assert "beanbill-fifo" not in entry.meta
    assert status(entries, FEB) == ("partially_paid", D("270.00"))


def test_gateway_payment_with_fee_and_tds_payment_settle_the_gross(tmp_path: Path) -> None:
    extra = (
        f'\n2026-01-20 * "Acme Corp" "Stripe payment" ^{JAN}\n'
        f"  Assets:AccountsReceivable:PaymentGateways:Stripe   426.94 USD\n"
        f"  Expenses:PaymentGatewayFees                          13.06 USD\n"
        f"  {AR}  -440.00 USD\n"
        f'\n2026-02-20 * "Acme Corp" "Payment less 10% TDS" ^{FEB}\n'
        f"  Assets:Cash:Bank     297.00 USD\n"
        f"  Assets:TDSReceivable  33.00 USD\n"
        f"  {AR}  -330.00 USD\n"
    )
    entries, errors = books(tmp_path, extra + "2026-01-01 open Assets:TDSReceivable\n"
                            "2026-01-01 open Expenses:PaymentGatewayFees\n")  # fmt: skip
    assert errors == []
    assert status(entries, JAN) == ("paid", D("0.00"))
    assert status(entries, FEB) == ("paid", D("0.00"))
    # Linked by the link alone: the receivable posting says which invoice it paid.
    stripe = [
        e for e in entries if isinstance(e, data.Transaction) and e.narration == "Stripe payment"
    ]
    assert stripe[0].meta["applied-to"] == f"{JAN} 440.00 USD"
    assert stripe[0].postings[2].meta["invoice-id"] == JAN


# --- memos and write-offs -------------------------------------------------------------------


def test_credit_memo_against_a_partly_paid_invoice(tmp_path: Path) -> None:
    memo = (
        "  - {type: credit_memo, id: CM-1, date: 2026-02-10, invoice: INV-ACME-1-20260201,\n"
        '     amount: "100.00"}\n'
    )
    entries, errors = books(tmp_path, payment("2026-02-05", "200.00", FEB), memo)
    assert errors == []
    entry = by_meta(entries, "memo-id", "CM-1")
    # 9 of February's 28 days recognised: 32.14.
    assert postings(entry) == [
        (AR, D("-110.00")),
        ("Expenses:SalesReturnsAndAllowances", D("32.14")),
        ("Liabilities:DeferredRevenue", D("67.86")),
        ("Liabilities:SalesTax:CA", D("10.00")),
    ]
    assert status(entries, FEB) == ("partially_paid", D("20.00"))
    assert balance(entries, AR, datetime.date(2026, 2, 28)) == D("460.00")  # JAN 440 + FEB 20


def test_credit_memo_above_the_open_balance_is_an_error_at_its_yaml_line(tmp_path: Path) -> None:
    memo = (
        "  - {type: credit_memo, id: CM-1, date: 2026-02-10, invoice: INV-ACME-1-20260201,\n"
        '     amount: "120.00"}\n'
    )
    _entries, errors = books(tmp_path, payment("2026-02-05", "200.00", FEB), memo)
    assert [(e.source["filename"], e.source["lineno"], e.message) for e in errors] == [
        (
            str(tmp_path / "contracts" / "customers" / "acme.yaml"),
            17,
            "credit memo CM-1: 132.00 USD, tax included, is more than the open balance of "
            "INV-ACME-1-20260201 on 2026-02-10 (130.00 USD); credit at most what is still owed, "
            "and give the rest as a wallet credit (type: credit), which pays the next invoices, "
            "or then a refund from the wallet (type: refund, from: wallet): see docs/how-to.md",
        )
    ]


# A monthly price of 69.00 with VAT 19% included: 57.98 net + 11.02 VAT an invoice. February's
# (INV-BRIO-1-20260220) is paid 29.40 on 1 March: 39.60 is left to pay.
BRIO = """\
customer: {id: brio, account: Brio, name: Brio GmbH, currency: EUR}
contracts:
  - id: BRIO-1
    start: 2026-01-20
    end: 2026-07-19
    billing: {cadence: monthly, timing: advance, anchor: start}
    phases:
      - start: 2026-01-20
        products:
          - product: platform
            pricing: {model: flat_fee, price: "69.00"}
        taxes: [vat]
adjustments:
"""
BRIO_FEB = "INV-BRIO-1-20260220"
BRIO_PAYMENT = f"""
2026-03-01 * "Brio GmbH" "Payment" ^{BRIO_FEB}
  Assets:Cash:Bank   29.40 EUR
  Assets:AccountsReceivable:Customers:Brio  -29.40 EUR
"""


# what a credit memo above the open balance is told to do
GENERIC = (
    "; credit at most what is still owed, and give the rest as a wallet credit (type: credit), "
    "which pays the next invoices, or then a refund from the wallet (type: refund, from: "
    "wallet): see docs/how-to.md"
)


def brio_memo(given: str) -> str:
    return (
        f"  - {{type: credit_memo, id: CM-BRIO-1, date: 2026-03-10, invoice: {BRIO_FEB},\n"
        f"     {given}}}\n"
    )


def test_a_credit_memo_total_credits_exactly_the_open_balance(tmp_path: Path) -> None:
    # Net of tax, 39.60 cannot be reached: 33.28 makes 39.61 (VAT 6.33), 33.27 makes 39.59
    # (VAT 6.32) and leaves 0.01 overdue. Given tax included, the memo credits 39.60: VAT
    # 39.60 x 11.02 / 69.00 = 6.32, net 33.28 (18 of the period's 28 days recognised: 21.39).
    customers = {"brio": BRIO + brio_memo('total: "39.60"')}
    entries, errors = load(tmp_path, customers, LEDGER, BRIO_PAYMENT)
    assert errors == []
    entry = by_meta(entries, "memo-id", "CM-BRIO-1")
    assert postings(entry) == [
        ("Assets:AccountsReceivable:Customers:Brio", D("-39.60")),
        ("Expenses:SalesReturnsAndAllowances", D("21.39")),
        ("Liabilities:DeferredRevenue", D("11.89")),
        ("Liabilities:SalesTax:DE", D("6.32")),
    ]
    assert all(p.units.number == p.units.number.quantize(D("0.01")) for p in entry.postings)
    net = sum((p.units.number for p in entry.postings[1:3]), D(0))
    assert net + entry.postings[3].units.number == D("39.60")
    assert status(entries, BRIO_FEB) == ("paid", D("0.00"))
    # By amount, 33.27 was the nearest below: 0.01 left overdue.
    customers = {"brio": BRIO + brio_memo('amount: "33.27"')}
    entries, errors = load(tmp_path / "amount", customers, LEDGER, BRIO_PAYMENT)
    assert errors == []
    assert status(entries, BRIO_FEB) == ("overdue", D("0.01"))


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        (
            'amount: "33.28"',
            " by 0.01 EUR: a net amount plus its tax, rounded, cannot make every total; to credit "
            'exactly what is left, give total: "39.60" (tax included) in place of amount',
        ),
        (
            'lines: [{product: platform, amount: "33.28"}]',
            " by 0.01 EUR: a net amount plus its tax, rounded, cannot make every total; to credit "
            'exactly what is left, give total: "39.60" (tax included) in place of lines (a total '
            "is spread over all the invoice's lines)",
        ),
        # a total is posted as written: over by a cent is not the rounding of its tax
        (
            'total: "39.61"',
            GENERIC,
        ),
    ],
)
def test_a_credit_memo_over_the_open_balance_by_its_tax_rounding_suggests_total(
    tmp_path: Path, given: str, hint: str
) -> None:
    customers = {"brio": BRIO + brio_memo(given)}
    entries, errors = load(tmp_path, customers, LEDGER, BRIO_PAYMENT)
    total = -by_meta(entries, "memo-id", "CM-BRIO-1").postings[0].units.number
    assert [(e.source["lineno"], e.message) for e in errors] == [
        (
            14,
            f"credit memo CM-BRIO-1: {total} EUR, tax included, is more than the open balance "
            f"of {BRIO_FEB} on 2026-03-10 (39.60 EUR)" + hint,
        )
    ]


def test_total_is_suggested_only_for_a_memo_with_tax_a_few_cents_over(tmp_path: Path) -> None:
    def problems(customer: str, given: str, root: str) -> list[str]:
        customers = {"brio": customer + brio_memo(given)}
        _entries, errors = load(tmp_path / root, customers, LEDGER, BRIO_PAYMENT)
        return [e.message for e in errors]

    over = f"is more than the open balance of {BRIO_FEB} on 2026-03-10 (39.60 EUR)"
    assert problems(BRIO, 'amount: "33.28"', "cent") == [
        f"credit memo CM-BRIO-1: 39.61 EUR, tax included, {over} by 0.01 EUR: a net amount plus "
        "its tax, rounded, cannot make every total; to credit exactly what is left, give total: "
        '"39.60" (tax included) in place of amount'
    ]
    # More than a few cents over (0.15 EUR): not the rounding of its tax.
    assert problems(BRIO, 'amount: "33.40"', "more") == [
        f"credit memo CM-BRIO-1: 39.75 EUR, tax included, {over}" + GENERIC
    ]
    # Without tax, the amount is the total: 39.60 could have been given.
    untaxed = BRIO.replace("        taxes: [vat]\n", "")
    assert problems(untaxed, 'amount: "39.61"', "untaxed") == [
        f"credit memo CM-BRIO-1: 39.61 EUR, tax included, {over}" + GENERIC
    ]


def test_a_memo_crediting_the_whole_invoice_leaves_it_credited(tmp_path: Path) -> None:
    memo = (
        "  - {type: credit_memo, id: CM-1, date: 2026-02-10, invoice: INV-ACME-1-20260201,\n"
        '     amount: "300.00"}\n'
        "  - {type: debit_memo, id: DM-1, date: 2026-01-10, invoice: INV-ACME-1-20260101,\n"
        '     lines: [{product: platform, amount: "10.00"}]}\n'
    )
    entries, errors = books(tmp_path, payment("2026-01-05", "440.00", JAN), memo)
    assert errors == []
    assert status(entries, FEB) == ("credited", D("0.00"))
    assert status(entries, JAN) == ("overdue", D("11.00"))  # the debit memo reopened it


def test_write_off_takes_the_open_balance_to_bad_debt(tmp_path: Path) -> None:
    order = "  - {type: write_off, date: 2026-03-20, invoice: INV-ACME-1-20260201, reason: Gone}\n"
    entries, errors = books(tmp_path, payment("2026-02-05", "30.00", FEB), order)
    assert errors == []
    (entry,) = generated(entries, "write_off")
    assert entry.date == datetime.date(2026, 3, 20)
    assert entry.narration == f"Write-off WO-{FEB} of {FEB} — Gone"
    assert entry.links == {f"WO-{FEB}", FEB}
    assert entry.meta["write-off-id"] == f"WO-{FEB}" and entry.meta["reason"] == "Gone"
    assert postings(entry) == [("Expenses:BadDebt", D("300.00")), (AR, D("-300.00"))]
    assert entry.meta["filename"] == "<beanbill:contracts/customers/acme.yaml>"
    assert status(entries, FEB) == ("written_off", D("0.00"))


def test_write_off_of_a_paid_invoice_is_an_error_at_its_yaml_line(tmp_path: Path) -> None:
    order = "  - {type: write_off, date: 2026-03-20, invoice: INV-ACME-1-20260201}\n"
    entries, errors = books(tmp_path, payment("2026-02-05", "330.00", FEB), order)
    assert [(e.source["filename"], e.source["lineno"], e.message) for e in errors] == [
        (
            str(tmp_path / "contracts" / "customers" / "acme.yaml"),
            17,
            f"write-off WO-{FEB}: invoice {FEB} is already settled on 2026-03-20 (open "
            "balance 0.00 USD); there is nothing to write off",
        )
    ]
    assert generated(entries, "write_off") == []


WRITE_OFF_FEB = "  - {type: write_off, date: 2026-03-20, invoice: INV-ACME-1-20260201}\n"


def test_a_written_off_invoice_paid_after_all_is_a_bad_debt_recovered(tmp_path: Path) -> None:
    # FEB (330.00): 30.00 paid, 300.00 written off on 03-20; on 04-15 the customer pays 400.00
    # naming it. 300.00 undoes the write-off and pays it; the 100.00 beyond is unapplied cash.
    extra = payment("2026-02-05", "30.00", FEB) + payment("2026-04-15", "400.00", FEB)
    entries, errors = books(tmp_path, extra, WRITE_OFF_FEB)
    assert errors == []
    (entry,) = generated(entries, "bad_debt_recovered")
    assert entry.date == datetime.date(2026, 4, 15)
    assert entry.narration == f"Bad debt recovered: {FEB}, written off, paid after all"
    assert entry.links == {FEB}
    assert entry.meta["invoice-id"] == FEB and entry.meta["customer"] == "acme"
    assert postings(entry) == [(AR, D("300.00")), ("Expenses:BadDebt", D("-300.00"))]
    # Listed before its payment: the write-off undone, then paid (as statements show it).
    on_the_day = [
        e.narration for e in entries if isinstance(e, data.Transaction) and e.date == entry.date
    ]
    assert on_the_day == [
        entry.narration,
        "Payment",
        f"Overpayment of {FEB} to Acme's unapplied cash",
    ]
    assert status(entries, FEB) == ("paid", D("0.00"))
    april = datetime.date(2026, 4, 30)
    assert balance(entries, "Expenses:BadDebt", april) == D("0.00")
    assert balance(entries, CONTRA, april) == D("-100.00")
    assert balance(entries, AR, april) == D("770.00")  # JAN 440.00 and MAR 330.00, unpaid
    rows = invoice_rows(read_settlement(entries), april)
    assert [(r.paid, r.written_off, r.open) for r in rows if r.invoice == FEB] == [
        (D("330.00"), D("0.00"), D("0.00"))
    ]


def test_a_partly_recovered_write_off_stays_written_off(tmp_path: Path) -> None:
    extra = payment("2026-02-05", "30.00", FEB) + payment("2026-04-15", "120.00", FEB)
    entries, errors = books(tmp_path, extra, WRITE_OFF_FEB)
    assert errors == []
    (entry,) = generated(entries, "bad_debt_recovered")
    assert postings(entry) == [(AR, D("120.00")), ("Expenses:BadDebt", D("-120.00"))]
    assert status(entries, FEB) == ("written_off", D("0.00"))
    assert balance(entries, "Expenses:BadDebt", datetime.date(2026, 4, 30)) == D("180.00")
    rows = invoice_rows(read_settlement(entries), datetime.date(2026, 4, 30))
    assert [(r.paid, r.written_off) for r in rows if r.invoice == FEB] == [
        (D("150.00"), D("180.00"))
    ]
    # Before the payment, the whole balance was written off.
    rows = invoice_rows(read_settlement(entries), datetime.date(2026, 4, 1))
    assert [(r.paid, r.written_off) for r in rows if r.invoice == FEB] == [
        (D("30.00"), D("300.00"))
    ]


def test_a_recovery_after_bad_debt_closes_is_an_overpayment_and_an_error(tmp_path: Path) -> None:
    ledger = LEDGER + "2026-01-01 open Expenses:BadDebt\n2026-04-01 close Expenses:BadDebt\n"
    extra = payment("2026-02-05", "30.00", FEB) + payment("2026-04-15", "300.00", FEB)
    entries, errors = books(tmp_path, extra, WRITE_OFF_FEB, ledger=ledger)
    recovery = [
        (e.source["lineno"], e.message) for e in errors if "bad debt recovered" in e.message
    ]
    assert recovery == [
        (
            line_of(ledger + extra, "2026-04-15"),
            f"bad debt recovered: 300.00 USD of this payment pays {FEB}, written off, but "
            "the write-off cannot be undone on 2026-04-15: it would post to Expenses:BadDebt, "
            "which the ledger closes on 2026-04-01. It is an overpayment instead; change the "
            "account's open or close in the ledger",
        )
    ]
    assert generated(entries, "bad_debt_recovered") == []
    assert status(entries, FEB) == ("written_off", D("0.00"))
    assert balance(entries, CONTRA, datetime.date(2026, 4, 30)) == D("-300.00")


def test_a_payment_naming_no_invoice_does_not_recover_a_write_off(tmp_path: Path) -> None:
    # FIFO pays what is owed (JAN and MAR); the customer did not say it paid the written-off one.
    extra = payment("2026-02-05", "30.00", FEB) + payment("2026-04-15", "1000.00")
    entries, errors = books(tmp_path, extra, WRITE_OFF_FEB)
    assert errors == []
    assert generated(entries, "bad_debt_recovered") == []
    assert status(entries, FEB) == ("written_off", D("0.00"))
    assert balance(entries, CONTRA, datetime.date(2026, 4, 30)) == D("-230.00")


# --- entries to accounts the ledger has not opened, or has closed ---------------------------


def test_a_write_off_before_bad_debt_opens_is_an_error_at_its_yaml_line(tmp_path: Path) -> None:
    order = "  - {type: write_off, date: 2026-03-20, invoice: INV-ACME-1-20260201}\n"
    ledger = LEDGER + "2026-04-01 open Expenses:BadDebt\n"
    entries, errors = books(tmp_path, payment("2026-02-05", "30.00", FEB), order, ledger=ledger)
    assert [(e.source["filename"], e.source["lineno"], e.message) for e in errors] == [
        (
            str(tmp_path / "contracts" / "customers" / "acme.yaml"),
            17,
            f"write-off WO-{FEB}: invoice {FEB} cannot be written off on 2026-03-20: it would "
            "post to Expenses:BadDebt, which the ledger opens on 2026-04-01. The invoice stays "
            "open; change the write-off's date, or the account's open or close in the ledger",
        )
    ]
    assert generated(entries, "write_off") == []
    assert status(entries, FEB) == ("overdue", D("300.00"))
    # JAN unpaid, what is left of FEB, MAR
    assert balance(entries, AR, datetime.date(2026, 3, 31)) == D("440.00") + D("300.00") + D(
        "330.00"
    )


def test_an_overpayment_after_the_contra_account_closes_stays_on_the_receivable(
    tmp_path: Path,
) -> None:
    extra = payment("2026-01-20", "440.00", JAN) + payment("2026-01-22", "440.00", JAN)
    ledger = LEDGER + f"2026-01-01 open {CONTRA}\n2026-01-21 close {CONTRA}\n"
    entries, errors = books(tmp_path, extra, ledger=ledger)
    assert [(e.source["lineno"], e.message) for e in errors] == [
        (
            line_of(ledger + extra, "2026-01-22"),
            "overpayment: 440.00 USD of this payment is not owed on any invoice, and cannot be "
            f"moved to unapplied cash on 2026-01-22: it would post to {CONTRA}, which the ledger "
            "closes on 2026-01-21. It stays on the receivable; change the account's open or "
            "close in the ledger",
        )
    ]
    assert generated(entries, "overpayment") == []
    assert status(entries, JAN) == ("paid", D("0.00"))
    assert balance(entries, AR, datetime.date(2026, 1, 31)) == D("-440.00")


def test_a_closed_wallet_is_not_applied_and_says_so_at_the_contract(tmp_path: Path) -> None:
    credit = '  - {type: credit, id: CR-1, date: 2026-01-01, amount: "600.00", reason: Promo}\n'
    ledger = LEDGER + f"2026-01-15 close {WALLET}\n"
    entries, errors = books(tmp_path, "", credit, ledger=ledger)
    # Each later invoice finds the credit still there, and the wallet still closed.
    assert [(e.source["filename"], e.message) for e in errors] == [
        (
            str(tmp_path / "contracts" / "customers" / "acme.yaml"),
            f"wallet: 160.00 USD of credit cannot be applied to {invoice_id} on {day}: it would "
            f"post to {WALLET}, which the ledger closes on 2026-01-15. The credit stays in the "
            "wallet and the invoice open; change the account's open or close in the ledger",
        )
        for invoice_id, day in ((FEB, "2026-02-01"), (MAR, "2026-03-01"))
    ]
    applied = generated(entries, "wallet_applied")
    assert [e.meta["invoice-id"] for e in applied] == [JAN]
    assert status(entries, FEB) == ("open", D("330.00"))


# --- wallets and refunds --------------------------------------------------------------------


def test_wallet_credit_spans_several_invoices(tmp_path: Path) -> None:
    credit = '  - {type: credit, id: CR-1, date: 2026-01-01, amount: "600.00", reason: Promo}\n'
    entries, errors = books(tmp_path, payment("2026-02-10", "170.00", FEB), credit)
    assert errors == []
    applied = generated(entries, "wallet_applied")
    assert [(e.date, e.meta["invoice-id"], e.meta["wallet-credits"]) for e in applied] == [
        (datetime.date(2026, 1, 1), JAN, "CR-1 440.00 USD"),
        (datetime.date(2026, 2, 1), FEB, "CR-1 160.00 USD"),
    ]
    assert postings(applied[1]) == [(WALLET, D("160.00")), (AR, D("-160.00"))]
    assert applied[1].narration == f"Wallet applied to {FEB}" and applied[1].links == {FEB}
    assert status(entries, JAN) == ("paid", D("0.00"))
    assert status(entries, FEB) == ("paid", D("0.00"))
    assert status(entries, MAR) == ("open", D("330.00"))
    assert balance(entries, WALLET, datetime.date(2026, 3, 31)) == D(0)


PREPAID = ACME.replace(
    "          - product: onboarding\n",
    "          - product: prepaid\n            credits: true\n"
    "            billing: {cadence: one_time}\n"
    '            pricing: {model: flat_fee, price: "500.00"}\n'
    "          - product: onboarding\n",
)


def test_wallet_never_pays_the_invoice_that_funded_it_and_oldest_credit_goes_first(
    tmp_path: Path,
) -> None:
    credit = '  - {type: credit, id: CR-1, date: 2026-01-01, amount: "100.00"}\n'
    entries, errors = load(tmp_path, {"acme": PREPAID + credit}, LEDGER, "")
    assert errors == []
    applied = generated(entries, "wallet_applied")
    assert [(e.meta["invoice-id"], e.meta["wallet-credits"]) for e in applied] == [
        (JAN, "CR-1 100.00 USD"),  # not the top-up on this very invoice
        (FEB, f"{JAN} 330.00 USD"),
        (MAR, f"{JAN} 170.00 USD"),
    ]
    assert status(entries, JAN) == ("overdue", D("840.00"))  # 940.00 - 100.00, as of 03-01


def test_refunds_from_wallet_and_overpayment(tmp_path: Path) -> None:
    adjustments = (
        '  - {type: credit, id: CR-1, date: 2026-03-05, amount: "50.00"}\n'
        '  - {type: refund, id: RF-1, date: 2026-03-06, amount: "50.00", from: wallet}\n'
        '  - {type: refund, id: RF-2, date: 2026-03-06, amount: "40.00", from: overpayment}\n'
    )
    extra = payment("2026-01-20", "480.00", JAN)
    entries, errors = books(tmp_path, extra, adjustments)
    assert errors == []
    day = datetime.date(2026, 3, 31)
    assert balance(entries, WALLET, day) == D(0)
    assert balance(entries, CONTRA, day) == D(0)
    assert balance(entries, "Assets:Cash", day) == D("-90.00")


@pytest.mark.parametrize(
    ("refund", "message"),
    [
        (
            '  - {type: refund, id: RF-1, date: 2026-03-06, amount: "50.01", from: wallet}\n',
            "refund RF-1: 50.01 USD is more than the wallet of Acme hold on 2026-03-06 (50.00 USD)",
        ),
        (
            '  - {type: refund, id: RF-1, date: 2026-03-06, amount: "40.01", from: overpayment}\n',
            "refund RF-1: 40.01 USD is more than the unapplied overpayments of Acme hold on "
            "2026-03-06 (40.00 USD)",
        ),
    ],
)
def test_refund_above_what_is_refundable_is_an_error_at_its_yaml_line(
    tmp_path: Path, refund: str, message: str
) -> None:
    adjustments = '  - {type: credit, id: CR-1, date: 2026-03-05, amount: "50.00"}\n' + refund
    _, errors = books(tmp_path, payment("2026-01-20", "480.00", JAN), adjustments)
    assert [(e.source["filename"], e.source["lineno"], e.message) for e in errors] == [
        (str(tmp_path / "contracts" / "customers" / "acme.yaml"), 18, message)
    ]


def test_hand_written_wallet_going_negative_is_an_error_at_its_line(tmp_path: Path) -> None:
    extra = (
        f'\n2026-03-10 * "Acme Corp" "Goodwill paid out"\n'
        f"  {WALLET}   25.00 USD\n  Assets:Cash:Bank  -25.00 USD\n"
    )
    credit = '  - {type: credit, id: CR-1, date: 2026-03-05, amount: "20.00"}\n'
    _, errors = books(tmp_path, extra, credit)
    assert [(e.source["lineno"], e.message) for e in errors] == [
        (
            line_of(LEDGER + extra, "2026-03-10"),
            f"{WALLET} would go negative on 2026-03-10: 25.00 USD taken out, 20.00 USD in it",
        )
    ]


# --- payments naming the wrong invoice ------------------------------------------------------


def test_payment_naming_an_unknown_invoice_is_an_error_at_its_line(tmp_path: Path) -> None:
    extra = payment("2026-01-20", "440.00", "INV-ACME-1-20260102")
    entries, errors = books(tmp_path, extra)
    assert [(e.source["filename"], e.source["lineno"], e.message) for e in errors] == [
        (
            str(tmp_path / "main.beancount"),
            line_of(LEDGER + extra, "2026-01-20"),
            "payment names invoice INV-ACME-1-20260102, which is not an invoice in these books "
            "(or not yet issued on 2026-01-20)",
        )
    ]
    # The money is kept as unapplied cash until the payment is fixed.
    assert balance(entries, CONTRA, datetime.date(2026, 1, 31)) == D("-440.00")


def test_payments_to_a_customer_without_invoices_are_one_problem(tmp_path: Path) -> None:
    # A mistake in the customer's file leaves all its invoices out of the books: its contract
    # file's problem comes first, then one problem for all the payments that named them, not
    # one per payment.
    extra = (
        payment("2026-01-20", "440.00", JAN)
        + payment("2026-02-20", "330.00", FEB)
        + payment("2026-03-20", "330.00", MAR)
    )
    broken = ACME.replace('price: "300.00"', "price: 300.00")
    entries, errors = load(tmp_path, {"acme": broken}, LEDGER, extra)
    assert [(e.source["lineno"], e.message) for e in errors] == [
        (
            11,
            'customer acme: contract ACME-1: phase "2026-01-01", product platform: flat_fee: '
            'price: write decimal numbers as quoted strings, e.g. "300.00" (an unquoted YAML '
            "decimal is a binary float and can lose cents)",
        ),
        (
            line_of(LEDGER + extra, "2026-01-20"),
            f"3 payments to {AR} name invoices that are not in these books (the first, on "
            f"2026-01-20, names {JAN}), and it has no invoice at all: if its customer's "
            "contract file has a problem, fix that first. Until then, what they paid is "
            "unapplied cash",
        ),
    ]
    assert balance(entries, CONTRA, datetime.date(2026, 3, 31)) == D("-1100.00")


def test_a_payment_to_an_account_no_customer_has_is_a_problem(tmp_path: Path) -> None:
    # A bank import with a misspelt receivable, twice, the payments naming no invoice: before,
    # settlement opened the account and parked the money as a phantom customer's unapplied cash.
    typo = AR + "e"
    extra = payment("2026-01-20", "440.00").replace(AR, typo) + payment(
        "2026-02-20", "330.00"
    ).replace(AR, typo)
    entries, errors = books(tmp_path, extra)
    assert [(e.source["lineno"], e.message) for e in errors] == [
        (
            line_of(LEDGER + extra, "2026-01-20"),
            f"payment (and 1 more entry) posts to {typo}, an account the ledger never "
            f'opens: no customer of the books has it (did you mean "{AR}"?). If its customer\'s '
            "file has a problem, fix that first (a file with a problem is left out whole); else "
            "correct the account. Until then it is settled as a customer of its own",
        )
    ]
    assert status(entries, JAN) == ("overdue", D("440.00"))  # Acme's invoice is still owed


def test_a_misspelt_invoice_id_key_is_a_problem(tmp_path: Path) -> None:
    # `invoice_id`, as the YAML keys are written: the payment names nothing, it went FIFO.
    extra = (
        payment("2026-02-20", "330.00", FEB)
        .replace(f" ^{FEB}", "")
        .replace("invoice-id:", "invoice_id:")
    )
    _, errors = books(tmp_path, extra)
    assert [(e.source["lineno"], e.message) for e in errors] == [
        (
            line_of(LEDGER + extra, "2026-02-20"),
            'payment has metadata "invoice_id": did you mean "invoice-id"? Only invoice-id (or '
            "a link) names the invoices a payment pays; without one it pays the oldest open "
            "invoices (FIFO)",
        )
    ]
    # With its link, the payment names its invoice all the same: the message says so.
    linked = payment("2026-02-20", "330.00", FEB).replace("invoice-id:", "invoice_id:")
    entries, errors = books(tmp_path / "linked", linked)
    assert [e.message for e in errors] == [
        'payment has metadata "invoice_id": did you mean "invoice-id"? Only invoice-id (or '
        f"a link) names the invoices a payment pays; its link ^{FEB} names what it pays"
    ]
    assert status(entries, FEB)[0] == "paid"


def test_a_link_that_looks_like_an_invoice_id_is_checked_too(tmp_path: Path) -> None:
    extra = payment("2026-01-20", "440.00", links=" ^INV-ACME-1-20260131")
    _, errors = books(tmp_path, extra)
    assert [e.message for e in errors] == [
        "payment names invoice INV-ACME-1-20260131, which is not an invoice in these books "
        "(or not yet issued on 2026-01-20)"
    ]


def test_a_link_to_an_invoice_issued_later_names_it(tmp_path: Path) -> None:
    # A hand-written invoice with an id of its own, issued after the payment that links it:
    # the link names it (it is an invoice of the books), so the payment is not applied FIFO.
    extra = payment("2026-02-15", "100.00", links=" ^SPECIAL-7") + (
        '\n2026-03-10 * "Acme Corp" "Special invoice" ^SPECIAL-7\n'
        '  invoice-id: "SPECIAL-7"\n'
        f"  {AR}   100.00 USD\n"
        "  Income:SalesAndServicesRevenue\n"
    )
    entries, errors = books(tmp_path, extra)
    assert [e.message for e in errors] == [
        "payment names invoice SPECIAL-7, which is not an invoice in these books (or not yet "
        "issued on 2026-02-15)"
    ]
    assert status(entries, JAN)[0] != "paid"  # nothing of it went to the oldest invoice


def test_payment_naming_another_customers_invoice(tmp_path: Path) -> None:
    beta = ACME.replace("id: acme", "id: beta").replace("Acme", "Beta").replace("ACME", "BETA")
    extra = payment("2026-01-20", "440.00", "INV-BETA-1-20260101")
    _entries, errors = load(tmp_path, {"acme": ACME, "beta": beta}, LEDGER, extra)
    assert [e.message for e in errors] == [
        f"payment credits {AR} in USD but names invoice INV-BETA-1-20260101 of "
        "Assets:AccountsReceivable:Customers:Beta in USD"
    ]


def test_a_debit_to_a_receivable_without_an_invoice_id(tmp_path: Path) -> None:
    extra = f'\n2026-01-20 * "Acme Corp" "Bounced"\n  {AR}   10.00 USD\n  Assets:Cash:Bank\n'
    _, errors = books(tmp_path, extra)
    assert [(e.source["lineno"], e.message) for e in errors] == [
        (
            line_of(LEDGER + extra, "2026-01-20"),
            f"a debit to {AR} is an invoice and needs invoice-id metadata (a payment credits "
            "the receivable)",
        )
    ]


# --- invariants -----------------------------------------------------------------------------


def test_receivable_equals_the_sum_of_open_balances(tmp_path: Path) -> None:
    adjustments = (
        '  - {type: credit, id: CR-1, date: 2026-01-01, amount: "100.00"}\n'
        "  - {type: credit_memo, id: CM-1, date: 2026-02-10, invoice: INV-ACME-1-20260201,\n"
        '     amount: "10.00"}\n'
        "  - {type: write_off, date: 2026-03-20, invoice: INV-ACME-1-20260201}\n"
    )
    extra = payment("2026-01-20", "100.00", JAN) + payment("2026-02-20", "300.00")
    entries, errors = books(tmp_path, extra, adjustments)
    assert errors == []
    # JAN: 440 - 100 wallet - 100 paid - 240 FIFO; FEB: 330 - 11 memo - 60 FIFO - 259 written
    # off; MAR: 330 open.
    assert [status(entries, i) for i in (JAN, FEB, MAR)] == [
        ("paid", D("0.00")),
        ("written_off", D("0.00")),
        ("open", D("330.00")),
    ]
    assert balance(entries, AR, datetime.date(2026, 12, 31)) == D("330.00")


def test_an_invoice_discounted_to_zero_still_gets_its_status(tmp_path: Path) -> None:
    # Found by tests/test_fuzz.py: an invoice whose lines net to zero (here the platform fully
    # discounted from February on) had no status and no open balance.
    discounted = ACME.replace(
        "        taxes: [ca]\n",
        "        discounts:\n"
        '          - {percent: "100%", products: [platform], start: 2026-02-01}\n'
        "        taxes: [ca]\n",
    )
    entries, errors = load(tmp_path, {"acme": discounted}, LEDGER)
    assert errors == []
    assert [p.units.number for p in invoice(entries, FEB).postings] == [
        D("0.00"),
        D("-300.00"),
        D("300.00"),
    ]
    assert status(entries, JAN) == ("overdue", D("440.00"))  # as of 03-01, the last invoice
    assert status(entries, FEB) == ("credited", D("0.00"))  # nothing to pay, nothing paid
    assert status(entries, MAR) == ("credited", D("0.00"))


def test_a_debit_memo_after_a_write_off_reopens_the_invoice(tmp_path: Path) -> None:
    # Found by tests/test_fuzz.py: the invoice stayed "written_off" with 55.00 open, and aging
    # put that 55.00 in "current" although it was long overdue.
    adjustments = (
        "  - {type: write_off, date: 2026-03-20, invoice: INV-ACME-1-20260201}\n"
        "  - {type: debit_memo, id: DM-1, date: 2026-04-10, invoice: INV-ACME-1-20260201,\n"
        '     amount: "50.00"}\n'
    )
    entries, errors = books(tmp_path, adjustments=adjustments)
    assert errors == []
    assert status(entries, FEB) == ("overdue", D("55.00"))  # due 03-03, as of 04-10
    settlement = read_settlement(entries)
    rows = invoice_rows(settlement, datetime.date(2026, 3, 31))
    assert [(r.invoice, r.status, r.open) for r in rows if r.invoice == FEB] == [
        (FEB, "written_off", D("0.00"))
    ]
    rows = invoice_rows(settlement, datetime.date(2026, 4, 10))
    assert [(r.status, r.open, r.days_overdue) for r in rows if r.invoice == FEB] == [
        ("overdue", D("55.00"), 38)
    ]
    (acme,) = aging(r for r in rows if r.invoice == FEB)
    assert acme.buckets["31-60"] == D("55.00")


def test_an_internal_bug_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(entries: list[data.Directive]) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(settlement_plugin, "read_settlement", broken)
    entries, errors = books(tmp_path, payment("2026-01-20", "440.00", JAN))
    assert len(errors) == 1
    assert errors[0].message.startswith(
        "beanbill.plugins.settlement: internal error KeyError: 'boom' at test_settlement.py:"
    )
    assert "status" not in invoice(entries, JAN).meta  # the books still load, unsettled


def test_plugin_module_lists_its_function() -> None:
    assert settlement_plugin.__plugins__ == ("settle_receivables",)


# --- the demo books -------------------------------------------------------------------------

DEMO = Path(__file__).resolve().parent.parent / "ledgers" / "main.beancount"


@pytest.fixture(scope="module")
def demo() -> list[data.Directive]:
    from beancount import loader

    entries, errors, _ = loader.load_file(str(DEMO))
    assert errors == []
    return entries


def test_demo_invariant_open_balance_per_invoice_and_receivable_per_customer(
    demo: list[data.Directive],
) -> None:
    """From the ledger's postings alone (by the invoice-id of each receivable posting, else of
    its entry): open = total - payments - credit memos - wallet applied - write-offs + debit
    memos >= 0, as the invoice's open-balance says; per customer, the receivable's balance is
    the sum of its invoices' open balances."""
    parts: dict[str, dict[str, Decimal]] = {}
    receivable: dict[str, Decimal] = {}
    invoices: dict[str, data.Transaction] = {}
    for entry in demo:
        if not isinstance(entry, data.Transaction):
            continue
        kind = entry.meta.get("adjustment") or (
            "invoice" if "due-date" in entry.meta else "payment"
        )
        if kind == "invoice":
            invoices[entry.meta["invoice-id"]] = entry
        for posting in entry.postings:
            if not posting.account.startswith("Assets:AccountsReceivable:Customers:"):
                continue
            number = posting.units.number
            receivable[posting.account] = receivable.get(posting.account, D(0)) + number
            invoice_id = (posting.meta or {}).get("invoice-id") or entry.meta.get("invoice-id")
            if invoice_id is None:  # a FIFO payment's excess and its reclass
                parts.setdefault("-", {}).setdefault(kind, D(0))
                parts["-"][kind] += number
                continue
            sums = parts.setdefault(invoice_id, {})
            sums[kind] = sums.get(kind, D(0)) + number
    assert sum(parts.pop("-", {}).values(), D(0)) == 0
    assert set(parts) == set(invoices)
    per_customer: dict[str, Decimal] = {}
    for invoice_id, sums in parts.items():
        total = sums.pop("invoice")
        payments = -sums.pop("payment", D(0)) - sums.pop("overpayment", D(0))
        credited = -sums.pop("credit_memo", D(0))
        debited = sums.pop("debit_memo", D(0))
        wallet = -sums.pop("wallet_applied", D(0))
        written_off = -sums.pop("write_off", D(0))
        assert sums == {}
        open_ = total - payments - credited - wallet - written_off + debited
        entry = invoices[invoice_id]
        assert open_ >= 0, invoice_id
        assert entry.meta["open-balance"].number == open_, invoice_id
        account = entry.postings[0].account
        per_customer[account] = per_customer.get(account, D(0)) + open_
    assert per_customer == {a: b for a, b in receivable.items() if a in per_customer}
    assert set(per_customer) == set(receivable)


def test_demo_books_show_every_settlement_case(demo: list[data.Directive]) -> None:
    transactions = [e for e in demo if isinstance(e, data.Transaction)]
    invoices = {e.meta["invoice-id"]: e for e in transactions if "due-date" in e.meta}
    statuses = {i: e.meta["status"] for i, e in invoices.items()}
    assert {e.meta["status-date"] for e in invoices.values()} == {datetime.date(2026, 12, 1)}
    assert set(statuses.values()) >= {"paid", "overdue", "open", "written_off"}
    assert sum(1 for s in statuses.values() if s == "paid") > len(statuses) / 2
    assert statuses["INV-PIEDPIPER-1-20260701"] == "written_off"
    # 2,915.40 billed, 2,000.00 paid, 95.00 credited by CM-GLOBEX-1 (79.83 net + 15.17 VAT)
    assert invoices["INV-GLOBEX-1-20260401"].meta["open-balance"].number == D("820.40")
    fifo = [e for e in transactions if e.meta.get("beanbill-fifo")]
    assert [e.meta["applied-to"] for e in fifo] == [
        "INV-ACME-1-20260201 53.62 USD, INV-ACME-1-20260301 68.96 USD"
    ]
    promo = [
        e.meta["invoice-id"]
        for e in transactions
        if e.meta.get("adjustment") == "wallet_applied" and "CR-WAYNE-1" in e.meta["wallet-credits"]
    ]
    assert promo == ["INV-WAYNE-1-20260401", "INV-WAYNE-1-20260501"]
    (overpaid,) = [e for e in transactions if e.meta.get("adjustment") == "overpayment"]
    assert overpaid.meta["invoice-id"] == "INV-PIEDPIPER-1-20260301"
    assert balance(
        demo, "Liabilities:ContraAccountsReceivable:Customers:PiedPiper", datetime.date(2026, 12, 1)
    ) == D("-127.93")  # 427.93 overpaid, 300.00 refunded
