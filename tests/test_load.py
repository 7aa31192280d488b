"""beanbill.load: every kind of bad input gives one exact problem (file, line, message).

The fixtures are a small valid catalog and two valid customers; each test mutates one spot and
checks the whole problem list, so a stray extra problem or a wrong line fails the test. No
input may make `load_texts` raise.
"""

from __future__ import annotations

import datetime
import subprocess
import sys
import time
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beanbill import model as m
from beanbill import usage
from beanbill.load import load_folder, load_texts
from beanbill.problems import Problem, likely_meant
from beanbill.yamlread import Document, Invalid

CATALOG_FILE = "catalog.yaml"
ACME_FILE = "customers/acme.yaml"
GLOBEX_FILE = "customers/globex.yaml"
USAGE_FILE = "usage/events.csv"

CATALOG = """\
company:
  name: Demo SaaS Inc.
  currency: USD
  payment_terms: net 30
  invoice_prefix: INV
tax_rates:
  ca-sales: {name: California sales tax, rate: "7.25%", account: Liabilities:SalesTax:CA}
  de-vat: {name: VAT 19%, rate: "19%", account: Liabilities:SalesTax:DE, inclusive: true}
revenue_rules:
  subscription:
    method: ratable_daily
    account: Income:SalesAndServicesRevenue
  usage:
    method: as_consumed
    account: Income:SalesAndServicesRevenue
products:
  platform:
    name: Platform subscription
    revenue_rule: subscription
    ssp: "12000"
  api-calls:
    name: API calls
    metric: api_calls
    aggregation: sum
    revenue_rule: usage
  prepaid-credits:
    name: Prepaid usage credits
"""

ACME = """\
customer:
  id: acme
  account: Acme
  name: Acme Corp
  email: billing@acme.example
contracts:
  - id: ACME-1
    start: 2026-01-15
    end: 2027-01-14
    payment_terms: net 15
    billing: {cadence: quarterly, timing: advance, anchor: start}
    phases:
      - name: Ramp
        start: 2026-01-15
        products:
          - product: platform
            pricing: {model: flat_fee, price: "1000.00"}
          - product: api-calls
            billing: {cadence: monthly, timing: arrears}
            free_units: 1000
            pricing:
              model: tiered
              tiers:
                - {up_to: 10000, unit_price: "0.010"}
                - {up_to: 100000, unit_price: "0.008"}
                - {unit_price: "0.005"}
          - product: prepaid-credits
            credits: true
            billing: {cadence: one_time}
            pricing: {model: flat_fee, price: "20000.00"}
        discounts:
          - {percent: "10%", products: [platform], end: 2026-06-30, name: Launch discount}
        taxes: [ca-sales]
      - name: Full
        start: 2026-07-01
        products:
          - product: platform
            pricing: {model: flat_fee, price: "1200.00"}
adjustments:
  - {type: credit_memo, id: CM-ACME-1, date: 2026-03-05, invoice: INV-ACME-1-20260201,
     amount: "200.00", reason: Outage credit}
  - {type: credit, id: CR-ACME-1, date: 2026-02-01, amount: "500.00", reason: Promo}
"""

GLOBEX = """\
customer:
  id: globex
  account: Globex
  name: Globex
contracts:
  - id: GLOBEX-1
    start: 2026-03-01
    payment_terms: due on receipt
    phases:
      - start: 2026-03-01
        products:
          - product: platform
            quantity: 3
            pricing: {model: flat_fee, price: "99", per: month}
      - name: Later
        start: 2026-06-01
        products:
          - product: platform
            pricing: {model: flat_fee, price: "120"}
"""

USAGE = """\
timestamp,customer,metric,quantity,event_id,region
2026-02-03T10:00:00Z,acme,api_calls,1500,e1,eu
2026-01-20,acme,api_calls,20,e2,us
"""

Found = tuple[str, int, str]


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once in the fixture"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the one place `needle` occurs in `text`."""
    assert text.count(needle) == 1, f"{needle!r} must occur once in the text"
    return text[: text.index(needle)].count("\n") + 1


def load(
    catalog: str = CATALOG,
    customers: list[tuple[str, str]] | None = None,
    usage: list[tuple[str, str]] | None = None,
) -> tuple[m.ContractSet | None, list[Found]]:
    if customers is None:
        customers = [(ACME_FILE, ACME), (GLOBEX_FILE, GLOBEX)]
    contract_set, problems = load_texts((CATALOG_FILE, catalog), customers, usage or [])
    for problem in problems:
        assert isinstance(problem, Problem)
        assert str(problem) == f"{problem.source.file}:{problem.source.line}: {problem.message}"
    return contract_set, [(p.source.file, p.source.line, p.message) for p in problems]


def customer_ids(contract_set: m.ContractSet | None) -> list[str]:
    assert contract_set is not None
    return [c.id for c in contract_set.customers]


# --- a valid folder --------------------------------------------------------------------------


def test_valid_files_load_without_problems() -> None:
    contract_set, problems = load(usage=[(USAGE_FILE, USAGE)])
    assert problems == []
    assert contract_set is not None
    assert customer_ids(contract_set) == ["acme", "globex"]


def test_catalog_values() -> None:
    contract_set, _ = load()
    assert contract_set is not None
    catalog = contract_set.catalog
    assert catalog.company == m.Company(
        name="Demo SaaS Inc.",
        currency="USD",
        payment_terms=m.PaymentTerms(30),
        invoice_prefix="INV",
        source=m.Source(CATALOG_FILE, 2),
    )
    assert (catalog.company.address, catalog.company.tax_id) == (None, None)
    assert catalog.company.payment_instructions is None
    ca = catalog.tax_rates["ca-sales"]
    assert ca.rate == Decimal("0.0725") and isinstance(ca.rate, Decimal)
    assert (ca.inclusive, ca.account) == (False, "Liabilities:SalesTax:CA")
    assert catalog.tax_rates["de-vat"].rate == Decimal("0.19")
    assert catalog.tax_rates["de-vat"].inclusive is True
    assert catalog.revenue_rules["usage"].method is m.RecognitionMethod.AS_CONSUMED
    platform = catalog.products["platform"]
    assert (platform.revenue_rule, platform.metric, platform.ssp) == (
        "subscription",
        None,
        Decimal("12000"),
    )
    api = catalog.products["api-calls"]
    assert (api.metric, api.aggregation) == ("api_calls", m.Aggregation.SUM)
    assert catalog.products["prepaid-credits"].revenue_rule is None
    assert catalog.products["prepaid-credits"].source == m.Source(CATALOG_FILE, 27)


def test_contract_values() -> None:
    contract_set, _ = load()
    assert contract_set is not None
    acme, globex = contract_set.customers
    assert (acme.account, acme.name, acme.email, acme.currency) == (
        "Acme",
        "Acme Corp",
        "billing@acme.example",
        "USD",
    )
    (contract,) = acme.contracts
    assert (contract.id, contract.customer, contract.currency) == ("ACME-1", "acme", "USD")
    assert contract.payment_terms == m.PaymentTerms(15)
    assert contract.source == m.Source(ACME_FILE, 7)
    ramp, full = contract.phases
    # A phase ends the day before the next one starts; the last one on the contract's end.
    assert (ramp.name, ramp.start, ramp.end) == (
        "Ramp",
        datetime.date(2026, 1, 15),
        datetime.date(2026, 6, 30),
    )
    assert (full.start, full.end) == (datetime.date(2026, 7, 1), datetime.date(2027, 1, 14))
    platform, api, credits = ramp.lines
    # Money stays Decimal exactly as written.
    assert platform.pricing == m.FlatFee(Decimal("1000.00"))
    assert isinstance(platform.pricing, m.FlatFee)
    assert str(platform.pricing.price) == "1000.00"
    assert platform.quantity == Decimal(1)
    # A line's billing overrides only the keys it gives; the rest come from the contract.
    assert platform.billing == m.Billing(3, m.Timing.ADVANCE, m.Anchor.START)
    assert api.billing == m.Billing(1, m.Timing.ARREARS, m.Anchor.START)
    assert credits.billing == m.Billing(None, m.Timing.ADVANCE, m.Anchor.START)
    assert credits.credits is True
    assert api.free_units == Decimal(1000)
    assert api.pricing == m.Tiered(
        m.TierMode.GRADUATED,
        (
            m.Tier(Decimal(10000), unit_price=Decimal("0.010")),
            m.Tier(Decimal(100000), unit_price=Decimal("0.008")),
            m.Tier(None, unit_price=Decimal("0.005")),
        ),
        with_flat_fee=False,
    )
    assert api.source == m.Source(ACME_FILE, 18)
    (discount,) = ramp.discounts
    assert (discount.name, discount.percent, discount.products, discount.end) == (
        "Launch discount",
        Decimal("0.1"),
        ("platform",),
        datetime.date(2026, 6, 30),
    )
    assert ramp.taxes == ("ca-sales",)
    memo, credit = acme.adjustments
    assert memo == m.Memo(
        kind="credit_memo",
        id="CM-ACME-1",
        date=datetime.date(2026, 3, 5),
        invoice="INV-ACME-1-20260201",
        amount=Decimal("200.00"),
        lines=None,
        reason="Outage credit",
        source=m.Source(ACME_FILE, 40),
    )
    assert isinstance(credit, m.WalletCredit) and credit.amount == Decimal("500.00")

    (evergreen,) = globex.contracts
    assert evergreen.end is None
    assert evergreen.payment_terms == m.PaymentTerms(0)  # due on receipt
    assert evergreen.billing == m.Billing(1, m.Timing.ADVANCE, m.Anchor.CALENDAR)  # default
    first, later = evergreen.phases
    assert (first.name, first.end) == ("2026-03-01", datetime.date(2026, 5, 31))
    assert (later.name, later.start, later.end) == ("Later", datetime.date(2026, 6, 1), None)
    assert first.lines[0].pricing == m.FlatFee(Decimal("99"), per_month=True)
    assert first.lines[0].quantity == Decimal(3)


def test_usage_values() -> None:
    contract_set, problems = load(usage=[(USAGE_FILE, USAGE)])
    assert problems == []
    assert contract_set is not None
    early, late = contract_set.usage  # sorted by date
    assert early == m.UsageEvent(
        date=datetime.date(2026, 1, 20),
        timestamp="2026-01-20",
        customer="acme",
        metric="api_calls",
        quantity=Decimal(20),
        amount=None,
        event_id="e2",
        dimensions=(("region", "us"),),
        source=m.Source(USAGE_FILE, 3),
    )
    assert (late.date, late.quantity, late.event_id, late.source.line) == (
        datetime.date(2026, 2, 3),
        Decimal(1500),
        "e1",
        2,
    )


def test_payment_terms_net_n() -> None:
    contract_set, problems = load(
        customers=[(ACME_FILE, edit(ACME, "payment_terms: net 15", "payment_terms: Net 45"))]
    )
    assert problems == []
    assert contract_set is not None
    assert contract_set.customers[0].contracts[0].payment_terms == m.PaymentTerms(45)


def test_the_sellers_address_tax_id_and_payment_instructions_keep_their_lines() -> None:
    catalog = edit(
        CATALOG,
        "  invoice_prefix: INV\n",
        "  invoice_prefix: INV\n"
        "  address: |\n    1 Market St   \n    San Francisco, CA 94105\n\n"
        "  tax_id: EIN 12-3456789\n"
        '  payment_instructions: "IBAN DE00 0000\\nBIC EXAMPLEX"\n',
    )
    contract_set, problems = load(catalog)
    assert problems == []
    assert contract_set is not None
    company = contract_set.catalog.company
    # a block's trailing spaces and blank lines go; its lines stay
    assert company.address == "1 Market St\nSan Francisco, CA 94105"
    assert company.tax_id == "EIN 12-3456789"
    assert company.payment_instructions == "IBAN DE00 0000\nBIC EXAMPLEX"


# --- catalog.yaml: one mutation, one problem, nothing loaded ---------------------------------

CATALOG_CASES = [
    # unknown keys
    (
        "unknown key in catalog",
        "products:\n",
        "prodcts: {}\nproducts:\n",
        "prodcts",
        'catalog: unknown key "prodcts" (did you mean "products"? allowed keys: company, '
        "products, revenue_rules, tax_rates)",
    ),
    (
        "unknown key in company",
        "  invoice_prefix: INV\n",
        "  invoice_prefix: INV\n  invoce_prefix: INV\n",
        "invoce_prefix",
        'company: unknown key "invoce_prefix" (did you mean "invoice_prefix"? allowed keys: '
        "address, currency, invoice_prefix, name, payment_instructions, payment_terms, tax_id)",
    ),
    (
        "unknown key in product",
        '    ssp: "12000"\n',
        '    ssp: "12000"\n    revenue: subscription\n',
        "revenue:",
        'product platform: unknown key "revenue" (allowed keys: aggregation, metric, name, '
        "revenue_rule, ssp, unique_field)",
    ),
    (
        "unknown key in tax rate",
        "inclusive: true}",
        "inclusive: true, exclusive: false}",
        "exclusive",
        'tax rate de-vat: unknown key "exclusive" (allowed keys: account, inclusive, name, rate)',
    ),
    (
        "unknown key in revenue rule",
        "    method: ratable_daily\n",
        "    method: ratable_daily\n    methd: x\n",
        "methd",
        'revenue rule subscription: unknown key "methd" (did you mean "method"? allowed keys: '
        "account, method)",
    ),
    # wrong types
    (
        "list where the company mapping goes",
        "company:\n  name: Demo SaaS Inc.\n  currency: USD\n  payment_terms: net 30\n"
        "  invoice_prefix: INV\n",
        "company: [Demo SaaS Inc., USD]\n",
        "company:",
        "company must be a mapping, not a list",
    ),
    (
        "list where the products mapping goes",
        CATALOG[CATALOG.index("products:") :],
        "products: [platform, api-calls]\n",
        "products:",
        "products must be a mapping, not a list",
    ),
    (
        "bool where a string goes",
        "  name: Demo SaaS Inc.\n",
        "  name: yes\n",
        "name: yes",
        "company name must be a string, not a boolean",
    ),
    (
        "string where a bool goes",
        "inclusive: true}",
        "inclusive: sometimes}",
        "sometimes",
        "tax rate de-vat: inclusive must be true or false, not a string",
    ),
    # references
    (
        "unknown revenue rule",
        "    revenue_rule: usage\n",
        "    revenue_rule: usages\n",
        "usages",
        'product api-calls: unknown revenue rule "usages" (did you mean "usage"? known: '
        "subscription, usage)",
    ),
    (
        "a broken revenue rule is reported once, not again by its products",
        "method: ratable_daily",
        "method: ratably",
        "ratably",
        'revenue rule subscription: method "ratably" is not one of ratable_daily | '
        "ratable_monthly | point_in_time | as_invoiced | as_consumed | milestone",
    ),
    (
        "tax account outside Liabilities:SalesTax",
        "account: Liabilities:SalesTax:CA",
        "account: Income:SalesTax:CA",
        "Income:SalesTax:CA",
        'tax rate ca-sales: account "Income:SalesTax:CA" must be Liabilities:SalesTax or one of '
        "its sub-accounts",
    ),
    (
        "aggregation without a metric",
        '    ssp: "12000"\n',
        '    ssp: "12000"\n    aggregation: max\n',
        "aggregation: max",
        "product platform: aggregation needs a metric",
    ),
    (
        "product without a definition",
        "  prepaid-credits:\n    name: Prepaid usage credits\n",
        "  prepaid-credits:\n",
        "prepaid-credits:",
        'products: "prepaid-credits" has no definition',
    ),
    (
        "missing required key",
        "  name: Demo SaaS Inc.\n",
        "",
        "  currency: USD",  # a missing key is reported where its mapping starts
        'company: "name" is required',
    ),
    # money and percentages
    (
        "YAML float for money",
        'ssp: "12000"',
        "ssp: 12000.50",
        "12000.50",
        'product platform: ssp: write decimal numbers as quoted strings, e.g. "12000.50" '
        "(an unquoted YAML decimal is a binary float and can lose cents)",
    ),
    (
        "negative ssp",
        'ssp: "12000"',
        'ssp: "-1"',
        '"-1"',
        "product platform: ssp must not be negative (got -1)",
    ),
    (
        "percentage without %",
        'rate: "7.25%"',
        'rate: "7.25"',
        'rate: "7.25"',
        'tax rate ca-sales: rate must be a percentage such as "7.25%" (quoted, with %)',
    ),
    (
        "percentage as a YAML float",
        'rate: "7.25%"',
        "rate: 0.0725",
        "0.0725",
        'tax rate ca-sales: rate must be a percentage such as "7.25%" (quoted, with %)',
    ),
    (
        "a percentage of 10000% or more",
        'rate: "7.25%"',
        'rate: "10000%"',
        "10000%",
        "tax rate ca-sales: rate is too large (10000%)",
    ),
    # currency and payment terms
    (
        "lower-case currency",
        "currency: USD",
        "currency: usd",
        "usd",
        'company currency "usd" is not an ISO 4217 currency code (did you mean "USD"? codes are '
        "upper case)",
    ),
    (
        "unknown currency",
        "currency: USD",
        "currency: XYZ",
        "XYZ",
        'company currency "XYZ" is not an ISO 4217 currency code',
    ),
    (
        "payment terms as a bare number",
        "payment_terms: net 30",
        "payment_terms: 30",
        "payment_terms: 30",
        'payment_terms "30" must be "net N" or "due on receipt"',
    ),
    (
        "invoice prefix with a space",
        "invoice_prefix: INV",
        "invoice_prefix: IN V",
        "IN V",
        'invoice_prefix "IN V" is not valid',
    ),
    # YAML itself
    (
        "duplicate YAML key",
        "  payment_terms: net 30\n",
        "  payment_terms: net 30\n  payment_terms: net 45\n",
        "net 45",
        'company: key "payment_terms" is given twice (first on line 4)',
    ),
    (
        "YAML indentation error",
        "    method: as_consumed\n",
        "     method: as_consumed\n    account: x\n",
        "    account: x",
        "YAML syntax error: expected <block end>, but found '<block mapping start>' "
        "(while parsing a block mapping that starts on line 10); this line is indented less "
        "than the keys above it and more than their parent's: indent it like the keys it "
        "belongs with",
    ),
    (
        "python tag on a scalar",
        "  name: Demo SaaS Inc.\n",
        "  name: !!python/name:os.system ''\n",
        "!!python",
        "the YAML tag !!python/name:os.system is not allowed (only plain data)",
    ),
    # the seller's address, tax id and payment instructions: text, not empty
    (
        "company address as a number",
        "  invoice_prefix: INV\n",
        "  invoice_prefix: INV\n  address: 94105\n",
        "address:",
        'company address must be a string, not an integer (quote it: "...")',
    ),
    (
        "company tax_id as a number",
        "  invoice_prefix: INV\n",
        "  invoice_prefix: INV\n  tax_id: 123456789\n",
        "tax_id:",
        'company tax_id must be a string, not an integer (quote it: "...")',
    ),
    (
        "company tax_id empty",
        "  invoice_prefix: INV\n",
        '  invoice_prefix: INV\n  tax_id: ""\n',
        "tax_id:",
        "company tax_id must not be empty",
    ),
    (
        "company tax_id on two lines",
        "  invoice_prefix: INV\n",
        "  invoice_prefix: INV\n  tax_id: |\n    EIN\n    12-3456789\n",
        "tax_id:",
        "company tax_id must be one line, not 2",
    ),
    (
        "company payment_instructions as a list",
        "  invoice_prefix: INV\n",
        "  invoice_prefix: INV\n  payment_instructions:\n    - IBAN DE00\n",
        "- IBAN",
        "company payment_instructions must be a string, not a list",
    ),
    (
        "company payment_instructions as an empty block",
        "  invoice_prefix: INV\n",
        "  invoice_prefix: INV\n  payment_instructions: |\n\n  address: x\n",
        "payment_instructions:",
        "company payment_instructions must not be empty",
    ),
    (
        # Found by tests/test_fuzz.py: an SSP of zero weighed nothing in the allocation, and a
        # phase whose SSPs were all zero stopped the contracts plugin with an internal error.
        "zero standalone selling price",
        '    ssp: "12000"\n',
        "    ssp: 0\n",
        "ssp: 0",
        "product platform: ssp must be more than zero",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "at", "message"),
    [case[1:] for case in CATALOG_CASES],
    ids=[case[0] for case in CATALOG_CASES],
)
def test_catalog_problem(old: str, new: str, at: str, message: str) -> None:
    catalog = edit(CATALOG, old, new)
    contract_set, problems = load(catalog)
    assert problems == [(CATALOG_FILE, line_of(catalog, at), message)]
    assert contract_set is None  # a broken catalog stops everything that depends on it


# --- customers/acme.yaml: one mutation, one problem, acme left out, globex loads -------------

TIERS_BLOCK = """\
              tiers:
                - {up_to: 10000, unit_price: "0.010"}
                - {up_to: 100000, unit_price: "0.008"}
                - {unit_price: "0.005"}
"""
TIERED = "              model: tiered\n" + TIERS_BLOCK

IN_ACME = "customer acme: contract ACME-1: "
RAMP = IN_ACME + 'phase "Ramp"'
FULL = IN_ACME + 'phase "Full"'
TIERS = RAMP + ", product api-calls: tiered tiers: "

CUSTOMER_CASES = [
    # unknown keys
    (
        "unknown key in customer",
        "  email: billing@acme.example\n",
        "  email: billing@acme.example\n  phone: 555\n",
        "phone",
        'customer acme: customer: unknown key "phone" (allowed keys: account, address, '
        "consolidate, currency, email, id, name)",
    ),
    (
        "unknown key at the top of the file",
        "adjustments:\n",
        "notes: hi\nadjustments:\n",
        "notes",
        'customer acme: customer file: unknown key "notes" (allowed keys: adjustments, '
        "contracts, customer)",
    ),
    (
        "unknown key in contract",
        "    payment_terms: net 15\n",
        "    payment_terms: net 15\n    auto_renew: true\n",
        "auto_renew",
        IN_ACME + 'contract: unknown key "auto_renew" (allowed keys: billing, currency, end, id, '
        "payment_terms, phases, renewal, start)",
    ),
    (
        "unknown key in phase",
        "      - name: Ramp\n",
        "      - name: Ramp\n        ends: 2026-06-30\n",
        "ends:",
        RAMP + ': unknown key "ends" (did you mean "end"? allowed keys: discounts, end, '
        "minimum_commitment, name, products, start, taxes)",
    ),
    (
        "unknown key in line",
        "            free_units: 1000\n",
        "            free_units: 1000\n            free_unit: 10\n",
        "free_unit:",
        RAMP + ', product api-calls: unknown key "free_unit" (did you mean "free_units"? '
        "allowed keys: billing, credits, free_units, milestones, pricing, product, quantity, ssp)",
    ),
    # a misspelt required key: the problem is at the misspelling, and names it
    (
        "misspelt product key",
        "          - product: api-calls\n",
        "          - prodcut: api-calls\n",
        "prodcut",
        RAMP + ': product line: "product" is required (is "prodcut" a misspelling of "product"?)',
    ),
    (
        "misspelt pricing model key",
        "              model: tiered\n",
        "              modle: tiered\n",
        "modle",
        RAMP + ', product api-calls: pricing: "model" is required (is "modle" a misspelling of '
        '"model"?)',
    ),
    (
        "misspelt discount percent",
        '{percent: "10%", products: [platform]',
        '{percnt: "10%", products: [platform]',
        "percnt",
        RAMP + ', discount "Launch discount": give exactly one of percent and amount (is '
        '"percnt" a misspelling of "percent"?)',
    ),
    (
        "a required key missing, nothing like it given",
        "          - product: api-calls\n",
        '          - ssp: "1.00"\n',
        "ssp",
        RAMP + ': product line: "product" is required',
    ),
    (
        "unknown key in pricing",
        'pricing: {model: flat_fee, price: "1200.00"}',
        'pricing: {model: flat_fee, price: "1200.00", currency: USD}',
        "currency: USD",
        FULL + ', product platform: pricing: unknown key "currency" (allowed keys: model, per, '
        "price)",
    ),
    (
        "unknown key in tier",
        '{up_to: 100000, unit_price: "0.008"}',
        '{up_to: 100000, unit_price: "0.008", flat: "1"}',
        "flat:",
        RAMP + ', product api-calls: tiered tiers[2]: unknown key "flat" (allowed keys: '
        "unit_price, up_to)",
    ),
    (
        "unknown key in billing",
        "billing: {cadence: monthly, timing: arrears}",
        "billing: {cadence: monthly, timing: arrears, day: 1}",
        "day: 1",
        IN_ACME + 'billing: unknown key "day" (allowed keys: anchor, cadence, timing)',
    ),
    (
        "unknown key in discount",
        "name: Launch discount}",
        "name: Launch discount, until: 2026-06-30}",
        "until:",
        RAMP + ': discount: unknown key "until" (allowed keys: amount, end, name, percent, '
        "products, start)",
    ),
    (
        "unknown key in adjustment",
        "reason: Promo}",
        "reason: Promo, memo: x}",
        "memo: x",
        'customer acme: credit CR-ACME-1: unknown key "memo" (allowed keys: amount, date, id, '
        "reason, type)",
    ),
    # wrong types
    (
        "string where the contracts list goes",
        ACME[ACME.index("contracts:") : ACME.index("adjustments:")],
        "contracts: ACME-1\n",
        "contracts: ACME-1",
        "customer acme: contracts must be a list, not a string",
    ),
    (
        "commitment over a product misspelt",
        "        taxes: [ca-sales]\n",
        "        taxes: [ca-sales]\n"
        '        minimum_commitment: {amount: "500.00", products: [api-call]}\n',
        "minimum_commitment",
        RAMP + ', minimum_commitment: product "api-call" is not a line of this phase (did you '
        'mean "api-calls"?)',
    ),
    (
        "tax for taxes",
        "taxes: [ca-sales]",
        "tax: [ca-sales]",
        "tax: [ca-sales]",
        RAMP + ': unknown key "tax" (did you mean "taxes"? allowed keys: discounts, end, '
        "minimum_commitment, name, products, start, taxes)",
    ),
    (
        "string where the taxes list goes",
        "taxes: [ca-sales]",
        "taxes: ca-sales",
        "taxes: ca-sales",
        RAMP + ": taxes must be a list, not a string",
    ),
    (
        "string where the tiers list goes",
        TIERS_BLOCK,
        '              tiers: "0.010"\n',
        "tiers:",
        TIERS.removesuffix(": ") + " must be a list, not a string",
    ),
    (
        "list where the billing mapping goes",
        "billing: {cadence: quarterly, timing: advance, anchor: start}",
        "billing: [quarterly, advance]",
        "billing: [quarterly",
        IN_ACME + "billing must be a mapping, not a list",
    ),
    (
        "list where the pricing mapping goes",
        'pricing: {model: flat_fee, price: "1200.00"}',
        'pricing: [flat_fee, "1200.00"]',
        "pricing: [flat_fee",
        FULL + ", product platform: pricing must be a mapping, not a list",
    ),
    (
        "bool where a price goes",
        'price: "1200.00"',
        "price: true",
        "price: true",
        FULL + ', product platform: flat_fee: price must be a number such as "10.50", not a '
        "boolean",
    ),
    (
        "bool where a quantity goes",
        "free_units: 1000",
        "free_units: yes",
        "free_units: yes",
        RAMP + ', product api-calls: free_units must be a number such as "10.50", not a boolean',
    ),
    (
        "string where a bool goes",
        "credits: true",
        'credits: "yes"',
        'credits: "yes"',
        RAMP + ", product prepaid-credits: credits must be true or false, not a string",
    ),
    (
        "date where a string goes",
        "name: Acme Corp",
        "name: 2026-01-01",
        "name: 2026-01-01",
        "customer acme: name must be a string, not a date",
    ),
    (
        "mapping where a contract's string id goes",
        "  - id: ACME-1\n",
        "  - id: {ACME: 1}\n",
        "{ACME: 1}",
        "customer acme: contract id must be a string, not a mapping",
    ),
    # dates
    (
        "2026-02-30",
        "    end: 2027-01-14\n",
        "    end: 2026-02-30\n",
        "2026-02-30",
        IN_ACME + 'end "2026-02-30" is not a real date (day is out of range for month)',
    ),
    (
        "a date in words",
        "    start: 2026-01-15\n    end",
        "    start: next monday\n    end",
        "next monday",
        IN_ACME + 'start must be a date written YYYY-MM-DD, not "next monday"',
    ),
    (
        "a date written as a number",
        "date: 2026-02-01",
        "date: 20260201",
        "date: 20260201",
        'customer acme: credit: date must be a date written YYYY-MM-DD, not "20260201"',
    ),
    (
        "a date without leading zeros",
        "    end: 2027-01-14\n",
        "    end: 2027-1-14\n",
        "2027-1-14",
        IN_ACME + 'end must be a date written YYYY-MM-DD, not "2027-1-14"',
    ),
    (
        "a bad phase start",
        "        start: 2026-07-01\n",
        "        start: 2026-07-32\n",
        "2026-07-32",
        FULL + ': start "2026-07-32" is not a real date (day is out of range for month)',
    ),
    (
        "a bad discount end",
        "end: 2026-06-30, name",
        "end: 2026-13-01, name",
        "2026-13-01",
        RAMP + ', discount "Launch discount": end "2026-13-01" is not a real date (month must '
        "be in 1..12)",
    ),
    (
        "contract end before its start",
        "    end: 2027-01-14\n",
        "    end: 2026-01-14\n",
        "end: 2026-01-14",
        IN_ACME + "end 2026-01-14 is before start 2026-01-15",
    ),
    # references
    (
        "unknown product",
        "          - product: prepaid-credits\n",
        "          - product: prepaid-credit\n",
        "prepaid-credit\n",
        RAMP
        + ': unknown product "prepaid-credit" (did you mean "prepaid-credits"? known: api-calls, '
        "platform, prepaid-credits)",
    ),
    (
        "unknown tax rate",
        "taxes: [ca-sales]",
        "taxes: [ca-sales, ny-sales]",
        "ny-sales",
        RAMP + ': unknown tax rate "ny-sales" (known: ca-sales, de-vat)',
    ),
    (
        "tax rate listed twice",
        "taxes: [ca-sales]",
        "taxes: [ca-sales, ca-sales]",
        "taxes: [ca-sales, ca-sales]",
        RAMP + ': tax rate "ca-sales" is listed twice',
    ),
    (
        "discount on a product that is not a line of the phase",
        "products: [platform], end",
        "products: [onboarding], end",
        "onboarding",
        RAMP + ', discount "Launch discount": product "onboarding" is not a line of this phase',
    ),
    (
        # Found by tests/test_fuzz.py: the top-up counted toward the commitment and the
        # shortfall line, cloned from it, sat in Deferred Revenue, never recognised.
        "minimum commitment on a prepaid credits line",
        "        taxes: [ca-sales]\n",
        "        taxes: [ca-sales]\n"
        '        minimum_commitment: {amount: "500.00", products: [api-calls, prepaid-credits]}\n',
        "minimum_commitment",
        RAMP + ', minimum_commitment: product "prepaid-credits" is a credits: true line; a '
        "prepaid top-up is not a charge and cannot count toward a commitment",
    ),
    (
        "zero standalone selling price on a line",
        '            pricing: {model: flat_fee, price: "1000.00"}\n          - product: api-calls',
        '            pricing: {model: flat_fee, price: "1000.00"}\n            ssp: "0.00"\n'
        "          - product: api-calls",
        'ssp: "0.00"',
        RAMP + ", product platform: ssp must be more than zero",
    ),
    (
        # Found by tests/test_fuzz.py: billing ran past 9999 and stopped the contracts plugin
        # with an internal error (OverflowError), as did the renewal term below.
        "a date in year 9999",
        "end: 2027-01-14",
        "end: 9999-12-31",
        "end: 9999",
        IN_ACME + 'end "9999-12-31" is out of range (years 1900 to 2999)',
    ),
    (
        "a renewal term of millions of years",
        "    payment_terms: net 15\n",
        "    payment_terms: net 15\n    renewal: {term_months: 100000000000000}\n",
        "renewal",
        IN_ACME + "renewal term_months must be at most 1200 (got 100000000000000)",
    ),
    (
        "product listed twice in a phase",
        "          - product: prepaid-credits\n",
        '          - product: platform\n            pricing: {model: flat_fee, price: "1"}\n'
        "          - product: prepaid-credits\n",
        'platform\n            pricing: {model: flat_fee, price: "1"}',
        RAMP + ': product "platform" is listed twice (first on line 16)',
    ),
    (
        "credits product on a line without credits: true",
        "            credits: true\n",
        "",
        "- product: prepaid-credits",
        RAMP + ", product prepaid-credits: the product has no revenue_rule; only credits: true "
        "lines may use it",
    ),
    # phases
    (
        "phases out of order",
        "        start: 2026-07-01\n",
        "        start: 2026-01-10\n",
        "2026-01-10",
        IN_ACME + 'phase "Full" starts 2026-01-10, not after phase "Ramp" (2026-01-15): phases '
        "must be in order",
    ),
    (
        "first phase not on the contract start",
        "        start: 2026-01-15\n        products",
        "        start: 2026-01-16\n        products",
        "2026-01-16",
        IN_ACME + 'phase "Ramp" starts 2026-01-16, not on the contract start 2026-01-15',
    ),
    (
        "phase starting after the contract end",
        "        start: 2026-07-01\n",
        "        start: 2027-02-01\n",
        "2027-02-01",
        IN_ACME + 'phase "Full" starts 2027-02-01, after the contract end 2027-01-14',
    ),
    (
        "explicit phase end overlapping the next phase",
        "      - name: Ramp\n        start: 2026-01-15\n",
        "      - name: Ramp\n        start: 2026-01-15\n        end: 2026-07-15\n",
        "2026-07-15",
        IN_ACME + 'phase "Ramp" ends 2026-07-15 and overlaps the next phase: phases must tile '
        "the contract (expected end 2026-06-30)",
    ),
    (
        "explicit phase end leaving a gap",
        "      - name: Ramp\n        start: 2026-01-15\n",
        "      - name: Ramp\n        start: 2026-01-15\n        end: 2026-06-15\n",
        "2026-06-15",
        IN_ACME + 'phase "Ramp" ends 2026-06-15 and leaves a gap: phases must tile the '
        "contract (expected end 2026-06-30)",
    ),
    (
        "last phase ending before the contract",
        "        start: 2026-07-01\n",
        "        start: 2026-07-01\n        end: 2026-12-31\n",
        "2026-12-31",
        IN_ACME + 'phase "Full" ends 2026-12-31 and leaves a gap: phases must tile the contract '
        "(expected end 2027-01-14)",
    ),
    (
        "no phases",
        ACME[ACME.index("    phases:") : ACME.index("adjustments:")],
        "    phases: []\n",
        "phases: []",
        IN_ACME + "a contract needs at least one phase",
    ),
    (
        "renewals stopping before the contract ends",
        "    end: 2027-01-14\n",
        "    end: 2027-01-14\n    renewal: {term_months: 12, end: 2026-12-31}\n",
        "renewal: {term_months: 12, end: 2026-12-31}",
        IN_ACME + "renewal end 2026-12-31 is before the contract's end 2027-01-14: the renewals "
        "would stop before they start (to end the contract earlier, change its end)",
    ),
    (
        "renewal of an evergreen contract",
        "    end: 2027-01-14\n",
        "    renewal: {term_months: 12}\n",
        "renewal:",
        IN_ACME + "renewal needs an end date (an evergreen contract never renews)",
    ),
    # tiers
    (
        "tiers out of order",
        '{up_to: 100000, unit_price: "0.008"}',
        '{up_to: 5000, unit_price: "0.008"}',
        "up_to: 5000",
        TIERS + "tiers out of order (up_to 5000 after up_to 10000)",
    ),
    (
        "tier bound repeated",
        '{up_to: 100000, unit_price: "0.008"}',
        '{up_to: 10000, unit_price: "0.008"}',
        '"0.008"',
        TIERS + "tiers out of order (up_to 10000 after up_to 10000)",
    ),
    (
        "non-last tier without up_to",
        '{up_to: 100000, unit_price: "0.008"}',
        '{unit_price: "0.008"}',
        '"0.008"',
        TIERS + "only the last tier may leave out up_to",
    ),
    (
        "last tier with up_to",
        '{unit_price: "0.005"}',
        '{up_to: 1000000, unit_price: "0.005"}',
        '"0.005"',
        TIERS + "the last tier has no up_to (it is unbounded)",
    ),
    (
        "no tiers",
        TIERS_BLOCK,
        "              tiers: []\n",
        "tiers: []",
        TIERS + "give at least one tier",
    ),
    # money
    (
        "negative price",
        'price: "1200.00"',
        'price: "-1200.00"',
        '"-1200.00"',
        FULL + ", product platform: flat_fee: price must not be negative (got -1200.00)",
    ),
    (
        "negative integer price",
        'price: "1200.00"',
        "price: -5",
        "price: -5",
        FULL + ", product platform: flat_fee: price must not be negative (got -5)",
    ),
    (
        "negative unit price",
        'unit_price: "0.005"',
        'unit_price: "-0.005"',
        '"-0.005"',
        TIERS + "unit_price must not be negative (got -0.005)",
    ),
    (
        "YAML float for a price",
        'price: "1200.00"',
        "price: 10.10",
        "10.10",
        FULL + ", product platform: flat_fee: price: write decimal numbers as quoted strings, e.g. "
        '"10.10" (an unquoted YAML decimal is a binary float and can lose cents)',
    ),
    (
        "YAML float for an adjustment amount",
        'amount: "500.00"',
        "amount: 500.00",
        "amount: 500.00",
        "customer acme: credit CR-ACME-1: amount: write decimal numbers as quoted strings, e.g. "
        '"500.00" (an unquoted YAML decimal is a binary float and can lose cents)',
    ),
    (
        "a price with more than 15 digits before the decimal point",
        'price: "1200.00"',
        'price: "1000000000000000.00"',
        "1000000000000000.00",
        FULL + ", product platform: flat_fee: price is too large (1000000000000000.00)",
    ),
    (
        "money with a thousands separator",
        'price: "1200.00"',
        'price: "1,200.00"',
        "1,200.00",
        FULL + ', product platform: flat_fee: price must be a number such as "10.50", not '
        '"1,200.00": digits and one decimal point only, without thousands separators, currency '
        "symbols or units",
    ),
    (
        "money with a currency symbol",
        'amount: "500.00"',
        'amount: "$500.00"',
        "$500.00",
        'customer acme: credit CR-ACME-1: amount must be a number such as "10.50", not '
        '"$500.00": digits and one decimal point only, without thousands separators, currency '
        "symbols or units",
    ),
    (
        "negative adjustment amount",
        'amount: "500.00"',
        'amount: "-500.00"',
        "-500.00",
        "customer acme: credit CR-ACME-1: amount must not be negative (got -500.00)",
    ),
    (
        "zero adjustment amount",
        'amount: "500.00"',
        'amount: "0"',
        'amount: "0"',
        "customer acme: credit CR-ACME-1: amount must be more than zero",
    ),
    # percentages
    (
        "discount percent without %",
        'percent: "10%"',
        "percent: 10",
        "percent: 10,",
        RAMP + ', discount "Launch discount": percent must be a percentage such as "7.25%" '
        "(quoted, with %)",
    ),
    (
        "discount over 100%",
        'percent: "10%"',
        'percent: "110%"',
        "110%",
        RAMP + ', discount "Launch discount": percent cannot exceed 100%',
    ),
    (
        "negative discount",
        'percent: "10%"',
        'percent: "-10%"',
        "-10%",
        RAMP + ', discount "Launch discount": percent must not be negative',
    ),
    # currency and payment terms
    (
        "unknown customer currency",
        "  email: billing@acme.example\n",
        "  email: billing@acme.example\n  currency: XYZ\n",
        "XYZ",
        'customer acme: currency "XYZ" is not an ISO 4217 currency code',
    ),
    (
        "contract currency as a symbol",
        "    payment_terms: net 15\n",
        "    payment_terms: net 15\n    currency: $\n",
        "currency: $",
        IN_ACME + 'currency "$" is not an ISO 4217 currency code',
    ),
    (
        "customer currency left empty",
        "  email: billing@acme.example\n",
        "  email: billing@acme.example\n  currency:\n",
        "currency:",
        'customer acme: customer: "currency" is empty: give it a value, or leave the key out '
        "(which bills in the company's currency, USD)",
    ),
    (
        "contract currency left empty",
        "    payment_terms: net 15\n",
        "    payment_terms: net 15\n    currency: ~\n",
        "currency: ~",
        IN_ACME + 'contract: "currency" is empty: give it a value, or leave the key out (which '
        "bills in the customer's currency, USD)",
    ),
    (
        "contract currency in lower case",
        "    payment_terms: net 15\n",
        "    payment_terms: net 15\n    currency: eur\n",
        "currency: eur",
        IN_ACME + 'currency "eur" is not an ISO 4217 currency code (did you mean "EUR"? codes are '
        "upper case)",
    ),
    (
        "credit without amount",
        'date: 2026-02-01, amount: "500.00", reason: Promo}',
        "date: 2026-02-01, reason: Promo}",
        "type: credit, id: CR-ACME-1",
        'customer acme: credit CR-ACME-1: "amount" is required',
    ),
    (
        "reason with a comma, unquoted inside {}",
        'amount: "500.00", reason: Promo}',
        'amount: "500.00", reason: Promo, case study}',
        "type: credit, id: CR-ACME-1",
        'customer acme: credit CR-ACME-1: unknown key "case study" (inside {…} a comma ends a '
        'value: to write "Promo, case study", quote it, reason: "Promo, case study"; allowed '
        "keys: amount, date, id, reason, type)",
    ),
    (
        "adjustment key given twice",
        'date: 2026-02-01, amount: "500.00"',
        'date: 2026-02-01, date: 2026-02-02, amount: "500.00"',
        "type: credit, id: CR-ACME-1",
        'customer acme: adjustment CR-ACME-1: key "date" is given twice (first on line 42)',
    ),
    (
        "payment terms in days",
        "payment_terms: net 15",
        "payment_terms: 15 days",
        "15 days",
        IN_ACME + 'payment_terms "15 days" must be "net N" or "due on receipt"',
    ),
    (
        "negative payment terms",
        "payment_terms: net 15",
        "payment_terms: net -15",
        "net -15",
        IN_ACME + 'payment_terms "net -15" must be "net N" or "due on receipt"',
    ),
    (
        "unsupported payment terms",
        "payment_terms: net 15",
        "payment_terms: end of month",
        "end of month",
        IN_ACME + 'payment_terms "end of month" must be "net N" or "due on receipt"',
    ),
    # ids and accounts
    (
        "customer id with capitals",
        "  id: acme\n",
        "  id: Acme\n",
        "id: Acme",
        'customer id "Acme" is not valid (use a-z, 0-9, -)',
    ),
    (
        "customer id with a space",
        "  id: acme\n",
        "  id: acme corp\n",
        "acme corp",
        'customer id "acme corp" is not valid (use a-z, 0-9, -)',
    ),
    (
        "customer id with an underscore",
        "  id: acme\n",
        "  id: acme_corp\n",
        "acme_corp",
        'customer id "acme_corp" is not valid (use a-z, 0-9, -)',
    ),
    (
        "account component in lower case",
        "  account: Acme\n",
        "  account: acme\n",
        "account: acme",
        'customer acme: account "acme" is not valid as a Beancount account component '
        "(e.g. Acme or Globex-Eu)",
    ),
    (
        "account component with a colon",
        "  account: Acme\n",
        "  account: Acme:Corp\n",
        "Acme:Corp",
        'customer acme: account "Acme:Corp" is not valid as a Beancount account component '
        "(e.g. Acme or Globex-Eu)",
    ),
    (
        "contract id with a space",
        "  - id: ACME-1\n",
        "  - id: ACME 1\n",
        "ACME 1",
        'customer acme: contract id "ACME 1" is not valid (use letters, digits, -, _ and .)',
    ),
    (
        "contract id repeated in one file",
        "adjustments:\n",
        "  - id: ACME-1\n    start: 2026-01-15\n    phases:\n      - start: 2026-01-15\n"
        '        products: [{product: platform, pricing: {model: flat_fee, price: "1"}}]\n'
        "adjustments:\n",
        "  - id: ACME-1\n    start: 2026-01-15\n    phases",
        f'customer acme: contract id "ACME-1" is used twice (first at {ACME_FILE}:7)',
    ),
    (
        "adjustment id repeated",
        "id: CR-ACME-1",
        "id: CM-ACME-1",
        "id: CM-ACME-1, date: 2026-02-01",
        f'customer acme: adjustment id "CM-ACME-1" is used twice (first at {ACME_FILE}:40)',
    ),
    (
        "discount ending before its phase starts",
        "end: 2026-06-30, name: Launch discount",
        "end: 2025-06-30, name: Launch discount",
        "name: Launch discount",
        RAMP + ', discount "Launch discount": it ends 2025-06-30, before the phase starts '
        "(2026-01-15): it would never apply (is a date mistyped?)",
    ),
    (
        "discount starting after its phase ends",
        "end: 2026-06-30, name: Launch discount",
        "start: 2026-07-01, name: Launch discount",
        "name: Launch discount",
        RAMP + ', discount "Launch discount": it starts 2026-07-01, after the phase ends '
        "(2026-06-30): it would never apply (is a date mistyped?)",
    ),
    (
        "memo id of an invoice's form",
        "id: CM-ACME-1",
        "id: INV-ACME-1-20261201",
        "id: INV-ACME-1-20261201",
        'customer acme: credit_memo: id "INV-ACME-1-20261201" has the form of an invoice id '
        "(INV-<contract>-<yyyymmdd>): documents, payments and reviews would take it for an "
        "invoice; give it a prefix of its own (CM-, DM-, CR-, RF-, WO-)",
    ),
    # metered lines
    (
        "metered product billed in advance",
        "            billing: {cadence: monthly, timing: arrears}\n",
        "            billing: {cadence: monthly}\n",
        "- product: api-calls",
        RAMP + ", product api-calls: a metered product bills in arrears; add billing: "
        "{timing: arrears}",
    ),
    (
        "metered product billed one_time",
        "            billing: {cadence: monthly, timing: arrears}\n",
        "            billing: {cadence: one_time, timing: arrears}\n",
        "- product: api-calls",
        RAMP + ", product api-calls: a metered product cannot bill one_time",
    ),
    (
        "free_units on an unmetered line",
        '          - product: platform\n            pricing: {model: flat_fee, price: "1200.00"}',
        "          - product: platform\n            free_units: 10\n"
        '            pricing: {model: flat_fee, price: "1200.00"}',
        "free_units: 10\n",
        FULL + ", product platform: free_units need a metered product",
    ),
    (
        "flat_fee on a metered product",
        TIERED,
        '              model: flat_fee\n              price: "1"\n',
        "model: flat_fee\n",
        RAMP + ", product api-calls: flat_fee pricing is for products without a metric",
    ),
    (
        "fixed quantity on a metered line",
        "            free_units: 1000\n",
        "            free_units: 1000\n            quantity: 5\n",
        "quantity: 5",
        RAMP + ", product api-calls: quantity is for products without a metric (usage sets it)",
    ),
    (
        "second_metric that no product meters",
        TIERED,
        "              model: two_dimensional_tiered\n              second_metric: seats\n"
        "              tiers: [{up_to: 10}, {}]\n              second_tiers: [{}]\n"
        '              unit_prices: [["1", "2"]]\n',
        "model: two_dimensional_tiered",
        RAMP + ', product api-calls: unknown second_metric "seats" (known: api_calls)',
    ),
    # enumerations
    (
        "unknown cadence",
        "cadence: quarterly",
        "cadence: fortnightly",
        "fortnightly",
        IN_ACME + 'cadence "fortnightly" must be monthly, quarterly, semi_annual, annual, '
        'one_time or "every N months"',
    ),
    (
        "cadence of every 0 months",
        "cadence: quarterly",
        "cadence: every 0 months",
        "every 0",
        IN_ACME + 'cadence "every 0 months" must be monthly, quarterly, semi_annual, annual, '
        'one_time or "every N months"',
    ),
    (
        "unknown timing",
        "timing: advance",
        "timing: upfront",
        "upfront",
        IN_ACME + 'timing "upfront" is not one of advance | arrears',
    ),
    (
        "misspelt cadence",
        "cadence: quarterly",
        "cadence: quartely",
        "quartely",
        IN_ACME + 'cadence "quartely" must be monthly, quarterly, semi_annual, annual, '
        'one_time or "every N months" (did you mean "quarterly"?)',
    ),
    (
        "misspelt timing",
        "timing: advance",
        "timing: advanced",
        "advanced",
        IN_ACME + 'timing "advanced" is not one of advance | arrears (did you mean "advance"?)',
    ),
    (
        "misspelt pricing model",
        'model: flat_fee, price: "1200.00"',
        'model: flatfee, price: "1200.00"',
        "flatfee",
        FULL + ', product platform: flatfee: unknown pricing model (did you mean "flat_fee"? one '
        "of flat_fee, per_unit, package, tiered, tiered_with_flat_fee, volume, "
        "volume_with_flat_fee, step, percent, matrix, two_dimensional_tiered)",
    ),
    (
        "unknown pricing model",
        'model: flat_fee, price: "1200.00"',
        'model: flat, price: "1200.00"',
        "model: flat,",
        FULL + ", product platform: flat: unknown pricing model (one of flat_fee, per_unit, "
        "package, tiered, tiered_with_flat_fee, volume, volume_with_flat_fee, step, percent, "
        "matrix, two_dimensional_tiered)",
    ),
    (
        "unknown matrix mode",
        TIERED,
        "              model: matrix\n              dimension: region\n"
        "              mode: banded\n"
        '              rows: [{value: eu, unit_price: "1"}]\n',
        "banded",
        RAMP + ', product api-calls: matrix: mode "banded" is not one of graduated | volume',
    ),
    (
        "unknown adjustment type",
        "type: credit,",
        "type: gift,",
        "type: gift",
        'customer acme: adjustment type "gift" must be credit_memo, debit_memo, write_off, '
        "credit or refund",
    ),
    (
        "missing required key",
        "  name: Acme Corp\n",
        "",
        "id: acme",
        'customer acme: customer: "name" is required',
    ),
    # YAML itself
    (
        "duplicate YAML key",
        "    end: 2027-01-14\n",
        "    end: 2027-01-14\n    end: 2027-06-30\n",
        "2027-06-30",
        IN_ACME + 'key "end" is given twice (first on line 9)',
    ),
    (
        "unclosed bracket",
        "  name: Acme Corp\n",
        "  name: [Acme Corp\n",
        "  email:",  # where the parser finds out
        "YAML syntax error: expected ',' or ']', but got ':' (while parsing a flow sequence "
        "that starts on line 4); the [ opened on line 4 is not closed: close it with ]",
    ),
    (
        "tab indentation",
        "    payment_terms: net 15\n",
        "\tpayment_terms: net 15\n",
        "\tpayment_terms",
        "YAML syntax error: found character '\\t' that cannot start any token (YAML indents "
        "with spaces, not tabs: replace the tab)",
    ),
    (
        "python object tag on a scalar",
        "  name: Acme Corp\n",
        '  name: !!python/object/apply:os.system ["echo pwned"]\n',
        "pwned",
        "the YAML tag !!python/object/apply:os.system is not allowed (only plain data)",
    ),
    (
        "python object tag on a mapping",
        "billing: {cadence: quarterly, timing: advance, anchor: start}",
        "billing: !!python/object:beanbill.model.Billing {months: 3}",
        "!!python",
        "the YAML tag !!python/object:beanbill.model.Billing is not allowed (only plain data)",
    ),
    (
        "binary tag",
        "  name: Acme Corp\n",
        "  name: !!binary aGVsbG8=\n",
        "!!binary",
        "the YAML tag !!binary is not allowed (only plain data)",
    ),
    (
        "local tag",
        "  name: Acme Corp\n",
        "  name: !secret acme\n",
        "!secret",
        "the YAML tag !secret is not allowed (only plain data)",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "at", "message"),
    [case[1:] for case in CUSTOMER_CASES],
    ids=[case[0] for case in CUSTOMER_CASES],
)
def test_customer_problem(old: str, new: str, at: str, message: str) -> None:
    acme = edit(ACME, old, new)
    contract_set, problems = load(customers=[(ACME_FILE, acme), (GLOBEX_FILE, GLOBEX)])
    assert problems == [(ACME_FILE, line_of(acme, at), message)]
    # The customer with a problem is left out whole; the valid one still loads.
    assert customer_ids(contract_set) == ["globex"]


MEMO = "customer acme: credit_memo CM-ACME-1: "
MEMO_TOTAL_CASES = [
    (
        "total and amount",
        'amount: "200.00", reason',
        'amount: "200.00", total: "220.00", reason',
        "total:",
        MEMO + "give total or amount, not both: total is what the memo credits, tax included, "
        "spread over the invoice's lines; amount is net of tax (its tax is worked out from the "
        "invoice's lines); keep one",
    ),
    (
        "total and lines",
        'amount: "200.00", reason',
        'lines: [{product: platform, amount: "200.00"}],\n     total: "220.00", reason',
        "total:",
        MEMO + "give total or lines, not both: total is what the memo credits, tax included, "
        "spread over the invoice's lines; lines give net amounts (before tax) of the products "
        "named; keep one",
    ),
    (
        "debit memo total and amount",
        "credit_memo, id: CM-ACME-1, date: 2026-03-05, invoice: INV-ACME-1-20260201,\n"
        '     amount: "200.00", reason',
        "debit_memo, id: CM-ACME-1, date: 2026-03-05, invoice: INV-ACME-1-20260201,\n"
        '     amount: "200.00", total: "220.00", reason',
        "total:",
        "customer acme: debit_memo CM-ACME-1: give total or amount, not both: total is what the "
        "memo adds to the invoice, tax included, spread over the invoice's lines; amount is net "
        "of tax (its tax is worked out from the invoice's lines); keep one",
    ),
    (
        "none of amount, lines and total",
        'amount: "200.00", reason',
        "reason",
        "type: credit_memo",
        MEMO + "give exactly one of amount, lines and total",
    ),
    (
        "total misspelt",
        'amount: "200.00", reason',
        'totl: "220.00", reason',
        "totl:",
        MEMO + 'give exactly one of amount, lines and total (is "totl" a misspelling of "total"?)',
    ),
    (
        "zero total",
        'amount: "200.00"',
        'total: "0.00"',
        "total:",
        MEMO + "total must be more than zero",
    ),
    (
        "negative total",
        'amount: "200.00"',
        'total: "-220.00"',
        "total:",
        MEMO + "total must not be negative (got -220.00)",
    ),
    (
        "total with a currency",
        'amount: "200.00"',
        'total: "220.00 USD"',
        "total:",
        MEMO + 'total must be a number such as "10.50", not "220.00 USD": digits and one decimal '
        "point only, without thousands separators, currency symbols or units",
    ),
    (
        "total as a YAML float",
        'amount: "200.00"',
        "total: 220.50",
        "total:",
        MEMO + 'total: write decimal numbers as quoted strings, e.g. "220.50" (an unquoted YAML '
        "decimal is a binary float and can lose cents)",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "at", "message"),
    [case[1:] for case in MEMO_TOTAL_CASES],
    ids=[case[0] for case in MEMO_TOTAL_CASES],
)
def test_memo_total_problem(old: str, new: str, at: str, message: str) -> None:
    acme = edit(ACME, old, new)
    contract_set, problems = load(customers=[(ACME_FILE, acme), (GLOBEX_FILE, GLOBEX)])
    assert problems == [(ACME_FILE, line_of(acme, at), message)]
    # The customer with a problem is left out whole; the valid one still loads.
    assert customer_ids(contract_set) == ["globex"]


def test_a_memo_total_is_read_tax_included() -> None:
    acme = edit(ACME, 'amount: "200.00"', 'total: "220.00"')
    contract_set, problems = load(customers=[(ACME_FILE, acme)])
    assert problems == []
    assert contract_set is not None
    memo = contract_set.customers[0].adjustments[0]
    assert isinstance(memo, m.Memo)
    assert (memo.amount, memo.lines, memo.total) == (None, None, Decimal("220.00"))


def test_problems_in_two_contracts_are_both_reported() -> None:
    second = (
        "  - id: ACME-2\n    start: 2026-01-15\n    phases:\n      - start: 2026-01-15\n"
        '        products: [{product: platfrom, pricing: {model: flat_fee, price: "1"}}]\n'
    )
    acme = edit(ACME, "    end: 2027-01-14\n", "    end: 2027-01-44\n")
    acme = edit(acme, "adjustments:\n", second + "adjustments:\n")
    contract_set, problems = load(customers=[(ACME_FILE, acme), (GLOBEX_FILE, GLOBEX)])
    assert problems == [
        (
            ACME_FILE,
            9,
            IN_ACME + 'end "2027-01-44" is not a real date (day is out of range for month)',
        ),
        (
            ACME_FILE,
            line_of(acme, "platfrom"),
            'customer acme: contract ACME-2: phase "2026-01-15": unknown product "platfrom" '
            '(did you mean "platform"? known: api-calls, platform, prepaid-credits)',
        ),
    ]
    assert customer_ids(contract_set) == ["globex"]


def test_every_bad_product_line_and_phase_is_reported_not_only_the_first() -> None:
    # A colleague's review lists every mistake of a contract at once: each product line and
    # phase is read on its own, and a phase's taxes too. The discount is not read while a line
    # it may name is broken (it would be reported as naming an unknown product).
    acme = edit(ACME, '{model: flat_fee, price: "1000.00"}', '{model: flat_fee, price: "-1"}')
    acme = edit(acme, '- {up_to: 100000, unit_price: "0.008"}', '- {up_to: 100, unit_price: "1"}')
    acme = edit(acme, "          - product: prepaid-credits\n", "          - prodcut: x\n")
    acme = edit(acme, '{model: flat_fee, price: "1200.00"}', '{model: flat_fee, pirce: "1"}')
    acme = edit(acme, "taxes: [ca-sales]", "taxes: [ca-sale]")
    contract_set, problems = load(customers=[(ACME_FILE, acme), (GLOBEX_FILE, GLOBEX)])
    assert problems == [
        (
            ACME_FILE,
            line_of(acme, '"-1"'),
            RAMP + ", product platform: flat_fee: price must not be negative (got -1)",
        ),
        (
            ACME_FILE,
            line_of(acme, "up_to: 100,"),
            TIERS + "tiers out of order (up_to 100 after up_to 10000)",
        ),
        (
            ACME_FILE,
            line_of(acme, "prodcut"),
            RAMP + ': product line: "product" is required (is "prodcut" a misspelling of '
            '"product"?)',
        ),
        (
            ACME_FILE,
            line_of(acme, "ca-sale]"),
            RAMP + ': unknown tax rate "ca-sale" (did you mean "ca-sales"? known: ca-sales, '
            "de-vat)",
        ),
        (
            ACME_FILE,
            line_of(acme, "pirce"),
            FULL + ', product platform: pricing: "price" is required (is "pirce" a misspelling '
            'of "price"?)',
        ),
    ]
    assert customer_ids(contract_set) == ["globex"]


def test_problems_of_the_customer_contract_and_lines_keys_are_all_reported() -> None:
    # An unknown key of the customer, a bad payment term, an unknown key and a misspelt
    # cadence of the contract do not stop the phases from being read: one run lists all five.
    acme = edit(ACME, "  email: billing@acme.example\n", "  emial: billing@acme.example\n")
    acme = edit(acme, "    payment_terms: net 15\n", "    payment_terms: net fifteen\n    po: 7\n")
    acme = edit(acme, "          - product: prepaid-credits\n", "          - product: prepaid\n")
    acme = edit(acme, "{cadence: quarterly, timing: advance", "{cadence: quartely, timing: advance")
    contract_set, problems = load(customers=[(ACME_FILE, acme), (GLOBEX_FILE, GLOBEX)])
    assert problems == [
        (
            ACME_FILE,
            line_of(acme, "emial"),
            'customer acme: customer: unknown key "emial" (did you mean "email"? allowed keys: '
            "account, address, consolidate, currency, email, id, name)",
        ),
        (
            ACME_FILE,
            line_of(acme, "net fifteen"),
            IN_ACME + 'payment_terms "net fifteen" must be "net N" or "due on receipt"',
        ),
        (
            ACME_FILE,
            line_of(acme, "po: 7"),
            IN_ACME + 'contract: unknown key "po" (allowed keys: billing, currency, end, id, '
            "payment_terms, phases, renewal, start)",
        ),
        (
            ACME_FILE,
            line_of(acme, "quartely"),
            IN_ACME + 'cadence "quartely" must be monthly, quarterly, semi_annual, annual, '
            'one_time or "every N months" (did you mean "quarterly"?)',
        ),
        (
            ACME_FILE,
            line_of(acme, "product: prepaid\n"),
            RAMP + ': unknown product "prepaid" (known: api-calls, platform, prepaid-credits)',
        ),
    ]
    assert customer_ids(contract_set) == ["globex"]


def test_a_bad_account_or_currency_of_the_customer_does_not_hide_its_contracts_problems() -> None:
    acme = edit(ACME, "  account: Acme\n", "  account: Acme Corp\n  currency: usd\n")
    acme = edit(acme, "          - product: prepaid-credits\n", "          - product: prepaid\n")
    contract_set, problems = load(customers=[(ACME_FILE, acme), (GLOBEX_FILE, GLOBEX)])
    assert problems == [
        (
            ACME_FILE,
            line_of(acme, "account: Acme Corp"),
            'customer acme: account "Acme Corp" is not valid as a Beancount account component '
            "(e.g. Acme or Globex-Eu)",
        ),
        (
            ACME_FILE,
            line_of(acme, "usd"),
            'customer acme: currency "usd" is not an ISO 4217 currency code (did you mean "USD"? '
            "codes are upper case)",
        ),
        (
            ACME_FILE,
            line_of(acme, "product: prepaid\n"),
            RAMP + ': unknown product "prepaid" (known: api-calls, platform, prepaid-credits)',
        ),
    ]
    assert customer_ids(contract_set) == ["globex"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "  - id: ACME-1\n    start: 2026-01-15\n",
            "  - id: ACME-1\n    start: 2026-01-45\n",
            'start "2026-01-45" is not a real',
        ),
        ("    end: 2027-01-14\n", "    end: 2025-01-14\n", "end 2025-01-14 is before start"),
    ],
    ids=["bad start", "end before start"],
)
def test_after_bad_contract_dates_the_phases_are_still_read(
    old: str, new: str, message: str
) -> None:
    # Each phase on its own (their tiling of the contract is not checked without its dates).
    acme = edit(ACME, old, new)
    acme = edit(acme, "          - product: prepaid-credits\n", "          - product: prepaid\n")
    contract_set, problems = load(customers=[(ACME_FILE, acme), (GLOBEX_FILE, GLOBEX)])
    assert [(line, text.startswith(IN_ACME + message)) for _, line, text in problems] == [
        (line_of(acme, new.splitlines()[-1]), True),
        (line_of(acme, "product: prepaid\n"), False),
    ]
    assert problems[1][2] == (
        RAMP + ': unknown product "prepaid" (known: api-calls, platform, prepaid-credits)'
    )
    assert customer_ids(contract_set) == ["globex"]


def test_after_a_bad_billing_a_metered_line_is_not_said_to_bill_in_advance() -> None:
    # The lines are read against monthly billing in arrears then, which none contradicts.
    globex = edit(GLOBEX, "    payment_terms: due on receipt\n", "    billing: {cadence: montly}\n")
    globex = edit(
        globex,
        "          - product: platform\n            quantity: 3\n",
        "          - product: api-calls\n            pricing: {model: per_unit, unit_price: "
        '"0.01"}\n          - product: platform\n            quantity: 3\n',
    )
    contract_set, problems = load(customers=[(ACME_FILE, ACME), (GLOBEX_FILE, globex)])
    assert problems == [
        (
            GLOBEX_FILE,
            line_of(globex, "montly"),
            'customer globex: contract GLOBEX-1: cadence "montly" must be monthly, quarterly, '
            'semi_annual, annual, one_time or "every N months" (did you mean "monthly"?)',
        )
    ]
    assert customer_ids(contract_set) == ["acme"]


# --- whole files -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "~\n"])
def test_empty_catalog(text: str) -> None:
    contract_set, problems = load(text)
    assert problems == [(CATALOG_FILE, 1, "catalog.yaml is empty")]
    assert contract_set is None


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_customer_file(text: str) -> None:
    contract_set, problems = load(customers=[(ACME_FILE, text), (GLOBEX_FILE, GLOBEX)])
    assert problems == [(ACME_FILE, 1, "customer file is empty")]
    assert customer_ids(contract_set) == ["globex"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("- acme\n- globex\n", 1, "customer file must be a mapping, not a list"),
        ("just words\n", 1, "customer file must be a mapping, not a string"),
        (
            "customer: {id: acme}\n---\ncustomer: {id: acme2}\n",
            2,
            "YAML syntax error: expected a single document in the stream, but found another "
            "document",
        ),
        (
            'customer:\n  id: acme\n  name: "Acme\n',
            4,
            "YAML syntax error: found unexpected end of stream (while scanning a quoted scalar "
            "that starts on line 3); the quote opened on line 3 is never closed",
        ),
        (
            "customer: {id: acme,\n",
            2,
            "YAML syntax error: expected the node content, but found '<stream end>'",
        ),
        (
            "customer: [\n" * 3000 + "]" * 3000 + "\n",
            1,
            "YAML error: the document is nested too deeply",
        ),
        (
            # Found by tests/test_fuzz.py: reported at line 1, with PyYAML's 'in "<unicode
            # string>", position 27' on a second line.
            "customer:\n  id: acme\n  name: Ac\x00me\n",
            3,
            "YAML error: unacceptable character #x0000: special characters are not allowed",
        ),
    ],
    ids=[
        "list",
        "scalar",
        "two documents",
        "unclosed quote",
        "unclosed brace",
        "deep nesting",
        "control character",
    ],
)
def test_customer_file_that_is_not_a_customer(text: str, line: int, message: str) -> None:
    contract_set, problems = load(customers=[(ACME_FILE, text), (GLOBEX_FILE, GLOBEX)])
    assert problems == [(ACME_FILE, line, message)]
    assert customer_ids(contract_set) == ["globex"]


def test_yaml_syntax_error_in_catalog_stops_everything() -> None:
    catalog = edit(CATALOG, "  currency: USD\n", "  currency: USD\n   bad: indent\n")
    contract_set, problems = load(catalog)
    assert problems == [
        (
            CATALOG_FILE,
            line_of(catalog, "bad: indent"),
            "YAML syntax error: mapping values are not allowed here; this line is indented "
            "more than the key above it (indent it like that key), or a value holds ': ' (put "
            "the value in quotes)",
        )
    ]
    assert contract_set is None


def test_a_key_indented_out_of_its_list_item_says_how_to_indent_it() -> None:
    text = (
        "products:\n"
        "  - product: seats\n"
        '    pricing: {model: per_unit, unit_price: "18.00"}\n'
        "  quantity: 25\n"
    )
    with pytest.raises(Invalid) as raised:
        Document("acme.yaml", text)
    assert raised.value.message == (
        "YAML syntax error: expected <block end>, but found '?' (while parsing a block "
        "collection that starts on line 2); this line is indented neither as a key of the list "
        "item above nor as a new item of the list that starts on line 2: indent it like the "
        "item's other keys, or start it with '- '"
    )


def test_a_key_indented_more_than_its_neighbours_says_so() -> None:
    text = (
        "products:\n"
        "  - product: seats\n"
        "    billing: {cadence: monthly}\n"
        '     pricing: {model: per_unit, unit_price: "18.00"}\n'
    )
    with pytest.raises(Invalid) as raised:
        Document("acme.yaml", text)
    assert raised.value.message.endswith(
        "; this line is indented more than the line above it, which opens nothing: indent it "
        "like the keys it belongs with"
    )


def test_python_tags_are_refused_without_running_anything(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    code = f"open({str(marker)!r}, 'w').write('x')"
    attacks = [
        f'  name: !!python/object/apply:builtins.exec ["{code}"]\n',
        f'  name: !!python/object/new:builtins.exec ["{code}"]\n',
        "  name: !!python/object:os.system {command: touch x}\n",
        "  name: !!python/module:os\n",
    ]
    for attack in attacks:
        acme = edit(ACME, "  name: Acme Corp\n", attack)
        contract_set, problems = load(customers=[(ACME_FILE, acme), (GLOBEX_FILE, GLOBEX)])
        tag = attack.split()[1]
        assert problems == [
            (ACME_FILE, 4, f"the YAML tag {tag} is not allowed (only plain data)")
        ], attack
        assert customer_ids(contract_set) == ["globex"]
    catalog = edit(CATALOG, "  name: Demo SaaS Inc.\n", attacks[0].replace("name", "name"))
    contract_set, problems = load(catalog)
    assert problems == [
        (
            CATALOG_FILE,
            2,
            "the YAML tag !!python/object/apply:builtins.exec is not allowed (only plain data)",
        )
    ]
    assert not marker.exists()


def test_yaml_merge_keys_are_plain_data() -> None:
    acme = edit(
        ACME,
        "billing: {cadence: quarterly, timing: advance, anchor: start}",
        "billing: &b {cadence: quarterly, timing: advance, anchor: start}",
    )
    acme = edit(
        acme,
        "            billing: {cadence: monthly, timing: arrears}\n",
        "            billing: {<<: *b, cadence: monthly, timing: arrears}\n",
    )
    contract_set, problems = load(customers=[(ACME_FILE, acme)])
    assert problems == []
    assert contract_set is not None
    api = contract_set.customers[0].contracts[0].phases[0].lines[1]
    assert api.billing == m.Billing(1, m.Timing.ARREARS, m.Anchor.START)


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
customer: {id: acme, account: Acme, name: *i}
contracts: []
"""


def test_billion_laughs_is_rejected_quickly() -> None:
    # Should take milliseconds (aliases are never expanded); the bound is loose so a slow
    # machine does not fail the test, but an expansion of 9**9 values would never finish.
    began = time.monotonic()
    contract_set, problems = load(customers=[(ACME_FILE, BILLION_LAUGHS), (GLOBEX_FILE, GLOBEX)])
    assert time.monotonic() - began < 30
    assert problems == [
        (
            ACME_FILE,
            1,
            'customer acme: customer file: unknown key "a" (allowed keys: adjustments, '
            "contracts, customer)",
        ),
        (ACME_FILE, 9, "customer acme: name must be a string, not a list"),
    ]
    assert customer_ids(contract_set) == ["globex"]


def test_alias_amplification_stops_at_the_node_budget() -> None:
    # Every list here is read for real (100 contracts x 100 discounts x 100 products), by
    # aliases of a few lines: the loader gives up on the file with one problem.
    products = ", ".join(["platform"] * 100)
    discounts = "          - *d\n" * 99
    contracts = "  - *c\n" * 99
    bomb = (
        "customer: {id: acme, account: Acme, name: Acme}\n"
        "contracts:\n"
        "  - &c\n"
        "    id: BOMB-1\n"
        "    start: 2026-01-01\n"
        "    phases:\n"
        "      - start: 2026-01-01\n"
        '        products: [{product: platform, pricing: {model: flat_fee, price: "1"}}]\n'
        "        discounts:\n"
        f'          - &d {{percent: "1%", products: [{products}]}}\n'
        f"{discounts}{contracts}"
    )
    began = time.monotonic()
    contract_set, problems = load(customers=[(ACME_FILE, bomb), (GLOBEX_FILE, GLOBEX)])
    assert time.monotonic() - began < 30
    assert problems == [
        (
            ACME_FILE,
            10,
            "customer acme: contract BOMB-1: the file expands to too many values "
            "(YAML alias bomb?)",
        )
    ]
    assert customer_ids(contract_set) == ["globex"]


DEEP_DOCUMENTS = {
    "flow": "customer: " + "[" * 200_000 + "]" * 200_000 + "\n",
    "compact": "customer:\n  id: acme\ncontracts:\n  - " + "- " * 200_000 + "x\n",
}


@pytest.mark.parametrize("kind", sorted(DEEP_DOCUMENTS))
def test_very_deep_nesting_is_refused_without_crashing(kind: str) -> None:
    # libyaml composes recursively in C: 200,000 levels used to overflow the stack and kill
    # the process (a segmentation fault, no message). In a subprocess, so a regression is a
    # failed test rather than a dead test run.
    program = (
        "import sys\n"
        "from beanbill.load import load_texts\n"
        "from tests.test_load import ACME_FILE, CATALOG, CATALOG_FILE, DEEP_DOCUMENTS\n"
        "text = DEEP_DOCUMENTS[sys.argv[1]]\n"
        "_, problems = load_texts((CATALOG_FILE, CATALOG), [(ACME_FILE, text)], [])\n"
        "print([(p.source.line, p.message) for p in problems])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program, kind],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    message = "YAML error: the document is nested too deeply"
    assert result.stdout.strip() == repr([(1, message)])


# --- ids unique across files -------------------------------------------------------------------


def test_duplicate_customer_id_across_files() -> None:
    other = edit(GLOBEX, "  id: globex\n", "  id: acme\n")
    contract_set, problems = load(customers=[(ACME_FILE, ACME), (GLOBEX_FILE, other)])
    assert problems == [
        (
            GLOBEX_FILE,
            2,
            f'customer acme: customer id "acme" is used twice (first at {ACME_FILE}:2)',
        )
    ]
    assert customer_ids(contract_set) == ["acme"]  # the first file read (by name) is kept


def test_duplicate_account_across_files() -> None:
    other = edit(GLOBEX, "  account: Globex\n", "  account: Acme\n")
    contract_set, problems = load(customers=[(ACME_FILE, ACME), (GLOBEX_FILE, other)])
    assert problems == [
        (GLOBEX_FILE, 2, f'customer globex: account "Acme" is used twice (first at {ACME_FILE}:2)')
    ]
    assert customer_ids(contract_set) == ["acme"]


def test_duplicate_contract_id_across_customers() -> None:
    other = edit(GLOBEX, "  - id: GLOBEX-1\n", "  - id: ACME-1\n")
    contract_set, problems = load(customers=[(ACME_FILE, ACME), (GLOBEX_FILE, other)])
    assert problems == [
        (
            GLOBEX_FILE,
            6,
            f'customer globex: contract id "ACME-1" is used twice (first at {ACME_FILE}:7)',
        )
    ]
    assert customer_ids(contract_set) == ["acme"]


def test_contract_ids_that_differ_only_in_case_clash() -> None:
    # INV-ACME-1-… and INV-Acme-1-… would be two invoices the books tell apart, and an ERP
    # or a case-insensitive file system (the documents folder) would not.
    other = edit(GLOBEX, "  - id: GLOBEX-1\n", "  - id: Acme-1\n")
    contract_set, problems = load(customers=[(ACME_FILE, ACME), (GLOBEX_FILE, other)])
    assert problems == [
        (
            GLOBEX_FILE,
            6,
            'customer globex: contract id "Acme-1" differs from "ACME-1" only in case (ids are '
            "compared whatever their case: ERPs and file systems may not tell them apart) "
            f"(first at {ACME_FILE}:7)",
        )
    ]
    assert customer_ids(contract_set) == ["acme"]


def test_duplicate_adjustment_id_across_customers() -> None:
    other = GLOBEX + (
        'adjustments:\n  - {type: credit, id: CR-ACME-1, date: 2026-04-01, amount: "5"}\n'
    )
    contract_set, problems = load(customers=[(ACME_FILE, ACME), (GLOBEX_FILE, other)])
    assert problems == [
        (
            GLOBEX_FILE,
            21,
            f'customer globex: adjustment id "CR-ACME-1" is used twice (first at {ACME_FILE}:42)',
        )
    ]
    assert customer_ids(contract_set) == ["acme"]


# --- usage/*.csv -------------------------------------------------------------------------------

HEADER = "timestamp,customer,metric,quantity,event_id,region\n"
GOOD_ROW = "2026-02-03,acme,api_calls,10,e1,eu\n"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2026-02-03,initech,api_calls,10,e9,eu\n", 'usage: unknown customer "initech"'),
        (
            "2026-02-03,ACME,api_calls,10,e9,eu\n",
            'usage: unknown customer "ACME" (did you mean "acme"? customer ids are case-sensitive)',
        ),
        (
            "2026-02-03,acmee,api_calls,10,e9,eu\n",
            'usage: unknown customer "acmee" (did you mean "acme"?)',
        ),
        (
            "2026-02-03,Globx,api_calls,10,e9,eu\n",
            'usage: unknown customer "Globx" (did you mean "globex"?)',
        ),
        (
            "2026-02-03,acme-corp,api_calls,10,e9,eu\n",
            'usage: unknown customer "acme-corp" (did you mean "acme"?)',
        ),
        (
            "2026-02-03,Acme Corp,api_calls,10,e9,eu\n",
            'usage: unknown customer "Acme Corp" (did you mean "acme"?)',
        ),
        (
            "2026-02-03,globex-holdings-inc,api_calls,10,e9,eu\n",
            'usage: unknown customer "globex-holdings-inc" (did you mean "globex"?)',
        ),
        ("2026-02-03,acmecorp,api_calls,10,e9,eu\n", 'usage: unknown customer "acmecorp"'),
        ("2026-02-03,corp-acme,api_calls,10,e9,eu\n", 'usage: unknown customer "corp-acme"'),
        (
            "2026-02-03,acme,api_cals,10,e9,eu\n",
            'usage: unknown metric "api_cals" (did you mean "api_calls"? metrics of the catalog: '
            "api_calls)",
        ),
        (
            "2026-02-03,acme,seats,10,e9,eu\n",
            'usage: unknown metric "seats" (metrics of the catalog: api_calls)',
        ),
        ("2026-02-03,acme,api_calls,ten,e9,eu\n", 'usage: quantity "ten" is not a number'),
        ("2026-02-03,acme,api_calls,1e3,e9,eu\n", 'usage: quantity "1e3" is not a number'),
        ("2026-02-03,acme,api_calls,,e9,eu\n", 'usage: quantity "" is not a number'),
        (
            "2026-02-03,acme,api_calls,1000000000000000,e9,eu\n",
            'usage: quantity "1000000000000000" is too large (at most 15 digits before the '
            "decimal point)",
        ),
        ("2026-02-03,acme,api_calls,-5,e9,eu\n", 'usage: quantity "-5" must not be negative'),
        (
            "2026-02-30,acme,api_calls,10,e9,eu\n",
            'usage: timestamp "2026-02-30" is not an ISO 8601 date or date-time',
        ),
        (
            "yesterday,acme,api_calls,10,e9,eu\n",
            'usage: timestamp "yesterday" is not an ISO 8601 date or date-time',
        ),
        (
            "03/02/2026,acme,api_calls,10,e9,eu\n",
            'usage: timestamp "03/02/2026" is not an ISO 8601 date or date-time',
        ),
        ("2026-02-03,acme,api_calls,10,e9\n", "usage: row has 5 cells, the header has 6"),
        ("2026-02-03,acme,api_calls,10,e9,eu,x\n", "usage: row has 7 cells, the header has 6"),
        (
            "2026-02-03,acme,api_calls,11,e1,eu\n",
            f'usage: event_id "e1" of customer acme repeats {USAGE_FILE}:2 with different values',
        ),
        (
            "2026-02-04,acme,api_calls,10,e1,eu\n",
            f'usage: event_id "e1" of customer acme repeats {USAGE_FILE}:2 with different values',
        ),
    ],
    ids=[
        "unknown customer",
        "customer id in capitals",
        "misspelt customer id",
        "misspelt customer id in capitals",
        "customer id with a company-form suffix",
        "customer name for its id",
        "customer id with two words more",
        "customer id with a suffix, no word boundary",
        "customer id with a prefix",
        "misspelt metric",
        "unknown metric",
        "words for a number",
        "exponent",
        "empty quantity",
        "16 digits",
        "negative quantity",
        "2026-02-30",
        "words for a date",
        "day/month/year",
        "too few cells",
        "too many cells",
        "repeated event_id, other quantity",
        "repeated event_id, other date",
    ],
)
def test_usage_row_problem(row: str, message: str) -> None:
    text = HEADER + GOOD_ROW + "\n" + row  # a blank line is skipped but still counted
    contract_set, problems = load(usage=[(USAGE_FILE, text)])
    assert problems == [(USAGE_FILE, 4, message)]
    assert contract_set is not None
    assert [e.source.line for e in contract_set.usage] == [2]  # the bad row is left out


def customer_named(customer_id: str) -> tuple[str, str]:
    """A customer file like globex's, for the customer `customer_id`."""
    account = customer_id.title().replace("-", "")
    text = GLOBEX.replace("globex", customer_id).replace("Globex", account)
    return f"customers/{customer_id}.yaml", text.replace("GLOBEX", account.upper())


def test_an_unknown_customer_id_is_matched_to_ids_a_word_longer_or_shorter() -> None:
    """A slug without its company form ("acme" for "acme-corp") or with another one: the
    nearest ids in words, all of them (sorted) when several are as near, after a close
    spelling."""
    ids = ["acme-corp", "acme-corp-eu", "initech", "initech-labs", "initech-eu", "umbrella"]
    ids += [f"hooli-{region}" for region in ("us", "eu", "uk", "jp", "in")]
    rows = [
        "acme",  # acme-corp, a word more; acme-corp-eu is two more
        "acme-corp-us",  # acme-corp-eu misspelt, or acme-corp with a word more: both
        "initech-corp",  # initech, a word less; initech-labs is not an extension of it
        "hooli",  # five ids a word longer: three named, the rest counted
        "umbrella-corp-ltd",  # two words more
        "umbrellas",  # the plural: a spelling, not a word
        "labs",  # a last word alone names nothing
    ]
    text = HEADER + "".join(f"2026-02-03,{row},api_calls,1,e{i},eu\n" for i, row in enumerate(rows))
    _, problems = load(customers=[customer_named(i) for i in ids], usage=[(USAGE_FILE, text)])
    assert problems == [
        (USAGE_FILE, 2, 'usage: unknown customer "acme" (did you mean "acme-corp"?)'),
        (
            USAGE_FILE,
            3,
            'usage: unknown customer "acme-corp-us" (did you mean "acme-corp-eu" or "acme-corp"?)',
        ),
        (USAGE_FILE, 4, 'usage: unknown customer "initech-corp" (did you mean "initech"?)'),
        (
            USAGE_FILE,
            5,
            'usage: unknown customer "hooli" (did you mean "hooli-eu", "hooli-in", "hooli-jp" '
            "or 2 more like them?)",
        ),
        (USAGE_FILE, 6, 'usage: unknown customer "umbrella-corp-ltd" (did you mean "umbrella"?)'),
        (USAGE_FILE, 7, 'usage: unknown customer "umbrellas" (did you mean "umbrella"?)'),
        (USAGE_FILE, 8, 'usage: unknown customer "labs"'),
    ]


def test_an_unknown_customer_id_between_two_known_ids_names_both() -> None:
    ids = ["acme", "acme-corp-emea", "globex"]  # a word less, a word more: as near
    text = HEADER + "2026-02-03,acme-corp,api_calls,1,e1,eu\n"
    _, problems = load(customers=[customer_named(i) for i in ids], usage=[(USAGE_FILE, text)])
    assert problems == [
        (
            USAGE_FILE,
            2,
            'usage: unknown customer "acme-corp" (did you mean "acme" or "acme-corp-emea"?)',
        )
    ]


def test_unknown_customers_are_matched_once_each_and_only_for_the_rows_listed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Spelling against 10,000 customers is slow: not for a wrong export's every row."""
    matched: list[str] = []

    def counted(word: str, choices: Iterable[str]) -> str | None:
        matched.append(word)
        return likely_meant(word, choices)

    monkeypatch.setattr(usage, "likely_meant", counted)
    rows = [f"2026-02-03,nobody{i},api_calls,10,e{i},eu\n" for i in range(300)]
    rows += ["2026-02-03,nobody0,api_calls,10,f0,eu\n"] * 2
    _, problems = load(usage=[(USAGE_FILE, HEADER + "".join(rows[-2:] + rows[:299]))])
    assert len(problems) == usage.MAX_LISTED + 1
    # 100 rows listed: nobody0 three times (matched once), then nobody1 to nobody97
    assert matched == [f"nobody{i}" for i in range(usage.MAX_LISTED - 2)]


def test_usage_identical_duplicate_counts_once() -> None:
    text = HEADER + GOOD_ROW + GOOD_ROW + "2026-02-03,acme,api_calls,10,e2,eu\n"
    contract_set, problems = load(usage=[(USAGE_FILE, text)])
    assert problems == []
    assert contract_set is not None
    assert [(e.event_id, e.source.line) for e in contract_set.usage] == [("e1", 2), ("e2", 4)]


def test_usage_duplicates_across_files_count_once() -> None:
    contract_set, problems = load(
        usage=[(USAGE_FILE, HEADER + GOOD_ROW), ("usage/more.csv", HEADER + GOOD_ROW)]
    )
    assert problems == []
    assert contract_set is not None
    assert len(contract_set.usage) == 1


def test_usage_without_event_id_is_never_deduplicated() -> None:
    text = "timestamp,customer,metric,quantity\n" + "2026-02-03,acme,api_calls,10\n" * 2
    contract_set, problems = load(usage=[(USAGE_FILE, text)])
    assert problems == []
    assert contract_set is not None
    assert len(contract_set.usage) == 2


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "timestamp,customer,quantity\n",
            "usage header missing metric; it needs timestamp,customer,metric,quantity",
        ),
        (
            "time,customer,metric,qty\n",
            "usage header missing timestamp, quantity; it needs timestamp,customer,metric,quantity",
        ),
        (
            "timestamp,customer,metric,quantiy,region\n",
            'usage header missing quantity (is "quantiy" a misspelling of "quantity"?); it needs '
            "timestamp,customer,metric,quantity",
        ),
        (
            "timestamp,customer,metric,quantity,metric\n",
            "usage header repeats metric; it needs timestamp,customer,metric,quantity",
        ),
        (
            "timestamp;customer;metric;quantity;event_id\n",
            "usage file is separated by semicolons, not commas: a usage file must be "
            'comma-separated (in Excel, save it as "CSV UTF-8 (Comma delimited)")',
        ),
        (
            "timestamp\tcustomer\tmetric\tquantity\n",
            "usage file is separated by tabs, not commas: a usage file must be comma-separated "
            '(in Excel, save it as "CSV UTF-8 (Comma delimited)")',
        ),
        (
            "timestamp;customer;metric,qty\n",  # not the four columns, with semicolons either
            "usage header missing timestamp, customer, metric, quantity; it needs "
            "timestamp,customer,metric,quantity",
        ),
    ],
    ids=[
        "missing metric",
        "missing two",
        "misspelt",
        "repeated column",
        "semicolons",
        "tabs",
        "a semicolon, not the columns",
    ],
)
def test_usage_header_problem(header: str, message: str) -> None:
    contract_set, problems = load(usage=[(USAGE_FILE, header + "2026-02-03,acme,api_calls,10\n")])
    assert problems == [(USAGE_FILE, 1, message)]
    assert contract_set is not None and contract_set.usage == ()


def test_usage_amount_and_dimensions() -> None:
    text = (
        "timestamp,customer,metric,quantity,amount,region\n"
        "2026-02-03T23:30:00-08:00,acme,api_calls,1,-12.50,us\n"
    )
    contract_set, problems = load(usage=[(USAGE_FILE, text)])
    assert problems == []
    assert contract_set is not None
    (event,) = contract_set.usage
    # The date as written, in its own offset; a negative amount (a refund) is allowed.
    assert (event.date, event.amount, event.dimension("region")) == (
        datetime.date(2026, 2, 3),
        Decimal("-12.50"),
        "us",
    )


def test_usage_row_spanning_lines_reports_its_first_line() -> None:
    text = HEADER + '2026-02-03,acme,api_calls,10,"e\n1",eu\n2026-02-03,initech,api_calls,1,e2,eu\n'
    contract_set, problems = load(usage=[(USAGE_FILE, text)])
    assert problems == [(USAGE_FILE, 4, 'usage: unknown customer "initech"')]
    assert contract_set is not None
    assert [e.source.line for e in contract_set.usage] == [2]


def test_usage_csv_error_is_a_problem() -> None:
    text = HEADER + GOOD_ROW + "2026-02-04,acme,api_calls," + "9" * (1 << 21) + ",e2,eu\n"
    contract_set, problems = load(usage=[(USAGE_FILE, text)])
    assert problems == [(USAGE_FILE, 3, "usage: bad CSV (field larger than field limit (1048576))")]
    assert contract_set is not None
    assert len(contract_set.usage) == 1


@pytest.mark.parametrize("text", ["", "\n", " \n\n"])
def test_empty_usage_file(text: str) -> None:
    contract_set, problems = load(usage=[(USAGE_FILE, text)])
    assert problems == []
    assert contract_set is not None and contract_set.usage == ()


def test_usage_of_a_customer_left_out_is_skipped_not_unknown() -> None:
    acme = edit(ACME, "payment_terms: net 15", "payment_terms: net fifteen")
    text = HEADER + GOOD_ROW + "2026-02-03,globex,api_calls,5,g1,eu\n"
    contract_set, problems = load(
        customers=[(ACME_FILE, acme), (GLOBEX_FILE, GLOBEX)], usage=[(USAGE_FILE, text)]
    )
    assert problems == [
        (ACME_FILE, 10, IN_ACME + 'payment_terms "net fifteen" must be "net N" or "due on receipt"')
    ]
    assert contract_set is not None
    assert [e.customer for e in contract_set.usage] == ["globex"]


# --- load_folder -------------------------------------------------------------------------------


def write_folder(root: Path) -> None:
    (root / "customers").mkdir(parents=True)
    (root / "usage").mkdir()
    (root / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    (root / "customers" / "acme.yaml").write_text(ACME, encoding="utf-8")
    (root / "customers" / "globex.yml").write_text(GLOBEX, encoding="utf-8")
    (root / "usage" / "events.csv").write_text(USAGE, encoding="utf-8")


def test_load_folder(tmp_path: Path) -> None:
    write_folder(tmp_path)
    bom = "\ufeff" + HEADER + GOOD_ROW.replace("e1", "e3")
    (tmp_path / "usage" / "bom.csv").write_bytes(bom.encode())
    contract_set, problems = load_folder(str(tmp_path))
    assert problems == []
    assert contract_set is not None
    assert customer_ids(contract_set) == ["acme", "globex"]
    assert len(contract_set.usage) == 3
    assert str(tmp_path / "customers" / "acme.yaml") in contract_set.files_read


def test_load_folder_reads_subfolders_and_says_what_it_does_not_read(tmp_path: Path) -> None:
    write_folder(tmp_path)
    (tmp_path / "usage" / "events.csv").unlink()
    # Customers by region, usage by month (one from Windows, in capitals): all read.
    (tmp_path / "customers" / "eu").mkdir()
    (tmp_path / "customers" / "globex.yml").rename(tmp_path / "customers" / "eu" / "globex.yml")
    (tmp_path / "usage" / "2026-02").mkdir()
    (tmp_path / "usage" / "2026-02" / "api.csv").write_text(USAGE, encoding="utf-8")
    (tmp_path / "usage" / "EXTRA.CSV").write_text(HEADER + GOOD_ROW.replace("e1", "e9"))
    # Left out: hidden files and folders; said: a file of another kind, read by nobody.
    (tmp_path / "usage" / ".draft.csv").write_text("not,a,usage,file\n")
    (tmp_path / "usage" / ".old").mkdir()
    (tmp_path / "usage" / ".old" / "events.csv").write_text("not,a,usage,file\n")
    (tmp_path / "usage" / "2026-03.xlsx").write_bytes(b"PK\x03\x04")
    (tmp_path / "usage" / "shared").symlink_to(tmp_path / "usage" / ".old")
    contract_set, problems = load_folder(str(tmp_path))
    assert [str(p) for p in problems] == [
        f"{tmp_path / 'usage' / '2026-03.xlsx'}:0: the file is not read: a usage file is CSV, "
        "saved as CSV UTF-8 (a name ending in .csv); rename it, or move it out of usage/ "
        "(names starting with a dot are left out)",
        f"{tmp_path / 'usage' / 'shared'}:0: the folder is a link; it is not read (put the "
        "files themselves here)",
    ]
    assert contract_set is not None
    assert customer_ids(contract_set) == ["acme", "globex"]
    assert sorted(e.event_id for e in contract_set.usage) == ["e1", "e2", "e9"]
    # Fava's watcher sees a file added to a subfolder: the subfolder is watched.
    assert str(tmp_path / "usage" / "2026-02") in contract_set.files_read


def test_load_folder_reports_absolute_paths(tmp_path: Path) -> None:
    write_folder(tmp_path)
    path = tmp_path / "customers" / "acme.yaml"
    path.write_text(edit(ACME, "  id: acme\n", "  id: ACME\n"), encoding="utf-8")
    contract_set, problems = load_folder(str(tmp_path))
    assert [str(p) for p in problems] == [
        f'{path}:2: customer id "ACME" is not valid (use a-z, 0-9, -)'
    ]
    assert customer_ids(contract_set) == ["globex"]


def test_load_folder_file_that_is_not_utf8(tmp_path: Path) -> None:
    write_folder(tmp_path)
    (tmp_path / "usage" / "events.csv").unlink()  # (its rows would name an unknown acme)
    path = tmp_path / "customers" / "acme.yaml"
    path.write_bytes(ACME.replace("Acme Corp", "Acmé Corp").encode("latin-1"))
    contract_set, problems = load_folder(str(tmp_path))
    at = ACME.encode().index(b"Acme Corp") + 3
    assert [str(p) for p in problems] == [
        f"{path}:{line_of(ACME, 'Acme Corp')}: the file is not UTF-8 text (invalid continuation "
        f"byte at byte {at}): save it as UTF-8"
    ]
    assert customer_ids(contract_set) == ["globex"]
    # A usage export from Excel in its Windows encoding: the line, and how to save it.
    (tmp_path / "customers" / "acme.yaml").write_text(ACME, encoding="utf-8")
    events = tmp_path / "usage" / "events.csv"
    events.write_bytes((USAGE + "2026-02-04,acme,api_calls,1,é1,eu\n").encode("cp1252"))
    _, problems = load_folder(str(tmp_path))
    assert [str(p) for p in problems] == [
        f"{events}:4: the file is not UTF-8 text (invalid continuation byte at byte "
        f'{len(USAGE.encode()) + 28}): save it as UTF-8 (in Excel: "CSV UTF-8")'
    ]


def test_load_folder_without_catalog(tmp_path: Path) -> None:
    contract_set, problems = load_folder(str(tmp_path))
    assert contract_set is None
    assert [p.message for p in problems] == [f"no catalog.yaml in the contracts folder {tmp_path}"]


# --- nothing escapes ---------------------------------------------------------------------------

SCALARS = st.sampled_from(
    [
        "",
        "~",
        "0",
        "-1",
        "1.5",
        "yes",
        "2026-02-30",
        "[]",
        "{}",
        "[a, [b]]",
        "{a: {b: c}}",
        '"x"',
        "&x y",
        "*x",
        "!!python/object:os.system {}",
        "!tag x",
        "<<: {a: 1}",
        "|\n  x",
        "'unclosed",
        "[unclosed",
        "::",
        "- - -",
        "10.10",
        '"10%"',
        "net 30",
        "99999999999999999999",
    ]
)


def mutate(text: str, data: st.DataObject) -> str:
    lines = text.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        action = data.draw(st.sampled_from(["value", "delete", "duplicate", "indent", "cut"]))
        if action == "value" and ":" in line:
            lines[index] = line[: line.index(":") + 1] + " " + data.draw(SCALARS) + "\n"
        elif action == "delete":
            lines[index] = ""
        elif action == "duplicate":
            lines[index] = line + line
        elif action == "indent":
            lines[index] = " " + line
        else:
            lines[index] = line[: data.draw(st.integers(0, len(line)))] + "\n"
    return "".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_exception_escapes(data: st.DataObject) -> None:
    target = data.draw(st.sampled_from(["catalog", "acme", "globex", "usage"]))
    catalog, acme, globex, usage = CATALOG, ACME, GLOBEX, USAGE
    if target == "catalog":
        catalog = mutate(CATALOG, data)
    elif target == "acme":
        acme = mutate(ACME, data)
    elif target == "globex":
        globex = mutate(GLOBEX, data)
    else:
        usage = mutate(USAGE, data)
    texts = {CATALOG_FILE: catalog, ACME_FILE: acme, GLOBEX_FILE: globex, USAGE_FILE: usage}
    contract_set, problems = load_texts(
        (CATALOG_FILE, catalog),
        [(ACME_FILE, acme), (GLOBEX_FILE, globex)],
        [(USAGE_FILE, usage)],
    )
    for problem in problems:
        assert problem.source.file in texts
        assert 1 <= problem.source.line <= texts[problem.source.file].count("\n") + 1
        assert problem.message
    if contract_set is None:
        assert problems  # nothing loaded is always explained


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("customer:\n  id: Acme\n", 2, 'customer id "Acme" is not valid (use a-z, 0-9, -)'),
        (
            "customer: [\n",
            2,
            "YAML syntax error: expected the node content, but found '<stream end>'",
        ),
    ],
    ids=["bad id", "bad YAML"],
)
def test_usage_of_an_unreadable_customer_file_is_skipped(
    text: str, line: int, message: str
) -> None:
    # Before its id is read, a customer file is known by its name: customers/<id>.yaml.
    contract_set, problems = load(
        customers=[(ACME_FILE, text), (GLOBEX_FILE, GLOBEX)], usage=[(USAGE_FILE, USAGE)]
    )
    assert problems == [(ACME_FILE, line, message)]
    assert contract_set is not None and contract_set.usage == ()
