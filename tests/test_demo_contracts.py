"""The demo company in contracts/: it loads cleanly and shows every feature of the format.

The demo is the format's living example (docs/contract-format.md points at it), so these tests
fail when someone removes a feature from it, not only when it stops loading.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from beanbill import model as m
from beanbill.billing import bill
from beanbill.load import load_folder

CONTRACTS = Path(__file__).resolve().parent.parent / "contracts"
ALL_MODELS = {
    "flat_fee",
    "per_unit",
    "package",
    "tiered",
    "tiered_with_flat_fee",
    "volume",
    "volume_with_flat_fee",
    "step",
    "percent",
    "matrix",
    "two_dimensional_tiered",
}
HORIZON = datetime.date(2027, 12, 31)  # far enough for every invoice the adjustments name


@pytest.fixture(scope="module")
def demo() -> m.ContractSet:
    contract_set, problems = load_folder(str(CONTRACTS))
    assert [str(p) for p in problems] == []
    assert contract_set is not None
    return contract_set


def contracts(demo: m.ContractSet) -> Iterator[tuple[m.Customer, m.Contract]]:
    for customer in demo.customers:
        for contract in customer.contracts:
            yield customer, contract


def phases(demo: m.ContractSet) -> Iterator[tuple[m.Contract, m.Phase]]:
    for _, contract in contracts(demo):
        for phase in contract.phases:
            yield contract, phase


def lines(demo: m.ContractSet) -> Iterator[tuple[m.Contract, m.Phase, m.Line]]:
    for contract, phase in phases(demo):
        for line in phase.lines:
            yield contract, phase, line


def adjustments(demo: m.ContractSet) -> Iterator[tuple[m.Customer, m.Adjustment]]:
    for customer in demo.customers:
        for adjustment in customer.adjustments:
            yield customer, adjustment


def model_name(pricing: m.Pricing) -> str:
    """The pricing model as written in YAML."""
    if isinstance(pricing, m.Tiered):
        base = "tiered" if pricing.mode is m.TierMode.GRADUATED else "volume"
        return base + ("_with_flat_fee" if pricing.with_flat_fee else "")
    return {
        m.FlatFee: "flat_fee",
        m.PerUnit: "per_unit",
        m.Package: "package",
        m.Step: "step",
        m.Percent: "percent",
        m.Matrix: "matrix",
        m.TwoDimensionalTiered: "two_dimensional_tiered",
    }[type(pricing)]


def test_loads_without_problems(demo: m.ContractSet) -> None:
    assert demo.catalog.company.name == "Demo SaaS Inc."
    assert demo.catalog.company.currency == "USD"
    # what a real invoice says of its seller: address, tax id, how to pay (demo values)
    company = demo.catalog.company
    assert company.address is not None and company.address.count("\n") >= 1
    assert company.tax_id == "EIN 12-3456789"
    assert company.payment_instructions is not None
    assert "demo" in company.payment_instructions.lower()
    assert len(demo.customers) >= 6
    for _, contract in contracts(demo):
        assert datetime.date(2026, 1, 1) <= contract.start <= datetime.date(2026, 12, 31)


def test_every_pricing_model(demo: m.ContractSet) -> None:
    used = [line.pricing for _, _, line in lines(demo)]
    assert {model_name(p) for p in used} == ALL_MODELS
    assert any(isinstance(p, m.FlatFee) and p.per_month for p in used)
    assert any(isinstance(p, m.FlatFee) and not p.per_month for p in used)
    assert any(
        isinstance(p, m.Percent) and p.fixed_fee and p.minimum is not None and p.maximum
        for p in used
    )
    matrices = [p for p in used if isinstance(p, m.Matrix)]
    assert any(row.tiers for p in matrices for row in p.rows)
    assert any(row.unit_price is not None for p in matrices for row in p.rows)


def test_every_aggregation_and_a_custom_income_account(demo: m.ContractSet) -> None:
    products = demo.catalog.products
    sold = {products[line.product] for _, _, line in lines(demo)}
    assert {p.aggregation for p in sold if p.metric} == set(m.Aggregation)
    accounts = {demo.catalog.revenue_rules[p.revenue_rule].account for p in sold if p.revenue_rule}
    assert "Income:ProfessionalServices" in accounts


def test_every_cadence_timing_and_anchor(demo: m.ContractSet) -> None:
    billings = [line.billing for _, _, line in lines(demo)]
    billings += [contract.billing for _, contract in contracts(demo)]
    months = {b.months for b in billings}
    assert {None, 1, 3, 6, 12} <= months  # one_time, monthly, quarterly, semi_annual, annual
    assert months - {None, 1, 3, 6, 12}, 'no "every N months" cadence'
    assert {b.timing for b in billings} == set(m.Timing)
    assert {b.anchor for b in billings} == set(m.Anchor)


def test_proration_and_phase_change(demo: m.ContractSet) -> None:
    assert any(
        contract.start.day != 1 and contract.billing.anchor is m.Anchor.CALENDAR
        for _, contract in contracts(demo)
    ), "no mid-month start on calendar billing (proration)"
    changed = False
    for _, contract in contracts(demo):
        for before, after in zip(contract.phases, contract.phases[1:], strict=False):
            old = {line.product: line.pricing for line in before.lines}
            if any(old.get(line.product, line.pricing) != line.pricing for line in after.lines):
                changed = True
    assert changed, "no price change between two phases of a contract"


def test_discounts_of_every_kind(demo: m.ContractSet) -> None:
    discounts = [d for _, phase in phases(demo) for d in phase.discounts]
    assert any(d.percent is not None for d in discounts)
    assert any(d.amount is not None for d in discounts)
    assert any(d.products is None for d in discounts)  # whole invoice
    assert any(d.products for d in discounts)  # per product
    assert any(d.start is not None for d in discounts)
    assert any(d.end is not None for d in discounts)
    assert any(d.start is None and d.end is None for d in discounts)


def test_taxes_exclusive_and_inclusive(demo: m.ContractSet) -> None:
    rates = demo.catalog.tax_rates
    used = {
        (contract.currency, rates[t].inclusive)
        for contract, phase in phases(demo)
        for t in phase.taxes
    }
    assert ("USD", False) in used, "no exclusive US sales tax"
    assert ("EUR", True) in used, "no inclusive VAT on a EUR contract"


def test_usage_modifiers(demo: m.ContractSet) -> None:
    assert any(line.free_units > 0 for _, _, line in lines(demo))
    assert any(phase.minimum_commitment for _, phase in phases(demo))
    assert any(line.quantity > 1 for _, _, line in lines(demo))  # seats
    credits = [line for _, _, line in lines(demo) if line.credits]
    assert credits and all(demo.catalog.products[c.product].revenue_rule is None for c in credits)


def test_contract_terms(demo: m.ContractSet) -> None:
    all_contracts = [contract for _, contract in contracts(demo)]
    assert any(
        c.renewal and c.renewal.uplift > 0 and c.end and c.end.year == 2026 for c in all_contracts
    ), "no contract ending in 2026 that renews with an uplift"
    assert any(c.end is None for c in all_contracts), "no evergreen contract"
    assert any(c.payment_terms != demo.catalog.company.payment_terms for c in all_contracts)
    assert any(customer.consolidate and len(customer.contracts) >= 2 for customer in demo.customers)
    currencies = {c.currency for c in all_contracts}
    assert {"USD", "EUR", "JPY"} <= currencies


def test_ssp_bundle_sold_below_standalone_prices(demo: m.ContractSet) -> None:
    products = demo.catalog.products

    def fixed(line: m.Line) -> bool:
        return products[line.product].metric is None and not line.credits

    def ssp(line: m.Line) -> Decimal | None:
        return line.ssp if line.ssp is not None else products[line.product].ssp

    bundles = []
    for _, phase in phases(demo):
        fixed_lines = [line for line in phase.lines if fixed(line)]
        if len(fixed_lines) >= 3 and all(ssp(line) is not None for line in fixed_lines):
            bundles.append(fixed_lines)
    assert bundles, "no phase whose fixed-price lines all carry an ssp"
    for bundle in bundles:
        billed = standalone = Decimal(0)
        for line in bundle:
            assert isinstance(line.pricing, m.FlatFee)
            billed += line.pricing.price * line.quantity
            standalone += (ssp(line) or Decimal(0)) * line.quantity
        assert billed < standalone
        assert any(line.billing.months is None for line in bundle)  # installation
        assert any(line.ssp is not None for line in bundle)  # an override on the line


def test_every_adjustment_kind(demo: m.ContractSet) -> None:
    found = [a for _, a in adjustments(demo)]
    memos = [a for a in found if isinstance(a, m.Memo)]
    assert any(a.kind == "credit_memo" and a.amount is not None for a in memos)
    assert any(a.kind == "credit_memo" and a.lines for a in memos)
    assert any(a.kind == "debit_memo" for a in memos)
    assert any(isinstance(a, m.WriteOff) for a in found)
    assert any(isinstance(a, m.WalletCredit) for a in found)
    refunds = {a.from_ for a in found if isinstance(a, m.Refund)}
    assert refunds == set(m.RefundSource)


def test_usage_in_every_month_of_2026(demo: m.ContractSet) -> None:
    months = {event.date.month for event in demo.usage if event.date.year == 2026}
    assert months == set(range(1, 13))
    assert all(event.date.year == 2026 for event in demo.usage)


def test_a_resent_usage_event_is_counted_once(demo: m.ContractSet) -> None:
    rows = 0
    for path in sorted((CONTRACTS / "usage").glob("*.csv")):
        with path.open(newline="") as file:
            rows += sum(1 for row in csv.reader(file) if any(row)) - 1  # minus the header
    assert len(demo.usage) < rows


def test_adjustments_name_real_invoices_and_follow_them(demo: m.ContractSet) -> None:
    billed = bill(demo, HORIZON)
    assert [str(p) for p in billed.problems] == []
    invoices = {invoice.id: invoice for invoice in billed.invoices}
    for customer, adjustment in adjustments(demo):
        if not isinstance(adjustment, m.Memo | m.WriteOff):
            continue
        invoice = invoices.get(adjustment.invoice)
        assert invoice is not None, f"{adjustment.id}: no invoice {adjustment.invoice}"
        assert invoice.customer.id == customer.id
        assert adjustment.date > invoice.date, adjustment.id
        if isinstance(adjustment, m.Memo):
            amount = adjustment.amount or sum(line.amount for line in adjustment.lines or ())
            assert amount <= invoice.total / 4, f"{adjustment.id} is not small next to its invoice"
            billed_products = {line.product for line in invoice.lines}
            assert {line.product for line in adjustment.lines or ()} <= billed_products
