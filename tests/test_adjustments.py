"""Adjustments in customer files (memos, wallet credits, refunds, write-off orders): the pure
rules and their entries through Beancount's loader, with exact postings and problems."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from beancount.core import data
from beancount.parser import printer

from beanbill import model as m
from beanbill.adjustments import (
    MEMO_GIVEN,
    LineGroup,
    recognised_fraction,
    split_share,
    split_total,
)
from tests.test_recognition import balance

D = Decimal
CATALOG = """\
company: {name: Test Co, currency: USD, payment_terms: net 30, invoice_prefix: INV}
tax_rates:
  ca: {name: CA sales tax, rate: "10%", account: Liabilities:SalesTax:CA}
  vat: {name: VAT, rate: "19%", account: Liabilities:SalesTax:DE, inclusive: true}
revenue_rules:
  subscription: {method: ratable_daily, account: Income:SalesAndServicesRevenue}
  services: {method: point_in_time, account: Income:ProfessionalServices}
  support: {method: ratable_monthly, account: Income:Support}
products:
  platform: {name: Platform, revenue_rule: subscription}
  onboarding: {name: Onboarding, revenue_rule: services}
  support: {name: Support, revenue_rule: support}
  prepaid: {name: Prepaid credits}
"""

# Stripe's credit-note example: 181.00 for 2026-01-01..06-30, one invoice, no tax.
STRIPE = """\
customer: {id: stripe, account: Stripe, name: Stripe Example}
contracts:
  - id: S-1
    start: 2026-01-01
    end: 2026-06-30
    billing: {cadence: semi_annual, timing: advance}
    phases:
      - start: 2026-01-01
        products:
          - product: platform
            pricing: {model: flat_fee, price: "181.00"}
adjustments:
"""

# Monthly platform with 10% tax on top; a one-time onboarding fee on the first invoice.
ACME = """\
customer: {id: acme, account: Acme, name: Acme Corp}
contracts:
  - id: ACME-1
    start: 2026-01-01
    end: 2026-03-31
    billing: {cadence: monthly, timing: advance}
    phases:
      - start: 2026-01-01
        products:
          - product: platform
            pricing: {model: flat_fee, price: "300.00"}
          - product: onboarding
            billing: {cadence: one_time}
            pricing: {model: flat_fee, price: "100.00"}
        taxes: [ca]
adjustments:
"""

# VAT included in the price.
GLOBEX = """\
customer: {id: globex, account: Globex, name: Globex GmbH, currency: EUR}
contracts:
  - id: GLOBEX-1
    start: 2026-04-01
    end: 2026-06-30
    billing: {cadence: quarterly, timing: advance}
    phases:
      - start: 2026-04-01
        products:
          - product: platform
            pricing: {model: flat_fee, price: "2850.00"}
        taxes: [vat]
adjustments:
"""

LEDGER = """\
option "operating_currency" "USD"
plugin "beanbill.plugins.contracts" "{path: contracts, until: 2026-12-31}"
plugin "beanbill.plugins.recognition"
plugin "beanbill.plugins.chart"
"""


def write_books(
    root: Path, customers: dict[str, str], ledger: str = LEDGER, extra: str = ""
) -> Path:
    (root / "contracts" / "customers").mkdir(parents=True, exist_ok=True)
    (root / "contracts" / "catalog.yaml").write_text(CATALOG)
    for name, text in customers.items():
        (root / "contracts" / "customers" / f"{name}.yaml").write_text(text)
    path = root / "main.beancount"
    path.write_text(ledger + extra)
    return path


def load(
    root: Path, customers: dict[str, str], ledger: str = LEDGER, extra: str = ""
) -> tuple[list[data.Directive], list[Any]]:
    entries, errors, _ = loader.load_file(str(write_books(root, customers, ledger, extra)))
    return entries, errors


def by_meta(entries: list[data.Directive], key: str, value: str) -> data.Transaction:
    found = [e for e in entries if isinstance(e, data.Transaction) and e.meta.get(key) == value]
    assert len(found) == 1, f"{key}={value}: {len(found)} entries"
    return found[0]


def postings(entry: data.Transaction) -> list[tuple[str, Decimal]]:
    return [(p.account, p.units.number) for p in entry.postings]


# --- the pure rules -------------------------------------------------------------------------


def test_stripe_example_splits_into_recognised_and_deferred() -> None:
    group = LineGroup(
        contract="S-1",
        product="platform",
        timing=m.Timing.ADVANCE,
        service_start=datetime.date(2026, 1, 1),
        service_end=datetime.date(2026, 6, 30),
        revenue_rule="subscription",
        net=D("181.00"),
        taxes=(),
    )
    share = split_share(
        group, D("90.50"), datetime.date(2026, 2, 1), m.RecognitionMethod.RATABLE_DAILY, "USD"
    )
    assert (share.net, share.recognised, share.unrecognised) == (D("90.50"), D("15.50"), D(75))
    assert share.taxes == ()


def test_tax_is_reversed_pro_rata_to_the_line() -> None:
    start, end = datetime.date(2026, 4, 1), datetime.date(2026, 6, 30)
    exclusive = LineGroup(
        "C", "p", m.Timing.ADVANCE, start, end, "r", D("300.00"),
        (("Liabilities:SalesTax:CA", D("30.00")),),
    )  # fmt: skip
    share = split_share(exclusive, D("100.00"), start, m.RecognitionMethod.RATABLE_DAILY, "USD")
    assert (share.net, share.taxes, share.total) == (
        D("100.00"), (("Liabilities:SalesTax:CA", D("10.00")),), D("110.00"),
    )  # fmt: skip
    # VAT included in the price: the line is 2,394.96 net + 455.04 VAT; a memo of 95.00 (net)
    # reverses 18.05 of VAT.
    inclusive = LineGroup(
        "C", "p", m.Timing.ADVANCE, start, end, "r", D("2394.96"),
        (("Liabilities:SalesTax:DE", D("455.04")),),
    )  # fmt: skip
    share = split_share(inclusive, D("95.00"), start, m.RecognitionMethod.RATABLE_DAILY, "EUR")
    assert (share.net, share.taxes, share.total) == (
        D("95.00"), (("Liabilities:SalesTax:DE", D("18.05")),), D("113.05"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("method", "memo", "fraction"),
    [
        (m.RecognitionMethod.RATABLE_DAILY, datetime.date(2026, 1, 1), D(0)),
        (m.RecognitionMethod.RATABLE_DAILY, datetime.date(2026, 2, 1), D(31) / D(181)),
        (m.RecognitionMethod.RATABLE_DAILY, datetime.date(2026, 7, 1), D(1)),
        (m.RecognitionMethod.RATABLE_MONTHLY, datetime.date(2026, 2, 15), D(1.5) / D(6)),
        (m.RecognitionMethod.POINT_IN_TIME, datetime.date(2026, 1, 1), D(0)),
        (m.RecognitionMethod.POINT_IN_TIME, datetime.date(2026, 1, 2), D(1)),
        (m.RecognitionMethod.MILESTONE, datetime.date(2026, 6, 30), D(0)),
        (m.RecognitionMethod.AS_INVOICED, datetime.date(2026, 1, 1), D(1)),
    ],
)
def test_recognised_fraction_follows_the_rule(
    method: m.RecognitionMethod, memo: datetime.date, fraction: Decimal
) -> None:
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)
    assert recognised_fraction(method, start, end, memo) == fraction


# --- memos through the loader ---------------------------------------------------------------


def test_credit_memo_reproduces_stripes_example_with_the_recognition_plugin(
    tmp_path: Path,
) -> None:
    memo = (
        "  - {type: credit_memo, id: CM-1, date: 2026-02-01, invoice: INV-S-1-20260101,\n"
        '     amount: "90.50", reason: Half the price back}\n'
    )
    entries, errors = load(tmp_path, {"stripe": STRIPE + memo})
    assert errors == []
    entry = by_meta(entries, "memo-id", "CM-1")
    assert entry.date == datetime.date(2026, 2, 1)
    assert entry.narration == "Credit memo CM-1 on INV-S-1-20260101 — Half the price back"
    assert entry.links == {"CM-1", "INV-S-1-20260101"}
    assert {k: entry.meta[k] for k in ("invoice-id", "customer", "adjustment", "reason")} == {
        "invoice-id": "INV-S-1-20260101",
        "customer": "stripe",
        "adjustment": "credit_memo",
        "reason": "Half the price back",
    }
    assert postings(entry) == [
        ("Assets:AccountsReceivable:Customers:Stripe", D("-90.50")),
        ("Expenses:SalesReturnsAndAllowances", D("15.50")),
        ("Liabilities:DeferredRevenue", D("75.00")),
    ]
    assert "revenue-rule" not in entry.postings[1].meta
    deferred = entry.postings[2].meta
    assert deferred["revenue-rule"] == "subscription" and deferred["product"] == "platform"
    assert deferred["service-start"] == datetime.date(2026, 2, 1)
    assert deferred["service-end"] == datetime.date(2026, 6, 30)
    assert entry.meta["filename"] == "<beanbill:contracts/customers/stripe.yaml>"
    income = "Income:SalesAndServicesRevenue"
    recognised = {
        month: -sum(
            (
                p.units.number
                for e in entries
                if isinstance(e, data.Transaction) and e.date.month == month
                for p in e.postings
                if p.account == income
            ),
            D(0),
        )
        for month in (1, 2, 3)
    }
    assert recognised == {1: D("31.00"), 2: D("14.00"), 3: D("15.50")}
    # 181.00 billed, 75.00 never earned; 15.50 of what was earned given back as an allowance.
    assert balance(entries, income, datetime.date(2026, 12, 31)) == D("-106.00")
    assert balance(entries, "Liabilities:DeferredRevenue", datetime.date(2026, 12, 31)) == 0


def test_credit_memo_spreads_over_lines_and_reverses_tax(tmp_path: Path) -> None:
    # The first invoice: platform 300.00 (January, ratable daily) and onboarding 100.00
    # (point in time, 1 January), 10% tax on both: 440.00. Credited 40.00 on 11 January:
    # platform 30.00 (10 of 31 days recognised: 9.68), onboarding 10.00 (recognised).
    memo = (
        "  - {type: credit_memo, id: CM-1, date: 2026-01-11, invoice: INV-ACME-1-20260101,\n"
        '     amount: "40.00"}\n'
    )
    entries, errors = load(tmp_path, {"acme": ACME + memo})
    assert errors == []
    entry = by_meta(entries, "memo-id", "CM-1")
    assert entry.narration == "Credit memo CM-1 on INV-ACME-1-20260101"
    assert postings(entry) == [
        ("Assets:AccountsReceivable:Customers:Acme", D("-44.00")),
        ("Expenses:SalesReturnsAndAllowances", D("9.68")),
        ("Liabilities:DeferredRevenue", D("20.32")),
        ("Expenses:SalesReturnsAndAllowances", D("10.00")),
        ("Liabilities:SalesTax:CA", D("4.00")),
    ]
    assert entry.postings[2].meta["service-start"] == datetime.date(2026, 1, 11)
    assert [p.meta.get("product") for p in entry.postings[1:4]] == [
        "platform",
        "platform",
        "onboarding",
    ]


def test_credit_memo_per_line_with_inclusive_tax(tmp_path: Path) -> None:
    memo = (
        "  - type: credit_memo\n    id: CM-G\n    date: 2026-04-21\n"
        "    invoice: INV-GLOBEX-1-20260401\n"
        '    lines: [{product: platform, amount: "95.00"}]\n'
    )
    entries, errors = load(tmp_path, {"globex": GLOBEX + memo})
    assert errors == []
    entry = by_meta(entries, "memo-id", "CM-G")
    # 95.00 net of tax, as every memo amount (the VAT share follows the line: 18.05); 20 of
    # the quarter's 91 days recognised: 20.88.
    assert postings(entry) == [
        ("Assets:AccountsReceivable:Customers:Globex", D("-113.05")),
        ("Expenses:SalesReturnsAndAllowances", D("20.88")),
        ("Liabilities:DeferredRevenue", D("74.12")),
        ("Liabilities:SalesTax:DE", D("18.05")),
    ]


# One consolidated invoice for two contracts that both sell the platform: January's 300.00
# (monthly) and the first quarter's 300.00.
TWO_CONTRACTS = """\
customer: {id: acme, account: Acme, name: Acme Corp, consolidate: true}
contracts:
  - id: ACME-1
    start: 2026-01-01
    end: 2026-03-31
    billing: {cadence: monthly, timing: advance}
    phases:
      - start: 2026-01-01
        products:
          - product: platform
            pricing: {model: flat_fee, price: "300.00"}
        taxes: [ca]
  - id: ACME-2
    start: 2026-01-01
    end: 2026-03-31
    billing: {cadence: quarterly, timing: advance}
    phases:
      - start: 2026-01-01
        products:
          - product: platform
            pricing: {model: flat_fee, price: "300.00"}
        taxes: [ca]
adjustments:
"""


def test_a_memo_line_picks_the_line_of_one_contract_on_a_consolidated_invoice(
    tmp_path: Path,
) -> None:
    memo = (
        "  - {type: credit_memo, id: CM-1, date: 2026-01-01, invoice: INV-acme-20260101,\n"
        '     lines: [{product: platform, contract: ACME-2, amount: "40.00"}]}\n'
    )
    entries, errors = load(tmp_path, {"acme": TWO_CONTRACTS + memo})
    assert errors == []
    entry = by_meta(entries, "memo-id", "CM-1")
    # ACME-2's quarter alone, not started: all of it off its deferred revenue, over the quarter.
    assert postings(entry) == [
        ("Assets:AccountsReceivable:Customers:Acme", D("-44.00")),
        ("Liabilities:DeferredRevenue", D("40.00")),
        ("Liabilities:SalesTax:CA", D("4.00")),
    ]
    assert entry.postings[1].meta["service-end"] == datetime.date(2026, 3, 31)
    assert entry.meta["contract"] == "ACME-2"  # the contract it credits, not the invoice's two
    # Without the pick, it is spread over both contracts' lines, 20.00 each.
    spread = memo.replace(" contract: ACME-2,", "")
    entries, _ = load(tmp_path / "spread", {"acme": TWO_CONTRACTS + spread})
    entry = by_meta(entries, "memo-id", "CM-1")
    assert entry.meta["contract"] == "ACME-1, ACME-2"
    assert [(p.units.number, p.meta["service-end"]) for p in entry.postings[1:3]] == [
        (D("20.00"), datetime.date(2026, 1, 31)),
        (D("20.00"), datetime.date(2026, 3, 31)),
    ]
    # A contract without such a line says which have one.
    wrong = memo.replace("contract: ACME-2", "contract: ACME-3")
    _, errors = load(tmp_path / "wrong", {"acme": TWO_CONTRACTS + wrong})
    assert [e.message for e in errors] == [
        "customer acme: credit_memo CM-1: contract ACME-3 has no platform line on invoice "
        "INV-acme-20260101 "
        "(the contracts with one: ACME-1, ACME-2)"
    ]


def test_debit_memo_mirrors_a_credit_memo(tmp_path: Path) -> None:
    memo = (
        "  - {type: debit_memo, id: DM-1, date: 2026-01-11, invoice: INV-ACME-1-20260101,\n"
        '     lines: [{product: platform, amount: "31.00"}], reason: Missed seats}\n'
    )
    entries, errors = load(tmp_path, {"acme": ACME + memo})
    assert errors == []
    entry = by_meta(entries, "memo-id", "DM-1")
    assert entry.narration == "Debit memo DM-1 on INV-ACME-1-20260101 — Missed seats"
    assert entry.meta["adjustment"] == "debit_memo"
    assert postings(entry) == [
        ("Assets:AccountsReceivable:Customers:Acme", D("34.10")),
        ("Income:SalesAndServicesRevenue", D("-10.00")),
        ("Liabilities:DeferredRevenue", D("-21.00")),
        ("Liabilities:SalesTax:CA", D("-3.10")),
    ]
    assert entry.postings[2].meta["revenue-rule"] == "subscription"
    # The remaining schedule grows by 21.00, released by the end of January with the rest.
    january = datetime.date(2026, 1, 31)
    assert balance(entries, "Liabilities:DeferredRevenue", january) == D(0)


def test_memos_take_what_earlier_memos_left(tmp_path: Path) -> None:
    memos = (
        "  - {type: credit_memo, id: CM-1, date: 2026-01-11, invoice: INV-ACME-1-20260101,\n"
        '     lines: [{product: onboarding, amount: "100.00"}]}\n'
        "  - {type: credit_memo, id: CM-2, date: 2026-01-12, invoice: INV-ACME-1-20260101,\n"
        '     amount: "30.00"}\n'
    )
    entries, errors = load(tmp_path, {"acme": ACME + memos})
    assert errors == []
    # The onboarding line is fully credited: the second memo falls on the platform alone.
    entry = by_meta(entries, "memo-id", "CM-2")
    assert [p.meta.get("product") for p in entry.postings if p.meta] == ["platform"] * 2


def test_wallet_credit_and_refund_entries(tmp_path: Path) -> None:
    adjustments = (
        '  - {type: credit, id: CR-1, date: 2026-01-05, amount: "50.00", reason: Promo}\n'
        '  - {type: refund, id: RF-1, date: 2026-01-06, amount: "20.00", from: wallet}\n'
    )
    entries, errors = load(tmp_path, {"acme": ACME + adjustments})
    assert errors == []
    credit = by_meta(entries, "credit-id", "CR-1")
    assert credit.narration == "Wallet credit CR-1 — Promo" and credit.links == {"CR-1"}
    assert postings(credit) == [
        ("Expenses:SalesReturnsAndAllowances", D("50.00")),
        ("Liabilities:CustomerWallet:Acme", D("-50.00")),
    ]
    refund = by_meta(entries, "refund-id", "RF-1")
    assert refund.narration == "Refund RF-1 from the wallet"
    assert refund.meta["refund-from"] == "wallet" and refund.meta["adjustment"] == "refund"
    assert postings(refund) == [
        ("Liabilities:CustomerWallet:Acme", D("20.00")),
        ("Assets:Cash", D("-20.00")),
    ]


def test_refund_is_paid_from_the_bank_account_it_names(tmp_path: Path) -> None:
    adjustments = (
        '  - {type: credit, id: CR-1, date: 2026-01-05, amount: "50.00", reason: Promo}\n'
        '  - {type: refund, id: RF-1, date: 2026-01-06, amount: "20.00", from: wallet,\n'
        "     account: Assets:Cash:Bank}\n"
    )
    ledger_extra = "2020-01-01 open Assets:Cash:Bank\n"
    entries, errors = load(tmp_path, {"acme": ACME + adjustments}, extra=ledger_extra)
    assert errors == []
    assert postings(by_meta(entries, "refund-id", "RF-1")) == [
        ("Liabilities:CustomerWallet:Acme", D("20.00")),
        ("Assets:Cash:Bank", D("-20.00")),
    ]


def test_refund_from_an_account_outside_cash_is_refused(tmp_path: Path) -> None:
    adjustments = (
        '  - {type: refund, id: RF-1, date: 2026-01-06, amount: "20.00", from: wallet,\n'
        "     account: Expenses:Travel}\n"
    )
    _, errors = load(tmp_path, {"acme": ACME + adjustments})
    assert [e.message for e in errors] == [
        'customer acme: refund: account "Expenses:Travel" must be Assets:Cash or one of its '
        "sub-accounts"
    ]


def test_write_off_is_declared_for_the_settlement_plugin(tmp_path: Path) -> None:
    order = "  - {type: write_off, date: 2026-03-30, invoice: INV-ACME-1-20260201, reason: Gone}\n"
    entries, errors = load(tmp_path, {"acme": ACME + order})
    assert errors == []
    (custom,) = [
        e for e in entries if isinstance(e, data.Custom) and e.type == "beanbill-write-off"
    ]
    assert custom.date == datetime.date(2026, 3, 30)
    assert [v.value for v in custom.values] == [
        "WO-INV-ACME-1-20260201",
        "INV-ACME-1-20260201",
        "acme",
        "Gone",
    ]


def test_a_memo_on_another_customers_invoice_is_refused(tmp_path: Path) -> None:
    # globex's invoice exists, but acme's memo cannot touch it (customers are compiled one
    # by one: each sees only its own invoices)
    memo = (
        "  - {type: credit_memo, id: CM-1, date: 2026-04-05, invoice: INV-GLOBEX-1-20260401,\n"
        '     amount: "10.00"}\n'
    )
    entries, errors = load(tmp_path, {"acme": ACME + memo, "globex": GLOBEX})
    assert [(e.source["filename"], e.source["lineno"], e.message) for e in errors] == [
        (
            str(tmp_path / "contracts" / "customers" / "acme.yaml"),
            17,
            "customer acme: credit_memo CM-1: invoice INV-GLOBEX-1-20260401 is not an invoice "
            "of customer acme (its invoices run from INV-ACME-1-20260101 to "
            "INV-ACME-1-20260301)",
        )
    ]
    assert [e for e in entries if isinstance(e, data.Transaction) and "adjustment" in e.meta] == []
    invoice = by_meta(entries, "invoice-id", "INV-GLOBEX-1-20260401")
    assert invoice.postings[0].units.number == Decimal("2850.00")


@pytest.mark.parametrize(
    ("adjustment", "line", "message"),
    [
        (
            "  - {type: credit_memo, id: CM-1, date: 2026-02-05, invoice: INV-ACME-1-20270101,\n"
            '     amount: "10.00"}\n',
            17,
            "customer acme: credit_memo CM-1: invoice INV-ACME-1-20270101 is not an invoice of "
            "customer acme (it would be dated 2027-01-01, after the billing horizon 2026-12-31: "
            "the `until` of the ledger's contracts plugin line)",
        ),
        (
            "  - {type: debit_memo, id: DM-1, date: 2026-01-31, invoice: INV-ACME-1-20260201,\n"
            '     amount: "10.00"}\n',
            17,
            "customer acme: debit_memo DM-1: dated 2026-01-31, before its invoice "
            "INV-ACME-1-20260201 (2026-02-01)",
        ),
        (
            "  - {type: credit_memo, id: CM-1, date: 2026-02-05, invoice: INV-ACME-1-20260201,\n"
            '     lines: [{product: onboarding, amount: "10.00"}]}\n',
            18,
            'customer acme: credit_memo CM-1: product "onboarding" is not on invoice '
            "INV-ACME-1-20260201 (its lines: platform)",
        ),
        (
            "  - {type: credit_memo, id: CM-1, date: 2026-02-05, invoice: INV-ACME-1-20260201,\n"
            '     amount: "300.01"}\n',
            17,
            "customer acme: credit_memo CM-1: 300.01 USD is more than what is left to credit "
            "on INV-ACME-1-20260201 (300.00 USD before tax)",
        ),
        (
            "  - {type: credit_memo, id: CM-1, date: 2026-01-05, invoice: INV-ACME-1-20260101,\n"
            '     lines: [{product: onboarding, amount: "100.01"}]}\n',
            18,
            "customer acme: credit_memo CM-1: 100.01 USD on onboarding is more than what is "
            "left of that line on INV-ACME-1-20260101 (100.00 USD before tax)",
        ),
        (
            "  - {type: write_off, date: 2026-01-31, invoice: INV-ACME-1-20260201}\n",
            17,
            "customer acme: write_off WO-INV-ACME-1-20260201: dated 2026-01-31, before its "
            "invoice INV-ACME-1-20260201 (2026-02-01)",
        ),
        (
            "  - {type: write_off, date: 2026-03-31, invoice: INV-OTHER-20260201}\n",
            17,
            "customer acme: write_off WO-INV-OTHER-20260201: invoice INV-OTHER-20260201 is not "
            "an invoice of customer acme (its invoices run from INV-ACME-1-20260101 to "
            "INV-ACME-1-20260301)",
        ),
    ],
)
def test_adjustment_problems_are_errors_at_the_yaml_line(
    tmp_path: Path, adjustment: str, line: int, message: str
) -> None:
    entries, errors = load(tmp_path, {"acme": ACME + adjustment})
    assert [(e.source["filename"], e.source["lineno"], e.message) for e in errors] == [
        (str(tmp_path / "contracts" / "customers" / "acme.yaml"), line, message)
    ]
    # The invoices still compile; only the adjustment is left out.
    assert len([e for e in entries if isinstance(e, data.Transaction) and "due-date" in e.meta])


def test_memo_on_a_wallet_top_up_invoice_is_refused(tmp_path: Path) -> None:
    prepaid = ACME.replace(
        "          - product: onboarding\n",
        "          - product: prepaid\n            credits: true\n"
        "            billing: {cadence: one_time}\n"
        '            pricing: {model: flat_fee, price: "500.00"}\n'
        "          - product: onboarding\n",
    ).replace('"300.00"}', '"300.00"}\n            billing: {cadence: monthly, timing: arrears}')
    memo = (
        "  - {type: credit_memo, id: CM-1, date: 2026-01-05, invoice: INV-ACME-1-20260101,\n"
        '     lines: [{product: onboarding, amount: "10.00"}]}\n'
    )
    _, errors = load(tmp_path, {"acme": prepaid + memo})
    assert errors == []  # onboarding is a revenue line of that invoice
    memo = memo.replace("onboarding", "prepaid")
    _, errors = load(tmp_path, {"acme": prepaid + memo})
    assert [e.message for e in errors] == [
        'customer acme: credit_memo CM-1: product "prepaid" is not on invoice '
        "INV-ACME-1-20260101 (its lines: onboarding)"
    ]


@pytest.mark.parametrize(
    ("named", "hint"),
    [
        # a misspelt id
        ("INV-ACME-1-2026011", ' (did you mean "INV-ACME-1-20260101"?)'),
        # past the billing horizon of the ledger's plugin line (until: 2026-12-31)
        (
            "INV-ACME-1-20270101",
            " (it would be dated 2027-01-01, after the billing horizon 2026-12-31: the `until` "
            "of the ledger's contracts plugin line)",
        ),
        # nothing near: the span of its invoices
        (
            "INV-GLOBEX-9-20260101",
            " (its invoices run from INV-ACME-1-20260101 to INV-ACME-1-20260301)",
        ),
    ],
)
def test_a_memo_on_an_unknown_invoice_says_what_may_be_meant(
    tmp_path: Path, named: str, hint: str
) -> None:
    memo = (
        f"  - {{type: credit_memo, id: CM-1, date: 2026-02-01, invoice: {named},\n"
        '     amount: "10.00", reason: Outage}\n'
    )
    _, errors = load(tmp_path, {"acme": ACME + memo})
    assert [e.message for e in errors] == [
        f"customer acme: credit_memo CM-1: invoice {named} is not an invoice of customer acme"
        + hint
    ]


# --- memos given by total, tax included -----------------------------------------------------


def test_a_total_is_split_by_the_lines_tax_each_tax_account_rounded_the_net_what_remains() -> None:
    start, end = datetime.date(2026, 4, 1), datetime.date(2026, 6, 30)
    group = LineGroup(
        "C", "p", m.Timing.ADVANCE, start, end, "r", D("100.00"),
        (("Liabilities:SalesTax:CA", D("7.25")), ("Liabilities:SalesTax:LA", D("1.00"))),
    )  # fmt: skip
    # 10.00 of the line's 108.25: CA 7.25 x 10 / 108.25 = 0.66975 -> 0.67, LA 0.0924 -> 0.09;
    # the net is the rest, 9.24, so that the three add up to 10.00 exactly.
    share = split_total(group, D("10.00"), start, m.RecognitionMethod.RATABLE_DAILY, "USD")
    assert (share.net, share.taxes, share.total) == (
        D("9.24"),
        (("Liabilities:SalesTax:CA", D("0.67")), ("Liabilities:SalesTax:LA", D("0.09"))),
        D("10.00"),
    )
    assert (share.recognised, share.unrecognised) == (D(0), D("9.24"))


def test_a_credit_memo_total_is_spread_over_the_lines_with_the_remainders_carried(
    tmp_path: Path,
) -> None:
    # The first invoice, 440.00: platform 330.00 and onboarding 110.00, tax (10%) included.
    # 100.02 over them, 3 to 1: 75.015 and 25.005; rounded each on its own, 100.03. The
    # rounding rest is carried: 75.02 and 25.00. Platform: tax 75.02 x 30 / 330 = 6.82, net
    # 68.20 (10 of January's 31 days recognised: 22.00); onboarding: tax 2.27, net 22.73.
    memo = (
        "  - {type: credit_memo, id: CM-1, date: 2026-01-11, invoice: INV-ACME-1-20260101,\n"
        '     total: "100.02"}\n'
    )
    entries, errors = load(tmp_path, {"acme": ACME + memo})
    assert errors == []
    entry = by_meta(entries, "memo-id", "CM-1")
    assert postings(entry) == [
        ("Assets:AccountsReceivable:Customers:Acme", D("-100.02")),
        ("Expenses:SalesReturnsAndAllowances", D("22.00")),
        ("Liabilities:DeferredRevenue", D("46.20")),
        ("Expenses:SalesReturnsAndAllowances", D("22.73")),
        ("Liabilities:SalesTax:CA", D("9.09")),
    ]
    assert [p.meta.get("product") for p in entry.postings[1:4]] == [
        "platform",
        "platform",
        "onboarding",
    ]
    assert entry.postings[2].meta["service-start"] == datetime.date(2026, 1, 11)
    # How it was given is for the settlement plugin; it is not written out.
    assert entry.meta[MEMO_GIVEN] == "total"
    assert MEMO_GIVEN not in printer.format_entry(entry)


def test_a_debit_memo_total_mirrors_a_credit_memo(tmp_path: Path) -> None:
    # 34.10 over platform and onboarding, 3 to 1: 25.575 -> 25.58 (tax 2.33, net 23.25: 7.50
    # recognised, 15.75 deferred) and 8.52 (tax 0.77, net 7.75, recognised).
    memo = (
        "  - {type: debit_memo, id: DM-1, date: 2026-01-11, invoice: INV-ACME-1-20260101,\n"
        '     total: "34.10", reason: Missed seats}\n'
    )
    entries, errors = load(tmp_path, {"acme": ACME + memo})
    assert errors == []
    entry = by_meta(entries, "memo-id", "DM-1")
    assert postings(entry) == [
        ("Assets:AccountsReceivable:Customers:Acme", D("34.10")),
        ("Income:SalesAndServicesRevenue", D("-7.50")),
        ("Liabilities:DeferredRevenue", D("-15.75")),
        ("Income:ProfessionalServices", D("-7.75")),
        ("Liabilities:SalesTax:CA", D("-3.10")),
    ]
    assert entry.postings[2].meta["revenue-rule"] == "subscription"


# Monthly platform in yen, 10% tax on top: 9,800 + 980 = 10,780 JPY an invoice.
NAKATOMI = """\
customer: {id: nakatomi, account: Nakatomi, name: Nakatomi Trading, currency: JPY}
contracts:
  - id: NAKA-1
    start: 2026-01-01
    end: 2026-03-31
    billing: {cadence: monthly, timing: advance}
    phases:
      - start: 2026-01-01
        products:
          - product: platform
            pricing: {model: flat_fee, price: "9800"}
        taxes: [ca]
adjustments:
"""


def test_a_memo_total_in_yen_is_rounded_to_the_yen(tmp_path: Path) -> None:
    # 3,334 of 10,780: tax 3,334 x 980 / 10,780 = 303.09 -> 303, net 3,031; on 11 January,
    # 10 of 31 days recognised: 977.74 -> 978.
    memo = (
        "  - {type: credit_memo, id: CM-N1, date: 2026-01-11, invoice: INV-NAKA-1-20260101,\n"
        '     total: "3334"}\n'
    )
    entries, errors = load(tmp_path, {"nakatomi": NAKATOMI + memo})
    assert errors == []
    entry = by_meta(entries, "memo-id", "CM-N1")
    assert postings(entry) == [
        ("Assets:AccountsReceivable:Customers:Nakatomi", D("-3334")),
        ("Expenses:SalesReturnsAndAllowances", D("978")),
        ("Liabilities:DeferredRevenue", D("2053")),
        ("Liabilities:SalesTax:CA", D("303")),
    ]
    # A total finer than the yen is refused (it could not be posted as written).
    finer = memo.replace('"3334"', '"3334.5"')
    _, errors = load(tmp_path / "finer", {"nakatomi": NAKATOMI + finer})
    assert [(e.source["lineno"], e.message) for e in errors] == [
        (
            14,
            "customer nakatomi: credit_memo CM-N1: total 3334.5 JPY has more decimals than JPY "
            "has (its smallest amount is 1 JPY); an adjustment's amounts are posted as written: "
            "round it",
        )
    ]


def test_a_memo_total_on_an_invoice_without_tax_is_its_net(tmp_path: Path) -> None:
    by_amount = (
        "  - {type: credit_memo, id: CM-1, date: 2026-02-01, invoice: INV-S-1-20260101,\n"
        '     amount: "90.50", reason: Half the price back}\n'
    )
    by_total = by_amount.replace("amount:", "total:")
    entries, errors = load(tmp_path, {"stripe": STRIPE + by_amount})
    assert errors == []
    expected = postings(by_meta(entries, "memo-id", "CM-1"))
    entries, errors = load(tmp_path / "total", {"stripe": STRIPE + by_total})
    assert errors == []
    assert postings(by_meta(entries, "memo-id", "CM-1")) == expected
    assert expected[0] == ("Assets:AccountsReceivable:Customers:Stripe", D("-90.50"))


def test_a_total_crediting_what_is_left_of_a_line_reverses_the_rest_of_its_tax(
    tmp_path: Path,
) -> None:
    # February's invoice: platform 300.00 + 30.00 tax. Two memos by amount take 12.35 (tax
    # 1.24) and 20.15 (tax 2.02): 267.50 + 26.74 = 294.24 is left. In proportion to the line
    # the tax of 294.24 would be 26.75 (26.749), leaving 0.01 of net and -0.01 of tax; a total
    # taking all of the line takes what is left of each, to the cent.
    memos = (
        "  - {type: credit_memo, id: CM-1, date: 2026-02-01, invoice: INV-ACME-1-20260201,\n"
        '     amount: "12.35"}\n'
        "  - {type: credit_memo, id: CM-2, date: 2026-02-01, invoice: INV-ACME-1-20260201,\n"
        '     amount: "20.15"}\n'
        "  - {type: credit_memo, id: CM-3, date: 2026-02-01, invoice: INV-ACME-1-20260201,\n"
        '     total: "294.24"}\n'
    )
    entries, errors = load(tmp_path, {"acme": ACME + memos})
    assert errors == []
    assert postings(by_meta(entries, "memo-id", "CM-3")) == [
        ("Assets:AccountsReceivable:Customers:Acme", D("-294.24")),
        ("Liabilities:DeferredRevenue", D("267.50")),
        ("Liabilities:SalesTax:CA", D("26.74")),
    ]
    # Nothing is left of the invoice's tax, nor of its deferred revenue.
    memo_ids = {"CM-1", "CM-2", "CM-3"}
    taxes = sum(
        (
            p.units.number
            for e in entries
            if isinstance(e, data.Transaction)
            and (
                e.meta.get("invoice-id") == "INV-ACME-1-20260201"
                or e.meta.get("memo-id") in memo_ids
            )
            for p in e.postings
            if p.account == "Liabilities:SalesTax:CA"
        ),
        D(0),
    )
    assert taxes == 0


@pytest.mark.parametrize(
    ("adjustment", "message", "line"),
    [
        (
            "  - {type: credit_memo, id: CM-1, date: 2026-02-05, invoice: INV-ACME-1-20260201,\n"
            '     total: "330.01"}\n',
            "customer acme: credit_memo CM-1: 330.01 USD is more than what is left to credit "
            "on INV-ACME-1-20260201 (330.00 USD tax included)",
            17,
        ),
        (
            "  - {type: debit_memo, id: DM-1, date: 2026-02-05, invoice: INV-ACME-1-20260201,\n"
            '     total: "10.005"}\n',
            "customer acme: debit_memo DM-1: total 10.005 USD has more decimals than USD has "
            "(its smallest amount is 0.01 USD); an adjustment's amounts are posted as written: "
            "round it",
            17,
        ),
        (
            "  - {type: credit_memo, id: CM-1, date: 2026-02-05, invoice: INV-ACME-1-20260201,\n"
            '     amount: "33.275"}\n',
            "customer acme: credit_memo CM-1: amount 33.275 USD has more decimals than USD has "
            "(its smallest amount is 0.01 USD); an adjustment's amounts are posted as written: "
            "round it",
            17,
        ),
        (
            '  - {type: refund, id: RF-1, date: 2026-02-05, from: wallet, amount: "1.005"}\n',
            "customer acme: refund RF-1: amount 1.005 USD has more decimals than USD has (its "
            "smallest amount is 0.01 USD); an adjustment's amounts are posted as written: round "
            "it",
            17,
        ),
        (
            '  - {type: credit, id: CR-1, date: 2026-02-05, amount: "500.005"}\n',
            "customer acme: credit CR-1: amount 500.005 USD has more decimals than USD has (its "
            "smallest amount is 0.01 USD); an adjustment's amounts are posted as written: round "
            "it",
            17,
        ),
        (
            "  - {type: debit_memo, id: DM-1, date: 2026-02-05, invoice: INV-ACME-1-20260201,\n"
            '     lines: [{product: platform, amount: "5.001"}]}\n',
            "customer acme: debit_memo DM-1: platform: amount 5.001 USD has more decimals than "
            "USD has (its smallest amount is 0.01 USD); an adjustment's amounts are posted as "
            "written: round it",
            18,
        ),
    ],
)
def test_memo_amount_problems_are_errors_at_the_yaml_line(
    tmp_path: Path, adjustment: str, message: str, line: int
) -> None:
    entries, errors = load(tmp_path, {"acme": ACME + adjustment})
    assert [(e.source["filename"], e.source["lineno"], e.message) for e in errors] == [
        (str(tmp_path / "contracts" / "customers" / "acme.yaml"), line, message)
    ]
    assert [e for e in entries if isinstance(e, data.Transaction) and "memo-id" in e.meta] == []
