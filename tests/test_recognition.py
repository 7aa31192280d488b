"""The recognition plugin on hand-written invoices, through Beancount's loader."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from beancount import loader
from beancount.core import data

from beanbill.plugins import recognition

D = datetime.date

HEADER = """\
plugin "beanbill.plugins.recognition"
plugin "beanbill.plugins.chart"
2020-01-01 open Assets:AccountsReceivable:Customers:Acme
2020-01-01 open Liabilities:DeferredRevenue
2020-01-01 open Assets:UnbilledRevenue
2020-01-01 open Income:SalesAndServicesRevenue
2020-01-01 open Expenses:SalesReturnsAndAllowances
2020-01-01 custom "beanbill-revenue-rule" "daily" "ratable_daily" Income:SalesAndServicesRevenue
2020-01-01 custom "beanbill-revenue-rule" "monthly" "ratable_monthly" Income:SalesAndServicesRevenue
2020-01-01 custom "beanbill-revenue-rule" "onboarding" "point_in_time" Income:ProfessionalServices
2020-01-01 custom "beanbill-revenue-rule" "usage" "as_consumed" Income:SalesAndServicesRevenue
2020-01-01 custom "beanbill-revenue-rule" "invoiced" "as_invoiced" Income:SalesAndServicesRevenue
"""


def invoice(
    date: str,
    amount: str,
    rule: str,
    start: str,
    end: str,
    account: str = "Liabilities:DeferredRevenue",
    extra: str = "",
    invoice_id: str = "INV-1",
) -> str:
    return f"""
{date} * "Acme" "Invoice {invoice_id}" ^{invoice_id}
  invoice-id: "{invoice_id}"
  contract: "C-1"
  Assets:AccountsReceivable:Customers:Acme  {amount} USD
  {account}  -{amount} USD
    product: "platform"
    revenue-rule: "{rule}"
    service-start: {start}
    service-end: {end}
{extra}"""


def load(text: str) -> tuple[list[data.Directive], list[object]]:
    entries, errors, _ = loader.load_string(HEADER + text)
    return entries, errors


def releases(
    entries: list[data.Directive], account: str = "Liabilities:DeferredRevenue"
) -> dict[D, Decimal]:
    """Per date, what the recognition transactions moved out of (into) `account`."""
    result: dict[D, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if (
            isinstance(entry, data.Transaction)
            and entry.meta["filename"] == "<beanbill:recognition>"
        ):
            for posting in entry.postings:
                if posting.account == account:
                    result[entry.date] += posting.units.number
    return dict(result)


def balance(entries: list[data.Directive], account: str, day: D) -> Decimal:
    return sum(
        (
            p.units.number
            for e in entries
            if isinstance(e, data.Transaction) and e.date <= day
            for p in e.postings
            if p.account == account
        ),
        Decimal(0),
    )


def month_ends(year: int) -> list[D]:
    return [D(year, m + 1, 1) - datetime.timedelta(days=1) for m in range(1, 12)] + [
        D(year, 12, 31)
    ]


def test_annual_ratable_daily_releases_by_days() -> None:
    entries, errors = load(invoice("2026-01-01", "12000.00", "daily", "2026-01-01", "2026-12-31"))
    assert errors == []
    released = releases(entries)
    assert sorted(released) == month_ends(2026)
    assert released[D(2026, 1, 31)] == Decimal("1019.18")  # 12,000 x 31/365
    assert released[D(2026, 2, 28)] == Decimal("920.55")  # round(12,000 x 59/365) - 1019.18
    assert sum(released.values()) == Decimal("12000.00")
    assert balance(entries, "Liabilities:DeferredRevenue", D(2026, 12, 31)) == 0
    assert balance(entries, "Income:SalesAndServicesRevenue", D(2026, 6, 30)) == Decimal("-5950.68")


def test_release_transaction_names_its_contract_and_invoice() -> None:
    entries, _ = load(invoice("2026-01-01", "12000.00", "daily", "2026-01-01", "2026-12-31"))
    january = next(
        e for e in entries if isinstance(e, data.Transaction) and e.date == D(2026, 1, 31)
    )
    assert january.narration == "Revenue recognised 2026-01 — C-1"
    assert january.links == frozenset({"INV-1"})
    assert [(p.account, p.units.number) for p in january.postings] == [
        ("Liabilities:DeferredRevenue", Decimal("1019.18")),
        ("Income:SalesAndServicesRevenue", Decimal("-1019.18")),
    ]
    assert january.postings[0].meta == {"invoice-id": "INV-1", "product": "platform"}


def test_ratable_monthly_releases_equal_months() -> None:
    entries, errors = load(invoice("2026-01-01", "12000.00", "monthly", "2026-01-01", "2026-12-31"))
    assert errors == []
    assert set(releases(entries).values()) == {Decimal("1000.00")}


def test_service_starting_mid_month_prorates_its_partial_months() -> None:
    entries, errors = load(invoice("2026-01-15", "1200.00", "monthly", "2026-01-15", "2027-01-14"))
    assert errors == []
    released = releases(entries)
    assert min(released) == D(2026, 1, 31)  # never before the service starts
    assert released[D(2026, 1, 31)] == Decimal("54.84")  # 100 x 17/31
    assert released[D(2026, 2, 28)] == Decimal("100.00")
    assert released[D(2027, 1, 31)] == Decimal("45.16")  # 100 x 14/31
    assert sum(released.values()) == Decimal("1200.00")


def test_point_in_time_recognises_on_the_service_date() -> None:
    entries, errors = load(
        invoice("2026-03-01", "5000.00", "onboarding", "2026-03-10", "2026-03-31")
    )
    assert errors == []
    assert releases(entries) == {D(2026, 3, 10): Decimal("5000.00")}
    assert balance(entries, "Income:ProfessionalServices", D(2026, 3, 10)) == Decimal("-5000.00")
    opens = [
        e
        for e in entries
        if isinstance(e, data.Open) and e.account == "Income:ProfessionalServices"
    ]
    assert [o.date for o in opens] == [D(2026, 3, 10)]


def test_as_invoiced_recognises_on_the_invoice_date() -> None:
    entries, _ = load(invoice("2026-03-01", "300.00", "invoiced", "2026-03-01", "2026-05-31"))
    assert releases(entries) == {D(2026, 3, 1): Decimal("300.00")}


def test_arrears_usage_is_accrued_then_cleared_by_its_invoice() -> None:
    text = invoice(
        "2026-02-01", "40.00", "usage", "2026-01-01", "2026-01-31", account="Assets:UnbilledRevenue"
    )
    entries, errors = load(text)
    assert errors == []
    assert releases(entries, "Assets:UnbilledRevenue") == {D(2026, 1, 31): Decimal("40.00")}
    assert balance(entries, "Assets:UnbilledRevenue", D(2026, 1, 31)) == Decimal("40.00")
    assert balance(entries, "Income:SalesAndServicesRevenue", D(2026, 1, 31)) == Decimal("-40.00")
    assert balance(entries, "Assets:UnbilledRevenue", D(2026, 2, 1)) == 0


def test_usage_consumed_over_a_quarter_follows_the_events() -> None:
    extra = '    consumed: "2026-01-20=1000 2026-02-10=3000"\n'
    text = invoice(
        "2026-04-01", "400.00", "usage", "2026-01-01", "2026-03-31", "Assets:UnbilledRevenue", extra
    )
    entries, errors = load(text)
    assert errors == []
    assert releases(entries, "Assets:UnbilledRevenue") == {
        D(2026, 1, 31): Decimal("100.00"),
        D(2026, 2, 28): Decimal("300.00"),
    }


def test_allocated_amount_is_what_gets_recognised() -> None:
    # Billed 5,000 for installation, allocated 3,750 of the bundle's price by SSP: the 1,250
    # difference stays in Deferred Revenue as a contract liability until other lines draw it.
    extra = "    allocated-amount: 3750.00\n"
    entries, errors = load(
        invoice("2026-01-01", "5000.00", "onboarding", "2026-01-01", "2026-01-01", extra=extra)
    )
    assert errors == []
    assert releases(entries) == {D(2026, 1, 1): Decimal("3750.00")}
    assert balance(entries, "Liabilities:DeferredRevenue", D(2026, 12, 31)) == Decimal("-1250.00")


def test_credit_memo_on_a_half_recognised_line_shrinks_the_rest_of_its_schedule() -> None:
    # Stripe's published example (accounting-rules.md): 181.00 for 2026-01-01..06-30, credited
    # 90.50 on 02-01: 15.50 already recognised goes to Sales Returns, 75.00 leaves Deferred
    # Revenue and is taken off the remaining 150 days.
    memo = """
2026-02-01 * "Acme" "Credit memo CM-1" ^CM-1 ^INV-1
  invoice-id: "INV-1"
  contract: "C-1"
  Expenses:SalesReturnsAndAllowances  15.50 USD
  Liabilities:DeferredRevenue  75.00 USD
    product: "platform"
    revenue-rule: "daily"
    service-start: 2026-02-01
    service-end: 2026-06-30
  Assets:AccountsReceivable:Customers:Acme  -90.50 USD
"""
    entries, errors = load(
        invoice("2026-01-01", "181.00", "daily", "2026-01-01", "2026-06-30") + memo
    )
    assert errors == []
    released = releases(entries)
    assert released[D(2026, 1, 31)] == Decimal("31.00")
    assert released[D(2026, 2, 28)] == Decimal("14.00")
    assert released[D(2026, 3, 31)] == Decimal("15.50")
    assert released[D(2026, 6, 30)] == Decimal("15.00")
    assert sum(released.values()) == Decimal("106.00")  # 181.00 billed - 75.00 credited
    assert balance(entries, "Liabilities:DeferredRevenue", D(2026, 6, 30)) == 0
    income = balance(entries, "Income:SalesAndServicesRevenue", D(2026, 6, 30))
    returns = balance(entries, "Expenses:SalesReturnsAndAllowances", D(2026, 6, 30))
    assert (income, returns) == (Decimal("-106.00"), Decimal("15.50"))
    assert income + returns == Decimal("-90.50")  # net revenue: 181.00 - 90.50


def test_unknown_rule_is_an_error_at_the_invoice() -> None:
    entries, errors = load(invoice("2026-01-01", "100.00", "dayly", "2026-01-01", "2026-01-31"))
    assert len(errors) == 1
    assert errors[0].source["lineno"] == 14  # the invoice's line in the loaded text
    assert errors[0].message == (
        'Liabilities:DeferredRevenue: unknown revenue rule "dayly" '
        "(known: daily, invoiced, monthly, onboarding, usage)"
    )
    assert releases(entries) == {}


def test_service_end_before_start_is_an_error() -> None:
    _, errors = load(invoice("2026-01-01", "100.00", "daily", "2026-01-31", "2026-01-01"))
    assert [e.message for e in errors] == [
        "Liabilities:DeferredRevenue: service-end 2026-01-01 is before service-start 2026-01-31"
    ]


def test_malformed_rule_declaration_is_an_error() -> None:
    text = '2020-01-01 custom "beanbill-revenue-rule" "odd" "weekly" Income:Other\n'
    _, errors = load(text)
    assert [e.message for e in errors] == [
        "beanbill-revenue-rule needs: ID METHOD ACCOUNT, METHOD one of ratable_daily | "
        "ratable_monthly | point_in_time | as_invoiced | as_consumed | milestone"
    ]


def test_hand_written_postings_without_a_schedule_are_errors() -> None:
    # Nothing would ever release them: the accounts would stop tying out to the invoices
    # (accounting-rules.md, invariants). The scheduled line of the same entry is recognised.
    text = (
        invoice("2026-01-01", "310.00", "daily", "2026-01-01", "2026-01-31")
        + """  Liabilities:DeferredRevenue  -100.00 USD
  Assets:AccountsReceivable:Customers:Acme  100.00 USD

2026-01-31 * "Manual accrual"
  Assets:UnbilledRevenue  25.00 USD
  Income:SalesAndServicesRevenue  -25.00 USD
"""
    )
    entries, errors = load(text)
    assert [(e.source["lineno"], e.message) for e in errors] == [
        (
            14,
            "Liabilities:DeferredRevenue: -100.00 USD is posted without a revenue schedule: "
            "nothing will ever recognise it, and Liabilities:DeferredRevenue would no longer "
            "equal what the invoices billed and did not recognise yet. Give the posting the "
            "metadata revenue-rule, service-start and service-end (it is then recognised like "
            "an invoice line), or post to an account of your own, opened with "
            "beanbill-custom: TRUE",
        ),
        (
            26,
            "Assets:UnbilledRevenue: 25.00 USD is posted without a revenue schedule: nothing "
            "will ever recognise it, and Assets:UnbilledRevenue would no longer equal the "
            "revenue recognised and not invoiced yet. Give the posting the metadata "
            "revenue-rule, service-start and service-end (it is then recognised like an "
            "invoice line), or post to an account of your own, opened with "
            "beanbill-custom: TRUE",
        ),
    ]
    assert releases(entries) == {D(2026, 1, 31): Decimal("310.00")}


def recognised(entries: list[data.Directive], options: dict[str, object]) -> list[data.Transaction]:
    """The recognition plugin's transactions, run on `entries`."""
    result, errors = recognition.recognise_revenue(entries, options)
    assert errors == []
    return [
        e
        for e in result
        if isinstance(e, data.Transaction) and e.meta["filename"] == recognition.RECOGNITION_FILE
    ]


def test_releases_kept_from_the_last_load_follow_a_changed_revenue_rule() -> None:
    # The plugin keeps a contract's releases while its entries are the very same objects (as
    # the contracts plugin hands them back on a reload); a rule moved to another account must
    # still move the revenue.
    text = HEADER.replace('plugin "beanbill.plugins.recognition"\n', "") + invoice(
        "2026-01-01", "300.00", "monthly", "2026-01-01", "2026-03-31"
    )
    entries, errors, options = loader.load_string(text)
    assert errors == []
    first = recognised(entries, options)
    again = recognised(entries, options)
    assert len(again) == 3
    assert all(a.postings is b.postings for a, b in zip(again, first, strict=True))
    moved = [
        e._replace(values=[*e.values[:2], e.values[2]._replace(value="Income:Other")])
        if isinstance(e, data.Custom) and e.values[0].value == "monthly"
        else e
        for e in entries
    ]
    after = recognised(moved, options)
    assert [(p.account, p.units.number) for p in after[0].postings] == [
        ("Liabilities:DeferredRevenue", Decimal("100.00")),
        ("Income:Other", Decimal("-100.00")),
    ]
