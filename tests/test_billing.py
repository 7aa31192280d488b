"""Tests for beanbill.billing and beanbill.rules: hand-checked invoices, then properties.

Every contract is written as inline YAML and goes through `load_texts`, so these tests read
the contract format exactly as a finance team writes it. Every number below was worked out by
hand (the arithmetic is in the comments); `check_invoice` also checks the invariants that hold
for any invoice: total = subtotal + tax = the sum of the lines, and the journal entry balances.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beanbill.billing import (
    Billed,
    Invoice,
    InvoiceLine,
    LineKind,
    TaxAmount,
    bill,
    contract_phases,
)
from beanbill.journal import Entry, OpenAccount, Posting
from beanbill.load import load_texts
from beanbill.model import Source, Timing
from beanbill.rules import AccountsToOpen, invoice_entry

D = datetime.date
M = Decimal
END_OF_YEAR = D(2026, 12, 31)

CATALOG = """\
company:
  name: Test SaaS Inc.
  currency: USD
  payment_terms: net 30
  invoice_prefix: INV
tax_rates:
  ca-sales: {name: California sales tax, rate: "7.25%", account: Liabilities:SalesTax:CA}
  jp-consumption: {name: Consumption tax, rate: "10%", account: Liabilities:SalesTax:JP}
  inclusive-4: {name: Inclusive 4%, rate: "4%", account: Liabilities:SalesTax:X, inclusive: true}
revenue_rules:
  subscription: {method: ratable_daily, account: Income:SalesAndServicesRevenue}
  usage: {method: as_consumed, account: Income:SalesAndServicesRevenue}
  services: {method: point_in_time, account: Income:ProfessionalServices}
products:
  platform: {name: Platform subscription, revenue_rule: subscription}
  support: {name: Premium support, revenue_rule: subscription}
  seats: {name: User seats, revenue_rule: subscription}
  onboarding: {name: Onboarding package, revenue_rule: services}
  api-calls: {name: API calls, metric: api_calls, aggregation: sum, revenue_rule: usage}
  storage: {name: Storage, metric: storage_gb, aggregation: sum, revenue_rule: usage}
  prepaid-credits: {name: Prepaid usage credits}
"""

USAGE_HEADER = "timestamp,customer,metric,quantity,event_id"

# Product lines, as flow mappings.
PLATFORM_1000 = '{product: platform, pricing: {model: flat_fee, price: "1000.00"}}'
API_PER_UNIT = (
    "{product: api-calls, billing: {cadence: monthly, timing: arrears},"
    ' pricing: {model: per_unit, unit_price: "0.01"}}'
)
MONTHLY_ADVANCE = "{cadence: monthly, timing: advance, anchor: calendar}"


# --- building contracts --------------------------------------------------------------------


def phase(
    start: str,
    products: Sequence[str],
    *,
    discounts: Sequence[str] = (),
    taxes: Sequence[str] = (),
    minimum: str | None = None,
) -> str:
    text = [f"      - start: {start}", "        products:"]
    text += [f"          - {product}" for product in products]
    if discounts:
        text.append("        discounts:")
        text += [f"          - {discount}" for discount in discounts]
    if taxes:
        text.append(f"        taxes: [{', '.join(taxes)}]")
    if minimum:
        text.append(f"        minimum_commitment: {minimum}")
    return "\n".join(text) + "\n"


def contract(
    contract_id: str,
    phases: Sequence[str],
    *,
    start: str,
    end: str | None = None,
    billing: str = MONTHLY_ADVANCE,
    renewal: str | None = None,
    terms: str | None = None,
    currency: str | None = None,
) -> str:
    text = [f"  - id: {contract_id}", f"    start: {start}"]
    if end:
        text.append(f"    end: {end}")
    if currency:
        text.append(f"    currency: {currency}")
    if terms:
        text.append(f"    payment_terms: {terms}")
    text.append(f"    billing: {billing}")
    if renewal:
        text.append(f"    renewal: {renewal}")
    text.append("    phases:")
    return "\n".join(text) + "\n" + "".join(phases)


def customer(
    contracts: Sequence[str],
    *,
    customer_id: str = "acme",
    account: str = "Acme",
    consolidate: bool = False,
) -> tuple[str, str]:
    head = (
        "customer:\n"
        f"  id: {customer_id}\n"
        f"  account: {account}\n"
        f"  name: {customer_id.title()} Corp\n"
        f"  consolidate: {'true' if consolidate else 'false'}\n"
        "contracts:\n"
    )
    return f"customers/{customer_id}.yaml", head + "".join(contracts)


def usage_csv(*rows: str, file: str = "usage/events.csv") -> tuple[str, str]:
    return file, "\n".join((USAGE_HEADER, *rows)) + "\n"


def simple(
    products: Sequence[str],
    *,
    start: str = "2026-01-01",
    end: str | None = "2026-12-31",
    **options: str,
) -> tuple[str, str]:
    """A customer `acme` with one contract C-1 of one phase."""
    return customer([contract("C-1", [phase(start, products)], start=start, end=end, **options)])


# --- billing and checking ------------------------------------------------------------------


def check_invoice(invoice: Invoice) -> Entry:
    """The invariants of any invoice and its journal entry; returns the entry."""
    assert invoice.lines, f"{invoice.id} was issued without lines"
    assert invoice.total == invoice.subtotal + invoice.tax
    assert invoice.total == sum((line.amount + line.tax for line in invoice.lines), M(0))
    for line in invoice.lines:
        minor = M(1) if invoice.currency == "JPY" else M("0.01")
        assert line.amount == line.amount.quantize(minor), line
        assert all(t.amount == t.amount.quantize(minor) for t in line.taxes), line
    entry = invoice_entry(invoice)
    assert entry.imbalance() == {}, f"{invoice.id} does not balance"
    assert sum((p.amount for p in entry.postings), M(0)) == 0
    assert entry.date == invoice.date
    assert invoice.id in entry.links
    receivable = entry.postings[0]
    assert receivable.account == f"Assets:AccountsReceivable:Customers:{invoice.customer.account}"
    assert receivable.amount == invoice.total
    assert all(p.currency == invoice.currency for p in entry.postings)
    return entry


def billed_with_problems(
    customers: Sequence[tuple[str, str]],
    usage: Sequence[tuple[str, str]] = (),
    until: datetime.date = END_OF_YEAR,
) -> Billed:
    contract_set, problems = load_texts(("catalog.yaml", CATALOG), list(customers), list(usage))
    assert problems == []
    assert contract_set is not None
    result = bill(contract_set, until)
    for invoice in result.invoices:
        check_invoice(invoice)
        assert invoice.date <= until
    assert [(i.date, i.id) for i in result.invoices] == sorted(
        (i.date, i.id) for i in result.invoices
    )
    assert len({i.id for i in result.invoices}) == len(result.invoices)
    return result


def billed(
    customers: Sequence[tuple[str, str]],
    usage: Sequence[tuple[str, str]] = (),
    until: datetime.date = END_OF_YEAR,
) -> dict[str, Invoice]:
    """Bill and assert no problems; the invoices by id."""
    result = billed_with_problems(customers, usage, until)
    assert result.problems == ()
    return {invoice.id: invoice for invoice in result.invoices}


def amounts(invoice: Invoice) -> list[tuple[str, Decimal]]:
    return [(line.product, line.amount) for line in invoice.lines]


def only(invoice: Invoice, product: str, kind: LineKind = LineKind.CHARGE) -> InvoiceLine:
    found = [line for line in invoice.lines if line.product == product and line.kind is kind]
    assert len(found) == 1, found
    return found[0]


# --- proration and periods -----------------------------------------------------------------


def test_mid_month_start_prorates_the_first_month() -> None:
    invoices = billed(
        [simple([PLATFORM_1000], start="2026-01-15", end="2027-01-14")], until=D(2027, 1, 31)
    )
    first = invoices["INV-C-1-20260115"]
    line = only(first, "platform")
    assert line.amount == M("548.39")  # 1000.00 * 17 / 31 = 548.387...
    assert line.proration == (17, 31)
    assert (line.service_start, line.service_end) == (D(2026, 1, 15), D(2026, 1, 31))
    assert line.timing is Timing.ADVANCE
    assert amounts(invoices["INV-C-1-20260201"]) == [("platform", M("1000.00"))]
    # the last stub: 1 to 14 January 2027, 1000.00 * 14 / 31 = 451.612...
    assert amounts(invoices["INV-C-1-20270101"]) == [("platform", M("451.61"))]
    assert len(invoices) == 13


def test_quarterly_arrears_usage_is_dated_the_day_after_the_quarter() -> None:
    quarterly_api = (
        "{product: api-calls, billing: {cadence: quarterly, timing: arrears},"
        ' pricing: {model: per_unit, unit_price: "0.01"}}'
    )
    invoices = billed(
        [simple([quarterly_api])],
        [
            usage_csv(
                "2026-01-05,acme,api_calls,100,e1",
                "2026-02-10T12:00:00Z,acme,api_calls,200,e2",
                "2026-03-31T23:59:59,acme,api_calls,300,e3",
                "2026-04-01,acme,api_calls,1000,e4",
            )
        ],
    )
    assert sorted(invoices) == ["INV-C-1-20260401", "INV-C-1-20260701"]
    q1 = only(invoices["INV-C-1-20260401"], "api-calls")
    assert q1.quantity == 600  # 100 + 200 + 300: the quarter's events
    assert q1.amount == M("6.00")
    assert (q1.service_start, q1.service_end) == (D(2026, 1, 1), D(2026, 3, 31))
    assert q1.timing is Timing.ARREARS
    q2 = only(invoices["INV-C-1-20260701"], "api-calls")
    assert (q2.quantity, q2.amount) == (M(1000), M("10.00"))
    # Q3 and Q4 had no usage: their lines (and so their invoices) are left off, and the Q4
    # invoice would be dated 2027-01-01, after `until`.


def test_per_month_flat_fee_on_a_quarterly_cadence() -> None:
    line = '{product: platform, pricing: {model: flat_fee, price: "1000.00", per: month}}'
    quarterly = "{cadence: quarterly, timing: advance, anchor: calendar}"
    invoices = billed([simple([line], start="2026-02-15", end="2026-11-10", billing=quarterly)])
    assert sorted(invoices) == [
        "INV-C-1-20260215",
        "INV-C-1-20260401",
        "INV-C-1-20260701",
        "INV-C-1-20261001",
    ]
    # 15 February to 31 March: 1000.00 * 14/28 + 1000.00 = 1500.00
    assert amounts(invoices["INV-C-1-20260215"]) == [("platform", M("1500.00"))]
    assert amounts(invoices["INV-C-1-20260401"]) == [("platform", M("3000.00"))]  # 3 x price
    assert amounts(invoices["INV-C-1-20260701"]) == [("platform", M("3000.00"))]
    # October + 1 to 10 November: 1000.00 + 1000.00 * 10/30 = 1333.33
    assert amounts(invoices["INV-C-1-20261001"]) == [("platform", M("1333.33"))]


def test_seats_are_quantity_times_unit_price_prorated() -> None:
    seats = '{product: seats, quantity: 10, pricing: {model: per_unit, unit_price: "25.00"}}'
    invoices = billed([simple([seats], start="2026-01-15", end="2026-02-28")])
    january = only(invoices["INV-C-1-20260115"], "seats")
    assert january.amount == M("137.10")  # 10 * 25.00 * 17/31 = 137.096...
    assert (january.quantity, january.unit_price) == (M(10), M("25.00"))
    assert amounts(invoices["INV-C-1-20260201"]) == [("seats", M("250.00"))]


# --- phases and renewals -------------------------------------------------------------------


def test_mid_month_phase_change_splits_the_month() -> None:
    new_price = '{product: platform, pricing: {model: flat_fee, price: "2000.00"}}'
    text = customer(
        [
            contract(
                "C-1",
                [
                    phase("2026-01-01", [PLATFORM_1000, API_PER_UNIT]),
                    phase("2026-03-16", [new_price, API_PER_UNIT]),
                ],
                start="2026-01-01",
                end="2026-04-30",
            )
        ]
    )
    events = usage_csv("2026-03-10,acme,api_calls,100,e1", "2026-03-20,acme,api_calls,200,e2")
    invoices = billed([text], [events])
    assert sorted(invoices) == [
        "INV-C-1-20260101",
        "INV-C-1-20260201",
        "INV-C-1-20260301",
        "INV-C-1-20260316",
        "INV-C-1-20260401",  # April had no usage: no invoice on 1 May
    ]
    march_1 = only(invoices["INV-C-1-20260301"], "platform")
    assert march_1.amount == M("483.87")  # 1000.00 * 15/31 = 483.870...
    assert (march_1.service_start, march_1.service_end) == (D(2026, 3, 1), D(2026, 3, 15))
    march_16 = invoices["INV-C-1-20260316"]
    platform = only(march_16, "platform")
    assert platform.amount == M("1032.26")  # 2000.00 * 16/31 = 1032.258...
    assert (platform.service_start, platform.service_end) == (D(2026, 3, 16), D(2026, 3, 31))
    # the arrears usage of the first piece (1 to 15 March) is billed the day after it
    usage = only(march_16, "api-calls")
    assert (usage.quantity, usage.amount) == (M(100), M("1.00"))
    assert (usage.service_start, usage.service_end) == (D(2026, 3, 1), D(2026, 3, 15))
    april = invoices["INV-C-1-20260401"]
    assert only(april, "platform").amount == M("2000.00")
    assert only(april, "api-calls").quantity == 200
    assert only(april, "api-calls").service_start == D(2026, 3, 16)


def test_phase_change_on_a_period_boundary_just_changes_the_price() -> None:
    new_price = '{product: platform, pricing: {model: flat_fee, price: "2000.00"}}'
    text = customer(
        [
            contract(
                "C-1",
                [phase("2026-01-01", [PLATFORM_1000]), phase("2026-04-01", [new_price])],
                start="2026-01-01",
                end="2026-06-30",
            )
        ]
    )
    invoices = billed([text])
    assert [(i.date.month, amounts(i)) for i in invoices.values()] == [
        (1, [("platform", M("1000.00"))]),
        (2, [("platform", M("1000.00"))]),
        (3, [("platform", M("1000.00"))]),
        (4, [("platform", M("2000.00"))]),
        (5, [("platform", M("2000.00"))]),
        (6, [("platform", M("2000.00"))]),
    ]
    assert all(
        line.proration[0] == line.proration[1] for i in invoices.values() for line in i.lines
    )


def test_renewal_with_uplift_compounds_and_skips_one_time_lines() -> None:
    onboarding = (
        "{product: onboarding, billing: {cadence: one_time},"
        ' pricing: {model: flat_fee, price: "500.00"}}'
    )
    text = customer(
        [
            contract(
                "C-1",
                [phase("2026-01-01", [PLATFORM_1000, onboarding])],
                start="2026-01-01",
                end="2026-06-30",
                renewal='{term_months: 6, uplift: "10%"}',
            )
        ]
    )
    invoices = billed([text], until=D(2027, 1, 31))
    assert len(invoices) == 13
    assert amounts(invoices["INV-C-1-20260101"]) == [
        ("platform", M("1000.00")),
        ("onboarding", M("500.00")),
    ]
    assert amounts(invoices["INV-C-1-20260601"]) == [("platform", M("1000.00"))]
    # first renewal (July to December): 1.10 x 1000.00; the onboarding is not billed again
    for month in range(7, 13):
        assert amounts(invoices[f"INV-C-1-2026{month:02d}01"]) == [("platform", M("1100.00"))]
    # second renewal compounds: 1.10 * 1.10 * 1000.00 = 1210.00
    assert amounts(invoices["INV-C-1-20270101"]) == [("platform", M("1210.00"))]
    assert sum(line.product == "onboarding" for i in invoices.values() for line in i.lines) == 1
    # each renewal line says how its price was raised from the signed one; a signed one does not
    assert [line.renewal for line in invoices["INV-C-1-20260601"].lines] == [""]
    assert [line.renewal for line in invoices["INV-C-1-20261201"].lines] == [
        "term 1: prices x 1.1 (uplift 10% a term)"
    ]
    assert [line.renewal for line in invoices["INV-C-1-20270101"].lines] == [
        "term 2: prices x 1.21 (uplift 10% a term, compounded)"
    ]


def test_a_renewal_term_names_its_uplift_on_charges_not_on_discounts() -> None:
    text = customer(
        [
            contract(
                "C-1",
                [
                    phase(
                        "2026-01-01",
                        [PLATFORM_1000],
                        discounts=['{name: Loyalty, percent: "10%"}'],
                    )
                ],
                start="2026-01-01",
                end="2026-01-31",
                renewal='{term_months: 1, uplift: "2.5%"}',
            )
        ]
    )
    invoices = billed([text], until=D(2026, 3, 31))
    march = invoices["INV-C-1-20260301"]
    # 1000.00 x 1.025 x 1.025 = 1050.625 → 1050.63; its 10% discount: 105.06
    assert [(line.kind.value, line.amount, line.renewal) for line in march.lines] == [
        ("charge", M("1050.63"), "term 2: prices x 1.050625 (uplift 2.5% a term, compounded)"),
        ("discount", M("-105.06"), ""),
    ]
    assert [line.renewal for line in invoices["INV-C-1-20260101"].lines] == ["", ""]


def renewing(renewal: str) -> str:
    return customer(
        [
            contract(
                "C-1",
                [phase("2026-01-01", [PLATFORM_1000])],
                start="2026-01-01",
                end="2026-06-30",
                renewal=renewal,
            )
        ]
    )


def test_renewal_end_stops_the_renewals_and_keeps_the_invoices_issued() -> None:
    renewing_on = billed([renewing('{term_months: 6, uplift: "10%"}')], until=D(2027, 6, 30))
    # A notice of non-renewal: the first renewal term (July to December) is the last.
    noticed = billed(
        [renewing('{term_months: 6, uplift: "10%", end: 2026-12-31}')], until=D(2027, 6, 30)
    )
    assert sorted(noticed) == [f"INV-C-1-2026{month:02d}01" for month in range(1, 13)]
    assert amounts(noticed["INV-C-1-20261201"]) == [("platform", M("1100.00"))]
    # The invoices of 2026 are those of the renewing contract, to the cent.
    assert {i: amounts(noticed[i]) for i in noticed} == {
        i: amounts(renewing_on[i]) for i in noticed
    }
    assert len(renewing_on) == 18  # it renewed again in January 2027, at 1210.00


def test_renewal_end_inside_a_term_cuts_it_short_prorated() -> None:
    # An early termination on 15 September, in the first renewal term (at 1100.00 a month).
    invoices = billed(
        [renewing('{term_months: 6, uplift: "10%", end: 2026-09-15}')], until=D(2027, 6, 30)
    )
    assert max(invoices) == "INV-C-1-20260901"
    (line,) = invoices["INV-C-1-20260901"].lines
    # 1100.00 x 15 / 30 days of September
    assert (line.amount, line.service_start, line.service_end) == (
        M("550.00"),
        D(2026, 9, 1),
        D(2026, 9, 15),
    )


def test_renewal_terms_do_not_drift_through_february() -> None:
    text = customer(
        [
            contract(
                "C-1",
                [phase("2025-12-30", [PLATFORM_1000])],
                start="2025-12-30",
                end="2026-01-29",
                renewal="{term_months: 1}",
            )
        ]
    )
    contract_set, problems = load_texts(("catalog.yaml", CATALOG), [text], [])
    assert problems == []
    assert contract_set is not None
    phases = contract_phases(contract_set.customers[0].contracts[0], D(2026, 4, 30))
    # each term runs a month from the first renewal's start, 30 January (clamped in February)
    assert [(p.name, p.start, p.end) for p in phases[1:]] == [
        ("Renewal 1", D(2026, 1, 30), D(2026, 2, 27)),
        ("Renewal 2", D(2026, 2, 28), D(2026, 3, 29)),
        ("Renewal 3", D(2026, 3, 30), D(2026, 4, 29)),
        ("Renewal 4", D(2026, 4, 30), D(2026, 5, 29)),
    ]


def test_evergreen_contract_is_billed_up_to_until_only() -> None:
    text = simple([PLATFORM_1000, API_PER_UNIT], end=None)
    events = usage_csv(
        "2026-01-10,acme,api_calls,100,e1",
        "2026-04-10,acme,api_calls,700,e2",
        "2026-06-10,acme,api_calls,900,e3",  # after `until`: billed later, not a problem
    )
    invoices = billed([text], [events], until=D(2026, 4, 15))
    assert sorted(invoices) == [
        "INV-C-1-20260101",
        "INV-C-1-20260201",
        "INV-C-1-20260301",
        "INV-C-1-20260401",
    ]
    assert all(i.date <= D(2026, 4, 15) for i in invoices.values())
    assert only(invoices["INV-C-1-20260201"], "api-calls").quantity == 100
    # billed later, with a later horizon
    later = billed([text], [events], until=D(2026, 7, 1))
    assert only(later["INV-C-1-20260501"], "api-calls").quantity == 700
    assert only(later["INV-C-1-20260701"], "api-calls").quantity == 900


# --- invoices: grouping, ids, currencies, due dates ----------------------------------------


def test_advance_and_arrears_lines_of_one_date_share_one_invoice() -> None:
    invoices = billed(
        [simple([PLATFORM_1000, API_PER_UNIT], end="2026-02-28")],
        [usage_csv("2026-01-20,acme,api_calls,1234,e1")],
    )
    # February had no usage: no invoice on 1 March
    assert sorted(invoices) == ["INV-C-1-20260101", "INV-C-1-20260201"]
    february = invoices["INV-C-1-20260201"]
    platform, usage = only(february, "platform"), only(february, "api-calls")
    assert platform.timing is Timing.ADVANCE
    assert (platform.service_start, platform.service_end) == (D(2026, 2, 1), D(2026, 2, 28))
    assert usage.timing is Timing.ARREARS
    assert (usage.service_start, usage.service_end) == (D(2026, 1, 1), D(2026, 1, 31))
    assert usage.amount == M("12.34")
    assert february.total == M("1012.34")


def test_consolidated_customer_gets_one_invoice_per_date() -> None:
    support = '{product: support, pricing: {model: flat_fee, price: "200.00"}}'
    text = customer(
        [
            contract(
                "C-1", [phase("2026-01-01", [PLATFORM_1000])], start="2026-01-01", end="2026-03-31"
            ),
            contract(
                "C-2",
                [phase("2026-02-01", [support])],
                start="2026-02-01",
                end="2026-03-31",
                terms="net 15",
            ),
        ],
        consolidate=True,
    )
    invoices = billed([text])
    assert sorted(invoices) == ["INV-acme-20260101", "INV-acme-20260201", "INV-acme-20260301"]
    assert invoices["INV-acme-20260101"].contracts == ("C-1",)
    february = invoices["INV-acme-20260201"]
    assert february.contracts == ("C-1", "C-2")
    assert [(line.contract, line.amount) for line in february.lines] == [
        ("C-1", M("1000.00")),
        ("C-2", M("200.00")),
    ]
    assert february.total == M("1200.00")
    # due on the shortest terms of its contracts: C-2's net 15, not the company's net 30
    assert february.due_date == D(2026, 2, 16)
    assert invoices["INV-acme-20260101"].due_date == D(2026, 1, 31)
    entry = invoice_entry(february)
    assert dict(entry.meta)["contract"] == "C-1, C-2"
    assert dict(entry.meta)["invoice-id"] == "INV-acme-20260201"


def test_contract_named_like_a_consolidated_customer_never_shares_its_invoice() -> None:
    def one_month(contract_id: str) -> str:
        return contract(
            contract_id,
            [phase("2026-01-01", [PLATFORM_1000])],
            start="2026-01-01",
            end="2026-01-31",
        )

    consolidated = customer([one_month("C-1")], customer_id="c-2", account="Two", consolidate=True)
    other = customer([one_month("c-2")], customer_id="zed", account="Zed")
    # both would issue INV-c-2-20260101: the contract that takes the customer's id is refused,
    # whichever file is read first
    for customers in ([consolidated, other], [other, consolidated]):
        contract_set, problems = load_texts(("catalog.yaml", CATALOG), customers, [])
        assert [(p.source.file, p.source.line) for p in problems] == [("customers/zed.yaml", 7)]
        assert problems[0].message == (
            'customer zed: contract id "c-2" is the id of customer c-2, which has consolidate: '
            "true: both would issue the invoice ids <prefix>-c-2-<yyyymmdd>; give the contract "
            "another id"
        )
        assert contract_set is not None
        invoices = bill(contract_set, END_OF_YEAR).invoices
        assert [(i.id, i.customer.id, i.contracts) for i in invoices] == [
            ("INV-c-2-20260101", "c-2", ("C-1",))
        ]
    # In another case too: INV-C-2-20260101 beside INV-c-2-20260101.
    upper = customer([one_month("C-2")], customer_id="zed", account="Zed")
    _, problems = load_texts(("catalog.yaml", CATALOG), [consolidated, upper], [])
    assert [p.message for p in problems] == [
        'customer zed: contract id "C-2" is the id of customer c-2, which has consolidate: '
        "true: both would issue the invoice ids <prefix>-C-2-<yyyymmdd> (in another case); "
        "give the contract another id"
    ]


def test_consolidating_two_currencies_leaves_the_customer_out_with_one_problem() -> None:
    def one_quarter(contract_id: str, currency: str, start: str) -> str:
        return contract(
            contract_id,
            [phase(start, [PLATFORM_1000])],
            start=start,
            end="2026-03-31",
            currency=currency,
        )

    # Whether or not the contracts ever bill on the same date (C-2 starts mid-January), the
    # file is left out whole, with one problem at consolidate: naming the contracts.
    text = customer(
        [one_quarter("C-1", "USD", "2026-01-01"), one_quarter("C-2", "EUR", "2026-01-15")],
        consolidate=True,
    )
    contract_set, problems = load_texts(("catalog.yaml", CATALOG), [text], [])
    assert contract_set is not None and contract_set.customers == ()
    assert [(p.source.line, p.message) for p in problems] == [
        (
            5,
            "customer acme: consolidate: true puts all the customer's contracts on one invoice "
            "per date, in one currency, and these use EUR, USD (C-1 USD, C-2 EUR): give them "
            "one currency, or set consolidate: false (each contract then has its own invoices)",
        )
    ]


def test_euro_and_yen_contracts() -> None:
    eur = customer(
        [
            contract(
                "EU-1",
                [phase("2026-01-15", [PLATFORM_1000])],
                start="2026-01-15",
                end="2026-02-28",
                currency="EUR",
            )
        ],
        customer_id="euro",
        account="Euro",
    )
    yen_line = '{product: platform, pricing: {model: flat_fee, price: "10000"}}'
    jpy = customer(
        [
            contract(
                "JP-1",
                [phase("2026-01-15", [yen_line], taxes=["jp-consumption"])],
                start="2026-01-15",
                end="2026-02-28",
                currency="JPY",
            )
        ],
        customer_id="yen",
        account="Yen",
    )
    invoices = billed([eur, jpy])
    euro = invoices["INV-EU-1-20260115"]
    assert euro.currency == "EUR"
    assert amounts(euro) == [("platform", M("548.39"))]
    yen = invoices["INV-JP-1-20260115"]
    assert yen.currency == "JPY"
    line = only(yen, "platform")
    assert line.amount == M("5484")  # 10000 * 17/31 = 5483.87: whole yen
    assert line.amount.as_tuple().exponent == 0
    assert line.tax == M("548")  # 5484 * 10% = 548.4
    assert yen.total == M("6032")
    assert all(p.amount == p.amount.to_integral_value() for p in invoice_entry(yen).postings)
    assert invoices["INV-JP-1-20260201"].total == M("11000")


def test_due_dates_follow_payment_terms() -> None:
    texts = [
        customer(
            [
                contract(
                    "N15",
                    [phase("2026-01-01", [PLATFORM_1000])],
                    start="2026-01-01",
                    end="2026-01-31",
                    terms="net 15",
                )
            ],
            customer_id="a",
            account="A",
        ),
        customer(
            [
                contract(
                    "DOR",
                    [phase("2026-01-01", [PLATFORM_1000])],
                    start="2026-01-01",
                    end="2026-01-31",
                    terms="due on receipt",
                )
            ],
            customer_id="b",
            account="B",
        ),
        customer(
            [
                contract(
                    "DEF",
                    [phase("2026-01-01", [PLATFORM_1000])],
                    start="2026-01-01",
                    end="2026-01-31",
                )
            ],
            customer_id="c",
            account="C",
        ),
    ]
    invoices = billed(texts)
    assert invoices["INV-N15-20260101"].due_date == D(2026, 1, 16)
    assert invoices["INV-DOR-20260101"].due_date == D(2026, 1, 1)
    assert invoices["INV-DEF-20260101"].due_date == D(2026, 1, 31)  # the company's net 30
    assert dict(invoice_entry(invoices["INV-N15-20260101"]).meta)["due-date"] == D(2026, 1, 16)


# --- metered lines -------------------------------------------------------------------------


def test_free_units_are_subtracted_before_pricing() -> None:
    line = (
        "{product: api-calls, billing: {cadence: monthly, timing: arrears}, free_units: 1000,"
        ' pricing: {model: per_unit, unit_price: "0.01"}}'
    )
    events = usage_csv(
        "2026-01-10,acme,api_calls,900,e1",
        "2026-01-20,acme,api_calls,600,e2",
        "2026-02-10,acme,api_calls,800,e3",  # under the free units: nothing to bill
    )
    invoices = billed([simple([line], end="2026-02-28")], [events])
    assert sorted(invoices) == ["INV-C-1-20260201"]  # March's invoice would have no lines
    january = only(invoices["INV-C-1-20260201"], "api-calls")
    assert january.quantity == 500  # 1500 - 1000 free
    assert january.amount == M("5.00")


def test_zero_usage_charges_a_first_tier_flat_fee_but_not_plain_tiers() -> None:
    with_fee = (
        "{product: api-calls, billing: {cadence: monthly, timing: arrears}, pricing:"
        " {model: tiered_with_flat_fee, tiers: ["
        '{up_to: 1000, unit_price: "0.01", flat_fee: "50.00"},'
        ' {unit_price: "0.005", flat_fee: "0"}]}}'
    )
    plain = (
        "{product: api-calls, billing: {cadence: monthly, timing: arrears}, pricing:"
        ' {model: tiered, tiers: [{up_to: 1000, unit_price: "0.01"}, {unit_price: "0.005"}]}}'
    )
    charged = billed([simple([with_fee], end="2026-01-31")])
    line = only(charged["INV-C-1-20260201"], "api-calls")
    assert (line.quantity, line.amount) == (M(0), M("50.00"))
    assert line.unit_price is None  # 0 units: the 50.00 is not quantity x a unit price
    # plain tiers: the zero line is left off, and an invoice without lines is not issued
    assert billed([simple([plain], end="2026-01-31")]) == {}


def test_package_line_does_not_claim_a_per_unit_price() -> None:
    line = (
        "{product: api-calls, billing: {cadence: monthly, timing: arrears},"
        ' pricing: {model: package, package_size: 100, package_price: "5.00"}}'
    )
    invoices = billed(
        [simple([line], end="2026-01-31")], [usage_csv("2026-01-10,acme,api_calls,250,e1")]
    )
    priced = only(invoices["INV-C-1-20260201"], "api-calls")
    assert (priced.quantity, priced.amount) == (M(250), M("15.00"))  # 3 packages of 100
    assert priced.unit_price is None  # 250 x 5.00 would not be 15.00
    assert "unit-price" not in dict(invoice_entry(invoices["INV-C-1-20260201"]).postings[1].meta)


def test_pricing_metadata_explains_what_quantity_times_unit_price_does_not() -> None:
    tiered = (
        "{product: api-calls, billing: {cadence: monthly, timing: arrears}, pricing:"
        ' {model: tiered, tiers: [{up_to: 1000, unit_price: "0.01"}, {unit_price: "0.005"}]}}'
    )
    events = usage_csv("2026-01-10,acme,api_calls,1500,e1", "2026-02-10,acme,api_calls,700,e2")
    invoices = billed([simple([tiered], end="2026-02-28")], [events])
    january = invoice_entry(invoices["INV-C-1-20260201"]).postings[1]
    assert dict(january.meta)["pricing"] == (
        "tier 1 (0-1000): 1000 = 10.00; tier 2 (over 1000): 500 = 2.500"
    )
    assert "unit-price" not in dict(january.meta)
    # all in the first tier: 700 x 0.01 says it all, as quantity and unit-price
    february = dict(invoice_entry(invoices["INV-C-1-20260301"]).postings[1].meta)
    assert (february["quantity"], february["unit-price"]) == (M(700), M("0.01"))
    assert "pricing" not in february


def test_duplicate_event_ids_are_counted_once() -> None:
    events = usage_csv(
        "2026-01-10,acme,api_calls,100,e1",
        "2026-01-10,acme,api_calls,100,e1",  # the same event sent twice
        "2026-01-12,acme,api_calls,50,e2",
    )
    invoices = billed([simple([API_PER_UNIT], end="2026-01-31")], [events])
    line = only(invoices["INV-C-1-20260201"], "api-calls")
    assert (line.quantity, line.amount) == (M(150), M("1.50"))


def test_usage_outside_every_contract_period_is_a_problem_at_its_line() -> None:
    events = usage_csv(
        "2026-01-10,acme,api_calls,100,e1",
        "2026-05-10,acme,api_calls,100,e2",  # after the contract ended
        "2026-01-11,acme,storage_gb,5,e3",  # no line of the contract measures storage
        "2025-12-20,acme,api_calls,100,e4",  # before it started
        file="usage/2026.csv",
    )
    result = billed_with_problems([simple([API_PER_UNIT], end="2026-03-31")], [events])
    fix = "so no invoice bills it; remove the row, or correct its"
    assert [(p.source.file, p.source.line, p.message) for p in result.problems] == [
        (
            "usage/2026.csv",
            3,
            "usage: event of customer acme, metric api_calls on 2026-05-10 is after the "
            f"customer's contract with that metric ends (C-1: 2026-01-01 to 2026-03-31), {fix} "
            "date or customer",
        ),
        (
            "usage/2026.csv",
            4,
            "usage: event of customer acme, metric storage_gb on 2026-01-11: no contract of the "
            f"customer has a line with that metric, {fix} customer or metric",
        ),
        (
            "usage/2026.csv",
            5,
            "usage: event of customer acme, metric api_calls on 2025-12-20 is before the "
            f"customer's contract with that metric starts (C-1: 2026-01-01 to 2026-03-31), {fix} "
            "date or customer",
        ),
    ]
    # the events inside the contract are still billed
    assert only(result.invoices[0], "api-calls").quantity == 100


def test_usage_between_contracts_names_each_of_them() -> None:
    events = usage_csv("2026-04-10,acme,api_calls,100,e1")
    two = customer(
        [
            contract(
                "C-1", [phase("2026-01-01", [API_PER_UNIT])], start="2026-01-01", end="2026-03-31"
            ),
            contract("C-2", [phase("2026-06-01", [API_PER_UNIT])], start="2026-06-01"),
        ]
    )
    result = billed_with_problems([two], [events])
    assert [p.message for p in result.problems] == [
        "usage: event of customer acme, metric api_calls on 2026-04-10 falls in no billing "
        "period of a line with that metric (C-1: 2026-01-01 to 2026-03-31; C-2: from "
        "2026-06-01, no end; billed up to 2026-12-31), so no invoice bills it; remove the row, "
        "or correct its date or customer"
    ]


def test_usage_past_the_horizon_waits_only_when_a_later_run_could_bill_it() -> None:
    events = usage_csv("2027-02-10,acme,api_calls,100,e1")
    ended = simple([API_PER_UNIT], end="2026-12-31")
    result = billed_with_problems([ended], [events])
    assert [(p.source.line, p.message) for p in result.problems] == [
        (
            2,
            "usage: event of customer acme, metric api_calls on 2027-02-10 is after the "
            "customer's contract with that metric ends (C-1: 2026-01-01 to 2026-12-31), so no "
            "invoice bills it; remove the row, or correct its date or customer",
        )
    ]
    # an evergreen contract, or one that renews without an end, may bill it in a later run
    assert billed_with_problems([simple([API_PER_UNIT], end=None)], [events]).problems == ()
    renewing = simple([API_PER_UNIT], end="2026-12-31", renewal="{term_months: 12}")
    assert billed_with_problems([renewing], [events]).problems == ()


def test_usage_two_contract_lines_would_both_bill_is_a_problem() -> None:
    events = usage_csv("2026-02-10,acme,api_calls,100,e1", "2026-02-11,acme,api_calls,5,e2")
    both = customer(
        [
            contract(
                "C-1", [phase("2026-01-01", [API_PER_UNIT])], start="2026-01-01", end="2026-03-31"
            ),
            contract(
                "C-2", [phase("2026-02-01", [API_PER_UNIT])], start="2026-02-01", end="2026-03-31"
            ),
        ]
    )
    result = billed_with_problems([both], [events])
    assert [(p.source.file, p.source.line, p.message) for p in result.problems] == [
        (
            "usage/events.csv",
            2,
            "usage: 2 event(s) of customer acme, metric api_calls, from 2026-02-10 on, would be "
            "billed twice: by contract C-1, product api-calls and by contract C-2, product "
            "api-calls; give the lines different metrics or periods that do not overlap",
        )
    ]


# --- discounts -----------------------------------------------------------------------------


def test_percent_discount_is_its_own_negative_line_until_its_end() -> None:
    discount = '{name: Launch discount, percent: "10%", products: [platform], end: 2026-02-28}'
    text = customer(
        [
            contract(
                "C-1",
                [phase("2026-01-15", [PLATFORM_1000, API_PER_UNIT], discounts=[discount])],
                start="2026-01-15",
                end="2026-03-31",
            )
        ]
    )
    invoices = billed([text], [usage_csv("2026-01-20,acme,api_calls,1000,e1")])
    january = invoices["INV-C-1-20260115"]
    assert amounts(january) == [("platform", M("548.39")), ("platform", M("-54.84"))]
    off = only(january, "platform", LineKind.DISCOUNT)
    assert off.description.startswith("Launch discount (10%)")
    assert (off.service_start, off.service_end) == (D(2026, 1, 15), D(2026, 1, 31))
    assert off.revenue_rule == "subscription"
    february = invoices["INV-C-1-20260201"]
    # the usage line is not discounted (the discount names the platform only)
    assert sorted(amounts(february)) == [
        ("api-calls", M("10.00")),
        ("platform", M("-100.00")),
        ("platform", M("1000.00")),
    ]
    # after its end (28 February) the discount no longer applies
    assert amounts(invoices["INV-C-1-20260301"]) == [("platform", M("1000.00"))]


def test_discount_starts_on_its_start_date() -> None:
    discount = '{name: Spring, percent: "50%", start: 2026-02-01}'
    text = customer(
        [
            contract(
                "C-1",
                [phase("2026-01-01", [PLATFORM_1000], discounts=[discount])],
                start="2026-01-01",
                end="2026-02-28",
            )
        ]
    )
    invoices = billed([text])
    assert amounts(invoices["INV-C-1-20260101"]) == [("platform", M("1000.00"))]
    assert invoices["INV-C-1-20260201"].total == M("500.00")


def test_amount_discount_is_spread_over_lines_summing_exactly() -> None:
    products = [
        '{product: platform, pricing: {model: flat_fee, price: "100.00"}}',
        '{product: support, pricing: {model: flat_fee, price: "100.00"}}',
        '{product: seats, quantity: 4, pricing: {model: per_unit, unit_price: "25.00"}}',
    ]
    discount = '{name: Loyalty, amount: "100.00"}'
    text = customer(
        [
            contract(
                "C-1",
                [phase("2026-01-01", products, discounts=[discount])],
                start="2026-01-01",
                end="2026-01-31",
            )
        ]
    )
    invoice = billed([text])["INV-C-1-20260101"]
    discounts = [line for line in invoice.lines if line.kind is LineKind.DISCOUNT]
    # 100.00 over three equal lines, rounded cumulatively: 33.33, 33.34, 33.33
    assert [(d.product, d.amount) for d in discounts] == [
        ("platform", M("-33.33")),
        ("support", M("-33.34")),
        ("seats", M("-33.33")),
    ]
    assert sum((d.amount for d in discounts), M(0)) == M("-100.00")
    assert invoice.total == M("200.00")


@pytest.mark.parametrize(
    ("second", "off"),
    [
        ('{amount: "100.00"}', M("-200.00")),  # each phase's amount, on its own lines
        ('{amount: "100.00", start: 2026-07-02}', M("-100.00")),  # the docs' way to give one
    ],
)
def test_an_invoice_where_two_phases_meet_takes_each_phases_amount_discount(
    second: str, off: Decimal
) -> None:
    # 1 July bills the first phase's June usage (arrears) and the second's July (advance)
    platform = '{product: platform, pricing: {model: flat_fee, price: "1000.00"}}'
    text = customer(
        [
            contract(
                "C-1",
                [
                    phase("2026-01-01", [platform, API_PER_UNIT], discounts=['{amount: "100.00"}']),
                    phase("2026-07-01", [platform, API_PER_UNIT], discounts=[second]),
                ],
                start="2026-01-01",
                end="2026-12-31",
            )
        ]
    )
    events = usage_csv("2026-06-10,acme,api_calls,50000,e1")  # 500.00
    july = billed([text], [events])["INV-C-1-20260701"]
    assert [(line.product, line.amount) for line in july.lines if line.kind is LineKind.CHARGE] == [
        ("api-calls", M("500.00")),
        ("platform", M("1000.00")),
    ]
    discounts = [line for line in july.lines if line.kind is LineKind.DISCOUNT]
    assert sum((line.amount for line in discounts), M(0)) == off
    assert july.subtotal == M("1500.00") + off


def test_amount_discount_never_exceeds_the_lines() -> None:
    products = ['{product: platform, pricing: {model: flat_fee, price: "60.00"}}']
    text = customer(
        [
            contract(
                "C-1",
                [phase("2026-01-01", products, discounts=['{amount: "100.00"}'])],
                start="2026-01-01",
                end="2026-01-31",
            )
        ]
    )
    invoices = billed([text])
    # 60.00 - 60.00 = 0: the invoice still lists the charge and its discount
    assert amounts(invoices["INV-C-1-20260101"]) == [
        ("platform", M("60.00")),
        ("platform", M("-60.00")),
    ]


def test_stacked_discounts_apply_in_order_and_never_go_below_zero() -> None:
    discounts = ['{name: Partner, percent: "60%"}', '{name: Voucher, amount: "1000.00"}']
    text = customer(
        [
            contract(
                "C-1",
                [phase("2026-01-01", [PLATFORM_1000], discounts=discounts)],
                start="2026-01-01",
                end="2026-02-28",
            )
        ]
    )
    invoices = billed([text])
    # 60% of 1000.00 = 600.00, then the voucher takes the 400.00 left (not 1000.00)
    january = invoices["INV-C-1-20260101"]
    assert [(x.description.split(":")[0], x.amount) for x in january.lines] == [
        ("Platform subscription, 2026-01-01 to 2026-01-31", M("1000.00")),
        ("Partner (60%)", M("-600.00")),
        ("Voucher", M("-400.00")),
    ]
    assert january.total == 0


def test_a_line_discounted_in_full_carries_no_tax() -> None:
    products = ['{product: platform, pricing: {model: flat_fee, price: "1.10"}}']
    discounts = ['{name: Partner, percent: "68%"}', '{name: Voucher, amount: "100.00"}']
    for tax, charge in (("jp-consumption", M("1.10")), ("inclusive-4", M("1.06"))):
        text = customer(
            [
                contract(
                    "C-1",
                    [phase("2026-01-01", products, discounts=discounts, taxes=[tax])],
                    start="2026-01-01",
                    end="2026-01-31",
                )
            ]
        )
        invoice = billed([text])["INV-C-1-20260101"]
        if tax == "jp-consumption":
            # 1.10 at 10%: 0.11. 68% off is 0.748 → 0.75, leaving 0.35, whose tax is 0.035 →
            # 0.04: the discount takes 0.11 - 0.04 = 0.07 of tax (taxed on its own, -0.075 →
            # -0.08). The voucher takes the 0.35 left and the last 0.04 (not -0.035 → -0.04
            # plus the -0.08: a total of -0.01).
            expected = [(charge, M("0.11")), (M("-0.75"), M("-0.07")), (M("-0.35"), M("-0.04"))]
        else:
            # 1.10 with 4% in it: net 1.06, tax 0.04. 68% off the gross is 0.75, leaving 0.35
            # (net 0.34, tax 0.01): the discount is net -0.72, tax -0.03. The voucher takes the
            # 0.35 left: net -0.34, tax -0.01
            expected = [(charge, M("0.04")), (M("-0.72"), M("-0.03")), (M("-0.34"), M("-0.01"))]
        assert [(x.amount, x.tax) for x in invoice.lines] == expected, tax
        assert (invoice.subtotal, invoice.tax, invoice.total) == (0, 0, 0)


# --- taxes ---------------------------------------------------------------------------------


def test_exclusive_tax_is_computed_and_rounded_per_line() -> None:
    products = [
        '{product: platform, pricing: {model: flat_fee, price: "15.50"}}',
        '{product: support, pricing: {model: flat_fee, price: "15.50"}}',
    ]
    discount = '{name: Promo, percent: "10%", products: [support]}'
    text = customer(
        [
            contract(
                "C-1",
                [phase("2026-01-01", products, discounts=[discount], taxes=["ca-sales"])],
                start="2026-01-01",
                end="2026-01-31",
            )
        ]
    )
    invoice = billed([text])["INV-C-1-20260101"]
    # per line: 15.50 * 7.25% = 1.12375 → 1.12 (twice); the discount -1.55 → -0.112375 → -0.11
    # (tax on the 29.45 subtotal would have been 2.135125 → 2.14; per line it is 2.13)
    assert [(line.amount, line.tax) for line in invoice.lines] == [
        (M("15.50"), M("1.12")),
        (M("15.50"), M("1.12")),
        (M("-1.55"), M("-0.11")),
    ]
    assert (invoice.subtotal, invoice.tax, invoice.total) == (M("29.45"), M("2.13"), M("31.58"))
    entry = invoice_entry(invoice)
    taxes = [p for p in entry.postings if p.account == "Liabilities:SalesTax:CA"]
    assert [p.amount for p in taxes] == [M("-2.13")]


def test_with_tax_replaces_the_amount_and_taxes_and_keeps_every_other_field() -> None:
    text = customer(
        [
            contract(
                "C-1", [phase("2026-01-01", [PLATFORM_1000])], start="2026-01-01", end="2026-01-31"
            )
        ]
    )
    line = billed([text])["INV-C-1-20260101"].lines[0]
    taxes = (TaxAmount("ca-sales", "Liabilities:SalesTax:CA", M("7.25")),)
    taxed = line.with_tax(M("92.75"), taxes)
    assert type(taxed) is InvoiceLine
    assert taxed == line._replace(amount=M("92.75"), taxes=taxes)
    assert (taxed.amount, taxed.taxes, taxed.service_end) == (M("92.75"), taxes, D(2026, 1, 31))


def test_inclusive_tax_takes_the_tax_out_of_the_price() -> None:
    products = ['{product: platform, pricing: {model: flat_fee, price: "2.99"}}']
    text = customer(
        [
            contract(
                "C-1",
                [phase("2026-01-01", products, taxes=["inclusive-4"])],
                start="2026-01-01",
                end="2026-01-31",
            )
        ]
    )
    invoice = billed([text])["INV-C-1-20260101"]
    line = only(invoice, "platform")
    assert line.amount == M("2.88")  # 2.99 / 1.04 = 2.875 → 2.88
    assert line.tax == M("0.11")  # 2.99 - 2.88
    assert line.taxes[0].account == "Liabilities:SalesTax:X"
    assert invoice.total == M("2.99")


# --- minimum commitment --------------------------------------------------------------------


def test_minimum_commitment_adds_a_true_up_for_the_shortfall() -> None:
    minimum = '{amount: "100.00", per: billing_period, products: [api-calls]}'
    text = customer(
        [
            contract(
                "C-1",
                [phase("2026-01-01", [API_PER_UNIT], minimum=minimum, taxes=["ca-sales"])],
                start="2026-01-01",
                end="2026-03-31",
            )
        ]
    )
    events = usage_csv(
        "2026-01-10,acme,api_calls,5000,e1",  # 50.00: 50.00 short
        "2026-02-10,acme,api_calls,20000,e2",  # 200.00: above the minimum
    )
    invoices = billed([text], [events])
    january = invoices["INV-C-1-20260201"]
    assert [(line.kind, line.amount) for line in january.lines] == [
        (LineKind.CHARGE, M("50.00")),
        (LineKind.MINIMUM, M("50.00")),
    ]
    shortfall = only(january, "api-calls", LineKind.MINIMUM)
    assert shortfall.description.startswith("Minimum commitment shortfall")
    assert (shortfall.service_start, shortfall.service_end) == (D(2026, 1, 1), D(2026, 1, 31))
    assert shortfall.tax == M("3.63")  # taxed like any line: 50.00 * 7.25% = 3.625
    assert [line.kind for line in invoices["INV-C-1-20260301"].lines] == [LineKind.CHARGE]
    # no usage at all in March: the whole minimum is due
    march = invoices["INV-C-1-20260401"]
    assert [(line.kind, line.amount) for line in march.lines] == [(LineKind.MINIMUM, M("100.00"))]


def test_minimum_commitment_is_prorated_for_a_partial_period() -> None:
    minimum = '{amount: "100.00", products: [api-calls]}'
    text = customer(
        [
            contract(
                "C-1",
                [phase("2026-01-15", [API_PER_UNIT], minimum=minimum)],
                start="2026-01-15",
                end="2026-01-31",
            )
        ]
    )
    events = usage_csv("2026-01-20,acme,api_calls,1000,e1")
    invoice = billed([text], [events])["INV-C-1-20260201"]
    # 17 of January's 31 days: the minimum is 100.00 * 17/31 = 54.84; usage 10.00
    assert amounts(invoice) == [("api-calls", M("10.00")), ("api-calls", M("44.84"))]


def test_minimum_commitment_compares_the_discounted_amount() -> None:
    minimum = '{amount: "100.00", products: [api-calls]}'
    discount = '{percent: "20%", products: [api-calls]}'
    text = customer(
        [
            contract(
                "C-1",
                [phase("2026-01-01", [API_PER_UNIT], minimum=minimum, discounts=[discount])],
                start="2026-01-01",
                end="2026-01-31",
            )
        ]
    )
    events = usage_csv("2026-01-20,acme,api_calls,11000,e1")  # 110.00 - 22.00 = 88.00
    invoice = billed([text], [events])["INV-C-1-20260201"]
    assert [(line.kind, line.amount) for line in invoice.lines] == [
        (LineKind.CHARGE, M("110.00")),
        (LineKind.DISCOUNT, M("-22.00")),
        (LineKind.MINIMUM, M("12.00")),
    ]
    assert invoice.total == M("100.00")


def test_minimum_commitment_adds_up_a_period_billed_on_two_invoices() -> None:
    # The platform is billed in advance (January on 1 January), the API calls in arrears
    # (January on 1 February): January's spend is known on 1 February, and is both.
    minimum = '{amount: "500.00", products: [platform, api-calls]}'
    platform = '{product: platform, pricing: {model: flat_fee, price: "300.00"}}'
    text = customer(
        [
            contract(
                "C-1",
                [phase("2026-01-01", [platform, API_PER_UNIT], minimum=minimum)],
                start="2026-01-01",
                end="2026-02-28",
            )
        ]
    )
    events = usage_csv(
        "2026-01-10,acme,api_calls,10000,e1",  # 100.00: January 300 + 100, 100.00 short
        "2026-02-10,acme,api_calls,30000,e2",  # 300.00: February 300 + 300, above
    )
    invoices = billed([text], [events])
    assert amounts(invoices["INV-C-1-20260101"]) == [("platform", M("300.00"))]
    february = invoices["INV-C-1-20260201"]
    assert [(line.product, line.kind, line.amount) for line in february.lines] == [
        ("platform", LineKind.CHARGE, M("300.00")),
        ("api-calls", LineKind.CHARGE, M("100.00")),
        ("api-calls", LineKind.MINIMUM, M("100.00")),
    ]
    shortfall = only(february, "api-calls", LineKind.MINIMUM)
    assert (shortfall.service_start, shortfall.service_end) == (D(2026, 1, 1), D(2026, 1, 31))
    assert shortfall.timing is Timing.ARREARS  # known once January is over: accrued, unbilled
    assert amounts(invoices["INV-C-1-20260301"]) == [("api-calls", M("300.00"))]


def test_minimum_commitment_over_products_billed_over_different_periods_is_an_error() -> None:
    minimum = '{amount: "500.00", products: [platform, api-calls]}'
    quarterly = (
        "{product: platform, billing: {cadence: quarterly, timing: advance},"
        ' pricing: {model: flat_fee, price: "900.00"}}'
    )
    text = customer(
        [
            contract(
                "C-1",
                [phase("2026-01-01", [quarterly, API_PER_UNIT], minimum=minimum)],
                start="2026-01-01",
                end="2026-12-31",
            )
        ]
    )
    _, problems = load_texts(("catalog.yaml", CATALOG), [text], [])
    assert [str(problem) for problem in problems] == [
        'customers/acme.yaml:16: customer acme: contract C-1: phase "2026-01-01", '
        "minimum_commitment: its products are billed over different periods (platform "
        "quarterly, api-calls monthly); a commitment per billing period needs one period: "
        "give them the same cadence and anchor, or a commitment each"
    ]


# --- credits and the journal entry ---------------------------------------------------------


CREDITS = (
    "{product: prepaid-credits, credits: true, billing: {cadence: one_time},"
    ' pricing: {model: flat_fee, price: "20000.00"}}'
)


def test_credits_line_funds_the_wallet_without_revenue_or_tax() -> None:
    text = customer(
        [
            contract(
                "C-1",
                [phase("2026-01-01", [PLATFORM_1000, CREDITS], taxes=["ca-sales"])],
                start="2026-01-01",
                end="2026-12-31",
            )
        ]
    )
    invoices = billed([text])
    january = invoices["INV-C-1-20260101"]
    credits = only(january, "prepaid-credits", LineKind.CREDITS)
    assert credits.amount == M("20000.00")
    assert credits.taxes == ()
    assert credits.revenue_rule is None
    assert (credits.service_start, credits.service_end) == (D(2026, 1, 1), D(2026, 12, 31))
    assert january.tax == M("72.50")  # the platform's tax only
    assert january.total == M("21072.50")
    entry = invoice_entry(january)
    wallet = [p for p in entry.postings if p.account == "Liabilities:CustomerWallet:Acme"]
    assert [p.amount for p in wallet] == [M("-20000.00")]
    assert "revenue-rule" not in dict(wallet[0].meta)
    assert dict(wallet[0].meta)["line-kind"] == "credits"
    # billed once only
    assert sum(line.kind is LineKind.CREDITS for i in invoices.values() for line in i.lines) == 1


def posting(entry: Entry, account: str) -> Posting:
    found = [p for p in entry.postings if p.account == account]
    assert len(found) == 1, found
    return found[0]


def test_invoice_entry_postings() -> None:
    text = customer(
        [
            contract(
                "C-1",
                [phase("2026-01-01", [PLATFORM_1000, API_PER_UNIT], taxes=["ca-sales"])],
                start="2026-01-01",
                end="2026-12-31",
            )
        ]
    )
    invoices = billed([text], [usage_csv("2026-01-20,acme,api_calls,2000,e1")])
    february = invoices["INV-C-1-20260201"]
    entry = invoice_entry(february)
    # platform 1000.00 + tax 72.50; API calls 20.00 + tax 1.45
    assert entry.postings[0] == Posting(
        "Assets:AccountsReceivable:Customers:Acme", M("1093.95"), "USD"
    )
    deferred = posting(entry, "Liabilities:DeferredRevenue")
    assert deferred.amount == M("-1000.00")
    meta = dict(deferred.meta)
    assert meta["product"] == "platform"
    assert (meta["service-start"], meta["service-end"]) == (D(2026, 2, 1), D(2026, 2, 28))
    assert meta["revenue-rule"] == "subscription"
    assert meta["unit-price"] == M("1000.00")
    unbilled = posting(entry, "Assets:UnbilledRevenue")
    assert unbilled.amount == M("-20.00")
    meta = dict(unbilled.meta)
    assert meta["product"] == "api-calls"
    assert (meta["service-start"], meta["service-end"]) == (D(2026, 1, 1), D(2026, 1, 31))
    assert meta["revenue-rule"] == "usage"
    assert meta["quantity"] == 2000
    assert posting(entry, "Liabilities:SalesTax:CA").amount == M("-73.95")
    assert len(entry.postings) == 4
    assert entry.links == ("INV-C-1-20260201",)
    assert dict(entry.meta)["customer"] == "acme"


# --- property: flat fees over random contracts ---------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by whole months, clamped to the month's end (an oracle, not periods.py)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return D(year, month + 1, min(day.day, last))


def expected_periods(
    start: datetime.date, end: datetime.date, months: int, anchor: str
) -> list[tuple[datetime.date, datetime.date, int, int]]:
    """(first day, last day, days, days of the full period) of each period of [start, end]."""
    if anchor == "start":
        base = start
    elif 12 % months == 0:
        base = D(start.year, (start.month - 1) // months * months + 1, 1)
    else:
        base = start.replace(day=1)
    result: list[tuple[datetime.date, datetime.date, int, int]] = []
    k = 0
    while True:
        full_start = add_months(base, k * months)
        full_end = add_months(base, (k + 1) * months) - datetime.timedelta(days=1)
        if full_start > end:
            return result
        if full_end >= start:
            first, last = max(full_start, start), min(full_end, end)
            result.append((first, last, (last - first).days + 1, (full_end - full_start).days + 1))
        k += 1


CADENCES = {
    1: "monthly",
    2: "every 2 months",
    3: "quarterly",
    5: "every 5 months",
    6: "semi_annual",
    12: "annual",
}


@settings(max_examples=50, deadline=None)
@given(
    start=st.dates(D(2026, 1, 1), D(2026, 12, 31)),
    length=st.integers(0, 364),
    months=st.sampled_from(sorted(CADENCES)),
    timing=st.sampled_from(["advance", "arrears"]),
    anchor=st.sampled_from(["calendar", "start"]),
    cents=st.integers(1, 10_000_000),
)
def test_flat_fees_sum_to_full_periods_plus_prorated_stubs(
    start: datetime.date, length: int, months: int, timing: str, anchor: str, cents: int
) -> None:
    end = min(start + datetime.timedelta(days=length), D(2026, 12, 31))
    price = M(cents).scaleb(-2)
    flat_fee = f'{{product: platform, pricing: {{model: flat_fee, price: "{price}"}}}}'
    billing = f'{{cadence: "{CADENCES[months]}", timing: {timing}, anchor: {anchor}}}'
    text = simple([flat_fee], start=start.isoformat(), end=end.isoformat(), billing=billing)
    invoices = billed([text], until=D(2027, 12, 31))
    lines = [line for invoice in invoices.values() for line in invoice.lines]
    periods = expected_periods(start, end, months, anchor)
    # line by line: a full period costs the price, a stub its share of the days
    expected = [
        (first, last, (price * days / full).quantize(M("0.01"), ROUND_HALF_UP))
        for first, last, days, full in periods
    ]
    assert all(amount == price for _, _, amount in expected[1:-1])
    # a stub that rounds to 0.00 is left off (and so is its invoice)
    assert [(x.service_start, x.service_end, x.amount) for x in lines] == [
        period for period in expected if period[2] != 0
    ]
    for invoice in invoices.values():
        (charged,) = invoice.lines
        expected_date = (
            charged.service_start
            if timing == "advance"
            else charged.service_end + datetime.timedelta(days=1)
        )
        assert invoice.date == expected_date
    full_periods = sum(1 for *_, days, full in periods if days == full)
    stubs = sum((price * days / full for *_, days, full in periods if days != full), M(0))
    exact = price * full_periods + stubs
    total = sum((x.amount for x in lines), M(0))
    assert abs(total - exact) <= M("0.01") * len(periods)


@settings(max_examples=50, deadline=None)
@given(
    start=st.dates(D(2026, 1, 1), D(2026, 9, 30)),
    prices=st.lists(st.integers(1, 500_000), min_size=1, max_size=3),
    percent=st.one_of(st.none(), st.integers(1, 100)),
    discount_cents=st.one_of(st.none(), st.integers(1, 1_000_000)),
    tax=st.sampled_from([None, "ca-sales", "inclusive-4"]),
)
def test_discounts_and_taxes_keep_every_invoice_whole(
    start: datetime.date,
    prices: list[int],
    percent: int | None,
    discount_cents: int | None,
    tax: str | None,
) -> None:
    products = ["platform", "support", "seats"][: len(prices)]
    lines = [
        f'{{product: {product}, pricing: {{model: flat_fee, price: "{M(cents).scaleb(-2)}"}}}}'
        for product, cents in zip(products, prices, strict=True)
    ]
    discounts = []
    if percent is not None:
        discounts.append(f'{{name: Percent, percent: "{percent}%", products: [{products[0]}]}}')
    if discount_cents is not None:
        discounts.append(f'{{name: Amount, amount: "{M(discount_cents).scaleb(-2)}"}}')
    end = add_months(start, 3) - datetime.timedelta(days=1)
    text = customer(
        [
            contract(
                "C-1",
                [phase(start.isoformat(), lines, discounts=discounts, taxes=[tax] if tax else [])],
                start=start.isoformat(),
                end=end.isoformat(),
            )
        ]
    )
    invoices = billed([text])  # checks totals and balanced entries
    for invoice in invoices.values():
        charges = [x for x in invoice.lines if x.kind is LineKind.CHARGE]
        gross = {x.product: x.amount + (x.tax if tax == "inclusive-4" else 0) for x in charges}
        for product in gross:
            chain = [x for x in invoice.lines if x.product == product]
            net = sum((x.amount for x in chain), M(0))
            # a line and its discounts carry the tax of their net amount, rounded once
            if tax == "ca-sales":
                expected = (net * M("0.0725")).quantize(M("0.01"), ROUND_HALF_UP)
                assert sum((x.tax for x in chain), M(0)) == expected
            elif tax == "inclusive-4":
                total = sum((x.amount + x.tax for x in chain), M(0))
                assert net == (total / M("1.04")).quantize(M("0.01"), ROUND_HALF_UP)
            else:
                assert all(x.taxes == () for x in chain)
            assert all(x.tax * x.amount >= 0 for x in chain)  # a discount's tax is not positive
        assert invoice.total >= 0
        if tax is not None:
            continue  # with inclusive tax the lines hold net amounts: the checks below are gross
        off = [x for x in invoice.lines if x.kind is LineKind.DISCOUNT]
        by_name = {
            name: [x for x in off if x.description.startswith(name)]
            for name in ("Percent", "Amount")
        }
        left = sum(gross.values(), M(0))
        if percent is not None:
            share = (gross.get(products[0], M(0)) * percent / 100).quantize(
                M("0.01"), ROUND_HALF_UP
            )
            # a discount that rounds to zero is left off the invoice, like any line of zero
            assert [x.amount for x in by_name["Percent"]] == ([-share] if share else [])
            left -= share
        if discount_cents is not None:
            # the amount discount takes what the percent discount left, never more
            total = min(M(discount_cents).scaleb(-2), left)
            assert sum((x.amount for x in by_name["Amount"]), M(0)) == -total
        assert invoice.subtotal >= 0  # discounts never make an invoice negative


def test_an_account_opens_with_the_least_source_of_its_first_date_in_any_order() -> None:
    def entry(day: int, line: int) -> Entry:
        posting = Posting("Liabilities:DeferredRevenue", M(-1), "USD")
        return Entry(D(2026, 1, day), "", "", (), {}, (posting,), Source("c.yaml", line))

    entries = [entry(2, 5), entry(1, 9), entry(1, 7), entry(3, 1)]
    for order in (entries, entries[::-1]):
        to_open = AccountsToOpen()
        for noted in order:
            to_open.note(noted)
        assert to_open.opens(D(2025, 12, 1)) == [
            OpenAccount(D(2025, 12, 1), "Liabilities:DeferredRevenue", Source("c.yaml", 7))
        ]
        assert to_open.opens(None) == [
            OpenAccount(D(2026, 1, 1), "Liabilities:DeferredRevenue", Source("c.yaml", 7))
        ]
    # Customer by customer, merged: the same first use, whichever customer noted it.
    for first, second in ((entries[:2], entries[2:]), (entries[2:], entries[:2])):
        merged, other = AccountsToOpen(), AccountsToOpen()
        for noted in first:
            merged.note(noted)
        for noted in second:
            other.note(noted)
        merged.merge(other)
        assert merged.opens(None) == [
            OpenAccount(D(2026, 1, 1), "Liabilities:DeferredRevenue", Source("c.yaml", 7))
        ]
