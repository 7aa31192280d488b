"""Fuzzing the whole pipeline (issue 6).

Random *valid* contract sets (catalog, one to three customers, usage files, adjustments and
hand-written payments) go through Beancount's loader with the contracts, recognition,
settlement and chart plugins, and must keep every invariant of docs/accounting-rules.md.
Random *invalid* inputs (the valid files mutated) must end in Beancount errors naming a real
file and line, never a traceback, quickly.

Examples per property: BEANBILL_FUZZ_EXAMPLES (default 30); `make fuzz` runs 1000.
BEANBILL_FUZZ_SHRINK=0 skips shrinking (a failing world is shown as found, at once);
BEANBILL_FUZZ_KEEP=DIR keeps the files of the last failing example in DIR.
"""

from __future__ import annotations

import copy
import datetime
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import yaml
from beancount import loader
from beancount.core import data
from beancount.parser import parser, printer
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

from beanbill import cli
from beanbill.adjustments import line_groups
from beanbill.billing import AccruedLine, Billed, Invoice, InvoiceLine, LineKind, bill
from beanbill.books import read_settlement
from beanbill.closing import close_month, format_closing
from beanbill.compiler import Compiled, compile_texts
from beanbill.documents import directory_of, documents
from beanbill.export import journal_lines
from beanbill.export import totals as export_totals
from beanbill.load import load_folder, read_folder
from beanbill.model import RecognitionMethod, Timing
from beanbill.money import minor_unit, round_money
from beanbill.periods import month_end
from beanbill.plugins import contracts as contracts_plugin
from beanbill.plugins.recognition import declared_rules, line_of
from beanbill.problems import Problem
from beanbill.receivables import aging, invoice_rows
from beanbill.recognition import Obligation, earned_when_its_period_ends, schedule
from beanbill.reports import deferred_moves, revenue_rows
from beanbill.revenue_report import PostingRow, waterfall
from beanbill.rollforward import roll_forward
from beanbill.settlement import Settlement
from beanbill.statements import statements

EXAMPLES = int(os.environ.get("BEANBILL_FUZZ_EXAMPLES", "30"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=[
        p for p in Phase if p is not Phase.shrink or os.environ.get("BEANBILL_FUZZ_SHRINK") != "0"
    ],
)
ROOT = Path(__file__).resolve().parent.parent
CHART = (ROOT / "ledgers" / "chart.beancount").read_text()

D = datetime.date
ONE_DAY = datetime.timedelta(days=1)
ZERO = Decimal(0)
T = TypeVar("T")
Draw = Callable[[st.SearchStrategy[Any]], Any]

CURRENCIES = ("USD", "EUR", "JPY")
RULES = {
    "daily": "ratable_daily",
    "monthly": "ratable_monthly",
    "pit": "point_in_time",
    "invoiced": "as_invoiced",
    "consumed": "as_consumed",
    "milestone": "milestone",
}
INCOME = (
    "Income:SalesAndServicesRevenue",
    "Income:ProfessionalServices",
    "Income:Licences",
    "Income:Fuzz:Other",
)
CADENCES = ("monthly", "quarterly", "semi_annual", "annual", "one_time")
TIER_MODELS = ("tiered", "tiered_with_flat_fee", "volume", "volume_with_flat_fee")
UNMETERED_MODELS = ("flat_fee", "per_unit", "package", "step", *TIER_MODELS)
METERED_MODELS = (
    "per_unit",
    "package",
    "step",
    "percent",
    "matrix",
    "two_dimensional_tiered",
    *TIER_MODELS,
)
REGIONS = ("us", "eu", "ap")
USERS = ("u1", "u2", "u3", "u4")
USAGE_COLUMNS = ("timestamp", "customer", "metric", "quantity", "amount", "event_id", "region")


# --- drawing values ------------------------------------------------------------------------


def decimal_text(draw: Draw, low: str, high: str, places: int) -> str:
    """A decimal between low and high with exactly `places` decimals, as written in YAML."""
    scale = 10**places
    cents = draw(st.integers(int(Decimal(low) * scale), int(Decimal(high) * scale)))
    return f"{Decimal(cents).scaleb(-places):f}"


def price(draw: Draw, low: str, high: str, currency: str) -> str | int:
    """Money as a finance team writes it: a quoted decimal, or sometimes a whole number."""
    places = draw(st.sampled_from([0, 2] if currency != "JPY" else [0, 0, 2]))
    text = decimal_text(draw, low, high, places)
    return int(text) if places == 0 and draw(st.booleans()) else text


def unit_price(draw: Draw) -> str:
    return decimal_text(draw, "0", "50", draw(st.sampled_from([2, 3, 4])))


def percent(draw: Draw, low: int, high: int) -> str:
    value = decimal_text(draw, str(low), str(high), draw(st.sampled_from([0, 0, 2])))
    return f"{value}%"


def day_between(draw: Draw, first: D, last: D) -> D:
    return first if last <= first else draw(st.dates(first, last))


def subset(draw: Draw, items: list[T], min_size: int = 0) -> list[T]:
    if not items:
        return []
    chosen = draw(st.lists(st.sampled_from(items), min_size=min_size, max_size=len(items)))
    return list(dict.fromkeys(chosen))


# --- the generated world -------------------------------------------------------------------


@dataclass
class ProductSpec:
    id: str
    kind: str  # fixed | metered | credits
    rule: str | None
    metric: str | None = None
    aggregation: str = "sum"
    unique_field: str | None = None


@dataclass
class LineSpec:
    """What the usage generator and the tax checks need to know about a line."""

    customer: str
    contract: str
    product: ProductSpec
    model: str
    start: D  # the phase's start
    end: D  # the last day usage may fall on
    regions: tuple[str, ...] = ()
    floor: bool = False  # percent pricing with a `min`: a period that nets below zero bills it


@dataclass
class PhaseSpec:
    contract: str
    start: D
    taxes: tuple[str, ...]
    commitment: tuple[Decimal, tuple[str, ...]] | None = None  # amount, covered products


@dataclass
class World:
    until: D
    catalog: dict[str, Any]
    customers: dict[str, dict[str, Any]]  # id → the customer file's data
    accounts: dict[str, str]  # customer id → account component
    currencies: dict[str, str]  # customer id → its currency (wallets)
    usage: list[dict[str, str]]
    usage_files: int
    usage_columns: tuple[str, ...]
    phases: list[PhaseSpec] = field(default_factory=list)
    lines: list[LineSpec] = field(default_factory=list)
    payments: list[str] = field(default_factory=list)
    products: dict[str, ProductSpec] = field(default_factory=dict)
    counter: int = 0
    flow: bool | None = False  # YAML style: block, or flow mappings for the innermost ones

    def next_id(self) -> int:
        self.counter += 1
        return self.counter


def draw_catalog(draw: Draw) -> dict[str, Any]:
    company: dict[str, Any] = {"name": "Fuzz Co", "currency": draw(st.sampled_from(CURRENCIES))}
    if draw(st.booleans()):
        company["payment_terms"] = draw(
            st.sampled_from(["net 30", "net 0", "net 15", "due on receipt", "Net 45"])
        )
    if draw(st.booleans()):
        company["invoice_prefix"] = draw(st.sampled_from(["INV", "F", "Inv.2", "B_1"]))
    taxes = {}
    for index in range(draw(st.integers(0, 3))):
        tax: dict[str, Any] = {
            "name": f"Tax {index}",
            "rate": draw(st.sampled_from(["5%", "7.25%", "10%", "19%", "8.875%", "0.5%", "25%"])),
            "account": f"Liabilities:SalesTax:T{index}",
        }
        if draw(st.booleans()):
            tax["inclusive"] = draw(st.booleans())
        taxes[f"t{index}"] = tax
    rules = {
        rule: {"method": method, "account": draw(st.sampled_from(INCOME))}
        for rule, method in RULES.items()
    }
    catalog: dict[str, Any] = {"company": company}
    if taxes:
        catalog["tax_rates"] = taxes
    catalog["revenue_rules"] = rules
    catalog["products"] = {}
    return catalog


def new_product(draw: Draw, world: World, kind: str) -> ProductSpec:
    number = world.next_id()
    product_id = f"p{number}"
    entry: dict[str, Any] = {"name": draw(st.sampled_from([f"Product {number}", "Ünïcødé ☃"]))}
    spec = ProductSpec(product_id, kind, None)
    if kind != "credits":
        rules = list(RULES)
        spec.rule = draw(st.sampled_from(rules))
        entry["revenue_rule"] = spec.rule
    if kind == "metered":
        spec.metric = f"m{number}"
        entry["metric"] = spec.metric
        spec.aggregation = draw(st.sampled_from(["sum", "sum", "max", "last", "count", "unique"]))
        if spec.aggregation == "unique":
            spec.aggregation = "unique_count"
            if draw(st.booleans()):
                spec.unique_field = "user_id"
                entry["unique_field"] = "user_id"
        if spec.aggregation != "sum" or draw(st.booleans()):
            entry["aggregation"] = spec.aggregation
    if kind == "fixed" and draw(st.integers(0, 3)) == 0:
        entry["ssp"] = price(draw, "1", "50000", "USD")
    world.catalog["products"][product_id] = entry
    world.products[product_id] = spec
    return spec


def draw_tiers(draw: Draw, price_key: str, flat: bool, currency: str) -> list[dict[str, Any]]:
    bounds = sorted(set(draw(st.lists(st.integers(1, 100_000), min_size=0, max_size=3))))
    tiers: list[dict[str, Any]] = []
    for up_to in [*bounds, None]:
        tier: dict[str, Any] = {} if up_to is None else {"up_to": up_to}
        if price_key == "price":
            tier["price"] = price(draw, "0", "5000", currency)
        else:
            tier["unit_price"] = unit_price(draw)
            if flat:
                tier["flat_fee"] = price(draw, "0", "500", currency)
        tiers.append(tier)
    return tiers


def draw_pricing(draw: Draw, model: str, currency: str, world: World) -> dict[str, Any]:
    pricing: dict[str, Any] = {"model": model}
    if model == "flat_fee":
        pricing["price"] = price(draw, "0", "20000", currency)
        if draw(st.integers(0, 3)) == 0:
            pricing["per"] = "month"
    elif model == "per_unit":
        pricing["unit_price"] = unit_price(draw)
    elif model == "package":
        pricing["package_size"] = draw(st.sampled_from([1, 10, 1000, "2.5"]))
        pricing["package_price"] = price(draw, "0", "100", currency)
    elif model in TIER_MODELS:
        pricing["tiers"] = draw_tiers(draw, "unit_price", model.endswith("flat_fee"), currency)
    elif model == "step":
        pricing["steps"] = draw_tiers(draw, "price", False, currency)
    elif model == "percent":
        pricing["percent"] = percent(draw, 0, 10)
        if draw(st.booleans()):
            pricing["fixed_fee"] = price(draw, "0", "1", currency)
        low = None
        if draw(st.booleans()):
            pricing["min"] = low = price(draw, "0", "100", currency)
        if draw(st.booleans()):
            pricing["max"] = f"{Decimal(low or 0) + Decimal(price(draw, '0', '100000', currency))}"
    elif model == "matrix":
        pricing["dimension"] = "region"
        if draw(st.booleans()):
            pricing["mode"] = draw(st.sampled_from(["volume", "graduated"]))
        rows = []
        for value in subset(draw, list(REGIONS), min_size=1):
            if draw(st.booleans()):
                rows.append({"value": value, "unit_price": unit_price(draw)})
            else:
                rows.append({"value": value, "tiers": draw_tiers(draw, "unit_price", False, "USD")})
        pricing["rows"] = rows
    elif model == "two_dimensional_tiered":
        metrics = [p.metric for p in world.products.values() if p.metric]
        pricing["second_metric"] = draw(st.sampled_from(metrics))
        first = sorted(set(draw(st.lists(st.integers(1, 10_000), max_size=2))))
        second = sorted(set(draw(st.lists(st.integers(1, 10_000), max_size=2))))
        pricing["tiers"] = [{"up_to": b} for b in first] + [{}]
        pricing["second_tiers"] = [{"up_to": b} for b in second] + [{}]
        pricing["unit_prices"] = [
            [unit_price(draw) for _ in range(len(first) + 1)] for _ in range(len(second) + 1)
        ]
    return pricing


@dataclass
class Billing:
    cadence: str  # monthly, ..., one_time, "every N months"
    timing: str
    anchor: str


def draw_billing(draw: Draw, inherited: Billing) -> tuple[dict[str, Any] | None, Billing]:
    """An optional `billing` mapping (keys left out are inherited) and the billing in force."""
    result = Billing(inherited.cadence, inherited.timing, inherited.anchor)
    if draw(st.integers(0, 2)) == 0:
        return None, result
    written: dict[str, Any] = {}
    if draw(st.booleans()):
        every = f"every {draw(st.integers(1, 14))} months"
        result.cadence = written["cadence"] = draw(st.sampled_from([*CADENCES, every]))
    if draw(st.booleans()):
        result.timing = written["timing"] = draw(st.sampled_from(["advance", "arrears"]))
    if draw(st.booleans()):
        result.anchor = written["anchor"] = draw(st.sampled_from(["calendar", "start"]))
    return written, result


def draw_milestones(draw: Draw, first: D, last: D) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 3))
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=count - 1, max_size=count - 1)))
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    return [
        {"date": day_between(draw, first, last), "percent": f"{share}%"}
        for share in shares
        if share
    ] or [{"date": first, "percent": "100%"}]


def draw_line(
    draw: Draw,
    world: World,
    customer: str,
    contract: str,
    phase: tuple[D, D | None],
    usage_end: D,
    inherited: Billing,
    currency: str,
    taken: set[str],
    own_metered: list[ProductSpec],
) -> dict[str, Any]:
    kind = draw(st.sampled_from(["fixed", "fixed", "metered", "metered", "credits"]))
    reusable = [
        p
        for p in (own_metered if kind == "metered" else world.products.values())
        if p.kind == kind and p.id not in taken
    ]
    if reusable and draw(st.booleans()):
        product = draw(st.sampled_from(reusable))
    else:
        product = new_product(draw, world, kind)
    if kind == "metered" and product not in own_metered:
        own_metered.append(product)
    taken.add(product.id)
    line: dict[str, Any] = {"product": product.id}
    written, billing = draw_billing(draw, inherited)
    if kind == "metered" and billing.timing == "advance":
        written = {**(written or {}), "timing": "arrears"}  # metered lines bill in arrears
    if kind == "metered" and billing.cadence == "one_time":
        written = {**(written or {}), "cadence": draw(st.sampled_from(CADENCES[:4]))}
    if written is not None:
        line["billing"] = written
    if kind == "credits":
        line["credits"] = True
    model = draw(st.sampled_from(METERED_MODELS if kind == "metered" else UNMETERED_MODELS))
    line["pricing"] = draw_pricing(draw, model, currency, world)
    if kind != "metered" and draw(st.booleans()):
        line["quantity"] = draw(st.sampled_from([1, 3, 40, "2.5", "0.5"]))
    if kind == "metered" and draw(st.integers(0, 2)) == 0:
        line["free_units"] = draw(st.sampled_from([0, 10, 1000, "0.5"]))
    if kind == "fixed" and draw(st.integers(0, 3)) == 0:
        line["ssp"] = price(draw, "1", "50000", "USD")
    if product.rule == "milestone":
        last = phase[1] or phase[0] + datetime.timedelta(days=400)
        line["milestones"] = draw_milestones(draw, phase[0], last)
    regions = tuple(row["value"] for row in line["pricing"].get("rows", ()))
    floor = "min" in line["pricing"]
    world.lines.append(
        LineSpec(customer, contract, product, model, phase[0], usage_end, regions, floor)
    )
    return line


def draw_discount(
    draw: Draw, products: list[str], first: D, last: D, currency: str
) -> dict[str, Any]:
    discount: dict[str, Any] = {}
    if draw(st.booleans()):
        discount["name"] = draw(st.sampled_from(["Launch", "Promo ✓", "Loyalty"]))
    if draw(st.booleans()):
        discount["percent"] = percent(draw, 0, 100)
    else:
        discount["amount"] = price(draw, "0", "2000", currency)
    if draw(st.booleans()):
        discount["products"] = subset(draw, products, min_size=1)
    if draw(st.booleans()):
        discount["start"] = day_between(draw, first, last)
    if draw(st.booleans()):
        discount["end"] = day_between(draw, discount.get("start", first), last)
    return discount


def draw_contract(
    draw: Draw, world: World, customer: str, currency: str, consolidate: bool
) -> dict[str, Any]:
    contract_id = f"K{world.next_id()}"
    start = draw(st.dates(D(2025, 1, 1), world.until))
    evergreen = draw(st.integers(0, 3)) == 0
    end = None if evergreen else start + datetime.timedelta(days=draw(st.integers(0, 800)))
    contract: dict[str, Any] = {"id": contract_id, "start": start}
    if end is not None:
        contract["end"] = end
    if not consolidate and draw(st.integers(0, 3)) == 0:
        currency = contract["currency"] = draw(st.sampled_from(CURRENCIES))
    if draw(st.integers(0, 3)) == 0:
        contract["payment_terms"] = draw(st.sampled_from(["net 10", "due on receipt"]))
    written, billing = draw_billing(draw, Billing("monthly", "advance", "calendar"))
    if written is not None:
        contract["billing"] = written
    renews = end is not None and draw(st.integers(0, 3)) == 0
    renewals_end = world.until  # the last day of the renewals' usage
    if renews:
        assert end is not None
        renewal: dict[str, Any] = {"term_months": draw(st.integers(1, 12))}
        if draw(st.booleans()):
            renewal["uplift"] = percent(draw, 0, 10)
        if draw(st.booleans()):  # a notice of non-renewal, or an early termination
            renewal["end"] = end + datetime.timedelta(days=draw(st.integers(0, 500)))
            renewals_end = min(renewals_end, renewal["end"])
        contract["renewal"] = renewal
    # Phases tile [start, end]: starts strictly increasing from the contract start.
    horizon = end or max(world.until, start)
    extra = sorted(
        set(draw(st.lists(st.dates(start + ONE_DAY, max(horizon, start + ONE_DAY)), max_size=2)))
    )
    starts = [start, *(day for day in extra if day <= horizon)]
    phases = []
    own_metered: list[ProductSpec] = []
    for index, phase_start in enumerate(starts):
        last_phase = index == len(starts) - 1
        phase_end = end if last_phase else starts[index + 1] - ONE_DAY
        usage_end = phase_end
        if last_phase and end is None:
            usage_end = world.until
        elif last_phase and renews:
            usage_end = max(renewals_end, phase_end) if phase_end else renewals_end
        assert usage_end is not None
        phase: dict[str, Any] = {}
        if draw(st.booleans()):
            phase["name"] = draw(st.sampled_from([f"Phase {index + 1}", "Ramp-up ⚡", "2026"]))
        phase["start"] = phase_start
        if phase_end is not None and draw(st.integers(0, 2)) == 0:
            phase["end"] = phase_end
        taken: set[str] = set()
        lines = []
        for _ in range(draw(st.integers(1, 3))):
            line = draw_line(
                draw,
                world,
                customer,
                contract_id,
                (phase_start, phase_end),
                min(usage_end, world.until),
                billing,
                currency,
                taken,
                own_metered,
            )
            lines.append(line)
        phase["products"] = lines
        products = [line["product"] for line in lines]
        if draw(st.booleans()):  # an SSP bundle: every fixed-price line has an ssp
            for line in lines:
                spec = world.products[line["product"]]
                if spec.kind == "fixed" and "ssp" not in line:
                    line["ssp"] = price(draw, "1", "50000", "USD")
        last_day = phase_end or phase_start + datetime.timedelta(days=365)
        taxes = subset(draw, list(world.catalog.get("tax_rates", {})))
        discounts = [
            draw_discount(draw, products, phase_start, last_day, currency)
            for _ in range(draw(st.integers(0, 2)))
        ]
        if discounts:
            phase["discounts"] = discounts
        if taxes:
            phase["taxes"] = taxes
        # a commitment's products share one billing period (cadence and anchor)
        by_period: dict[tuple[str, str], list[str]] = {}
        for line in lines:
            if world.products[line["product"]].kind != "credits":
                written = line.get("billing", {})
                period = (
                    written.get("cadence", billing.cadence),
                    written.get("anchor", billing.anchor),
                )
                by_period.setdefault(period, []).append(line["product"])
        if by_period and draw(st.integers(0, 3)) == 0:
            charged = draw(st.sampled_from(sorted(by_period.values())))
            phase["minimum_commitment"] = {
                "amount": price(draw, "0", "3000", currency),
                "products": subset(draw, charged, min_size=1),
            }
            if draw(st.booleans()):
                phase["minimum_commitment"]["per"] = "billing_period"
        commitment = phase.get("minimum_commitment")
        world.phases.append(
            PhaseSpec(
                contract_id,
                phase_start,
                tuple(taxes),
                (Decimal(commitment["amount"]), tuple(commitment["products"]))
                if commitment
                else None,
            )
        )
        phases.append(phase)
    contract["phases"] = phases
    return contract


def draw_usage(draw: Draw, world: World) -> None:
    """Events inside the billing spans of the metered lines, so that every event is billed."""
    ids: dict[str, int] = {}
    for line in world.lines:
        product = line.product
        if product.metric is None or line.end < line.start:
            continue
        for _ in range(draw(st.integers(0, 4))):
            day = day_between(draw, line.start, line.end)
            style = draw(st.sampled_from(["date", "utc", "offset"]))
            if style == "date":
                stamp = day.isoformat()
            elif style == "utc":
                stamp = f"{day}T{draw(st.integers(0, 23)):02d}:30:00Z"
            else:
                stamp = f"{day}T23:59:59+09:00"
            row = {
                "timestamp": stamp,
                "customer": line.customer,
                "metric": product.metric,
                "quantity": draw(st.sampled_from(["0", "1", "7", "250", "12000", "3.5"])),
                "amount": "",
                "event_id": "",
                "region": "",
                "user_id": "",
            }
            if line.model == "percent":  # refunds too: a period may net below zero
                row["amount"] = decimal_text(draw, "-50", "5000", 2)
            if line.regions:
                row["region"] = draw(st.sampled_from(line.regions))
            if product.aggregation == "unique_count":
                row["user_id"] = draw(st.sampled_from(USERS))
            if draw(st.integers(0, 3)) > 0:
                ids[line.customer] = ids.get(line.customer, 0) + 1
                row["event_id"] = f"e{ids[line.customer]}"
            world.usage.append(row)
            if row["event_id"] and draw(st.integers(0, 5)) == 0:
                world.usage.append(dict(row))  # re-sent: counts once


def draw_world(draw: Draw) -> World:
    until = draw(st.sampled_from([D(2026, 6, 30), D(2026, 12, 31), D(2027, 3, 31)]))
    catalog = draw_catalog(draw)
    columns = [*USAGE_COLUMNS, "user_id"]
    if draw(st.booleans()):
        columns = draw(st.permutations(columns))
    world = World(until, catalog, {}, {}, {}, [], draw(st.integers(1, 2)), tuple(columns))
    world.flow = draw(st.sampled_from([False, None]))
    for number in range(1, draw(st.integers(1, 3)) + 1):
        customer_id = f"c{number}"
        account = f"C{number}-X"
        currency = catalog["company"]["currency"]
        head: dict[str, Any] = {
            "id": customer_id,
            "account": account,
            "name": draw(st.sampled_from([f"Customer {number}", "Zoë & Co: «Ünïcødé»"])),
        }
        if draw(st.booleans()):
            currency = head["currency"] = draw(st.sampled_from(CURRENCIES))
        consolidate = draw(st.integers(0, 3)) == 0
        if consolidate or draw(st.booleans()):
            head["consolidate"] = consolidate
        contracts = [
            draw_contract(draw, world, customer_id, currency, consolidate)
            for _ in range(draw(st.integers(1, 2)))
        ]
        world.customers[customer_id] = {"customer": head, "contracts": contracts}
        world.accounts[customer_id] = account
        world.currencies[customer_id] = currency
    draw_usage(draw, world)
    return world


# --- writing the world ---------------------------------------------------------------------

LEDGER = """\
option "title" "Fuzz"
plugin "beanbill.plugins.contracts" "{{path: contracts, until: {until}}}"
plugin "beanbill.plugins.recognition"
plugin "beanbill.plugins.settlement"
plugin "beanbill.plugins.chart"
include "chart.beancount"
2020-01-01 open Assets:AccountsReceivable:PaymentGateways:Stripe
"""


def dump(value: Any, flow: bool | None = False) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=flow)


def usage_texts(world: World) -> list[str]:
    texts = []
    for part in range(world.usage_files):
        rows = world.usage[part :: world.usage_files]
        lines = [",".join(world.usage_columns)]
        lines += [",".join(row[c] for c in world.usage_columns) for row in rows]
        texts.append("\n".join(lines) + "\n")
    return texts


def write_world(world: World, root: Path) -> Path:
    """The contracts folder and the ledger of `world` under `root`; the ledger's path."""
    contracts = root / "contracts"
    shutil.rmtree(contracts, ignore_errors=True)
    (contracts / "customers").mkdir(parents=True)
    (contracts / "usage").mkdir()
    (contracts / "catalog.yaml").write_text(dump(world.catalog, world.flow), encoding="utf-8")
    for customer_id, text in world.customers.items():
        path = contracts / "customers" / f"{customer_id}.yaml"
        path.write_text(dump(text, world.flow), encoding="utf-8")
    for index, text in enumerate(usage_texts(world)):
        (contracts / "usage" / f"events-{index}.csv").write_text(text, encoding="utf-8")
    (root / "chart.beancount").write_text(CHART)
    ledger = root / "main.beancount"
    ledger.write_text(LEDGER.format(until=world.until) + "".join(world.payments))
    return ledger


@contextmanager
def folder() -> Iterator[Path]:
    """A scratch folder; BEANBILL_FUZZ_KEEP=DIR keeps a copy of the last failing one there."""
    with tempfile.TemporaryDirectory(prefix="beanbill-fuzz-") as name:
        try:
            yield Path(name)
        except Exception:  # a failure (Hypothesis' own control flow is a BaseException)
            if keep := os.environ.get("BEANBILL_FUZZ_KEEP"):
                shutil.rmtree(keep, ignore_errors=True)
                shutil.copytree(name, keep)
            raise


# --- payments and adjustments, valid against the books -------------------------------------
#
# A credit memo must stay within its invoice's open balance, a refund within the wallet (or the
# unapplied overpayments), a write-off needs something open. The books decide those amounts,
# so they are drawn against the books compiled so far (in-process), one at a time, each within
# the least its limit reaches from its date on (a later event can only use less of it). A
# candidate that still upsets an earlier one (a FIFO payment moving to another invoice) is
# dropped; `note` says how many were.


@dataclass
class Books:
    invoices: dict[str, Invoice]
    settlement: Settlement
    balances: dict[tuple[str, str], list[tuple[D, Decimal]]]  # (account, currency) → moves
    problems: list[str]


def payment_entries(world: World) -> list[data.Directive]:
    entries, errors, _ = parser.parse_string(
        LEDGER.format(until=world.until) + "".join(world.payments)
    )
    assert errors == [], errors
    return [e for e in entries if isinstance(e, data.Transaction)]


def billed(world: World, root: Path) -> Billed:
    """The billing engine's invoices and accrued lines for the world's contracts."""
    contracts, problems = load_folder(str(root / "contracts"))
    assert contracts is not None, problems
    return bill(contracts, world.until)


def compile_books(world: World, root: Path) -> Books:
    """The world compiled and settled in-process, as the plugins would."""
    write_world(world, root)
    compiled = compile_texts(read_folder(str(root / "contracts")), world.until, set())
    entries = sorted(compiled.directives + payment_entries(world), key=data.entry_sortkey)
    settlement = read_settlement(entries)
    balances: dict[tuple[str, str], list[tuple[D, Decimal]]] = {}
    moves = [
        (entry.date, posting.account, posting.units.currency, posting.units.number)
        for entry in entries
        if isinstance(entry, data.Transaction)
        for posting in entry.postings
    ] + [
        (entry.date, posting.account, posting.currency, posting.amount)
        for entry in settlement.entries
        for posting in entry.postings
    ]
    for day, account, currency, number in moves:
        balances.setdefault((account, currency), []).append((day, number))
    problems = [str(p) for p in compiled.problems]
    problems += [p.message for p in settlement.problems]
    invoices = {i.id: i for i in billed(world, root).invoices}
    return Books(invoices, settlement, balances, problems)


def least_from(points: list[tuple[D, Decimal]], day: D, sign: int = -1) -> Decimal:
    """The least end-of-day balance (credits positive for sign -1) from `day` on."""
    totals: dict[D, Decimal] = {}
    for when, number in points:
        totals[when] = totals.get(when, ZERO) + sign * number
    running = sum((v for when, v in totals.items() if when <= day), ZERO)
    least = running
    for when in sorted(w for w in totals if w > day):
        running += totals[when]
        least = min(least, running)
    return least


def least_open_from(books: Books, invoice_id: str, day: D) -> Decimal:
    account = books.settlement.invoices[invoice_id]
    days = {day} | {a.date for a in account.applications if a.date > day}
    return min(account.open(when) for when in days)


def whole(currency: str, low: Decimal, high: Decimal, draw: Draw) -> Decimal | None:
    """A whole number of the currency's minor units in [low, high], or None if there is none."""
    unit = minor_unit(currency)
    first, last = int((low / unit).to_integral_value(rounding="ROUND_CEILING")), int(high / unit)
    if last < max(first, 1):
        return None
    return Decimal(draw(st.integers(max(first, 1), last))) * unit


def add_adjustment(world: World, customer: str, adjustment: dict[str, Any]) -> None:
    world.customers[customer].setdefault("adjustments", []).append(adjustment)


def payment_text(
    day: D, account: str, currency: str, amount: Decimal, named: list[str], style: str
) -> str:
    receivable = f"Assets:AccountsReceivable:Customers:{account}"
    links = "".join(f" ^{i}" for i in named) if style in ("link", "both") else ""
    text = f'\n{day} * "Payer" "Payment"{links}\n'
    if named and style in ("meta", "both", "gateway"):
        text += f'  invoice-id: "{", ".join(named)}"\n'
    if style == "gateway":
        fee = round_money(amount * Decimal("0.03"), currency)
        text += f"  Assets:AccountsReceivable:PaymentGateways:Stripe  {amount - fee} {currency}\n"
        text += f"  Expenses:PaymentGatewayFees  {fee} {currency}\n"
    else:
        text += f"  Assets:Cash  {amount} {currency}\n"
    return text + f"  {receivable}  -{amount} {currency}\n"


def draw_payments(draw: Draw, world: World, books: Books) -> None:
    invoices = [i for i in books.invoices.values() if i.total > 0]
    for _ in range(draw(st.integers(0, 6)) if invoices else 0):
        invoice = draw(st.sampled_from(invoices))
        account = world.accounts[invoice.customer.id]
        day = invoice.date + datetime.timedelta(days=draw(st.integers(0, 90)))
        kind = draw(st.sampled_from(["full", "part", "over", "two", "fifo"]))
        style = draw(st.sampled_from(["link", "meta", "both", "gateway"]))
        named = [invoice.id]
        amount = invoice.total
        if kind == "part":
            amount = whole(invoice.currency, ZERO, invoice.total, draw) or invoice.total
        elif kind == "over":
            amount += whole(invoice.currency, ZERO, Decimal(500), draw) or ZERO
        elif kind == "two":
            others = [
                i
                for i in invoices
                if i.customer.id == invoice.customer.id
                and i.currency == invoice.currency
                and i.id != invoice.id
            ]
            if others:
                other = draw(st.sampled_from(others))
                named.append(other.id)
                day = max(day, other.date)
                amount += other.total
                style = draw(st.sampled_from(["meta", "link"]))
        elif kind == "fifo":
            named = []
            amount = whole(invoice.currency, ZERO, invoice.total * 2, draw) or invoice.total
        world.payments.append(payment_text(day, account, invoice.currency, amount, named, style))


def memo_invoices(books: Books) -> list[Invoice]:
    return [i for i in books.invoices.values() if line_groups(i)]


def draw_memo_lines(draw: Draw, invoice: Invoice, net: Decimal) -> list[dict[str, Any]] | None:
    """`lines: [{product, amount}]` for one product carrying `net`, when that product has it."""
    nets: dict[str, Decimal] = {}
    for group in line_groups(invoice):
        nets[group.product] = nets.get(group.product, ZERO) + group.net
    product = draw(st.sampled_from(sorted(nets)))
    if net > nets[product]:
        return None
    return [{"product": product, "amount": f"{net}"}]


def draw_debit_memos(draw: Draw, world: World, books: Books) -> None:
    invoices = memo_invoices(books)
    for _ in range(draw(st.integers(0, 2)) if invoices else 0):
        invoice = draw(st.sampled_from(invoices))
        net = whole(invoice.currency, ZERO, Decimal(300), draw)
        if net is None:
            continue
        memo: dict[str, Any] = {
            "type": "debit_memo",
            "id": f"DM-{world.next_id()}",
            "date": invoice.date + datetime.timedelta(days=draw(st.integers(0, 200))),
            "invoice": invoice.id,
            "amount": f"{net}",
        }
        if draw(st.booleans()) and (lines := draw_memo_lines(draw, invoice, net)):
            del memo["amount"]
            memo["lines"] = lines
        elif draw(st.booleans()):
            memo["total"] = memo.pop("amount")  # the same number, tax included
        if draw(st.booleans()):
            memo["reason"] = "Missed charge — «late»"
        add_adjustment(world, invoice.customer.id, memo)


def draw_credit_memo(draw: Draw, world: World, books: Books, credited: dict[str, Decimal]) -> None:
    invoices = memo_invoices(books)
    if not invoices:
        return
    invoice = draw(st.sampled_from(invoices))
    groups = line_groups(invoice)
    day = invoice.date + datetime.timedelta(days=draw(st.integers(0, 200)))
    # What memos left to credit (before tax), and the open balance (tax included) from `day` on.
    left = sum((g.net for g in groups), ZERO) - credited.get(invoice.id, ZERO)
    ratio = max(sum((t for _, t in g.taxes), ZERO) / g.net for g in groups)
    margin = minor_unit(invoice.currency) * len(groups) * 4
    room = (least_open_from(books, invoice.id, day) - margin) / (1 + ratio)
    net = whole(invoice.currency, ZERO, min(left, room), draw)
    if net is None:
        return
    memo: dict[str, Any] = {
        "type": "credit_memo",
        "id": f"CM-{world.next_id()}",
        "date": day,
        "invoice": invoice.id,
        "amount": f"{net}",
    }
    if draw(st.booleans()) and (lines := draw_memo_lines(draw, invoice, net)):
        del memo["amount"]
        memo["lines"] = lines
    elif draw(st.booleans()):
        # the same number tax included: within the open balance, and it credits less than `net`
        # before tax (counted as `net`, so later memos stay within what is left)
        memo["total"] = memo.pop("amount")
    credited[invoice.id] = credited.get(invoice.id, ZERO) + net
    add_adjustment(world, invoice.customer.id, memo)


def draw_write_off(draw: Draw, world: World, books: Books) -> None:
    credited_until = {
        a["invoice"]: a["date"]
        for c in world.customers.values()
        for a in c.get("adjustments", [])
        if a["type"] == "credit_memo"
    }
    invoices = [i for i in books.invoices.values() if i.total > 0]
    if not invoices:
        return
    invoice = draw(st.sampled_from(invoices))
    day = max(invoice.date, credited_until.get(invoice.id, invoice.date))
    day += datetime.timedelta(days=draw(st.integers(0, 120)))
    if books.settlement.invoices[invoice.id].open(day) <= 0:
        return
    write_off: dict[str, Any] = {"type": "write_off", "date": day, "invoice": invoice.id}
    if draw(st.booleans()):
        write_off["id"] = f"WO-{world.next_id()}"
    add_adjustment(world, invoice.customer.id, write_off)


def draw_refund(draw: Draw, world: World, books: Books, source: str) -> None:
    customer = draw(st.sampled_from(sorted(world.customers)))
    currency = world.currencies[customer]
    parent = (
        "Liabilities:CustomerWallet"
        if source == "wallet"
        else ("Liabilities:ContraAccountsReceivable:Customers")
    )
    points = books.balances.get((f"{parent}:{world.accounts[customer]}", currency), [])
    if not points:
        return
    day = min(p[0] for p in points) + datetime.timedelta(days=draw(st.integers(0, 400)))
    amount = whole(currency, ZERO, least_from(points, day), draw)
    if amount is None:
        return
    refund = {"type": "refund", "id": f"RF-{world.next_id()}", "date": day, "from": source}
    if draw(st.booleans()):
        refund["account"] = draw(st.sampled_from(["Assets:Cash", "Assets:Cash:Bank-EU"]))
    add_adjustment(world, customer, {**refund, "amount": f"{amount}"})


def draw_wallet_credits(draw: Draw, world: World) -> None:
    for _ in range(draw(st.integers(0, 2))):
        customer = draw(st.sampled_from(sorted(world.customers)))
        currency = world.currencies[customer]
        amount = whole(currency, ZERO, Decimal(2000), draw)
        credit = {
            "type": "credit",
            "id": f"CR-{world.next_id()}",
            "date": draw(st.dates(D(2025, 1, 1), world.until)),
            "amount": f"{amount}",
        }
        add_adjustment(world, customer, credit)


def settle_world(draw: Draw, world: World, root: Path) -> None:
    """Add payments and adjustments to `world`, each valid against the books so far."""
    books = compile_books(world, root)
    problems = [p for p in books.problems if not nets_below_zero(world, p)]
    assert problems == [], problems  # the contracts alone are valid
    draw_wallet_credits(draw, world)
    draw_debit_memos(draw, world, books)
    draw_payments(draw, world, books)
    books = compile_books(world, root)
    assert [p for p in books.problems if not nets_below_zero(world, p)] == []
    credited: dict[str, Decimal] = {}
    dropped = 0
    steps: list[Callable[[Books], None]] = []
    steps += [lambda b: draw_credit_memo(draw, world, b, credited)] * draw(st.integers(0, 3))
    steps += [lambda b: draw_write_off(draw, world, b)] * draw(st.integers(0, 1))
    steps += [lambda b: draw_refund(draw, world, b, "wallet")] * draw(st.integers(0, 2))
    steps += [lambda b: draw_refund(draw, world, b, "overpayment")] * draw(st.integers(0, 1))
    for step in steps:
        before = {c: list(v.get("adjustments", [])) for c, v in world.customers.items()}
        step(books)
        checked = compile_books(world, root)
        if checked.problems:
            dropped += 1
            event("an adjustment was dropped")
            note(f"dropped an adjustment: {checked.problems}")
            for customer_id, adjustments in before.items():
                world.customers[customer_id]["adjustments"] = adjustments
            checked = compile_books(world, root)
        books = checked
    note(f"{dropped} adjustment(s) dropped")


# --- the invariants ------------------------------------------------------------------------

DEFERRED, UNBILLED = "Liabilities:DeferredRevenue", "Assets:UnbilledRevenue"
RECEIVABLE = "Assets:AccountsReceivable:Customers:"
SETTLED = frozenset({"paid", "credited", "written_off"})
UNSETTLED = frozenset({"open", "partially_paid", "overdue"})


def transactions(entries: list[data.Directive]) -> list[data.Transaction]:
    return [e for e in entries if isinstance(e, data.Transaction)]


def is_invoice(entry: data.Transaction) -> bool:
    return "due-date" in entry.meta and "adjustment" not in entry.meta


def check_balanced_in_minor_units(entries: list[data.Transaction]) -> None:
    for entry in entries:
        sums: dict[str, Decimal] = {}
        for posting in entry.postings:
            number, currency = posting.units.number, posting.units.currency
            assert isinstance(number, Decimal), entry
            assert number == round_money(number, currency), (entry.narration, posting)
            sums[currency] = sums.get(currency, ZERO) + number
            allocated = (posting.meta or {}).get("allocated-amount")
            if allocated is not None:
                assert allocated == round_money(allocated, currency), posting
        assert all(total == 0 for total in sums.values()), (entry.narration, sums)
        balance = entry.meta.get("open-balance")
        if balance is not None:
            assert balance.number == round_money(balance.number, balance.currency), entry.meta


def phase_of(world: World, line: InvoiceLine) -> PhaseSpec:
    """The phase a line's service starts in (renewals keep the last phase's)."""
    phases = [p for p in world.phases if p.contract == line.contract]
    return [p for p in phases if p.start <= line.service_start][-1]


def phase_taxes(world: World, line: InvoiceLine) -> tuple[str, ...]:
    return phase_of(world, line).taxes


def check_minimum_commitments(world: World, invoices: list[Invoice]) -> None:
    """Each billing period of a commitment's products, on however many invoices, bills at least
    the (prorated) commitment, and exactly it when a true-up line tops it up; one true-up at
    most. Periods ending at the horizon or later may still have a line to come."""
    periods: dict[tuple[Any, ...], list[InvoiceLine]] = {}
    for invoice in invoices:
        for line in invoice.lines:
            phase = phase_of(world, line)
            if phase.commitment is None or line.product not in phase.commitment[1]:
                continue
            if line.service_end >= world.until:
                continue
            key = (invoice.currency, line.contract, phase.start, line.service_start)
            key += (line.service_end,)
            periods.setdefault(key, []).append(line)
    rates = world.catalog.get("tax_rates", {})
    for key, lines in periods.items():
        phase = phase_of(world, lines[0])
        assert phase.commitment is not None
        # compared before tax, on prices as written: an inclusive tax is inside them
        total = sum((line.amount for line in lines), ZERO) + sum(
            (t.amount for line in lines for t in line.taxes if rates[t.tax].get("inclusive")),
            ZERO,
        )
        days, full_days = lines[0].proration
        due = round_money(phase.commitment[0] * days / full_days, key[0])
        true_ups = [line for line in lines if line.kind is LineKind.MINIMUM]
        said = [(line.kind.value, line.product, line.amount, line.proration) for line in lines]
        assert len(true_ups) <= 1, (key, said)
        assert total == due if true_ups else total >= due, (key, due, said)


def check_invoices(world: World, entries: list[data.Transaction], invoices: list[Invoice]) -> None:
    """Every invoice: total = subtotal + tax, as posted; tax per line by the phase's rates."""
    posted = {e.meta["invoice-id"]: e for e in entries if is_invoice(e)}
    assert sorted(posted) == sorted(i.id for i in invoices)
    rates = world.catalog.get("tax_rates", {})
    for invoice in invoices:
        assert invoice.total == invoice.subtotal + invoice.tax
        assert invoice.total >= 0, invoice.id
        entry = posted[invoice.id]
        receivable = [p for p in entry.postings if p.account.startswith(RECEIVABLE)]
        assert [p.units.number for p in receivable] == [invoice.total]
        lines = [p for p in entry.postings if p.meta and "product" in p.meta]
        taxes = [p for p in entry.postings if p.account.startswith("Liabilities:SalesTax")]
        assert -sum((p.units.number for p in lines), ZERO) == invoice.subtotal
        assert -sum((p.units.number for p in taxes), ZERO) == invoice.tax
        # a charge and its discounts (which copy its product and service period) carry the tax
        # of their net amount; every other line is taxed on its own
        chains: dict[tuple[Any, ...], list[InvoiceLine]] = {}
        for index, line in enumerate(invoice.lines):
            if line.kind is LineKind.CREDITS:
                assert not line.taxes
                continue
            key: tuple[Any, ...] = (line.contract, line.product, line.service_start)
            key += (line.service_end,) if line.kind is not LineKind.MINIMUM else (index,)
            chains.setdefault(key, []).append(line)
            assert line.tax * line.amount >= 0, (
                invoice.id,
                line,
            )  # a discount's tax is not positive
        for chain in chains.values():
            net = sum((line.amount for line in chain), ZERO)
            amounts: dict[str, Decimal] = {}
            for line in chain:
                for t in line.taxes:
                    amounts[t.tax] = amounts.get(t.tax, ZERO) + t.amount
            names = phase_taxes(world, chain[0])
            assert set(amounts) <= set(names)
            inclusive = [t for t in names if rates[t].get("inclusive")]
            if inclusive:
                gross = net + sum((amounts.get(t, ZERO) for t in inclusive), ZERO)
                share = sum((Decimal(rates[t]["rate"][:-1]) / 100 for t in inclusive), ZERO)
                assert net == round_money(gross / (1 + share), invoice.currency)
            for name in names:
                if name not in inclusive:
                    rate = Decimal(rates[name]["rate"][:-1]) / 100
                    expected = round_money(net * rate, invoice.currency)
                    assert amounts.get(name, ZERO) == expected, (invoice.id, chain, name)


def check_recognition(
    entries: list[data.Directive], invoices: list[Invoice], accrued: Sequence[AccruedLine]
) -> None:
    """Each line's schedule sums exactly to what it recognises and never starts before its
    service; the releases in the books add up per invoice line; Deferred (and Unbilled)
    Revenue end at billed - allocated, plus what is accrued of invoices still to come."""
    rules, errors = declared_rules(entries)
    assert errors == []
    expected: dict[tuple[str, str, str], Decimal] = {}
    for entry in transactions(entries):
        for posting in entry.postings:
            if posting.account not in (DEFERRED, UNBILLED) or "revenue-rule" not in (
                posting.meta or {}
            ):
                continue
            line = line_of(entry, posting, rules)
            ob = line.obligation
            dates = schedule(ob)
            assert sum((v for _, v in dates), ZERO) == ob.amount, (entry.narration, posting)
            for day, value in dates:
                assert value == round_money(value, ob.currency)
                if ob.method is RecognitionMethod.AS_INVOICED:
                    assert day == ob.invoice_date
                    continue
                assert day >= ob.start, (entry.narration, posting.meta, dates)
                if ob.method is not RecognitionMethod.MILESTONE:
                    assert day <= month_end(ob.end), (entry.narration, posting.meta, dates)
            key = (str(line.invoice_id), str(line.product), posting.account)
            expected[key] = expected.get(key, ZERO) + ob.amount
    released: dict[tuple[str, str, str], Decimal] = {}
    for entry in transactions(entries):
        if entry.meta.get("filename") != "<beanbill:recognition>":
            continue
        for posting in entry.postings:
            if posting.account in (DEFERRED, UNBILLED):
                meta = posting.meta or {}
                key = (str(meta.get("invoice-id")), str(meta.get("product")), posting.account)
                released[key] = released.get(key, ZERO) + posting.units.number
    assert {k: v for k, v in released.items() if v} == {k: v for k, v in expected.items() if v}
    ending: dict[tuple[str, str], Decimal] = {}
    for invoice in invoices:
        for line in invoice.lines:
            if line.kind is LineKind.CREDITS:
                continue
            account = DEFERRED if line.timing is Timing.ADVANCE else UNBILLED
            recognised = line.amount if line.allocated is None else line.allocated
            key = (account, invoice.currency)
            ending[key] = ending.get(key, ZERO) - (line.amount - recognised)
    for item in accrued:  # earned, invoiced after the horizon: accrued up to it
        line = item.line
        recognised = line.amount if line.allocated is None else line.allocated
        if item.through is not None:  # service running past the horizon: its share by then
            assert line.revenue_rule is not None and line.service_start <= item.through
            ob = Obligation(
                recognised,
                item.currency,
                rules[line.revenue_rule].method,
                line.service_start,
                line.service_end,
                item.invoice_date,
                line.consumed,
                line.milestones,
            )
            if line.kind is LineKind.MINIMUM:  # a true-up: earned when its period ends
                ob = earned_when_its_period_ends(ob)
            recognised = sum((v for day, v in schedule(ob) if day <= item.through), ZERO)
            event("a fixed fee's service runs past the horizon: accrued up to it")
        key = (UNBILLED, item.currency)
        ending[key] = ending.get(key, ZERO) + recognised
    for account in (DEFERRED, UNBILLED):
        for currency in CURRENCIES:
            total = sum(
                (
                    p.units.number
                    for e in transactions(entries)
                    for p in e.postings
                    if p.account == account and p.units.currency == currency
                ),
                ZERO,
            )
            assert total == ending.get((account, currency), ZERO), (account, currency)


def check_receivables(entries: list[data.Transaction]) -> None:
    """Open balances ≥ 0, statuses agree with them, and each invoice's open balance is what
    its receivable postings leave; wallets and unapplied cash never go negative."""
    open_balance: dict[str, Decimal] = {}
    receivable_of: dict[str, tuple[str, str]] = {}
    for entry in entries:
        if not is_invoice(entry):
            continue
        meta = entry.meta
        assert {"status", "open-balance", "status-date"} <= set(meta), meta
        amount = meta["open-balance"].number
        assert amount >= 0, meta
        assert (meta["status"] in SETTLED) == (amount == 0), meta
        assert meta["status"] in SETTLED | UNSETTLED
        open_balance[meta["invoice-id"]] = amount
        account = next(p.account for p in entry.postings if p.account.startswith(RECEIVABLE))
        receivable_of[meta["invoice-id"]] = (account, meta["open-balance"].currency)
    left: dict[str, Decimal] = {}
    unattributed: dict[tuple[str, str], Decimal] = {}
    balances: dict[tuple[str, str], Decimal] = {}
    for entry in entries:
        for posting in entry.postings:
            if not posting.account.startswith(RECEIVABLE):
                continue
            key = (posting.account, posting.units.currency)
            balances[key] = balances.get(key, ZERO) + posting.units.number
            named = (posting.meta or {}).get("invoice-id") or entry.meta.get("invoice-id")
            if named is None or "," in str(named):
                unattributed[key] = unattributed.get(key, ZERO) + posting.units.number
            else:
                left[str(named)] = left.get(str(named), ZERO) + posting.units.number
    assert {k: v for k, v in left.items() if v} == {k: v for k, v in open_balance.items() if v}
    assert all(v == 0 for v in unattributed.values()), unattributed
    per_account: dict[tuple[str, str], Decimal] = {}
    for invoice_id, amount in open_balance.items():
        key = receivable_of[invoice_id]
        per_account[key] = per_account.get(key, ZERO) + amount
    assert {k: v for k, v in balances.items() if v} == {k: v for k, v in per_account.items() if v}
    moves: dict[tuple[str, str], dict[D, Decimal]] = {}
    for entry in entries:
        for posting in entry.postings:
            if posting.account.startswith(
                ("Liabilities:CustomerWallet:", "Liabilities:ContraAccountsReceivable:")
            ):
                days = moves.setdefault((posting.account, posting.units.currency), {})
                days[entry.date] = days.get(entry.date, ZERO) - posting.units.number
    for key, days in moves.items():
        running = ZERO
        for day in sorted(days):
            running += days[day]
            assert running >= 0, (key, day, running)


def check_reports(entries: list[data.Directive]) -> None:
    """`beanbill invoices`, `aging` and `revenue` on the settled books agree with them."""
    txns = transactions(entries)
    settlement = read_settlement(entries)
    assert settlement.problems == []
    invoices = [e for e in txns if is_invoice(e)]
    if invoices:
        as_of = invoices[0].meta["status-date"]
        rows = {r.invoice: r for r in invoice_rows(settlement, as_of)}
        assert {i: (r.status, r.open) for i, r in rows.items()} == {
            e.meta["invoice-id"]: (e.meta["status"], e.meta["open-balance"].number)
            for e in invoices
        }
        owed: dict[str, Decimal] = {}
        for e in txns:
            for p in e.postings:
                if p.account.startswith(RECEIVABLE):
                    owed[p.units.currency] = owed.get(p.units.currency, ZERO) + p.units.number
        aged: dict[str, Decimal] = {}
        for row in aging(rows.values()):
            aged[row.currency] = aged.get(row.currency, ZERO) + row.total
        assert aged == {c: v for c, v in owed.items() if v}
    postings = [
        PostingRow(e.date, p.account, p.units.number, p.units.currency)
        for e in txns
        for p in e.postings
    ]
    months = waterfall(postings)
    for currency in {m.currency for m in months}:
        income = -sum(
            (
                p.amount
                for p in postings
                if p.currency == currency and p.account.startswith("Income")
            ),
            ZERO,
        )
        assert sum((m.total for m in months if m.currency == currency), ZERO) == income
        # Every month a revenue posting of the currency is dated in has a row (even one whose
        # balances end at zero without revenue), and each row is the books at its month end.
        rows = [m for m in months if m.currency == currency]
        moved = {
            f"{p.date:%Y-%m}"
            for p in postings
            if p.currency == currency
            and (p.account.startswith("Income") or p.account in (DEFERRED, UNBILLED))
        }
        assert moved <= {row.month for row in rows}, sorted(moved - {row.month for row in rows})
        for row in rows:
            last_day = month_end(datetime.date.fromisoformat(f"{row.month}-01"))
            balance = {DEFERRED: ZERO, UNBILLED: ZERO}
            for p in postings:
                if p.currency == currency and p.account in balance and p.date <= last_day:
                    balance[p.account] += p.amount
            assert (row.deferred, row.unbilled) == (-balance[DEFERRED], balance[UNBILLED]), row
    check_rollforward(postings, entries)


def check_rollforward(postings: list[PostingRow], entries: list[data.Directive]) -> None:
    """The deferred revenue roll-forward of each month with a posting: per currency its total
    opens at the balance before the month, closes at the balance at its end, and each
    contract's row adds up. (What it recognised of the opening balance is taken invoice by
    invoice, so a contract whose discounts leave an invoice's balance below zero can show more
    of it than its net opening balance.)"""
    for first in sorted({p.date.replace(day=1) for p in postings if p.account == DEFERRED}):
        last = month_end(first)
        rows = roll_forward(deferred_moves(entries), first, last)
        for row in rows:
            assert row.opening + row.billed - row.recognised + row.adjusted == row.closing
            assert row.from_opening >= ZERO
        for total in (r for r in rows if r.contract == "total"):
            balances = [
                -sum(
                    (
                        p.amount
                        for p in postings
                        if p.account == DEFERRED and p.currency == total.currency and p.date <= day
                    ),
                    ZERO,
                )
                for day in (first - datetime.timedelta(days=1), last)
            ]
            assert [total.opening, total.closing] == balances, total
            contracts = [r for r in rows if r.currency == total.currency and r != total]
            assert sum((r.closing for r in contracts), ZERO) == total.closing


def record_coverage(entries: list[data.Directive]) -> None:
    """What the books exercised, for `pytest --hypothesis-show-statistics`."""
    seen: set[str] = set()
    for entry in transactions(entries):
        meta = entry.meta
        if is_invoice(entry):
            seen.add(f"invoice {meta['status']}")
            seen.add(f"invoice in {entry.postings[0].units.currency}")
            if "," in meta["contract"]:
                seen.add("consolidated invoice")
        if "adjustment" in meta:
            seen.add(f"adjustment {meta['adjustment']}")
        if meta.get("beanbill-fifo"):
            seen.add("FIFO payment")
        for posting in entry.postings:
            pmeta = posting.meta or {}
            if "allocated-amount" in pmeta:
                seen.add("SSP allocation")
            if "line-kind" in pmeta:
                seen.add(f"line {pmeta['line-kind']}")
            if "milestones" in pmeta:
                seen.add("milestones")
            if "consumed" in pmeta:
                seen.add("consumed over months")
            if posting.account.startswith("Liabilities:SalesTax"):
                seen.add("tax")
    for name in sorted(seen):
        event(name)


def compiled_text(ledger: Path, target: Path) -> bytes:
    for cache in ledger.parent.glob(".*.picklecache"):
        cache.unlink()
    assert cli.main(["compile", str(ledger), "-o", str(target)]) == 0
    return target.read_bytes()


def compiled_output(compiled: Compiled) -> tuple[list[str], list[Problem], int]:
    return (
        [printer.format_entry(d) for d in compiled.directives],
        compiled.problems,
        compiled.invoice_count,
    )


def describe_world(world: World, root: Path) -> str:
    parts = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and (path.suffix in (".yaml", ".csv") or path.name == "main.beancount"):
            text = path.read_text(encoding="utf-8", errors="replace")
            parts.append(f"--- {path.relative_to(root)}\n{text[:5_000]}")
    return "\n".join(parts)


NETS_BELOW_ZERO = re.compile(
    r"contract (\S+) \(customer \S+\): (\S+): the usage of [-\d to]+ nets to -[\d.]+ \w+, "
    r"below zero\. An invoice line is never negative"
)


def nets_below_zero(world: World, message: str) -> bool:
    """The one error valid books may have: a period of percent pricing without `min` whose
    refunds exceed what was processed, which is left off its invoice."""
    match = NETS_BELOW_ZERO.search(message)
    if match is None:
        return False
    contract, product = match.groups()
    assert any(
        line.contract == contract
        and line.product.id == product
        and line.model == "percent"
        and not line.floor
        for line in world.lines
    ), message
    event("a period of usage nets below zero")
    return True


@FUZZ
@given(st.data())
def test_random_valid_contracts_keep_every_invariant(data: st.DataObject) -> None:
    world = draw_world(data.draw)
    with folder() as root:
        settle_world(data.draw, world, root)
        ledger = write_world(world, root)
        note(describe_world(world, root))
        entries, errors, _ = loader.load_file(str(ledger))
        assert [e.message for e in errors if not nets_below_zero(world, e.message)] == []
        by_engine = billed(world, root)
        invoices = list(by_engine.invoices)
        check_balanced_in_minor_units(transactions(entries))
        check_invoices(world, transactions(entries), invoices)
        check_minimum_commitments(world, invoices)
        check_recognition(entries, invoices, by_engine.accrued)
        check_receivables(transactions(entries))
        check_reports(entries)
        check_documents_and_export(entries)
        check_reload(ledger, entries, errors)
        record_coverage(entries)
        if not errors:  # `beanbill compile` writes nothing for books with a problem
            first = compiled_text(ledger, root / "first.beancount")
            assert compiled_text(ledger, root / "second.beancount") == first
            check_statements(entries)
            check_close(data.draw, entries, ledger)
            check_line_order(world, root, entries)


def check_line_order(world: World, root: Path, entries: list[data.Directive]) -> None:
    """The order of each phase's lines in the YAML moves an invoice's total, or revenue
    between months, by no more than the cents a spread's remainder lands on (an amount
    discount's remainder goes to the last line it covers, and so does its tax's rounding; an
    SSP allocation's; a memo's by amount): a minor unit per line. A commitment's true-up once
    followed the line listed first: thousands moved."""
    reordered = copy.deepcopy(world)
    for customer in reordered.customers.values():
        for contract in customer["contracts"]:
            for phase in contract["phases"]:
                phase["products"].reverse()
    loaded, errors, _ = loader.load_file(str(write_world(reordered, root / "reordered")))
    assert [e.message for e in errors] == []

    def totals(books: list[data.Directive]) -> dict[str, tuple[Decimal, str, int]]:
        return {
            str(e.meta["invoice-id"]): (
                sum((p.units.number for p in e.postings if p.account.startswith(RECEIVABLE)), ZERO),
                e.postings[0].units.currency,
                len(e.postings),
            )
            for e in transactions(books)
            if is_invoice(e)
        }

    def revenue(books: list[data.Directive]) -> dict[tuple[str, str], Decimal]:
        return {(m.month, m.currency): m.net for m in waterfall(revenue_rows(books))}

    issued, reissued = totals(entries), totals(loaded)
    assert set(issued) == set(reissued)
    for invoice_id, (total, currency, postings) in issued.items():
        moved = abs(reissued[invoice_id][0] - total)
        assert moved <= minor_unit(currency) * postings, (invoice_id, total, reissued[invoice_id])
    lines = sum(postings for _, _, postings in issued.values())
    before, after = revenue(entries), revenue(loaded)
    for key in sorted(set(before) | set(after)):
        moved = abs(before.get(key, ZERO) - after.get(key, ZERO))
        assert moved <= minor_unit(key[1]) * lines, (key, before.get(key), after.get(key))
    if before != after or issued != reissued:
        event("reordered lines: a remainder's minor unit moved")


def check_reload(ledger: Path, entries: list[data.Directive], errors: list[Any]) -> None:
    """Fava's reload of unchanged books: the contracts plugin reuses its compile and the
    recognition plugin its releases, and the books are those of the fresh load."""

    def load() -> tuple[str, list[str]]:
        for cache in ledger.parent.glob(".*.picklecache"):
            cache.unlink()
        loaded, problems, _ = loader.load_file(str(ledger))
        return "".join(map(printer.format_entry, loaded)), [p.message for p in problems]

    saved = contracts_plugin.RECENT_COMPILES
    contracts_plugin.RECENT_COMPILES = 4
    try:
        contracts_plugin.recent.clear()
        first = load()
        assert (
            load()
            == first
            == (
                "".join(map(printer.format_entry, entries)),
                [e.message for e in errors],
            )
        )
    finally:
        contracts_plugin.RECENT_COMPILES = saved
        contracts_plugin.recent.clear()


def check_documents_and_export(entries: list[data.Directive]) -> None:
    """Every invoice and memo document adds up (lines to the subtotal, subtotal and taxes to
    the total) to what its entry moves on the receivable; the whole books export as journals
    that balance, with nothing refused."""
    by_id: dict[str, data.Transaction] = {}
    for entry in transactions(entries):
        if entry.meta.get("adjustment") in ("credit_memo", "debit_memo"):
            by_id[str(entry.meta["memo-id"])] = entry
        elif "due-date" in entry.meta:
            by_id[str(entry.meta["invoice-id"])] = entry
    found = documents(entries, directory_of(None))
    assert {d.id for d in found} == set(by_id)
    for document in found:
        assert sum((line.amount for line in document.lines), ZERO) == document.subtotal
        assert document.subtotal + sum((t for _, t in document.taxes), ZERO) == document.total
        receivable = sum(
            (
                p.units.number
                for p in by_id[document.id].postings
                if p.account == document.receivable
            ),
            ZERO,
        )
        assert abs(receivable) == document.total, document.id
    days = [e.date for e in transactions(entries)]
    if days:
        lines, problems = journal_lines(entries, min(days), max(days))
        assert problems == []
        assert all(debit == credit for debit, credit in export_totals(lines).values())


def check_statements(entries: list[data.Directive]) -> None:
    """A statement over the whole books: each customer's activity runs from nothing, row by
    row, to a closing balance that is what its open invoices add up to less the credit it
    holds (its wallet and unapplied cash)."""
    days = [e.date for e in transactions(entries)]
    if not days:
        return
    settlement = read_settlement(entries)
    for statement in statements(
        entries, settlement, max(days), directory_of(None), since=min(days)
    ):
        for section in statement.sections:
            activity = section.activity
            owed = section.owed.total if section.owed else ZERO
            if section.credit:
                owed -= section.credit.wallet + section.credit.unapplied
            assert activity is not None or owed == ZERO
            if activity is None:
                continue
            assert activity.opening == ZERO
            balance = ZERO
            for row in activity.rows:
                balance += (row.charge or ZERO) - (row.credit or ZERO)
                assert row.balance == balance
            assert activity.closing == balance == owed, statement.customer_id


def check_close(draw: Draw, entries: list[data.Directive], ledger: Path) -> None:
    """A month of the books, closed, still checks clean: every balance the close asserts is
    the books' (sub-accounts, currencies, closed accounts), every invoice digest matches."""
    months = sorted({e.date.replace(day=1) for e in transactions(entries)})
    if not months:
        return
    month = draw(st.sampled_from(months))
    label = f"{month:%Y-%m}"
    close_file = ledger.parent / "closed" / f"{label}.beancount"
    close_file.parent.mkdir(exist_ok=True)
    close_file.write_text(format_closing(close_month(entries, month)), encoding="utf-8")
    closed_ledger = ledger.parent / "closed-main.beancount"
    text = ledger.read_text(encoding="utf-8").replace(
        'plugin "beanbill.plugins.chart"',
        'plugin "beanbill.plugins.close"\nplugin "beanbill.plugins.chart"',
    )
    closed_ledger.write_text(f'{text}\ninclude "closed/{label}.beancount"\n', encoding="utf-8")
    _, errors, _ = loader.load_file(str(closed_ledger))
    assert [e.message for e in errors] == []
    event("closed a month of the books")


# --- invalid inputs ------------------------------------------------------------------------
#
# A valid world (with adjustments drawn blind: they may name invoices that do not exist) is
# mutated: a value of the wrong type, a key left out or unknown, a bad date, a huge number,
# unicode, duplicate keys, aliases, deep nesting, a truncated file, binary garbage, a CSV with
# wrong columns. Whatever the damage, the loader answers with errors naming a real file and a
# line (line 0 only for the ledger's own plugin configuration), in a few seconds.

WRONG_VALUES: list[Any] = [
    [],
    {},
    0,
    -5,
    1,
    True,
    None,
    "",
    "   ",
    "text",
    [1, [2]],
    {"a": {"b": 1}},
    "-10.00",
    "10%",
    "net 30",
    "every 0 months",
    "every 999 months",
]
# Numbers have at most 15 digits before the decimal point, percentages 4. What the loader
# accepts can still bill too much (a 15-digit price times a quantity, 9999% compounded over
# renewals): an error at the contract line.
HUGE_VALUES: list[Any] = [
    "9" * 15,
    "9999%",
    10**30,
    "1" + "0" * 40,
    "1" + "0" * 19,
    "1" + "0" * 15,
    "10000%",
    "0." + "0" * 30 + "1",
    "1e400",
    "1000%",
    "0.0000001%",
]
# Dates the loader refuses (out of 1900-2999, impossible, badly written), and dates it accepts
# before the ledger opens its accounts (the chart opens them in 2020): an entry dated there is
# an error at its YAML line, not Beancount's "inactive account" at a <beanbill:...> location.
DATES: list[Any] = [
    D(1900, 1, 1),
    D(1950, 6, 15),
    D(2019, 12, 31),
    "2026-02-30",
    "2026-13-01",
    "31/12/2026",
    "2026-1-1",
    D(1, 1, 1),
    D(1899, 12, 31),
    D(3000, 1, 1),
    D(9999, 12, 31),
]
TEXTS: list[Any] = [
    "Ünïcødé ☃",
    "\u202eevil",
    "a\x00b",
    "x" * 20_000,
    "😀",
    "../../etc/passwd",
    "a b",
    "Ω-1",
    "INV-K1-20260101",
]
RAW_VALUES = ["1e400", "1.0e+400", ".inf", ".nan", "10.10", "0x1F", "1_000", "!!binary aGk=", "~"]


def pick(draw: Draw, options: list[str]) -> str:
    """One of `options`, about evenly: sampled_from (and a Hypothesis Random) favour the first
    choice a lot; the remainder of a large number does not."""
    return options[draw(st.integers(0, 2**32)) % len(options)]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


NUMBER = re.compile(r"\d+(\.\d+)?%?")


def value_at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def shift_years(document: Any, years: int) -> None:
    """Move every date of a YAML document's data `years` back, in place (29 February to the
    28th); a date an earlier damage put in the first centuries stays (Python has no year 0)."""
    items = document.items() if isinstance(document, dict) else enumerate(document)
    for key, value in list(items):
        if isinstance(value, D) and value.year > years:
            day = 28 if (value.month, value.day) == (2, 29) else value.day
            document[key] = value.replace(year=value.year - years, day=day)
        elif isinstance(value, (dict, list)):
            shift_years(value, years)


def mutate_data(draw: Draw, document: Any) -> None:
    """Damage one spot of a YAML document's data, in place."""
    spots = [p for p in paths(document) if p]
    if not spots:
        return
    action = pick(draw, ["wrong", "huge", "date", "text", "delete", "unknown", "many", "early"])
    event(f"YAML value: {action}")
    if action == "early":  # every date moved back: the books may start before the chart opens
        shift_years(document, draw(st.sampled_from([1, 7, 76])))
        return
    # mostly in a number's or a date's place: what the loader takes, billing must bill
    if action in ("huge", "date"):
        fitting = [
            p
            for p in spots
            if (
                isinstance(value_at(document, p), D)
                if action == "date"
                else NUMBER.fullmatch(str(value_at(document, p)))
            )
        ]
        if fitting and draw(st.integers(0, 3)) > 0:
            spots = fitting
    spot = draw(st.sampled_from(spots))
    parent = document
    for step in spot[:-1]:
        parent = parent[step]
    key = spot[-1]
    if action == "delete":
        del parent[key]
    elif action == "unknown" and isinstance(parent[key], dict):
        parent[key]["surprise"] = draw(st.sampled_from(WRONG_VALUES))
    elif action == "many" and isinstance(parent[key], list) and parent[key]:
        parent[key] = parent[key] * draw(st.sampled_from([2, 50, 400]))
    else:
        pool = {"huge": HUGE_VALUES, "date": DATES, "text": TEXTS}.get(action, WRONG_VALUES)
        parent[key] = draw(st.sampled_from(pool))


def mutate_text(draw: Draw, text: str) -> str | bytes:
    """Damage a file's text: cut, repeated or shifted lines, raw YAML, aliases, garbage."""
    lines = text.splitlines(keepends=True) or ["\n"]
    index = draw(st.integers(0, len(lines) - 1))
    action = pick(
        draw,
        [
            "duplicate",
            "delete",
            "indent",
            "raw",
            "bomb",
            "deep",
            "garbage",
            "binary",
            "bom",
            "crlf",
            "documents",
            "tag",
            "merge",
            "truncate",
        ],
    )
    event(f"file text: {action}")
    line = lines[index]
    if action == "truncate":
        return text[: len(text) * draw(st.integers(5, 95)) // 100]  # never near-empty
    if action == "duplicate":
        lines[index] = line * 2
    elif action == "delete":
        lines[index] = ""
    elif action == "indent":
        lines[index] = draw(st.sampled_from([" ", "\t", "    "])) + line
    elif action == "raw" and ":" in line:
        value = draw(st.sampled_from(RAW_VALUES))
        lines[index] = line[: line.index(":") + 1] + f" {value}\n"
    elif action == "bomb":
        levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]\n"]
        levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)]
        lines.insert(0, "".join(levels))
        if ":" in line:
            lines[index] = line[: line.index(":") + 1] + " *a9\n"
    elif action == "deep" and ":" in line:
        depth = draw(st.sampled_from([150, 5_000, 60_000]))
        lines[index] = line[: line.index(":") + 1] + " " + "[" * depth + "]" * depth + "\n"
    elif action == "garbage":
        lines[index] = draw(st.text(min_size=1, max_size=40)) + "\n"
    elif action == "binary":
        return draw(st.binary(min_size=1, max_size=200)) + text.encode()[: len(text) // 2]
    elif action == "bom":
        return "\ufeff" + text
    elif action == "crlf":
        return text.replace("\n", "\r\n")
    elif action == "documents":
        return text + "---\n" + text
    elif action == "tag" and ":" in line:
        tag = draw(st.sampled_from(["!!python/object/apply:os.system ['true']", "!!binary aGk="]))
        lines[index] = line[: line.index(":") + 1] + f" {tag}\n"
    elif action == "merge" and ":" in line:
        lines[index] = line[: line.index(":") + 1] + " {<<: [1, 2]}\n"
    return "".join(lines)


def mutate_csv(draw: Draw, text: str) -> str | bytes:
    lines = text.splitlines(keepends=True) or ["\n"]  # an earlier mutation may have emptied it
    action = pick(draw, ["header", "cells", "value", "quote", "nul", "huge", "text"])
    if action != "text":
        event(f"CSV: {action}")
    if action == "header":
        header = lines[0].rstrip("\n").split(",")
        header = draw(st.permutations(header))
        change = draw(st.sampled_from(["drop", "repeat", "rename"]))
        if change == "drop":
            header = header[1:]
        elif change == "repeat":
            header = [*header, header[0]]
        else:
            header[0] = "when"
        lines[0] = ",".join(header) + "\n"
    elif action == "cells" and len(lines) > 1:
        index = draw(st.integers(1, len(lines) - 1))
        lines[index] = lines[index].rstrip("\n") + draw(st.sampled_from([",extra", ""]))[:6]
        lines[index] = lines[index].rsplit(",", draw(st.integers(0, 1)))[0] + "\n"
    elif action == "value" and len(lines) > 1:
        index = draw(st.integers(1, len(lines) - 1))
        cells = lines[index].rstrip("\n").split(",")
        column = draw(st.integers(0, len(cells) - 1))
        cells[column] = draw(
            st.sampled_from(
                [
                    "abc",
                    "1e400",
                    "1" + "0" * 30,
                    "1" + "0" * 15,
                    "9" * 15,
                    "-5",
                    "NaN",
                    "Infinity",
                    "1_000",
                    "2026-02-30",
                    "9999-12-31T23:59:59+14:00",
                    "0001-01-01",
                    "",
                    "nobody",
                    "Ünïcødé",
                ]
            )
        )
        lines[index] = ",".join(cells) + "\n"
    elif action == "quote":
        lines.append('2026-01-01,"unclosed,x\n')
    elif action == "nul":
        lines.append("2026-01-01,c1,\x00,1\n")
    elif action == "huge":
        lines.append("2026-01-01," + "x" * 1_100_000 + "\n")
    else:
        return mutate_text(draw, text)
    return "".join(lines)


# `until` is refused out of the years 1900 to 2999. Load time grows with the horizon (2200
# takes seconds), so 2060 is the farthest one drawn that loads.
LEDGER_CONFIGS = [
    '"{path: ../../../../etc, until: 2026-12-31}"',
    '"{path: contracts, until: soon}"',
    '"{path: contracts, until: 1900-01-01}"',
    '"{path: contracts, until: 2060-12-31}"',
    '"{path: contracts, until: 9999-12-31}"',
    '"{path: contracts, until: 1899-12-31}"',
    '"{path: contracts, when: 2026-12-31}"',
    '"{path: contracts"',
    '"contracts-missing"',
    '""',
]


def draw_blind_adjustments(draw: Draw, world: World) -> None:
    """Adjustments that may or may not fit the books: ids and dates drawn, not computed."""
    prefix = world.catalog["company"].get("invoice_prefix", "INV")
    for customer_id, customer in world.customers.items():
        contract = customer["contracts"][0]
        invoice = f"{prefix}-{contract['id']}-{contract['start']:%Y%m%d}"
        for _ in range(draw(st.integers(0, 3))):
            kind = draw(
                st.sampled_from(["credit_memo", "debit_memo", "write_off", "credit", "refund"])
            )
            adjustment: dict[str, Any] = {
                "type": kind,
                "date": contract["start"] + datetime.timedelta(days=draw(st.integers(0, 60))),
            }
            if kind != "write_off" or draw(st.booleans()):
                adjustment["id"] = f"X-{world.next_id()}"
            if kind in ("credit_memo", "debit_memo", "write_off"):
                adjustment["invoice"] = invoice
            if kind != "write_off":
                adjustment["amount"] = price(draw, "0", "500", "USD")
            if kind == "refund":
                adjustment["from"] = draw(st.sampled_from(["wallet", "overpayment"]))
            add_adjustment(world, customer_id, adjustment)
        if draw(st.booleans()):
            account = world.accounts[customer_id]
            amount = Decimal(price(draw, "1", "900", "USD"))
            world.payments.append(
                payment_text(contract["start"], account, "USD", amount, [invoice], "both")
            )


# Typically well under one second; a hang or an alias expansion would never end.
SECONDS_PER_CASE = float(os.environ.get("BEANBILL_FUZZ_SECONDS", "20"))


def check_errors_name_real_lines(errors: list[Any], root: Path, ledger: Path) -> None:
    files = {str(path) for path in root.rglob("*") if path.is_file()}
    for error in errors:
        message = str(error.message)
        assert "internal error" not in message, message
        assert "Error applying plugin" not in message and "Traceback" not in message, message
        filename, line = error.source.get("filename"), error.source.get("lineno")
        if message.startswith("no catalog.yaml in the contracts folder"):
            continue  # the plugin names a folder without one: the file to create, line 0
        assert filename in files, (filename, message)
        if line == 0:  # only the ledger's plugin configuration has no line of its own
            assert filename == str(ledger) and message.startswith("beanbill.plugins."), message
        else:
            assert isinstance(line, int) and line >= 1, (filename, line, message)


@FUZZ
@given(st.data())
def test_random_invalid_inputs_end_in_errors_with_file_and_line(data: st.DataObject) -> None:
    draw = data.draw
    world = draw_world(draw)
    draw_blind_adjustments(draw, world)
    with folder() as root:
        ledger = write_world(world, root)
        contracts_folder = str(root / "contracts")
        before = compile_texts(read_folder(contracts_folder), world.until, frozenset())
        for _ in range(draw(st.integers(1, 3))):
            customers = sorted(world.customers)
            target = pick(draw, ["catalog", *["customer"] * 4, "usage", "usage", "ledger"])
            if target in ("catalog", "customer"):
                name = draw(st.sampled_from(customers))
                document = world.catalog if target == "catalog" else world.customers[name]
                path = (
                    root
                    / "contracts"
                    / ("catalog.yaml" if target == "catalog" else f"customers/{name}.yaml")
                )
                if draw(st.booleans()):
                    mutate_data(draw, document)
                    content: str | bytes = dump(document, draw(st.sampled_from([False, None])))
                else:
                    content = mutate_text(draw, path.read_text(encoding="utf-8", errors="replace"))
            elif target == "usage":
                path = root / "contracts" / "usage" / "events-0.csv"
                content = mutate_csv(draw, path.read_text(encoding="utf-8", errors="replace"))
            else:
                path = ledger
                text = ledger.read_text()
                if draw(st.booleans()):
                    config = draw(st.sampled_from(LEDGER_CONFIGS))
                    content = text.replace(f'"{{path: contracts, until: {world.until}}}"', config)
                else:
                    content = text.replace('settlement"', 'settlement" "someday"')
                event("ledger: plugin configuration")
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        note(describe_world(world, root))
        began = time.monotonic()
        _, errors, _ = loader.load_file(str(ledger))
        elapsed = time.monotonic() - began
        assert elapsed < SECONDS_PER_CASE
        check_errors_name_real_lines(errors, root, ledger)
        # Compiled again reusing what the edits left unchanged: as compiled afresh.
        texts = read_folder(contracts_folder)
        reused = compile_texts(texts, world.until, frozenset(), before.memo)
        fresh = compile_texts(texts, world.until, frozenset())
        assert compiled_output(reused) == compiled_output(fresh)
        event("errors" if errors else "no error")
        for error in errors[:1]:
            event(f"first error: {str(error.message)[:40]}")
