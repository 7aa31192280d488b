"""The billing engine: contracts and usage → invoices (pure; no I/O, no Beancount).

For each contract line and each of its billing periods (clipped to the line's phase) the line
is priced; percent and amount discounts become their own negative lines; a minimum commitment
adds a true-up line for a shortfall; tax is computed per line. Lines are grouped into one
invoice per contract (or per customer, for `consolidate: true`) per invoice date. Amounts are
rounded half-up to the currency's minor unit per line, so the invoice is the sum of its lines.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import Enum
from typing import NamedTuple

from beanbill import model as m
from beanbill.money import MAX_DIGITS, ZERO, allocate, round_money, too_large
from beanbill.periods import (
    Period,
    add_months,
    billing_periods,
    days_in_month,
    month_end,
    month_spans,
)
from beanbill.pricing import Charge, Measured, PricingError, price
from beanbill.problems import Problem, misspelt_as, subject
from beanbill.usage_measure import UsageIndex, measure

ONE_DAY = datetime.timedelta(days=1)
ONE = Decimal(1)


_NEW_TUPLE = tuple.__new__


class LineKind(Enum):
    CHARGE = "charge"
    DISCOUNT = "discount"
    MINIMUM = "minimum"  # minimum commitment shortfall
    CREDITS = "credits"  # wallet top-up


# The kinds by plain name, for the code that tests every line (as model.ADVANCE, ARREARS).
CHARGE, DISCOUNT, CREDITS = LineKind.CHARGE, LineKind.DISCOUNT, LineKind.CREDITS
MINIMUM = LineKind.MINIMUM


class TaxAmount(NamedTuple):
    tax: str
    account: str
    amount: Decimal
    inclusive: bool = False  # the line's price includes it


class InvoiceLine(NamedTuple):
    """One line of an invoice. A named tuple, not a dataclass: a year of books has hundreds of
    thousands of lines, and a tuple is built (and `_replace`d) several times faster."""

    contract: str
    product: str
    label: str  # what the line is: "Platform", "Launch (10%): Platform", "Minimum commitment..."
    kind: LineKind
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal  # net of tax, rounded; negative for discounts
    taxes: tuple[TaxAmount, ...]
    timing: m.Timing
    service_start: datetime.date
    service_end: datetime.date
    revenue_rule: str | None
    ssp: Decimal | None
    charges: tuple[Charge, ...]
    proration: tuple[int, int]  # (days billed, days of the full cadence period)
    source: m.Source
    # Usage quantity per month end, when a metered line's period spans several months.
    consumed: tuple[tuple[datetime.date, Decimal], ...] = ()
    # Revenue to recognise when it differs from `amount` (allocation by standalone selling
    # price, ASC 606 step 4); None: recognise the line's amount.
    allocated: Decimal | None = None
    milestones: tuple[tuple[datetime.date, Decimal], ...] = ()  # (date, share)
    # How much of quantity x unit price a prorated line bills, for its documents (`proration`
    # metadata): "22/31" (days billed of the cadence period's), or a `per: month` price's
    # months, "17/31 + 2" (17 of January's 31 days and two whole months); "" when it bills
    # quantity x unit price (or is not prorated by days: usage, discounts).
    prorated: str = ""
    # A metered line with free units: what was used in the period, before the line's free
    # units (`free_units`) were taken off it to give `quantity` (None: no free units).
    usage: Decimal | None = None
    free_units: Decimal = ZERO
    # A line of a renewal term: its prices are the signed ones raised by the uplift, "term 2:
    # prices x 1.1025 (uplift 5% a term, compounded)"; "" for a phase as signed.
    renewal: str = ""

    @property
    def tax(self) -> Decimal:
        return sum((t.amount for t in self.taxes), ZERO)

    def with_tax(self, amount: Decimal, taxes: tuple[TaxAmount, ...]) -> InvoiceLine:
        """`_replace(amount=amount, taxes=taxes)` at a third of its cost: every taxed line
        goes through here."""
        line: InvoiceLine = _NEW_TUPLE(InvoiceLine, (*self[:6], amount, taxes, *self[8:]))
        return line

    @property
    def description(self) -> str:
        """The line as an invoice shows it: "Platform, 2026-02-01 to 2026-02-28"."""
        return f"{self.label}, {describe_period(self.service_start, self.service_end)}"


class Invoice(NamedTuple):
    """One invoice: a named tuple, as its lines are (a year of books has tens of thousands)."""

    id: str
    date: datetime.date
    due_date: datetime.date
    customer: m.Customer
    contracts: tuple[str, ...]
    currency: str
    lines: tuple[InvoiceLine, ...]
    source: m.Source  # the (first) contract
    subtotal: Decimal  # the lines' amounts, net of tax
    tax: Decimal
    total: Decimal  # subtotal + tax: what the customer owes

    @property
    def consolidated(self) -> bool:
        """Several contracts' lines on one invoice (a `consolidate: true` customer's)."""
        return len(self.contracts) > 1


@dataclass(frozen=True)
class Billed:
    invoices: tuple[Invoice, ...]  # sorted by (date, id)
    problems: tuple[Problem, ...]
    # Lines billed in arrears whose invoice is dated after the horizon, for service rendered by
    # then: earned, not yet invoiced. Their revenue is accrued (accounting-rules.md).
    accrued: tuple[AccruedLine, ...] = ()


@dataclass(frozen=True)
class AccruedLine:
    """A line of an invoice still to come (dated after the billing horizon)."""

    invoice_id: str  # the id the invoice will have
    invoice_date: datetime.date
    customer: m.Customer
    currency: str
    line: InvoiceLine
    # The horizon, for a fixed-price line whose service runs past it: only what its schedule
    # recognises by then is accrued. None: the service ended by the horizon, all of it is.
    through: datetime.date | None = None


def unpriced_event(
    pricing: m.Pricing, events: Sequence[m.UsageEvent], contract_id: str
) -> tuple[str, Problem] | None:
    """For a matrix with no row for a dimension value the usage has: that value, and the
    problem at the first event with it, where it can be fixed (a new region, or a misspelt
    column)."""
    if not isinstance(pricing, m.Matrix):
        return None
    values = {row.value for row in pricing.rows}
    for event in events:
        value = event.dimension(pricing.dimension) or ""
        if value in values:
            continue
        columns = [name for name, _ in event.dimensions]
        if value:
            why = f'{pricing.dimension} "{value}"'
        elif pricing.dimension in columns:
            why = f"an empty {pricing.dimension}"
        else:
            hint = misspelt_as(pricing.dimension, columns)
            why = f'no {pricing.dimension}: the file has no "{pricing.dimension}" column{hint}'
        return value, Problem(
            event.source,
            f"usage: event of customer {event.customer}, metric {event.metric} on {event.date} "
            f"has {why}, and contract {contract_id} prices {pricing.dimension} "
            f"{', '.join(sorted(values))} only: the line is left off the invoice of every "
            "period with such an event",
        )
    return None


# --- contract terms: phases and renewals ----------------------------------------------------


def contract_phases(contract: m.Contract, until: datetime.date) -> tuple[m.Phase, ...]:
    """The contract's phases, plus one renewal term per renewal that starts by `until` and by
    the renewals' `end`, if they have one: the term it falls in stops there (cut short when
    it is not the term's last day).

    A renewal term repeats the last phase's recurring lines (one-time lines are not renewed)
    with every price raised by the uplift, compounded per renewal.
    """
    renewal = contract.renewal
    if renewal is None or contract.end is None:
        return contract.phases
    phases = list(contract.phases)
    last = contract.phases[-1]
    recurring = tuple(line for line in last.lines if line.billing.months is not None)
    first_start = contract.end + ONE_DAY
    term_start = first_start
    number = 1
    last_day = until if renewal.end is None else min(until, renewal.end)
    while term_start <= last_day and recurring:
        factor = (ONE + renewal.uplift) ** number
        # from the first renewal's start, so that terms never drift (Jan 31, Feb 28, Mar 31)
        term_end = add_months(first_start, number * renewal.term_months) - ONE_DAY
        if renewal.end is not None:
            term_end = min(term_end, renewal.end)
        phases.append(
            replace(
                last,
                name=f"Renewal {number}",
                renewal=number,
                start=term_start,
                end=term_end,
                lines=tuple(
                    replace(line, pricing=uplifted(line.pricing, factor)) for line in recurring
                ),
            )
        )
        term_start = term_end + ONE_DAY
        number += 1
    return tuple(phases)


def uplifted(pricing: m.Pricing, factor: Decimal) -> m.Pricing:
    """Every price of `pricing` multiplied by `factor` (exact; rounding happens per line)."""

    def tiers(ts: tuple[m.Tier, ...]) -> tuple[m.Tier, ...]:
        return tuple(
            replace(t, unit_price=t.unit_price * factor, flat_fee=t.flat_fee * factor) for t in ts
        )

    match pricing:
        case m.FlatFee():
            return replace(pricing, price=pricing.price * factor)
        case m.PerUnit():
            return replace(pricing, unit_price=pricing.unit_price * factor)
        case m.Package():
            return replace(pricing, package_price=pricing.package_price * factor)
        case m.Tiered():
            return replace(pricing, tiers=tiers(pricing.tiers))
        case m.Step():
            return replace(pricing, steps=tiers(pricing.steps))
        case m.Percent():
            return pricing  # a share of the amount processed: nothing to uplift
        case m.Matrix():
            rows = tuple(
                replace(
                    r,
                    unit_price=r.unit_price * factor if r.unit_price is not None else None,
                    tiers=tiers(r.tiers) if r.tiers else None,
                )
                for r in pricing.rows
            )
            return replace(pricing, rows=rows)
        case m.TwoDimensionalTiered():
            grid = tuple(tuple(p * factor for p in row) for row in pricing.unit_prices)
            return replace(pricing, unit_prices=grid)


def contract_end(contract: m.Contract, phases: Sequence[m.Phase]) -> datetime.date | None:
    return phases[-1].end if phases else contract.end


@functools.lru_cache(maxsize=4096)
def contract_periods(
    billing: m.Billing, start: datetime.date, end: datetime.date | None, until: datetime.date
) -> tuple[Period, ...]:
    """The billing periods of a contract's span, computed once for all lines that share them."""
    return tuple(billing_periods(billing, start, end, until))


def line_periods(
    line: m.Line,
    contract: m.Contract,
    phase: m.Phase,
    end: datetime.date | None,
    until: datetime.date,
) -> tuple[Period, ...]:
    """The line's billing periods, cut from the whole contract's calendar and clipped to its phase.

    Periods come from the contract's whole span so that anchors count from the contract start;
    a phase change inside a period splits it into two prorated pieces, each invoiced by its own
    timing (advance: the piece's first day; arrears: the day after its last).
    """
    return phase_periods(line.billing, contract.start, end, until, phase.start, phase.end)


@functools.lru_cache(maxsize=4096)
def phase_periods(
    billing: m.Billing,
    contract_start: datetime.date,
    contract_end: datetime.date | None,
    until: datetime.date,
    phase_start: datetime.date,
    phase_end: datetime.date | None,
) -> tuple[Period, ...]:
    """`line_periods`, computed once for all lines (of all contracts) with the same dates."""
    if billing.months is None:
        return tuple(billing_periods(billing, phase_start, phase_end, until))
    pieces = []
    for period in contract_periods(billing, contract_start, contract_end, until):
        start = max(period.start, phase_start)
        stop = period.end if phase_end is None else min(period.end, phase_end)
        if start > stop:
            continue
        invoice_date = start if billing.timing is m.Timing.ADVANCE else stop + ONE_DAY
        pieces.append(Period(start, stop, period.full_start, period.full_end, invoice_date))
    return tuple(pieces)


def invoice_id_of(prefix: str, owner: str, date: datetime.date) -> str:
    """`<prefix>-<contract, or consolidated customer>-<yyyymmdd>` (contract-format.md)."""
    return f"{prefix}-{owner}-{date.isoformat().replace('-', '')}"


# --- pricing one line for one period ---------------------------------------------------------


def proration_text(pricing: m.Pricing, period: Period) -> str:
    """How much of quantity x price an unmetered line bills for `period`, as `InvoiceLine.
    prorated` writes it: "" for exactly one cadence period (or one month of a `per: month`
    price)."""
    if isinstance(pricing, m.FlatFee) and pricing.per_month:
        parts: list[str] = []
        whole = 0  # whole months in a row
        for days, month_days in month_shares(period):
            if days == month_days:
                whole += 1
                continue
            if whole:
                parts.append(str(whole))
                whole = 0
            parts.append(f"{days}/{month_days}")
        if whole:
            parts.append(str(whole))
        return "" if parts == ["1"] else " + ".join(parts)
    return day_share(*period.proration())


def month_shares(period: Period) -> Iterator[tuple[int, int]]:
    """The days of each calendar month `period` covers, and that month's days, in order."""
    for start, end in month_spans(period.start, period.end):
        yield (end - start).days + 1, days_in_month(start.year, start.month)


def day_share(days: int, full_days: int) -> str:
    """`InvoiceLine.prorated` of a line billed for `days` of a cadence period's `full_days`."""
    return "" if days == full_days else f"{days}/{full_days}"


def prorated_flat_fee(pricing: m.FlatFee, period: Period) -> Decimal:
    """The flat fee for a (possibly partial) period: by days of the cadence period, or of each
    calendar month for a `per: month` price."""
    if pricing.per_month:
        total = ZERO
        for days, month_days in month_shares(period):
            total += pricing.price * Decimal(days) / Decimal(month_days)
        return total
    days, full_days = period.proration()
    if days == full_days:
        return pricing.price
    return pricing.price * days / full_days


@dataclass(frozen=True)
class LineTerms:
    """What pricing a contract line needs of the catalog, looked up once per line (not once
    per billing period)."""

    product: m.Product
    kind: LineKind
    revenue_rule: str | None
    ssp: Decimal | None
    biller: str  # who bills the line's usage, for the double-billing check
    renewal: str  # `InvoiceLine.renewal`


def renewal_note(renewal: m.Renewal | None, term: int) -> str:
    """`InvoiceLine.renewal` of a line of renewal term `term` (0: a phase as signed, "")."""
    if renewal is None or not term:
        return ""
    uplift = f"{(renewal.uplift * 100).normalize():f}%"
    factor = f"{((ONE + renewal.uplift) ** term).normalize():f}"
    compounded = ", compounded" if term > 1 else ""
    return f"term {term}: prices x {factor} (uplift {uplift} a term{compounded})"


@dataclass
class Engine:
    contracts: m.ContractSet
    until: datetime.date

    def __post_init__(self) -> None:
        self.catalog = self.contracts.catalog
        self.usage = UsageIndex(self.contracts.usage)
        self.problems: list[Problem] = []
        self.too_large: set[m.Source] = set()  # lines with a charge too large to bill
        self.unpriced: set[tuple[m.Source, str]] = set()  # (line, dimension value) said

    def bill(self) -> Billed:
        invoices: list[Invoice] = []
        accrued: list[AccruedLine] = []
        for customer in self.contracts.customers:
            customer_invoices, customer_accrued = self.bill_customer(customer)
            invoices += customer_invoices
            accrued += customer_accrued
        invoices.sort(key=lambda inv: (inv.date, inv.id))
        accrued.sort(key=lambda a: (a.invoice_date, a.invoice_id))
        return Billed(tuple(invoices), self.finish(), tuple(accrued))

    def bill_customer(self, customer: m.Customer) -> tuple[list[Invoice], list[AccruedLine]]:
        """The customer's invoices and accrued lines (contract by contract, date by date). The
        problems found are kept for `finish`; each invoice id is checked against the customers
        billed before."""
        # keyed by contract (or the customer, when consolidated), then date
        lines_by_key: dict[tuple[str, datetime.date], list[InvoiceLine]] = {}
        contract_of: dict[tuple[str, datetime.date], list[m.Contract]] = {}
        until = self.until
        prefix = self.catalog.company.invoice_prefix
        accrued: list[AccruedLine] = []
        for contract in customer.contracts:
            owner = customer.id if customer.consolidate else contract.id
            for date, lines in self.contract_lines(customer, contract).items():
                if date > until:
                    accrued += self.accrued_lines(
                        invoice_id_of(prefix, owner, date), date, customer, contract, lines
                    )
                    continue
                key = (owner, date)
                if key not in lines_by_key:
                    lines_by_key[key] = lines
                    contract_of[key] = [contract]
                    continue
                lines_by_key[key].extend(lines)
                if contract not in contract_of[key]:
                    contract_of[key].append(contract)
        invoices = []
        for (owner, date), lines in lines_by_key.items():
            kept = tuple([line for line in lines if line.amount or line.taxes])
            if not kept:
                continue
            contracts = contract_of[(owner, date)]  # one currency: load.py sees to it
            invoice_id = invoice_id_of(prefix, owner, date)
            subtotal = sum([line.amount for line in kept], ZERO)
            tax = sum([t.amount for line in kept for t in line.taxes], ZERO)
            invoices.append(
                Invoice(
                    id=invoice_id,
                    date=date,
                    due_date=date
                    + datetime.timedelta(days=min([c.payment_terms.days for c in contracts])),
                    customer=customer,
                    contracts=tuple([c.id for c in contracts]),
                    currency=contracts[0].currency,
                    lines=kept,
                    source=contracts[0].source,
                    subtotal=subtotal,
                    tax=tax,
                    total=subtotal + tax,
                )
            )
        return invoices, accrued

    def accrued_lines(
        self,
        invoice_id: str,
        date: datetime.date,
        customer: m.Customer,
        contract: m.Contract,
        lines: list[InvoiceLine],
    ) -> list[AccruedLine]:
        """The lines of an invoice dated after the horizon whose revenue is earned by then: those
        billed in arrears for service that ended by the horizon, and the fixed-price ones whose
        service started by then (their amount is known; a metered line's usage is not complete
        until its period ends, so it waits for its invoice)."""
        until = self.until
        products = self.catalog.products
        accrued = []
        for line in lines:
            if (
                line.timing is not m.ARREARS
                or line.kind is CREDITS
                or line.revenue_rule is None
                or not (line.amount or line.allocated)
                or line.service_start > until
            ):
                continue
            if line.service_end <= until:
                accrued.append(AccruedLine(invoice_id, date, customer, contract.currency, line))
            elif products[line.product].metric is None:
                accrued.append(
                    AccruedLine(invoice_id, date, customer, contract.currency, line, until)
                )
        return accrued

    def finish(self) -> tuple[Problem, ...]:
        """Every problem found, once the last customer is billed (usage that no line billed,
        or that two lines would both bill, is only known then)."""
        self.report_unused_usage()
        self.report_double_billed_usage()
        return tuple(sorted(set(self.problems)))

    def contract_lines(
        self, customer: m.Customer, contract: m.Contract
    ) -> dict[datetime.date, list[InvoiceLine]]:
        """The contract's invoice lines by invoice date, phase after phase."""
        phases = contract_phases(contract, self.until)
        end = contract_end(contract, phases)
        currency = contract.currency
        result: dict[datetime.date, list[InvoiceLine]] = {}
        for phase in phases:
            taxes = TaxPlan.of([self.catalog.tax_rates[t] for t in phase.taxes])
            dated: dict[datetime.date, list[InvoiceLine]] = {}
            for line in phase.lines:
                terms = self.line_terms(contract, line, phase)
                for period in line_periods(line, contract, phase, end, self.until):
                    priced = self.price_line(customer, contract, line, terms, period)
                    if priced is not None:
                        dated.setdefault(period.invoice_date, []).append(priced)
            for date, charged in dated.items():
                dated[date] = charged + self.discounts(phase, charged, currency)
            for date, shortfalls in self.minimum(contract, phase, dated).items():
                dated[date] += shortfalls
            for date, lines in dated.items():
                dated[date] = taxed(lines, taxes, currency)
            self.allocate(phase, dated, currency)
            for date, lines in dated.items():
                result.setdefault(date, []).extend(lines)
        return result

    def allocate(
        self, phase: m.Phase, dated: dict[datetime.date, list[InvoiceLine]], currency: str
    ) -> None:
        """ASC 606 step 4: when every fixed-price line of a (bounded) phase has a standalone
        selling price and the phase sells more than one fixed-price product, the phase's
        fixed transaction price is allocated to its products (the performance obligations) by
        their SSP weights (recurring: ssp x service days / 365; one-time: ssp x quantity), and
        each product's share to its invoice lines in proportion to what they bill. Each
        invoice line then recognises its allocated amount; the invoices keep the billed prices.
        A product's share follows its own billing: the periods of one product are not
        reweighted against each other (a support fee of 1,000.00 a month stays 1,000.00 a
        month, whatever the days of the month)."""
        products = self.catalog.products
        fixed_lines = [
            line
            for line in phase.lines
            if not line.credits and products[line.product].metric is None
        ]
        if phase.end is None or not fixed_lines:
            return
        if any(line.ssp is None and products[line.product].ssp is None for line in fixed_lines):
            return  # a fixed-price line without SSP: nothing to allocate by
        fixed = {line.product for line in fixed_lines}
        if len(fixed) < 2:
            return  # one obligation: its price is all its own, nothing to allocate
        pieces = [  # (date, index in the date's lines, line), in date order
            (date, index, line)
            for date in sorted(dated)
            for index, line in enumerate(dated[date])
            if line.product in fixed and line.kind in (LineKind.CHARGE, LineKind.DISCOUNT)
        ]
        charges = [piece for piece in pieces if piece[2].kind is LineKind.CHARGE]
        if not charges:
            return
        one_time = {line.product for line in phase.lines if line.billing.months is None}
        # per product, in the order met: its charges and their SSP weights
        by_product: dict[str, list[tuple[tuple[datetime.date, int, InvoiceLine], Decimal]]] = {}
        for charge in charges:
            line = charge[2]
            assert line.ssp is not None
            if line.product in one_time:
                weight = line.ssp * (line.quantity or Decimal(1))
            else:
                weight = line.ssp * Decimal((line.service_end - line.service_start).days + 1) / 365
            by_product.setdefault(line.product, []).append((charge, weight))
        price = sum((line.amount for _, _, line in pieces), ZERO)
        product_shares = allocate(
            price, [sum((w for _, w in items), ZERO) for items in by_product.values()], currency
        )
        for items, product_share in zip(by_product.values(), product_shares, strict=True):
            billed = [charge[2].amount for charge, _ in items]
            weights = billed if sum(billed, ZERO) > ZERO else [w for _, w in items]
            for ((date, index, line), _), share in zip(
                items, allocate(product_share, weights, currency), strict=True
            ):
                dated[date][index] = line._replace(allocated=share)
        for date, index, line in pieces:
            if line.kind is LineKind.DISCOUNT:  # already inside the allocated price
                dated[date][index] = line._replace(allocated=ZERO)

    def line_terms(self, contract: m.Contract, line: m.Line, phase: m.Phase) -> LineTerms:
        product = self.catalog.products[line.product]
        return LineTerms(
            product=product,
            kind=LineKind.CREDITS if line.credits else LineKind.CHARGE,
            revenue_rule=None if line.credits else product.revenue_rule,
            ssp=line.ssp if line.ssp is not None else product.ssp,
            biller=f"contract {contract.id}, product {line.product}",
            renewal=renewal_note(contract.renewal, phase.renewal),
        )

    def price_line(
        self,
        customer: m.Customer,
        contract: m.Contract,
        line: m.Line,
        terms: LineTerms,
        period: Period,
    ) -> InvoiceLine | None:
        product = terms.product
        unit_price: Decimal | None = None
        consumed: tuple[tuple[datetime.date, Decimal], ...] = ()
        days, full_days = period.proration()
        prorated = ""
        usage: Decimal | None = None
        if product.metric is None:
            quantity: Decimal = line.quantity
            prorated = proration_text(line.pricing, period)
            if isinstance(line.pricing, m.FlatFee):
                exact = prorated_flat_fee(line.pricing, period) * quantity
                unit_price = line.pricing.price
                charges: tuple[Charge, ...] = ()
            else:
                priced = price(line.pricing, Measured(quantity=quantity))
                exact = priced.amount
                if days != full_days:
                    exact = exact * days / full_days
                charges = priced.charges
        else:
            events = self.usage.between(
                customer.id, product.metric, period.start, period.end, terms.biller
            )
            second: Sequence[m.UsageEvent] = ()
            if isinstance(line.pricing, m.TwoDimensionalTiered):
                second = self.usage.between(
                    customer.id, line.pricing.second_metric, period.start, period.end
                )
            measured = measure(events, product, line.pricing, line.free_units, second)
            try:
                priced = price(line.pricing, measured)
            except PricingError as error:
                unpriced = unpriced_event(line.pricing, events, contract.id)
                if unpriced is None:
                    self.problems.append(
                        Problem(
                            line.source,
                            f"{subject(customer.id, contract.id)}{line.product}: {error}",
                        )
                    )
                elif (line.source, unpriced[0]) not in self.unpriced:  # said once, not monthly
                    self.unpriced.add((line.source, unpriced[0]))
                    self.problems.append(unpriced[1])
                return None
            exact, charges, quantity = priced.amount, priced.charges, measured.quantity
            consumed = consumption(events, period)
            if line.free_units:
                usage = measured.used
        if too_large(exact):  # e.g. an 18-digit price x quantity, or an uplift compounded
            if line.source not in self.too_large:  # the first period says it; the rest follow
                self.too_large.add(line.source)
                self.problems.append(
                    Problem(
                        line.source,
                        f"{subject(customer.id, contract.id)}{line.product}: the charge for "
                        f"{describe_period(period.start, period.end)} is too large to bill "
                        f"({exact:.3E} {contract.currency}; amounts have at most {MAX_DIGITS} "
                        "digits before the decimal point): it is left off its invoice, and so "
                        "is the line's charge for any later period as large",
                    )
                )
            return None
        amount = round_money(exact, contract.currency)
        if amount < ZERO:  # usage events with negative amounts (percent pricing of refunds)
            self.problems.append(
                Problem(
                    line.source,
                    f"{subject(customer.id, contract.id)}{line.product}: the usage of "
                    f"{describe_period(period.start, period.end)} nets to {amount} "
                    f"{contract.currency}, below zero. An invoice line is never negative, so "
                    "this one is left off its invoice: give money back with a credit memo, and "
                    'to bill such a period nothing, add min: "0" to the pricing',
                )
            )
            return None
        if unit_price is None and len(charges) == 1 and charges[0].quantity == quantity:
            # one charge of the line's whole quantity: quantity x unit_price is the amount
            # (not a package count or a tier's flat fee)
            unit_price = charges[0].unit_price
        return InvoiceLine(
            contract.id,
            line.product,
            product.name,
            terms.kind,
            quantity,
            unit_price,
            amount,
            (),
            line.billing.timing,
            period.start,
            period.end,
            terms.revenue_rule,
            terms.ssp,
            charges,
            (days, full_days),
            line.source,
            consumed,
            None,
            line.milestones,
            prorated,
            usage,
            line.free_units if usage is not None else ZERO,
            terms.renewal,
        )

    def discounts(
        self, phase: m.Phase, lines: list[InvoiceLine], currency: str
    ) -> list[InvoiceLine]:
        """One negative line per discounted line; amount discounts spread by line amounts.

        Discounts apply in their order, each to what the earlier ones left of a line, so that
        together they never take a line (or the invoice) below zero.
        """
        if not phase.discounts:
            return []
        left = [line.amount for line in lines]  # what earlier discounts left of each line
        result = []
        for discount in phase.discounts:
            targets = [
                i
                for i, line in enumerate(lines)
                if line.kind is LineKind.CHARGE
                and left[i] > ZERO
                and (discount.products is None or line.product in discount.products)
                and (discount.start is None or line.service_start >= discount.start)
                and (discount.end is None or line.service_start <= discount.end)
            ]
            if not targets:
                continue
            if discount.percent is not None:
                amounts = [round_money(left[i] * discount.percent, currency) for i in targets]
                label = f"{discount.name} ({(discount.percent * 100).normalize():f}%)"
            else:
                assert discount.amount is not None
                total = min(discount.amount, sum((left[i] for i in targets), ZERO))
                amounts = allocate(total, [left[i] for i in targets], currency)
                label = discount.name
            for i, amount in zip(targets, amounts, strict=True):
                left[i] -= amount
                target = lines[i]
                result.append(
                    target._replace(
                        kind=LineKind.DISCOUNT,
                        label=f"{label}: {target.label}",
                        quantity=None,
                        unit_price=None,
                        amount=-amount,
                        charges=(),
                        source=discount.source,
                        prorated="",  # a share of the line it discounts, which says it
                        renewal="",  # likewise
                    )
                )
        return result

    def minimum(
        self, contract: m.Contract, phase: m.Phase, dated: dict[datetime.date, list[InvoiceLine]]
    ) -> dict[datetime.date, list[InvoiceLine]]:
        """True-up lines, by invoice date, for the billing periods whose covered products'
        discounted charges fall short. A period's charges may sit on two invoices (a fee in
        advance, usage in arrears): its true-up goes on the later one, once all are known,
        posted like the charge there of the product the commitment lists first (its account
        and revenue rule; not its usage, which the recognition of a true-up does not follow:
        `recognition.earned_when_its_period_ends`). The order of the contract's lines does not
        matter."""
        commitment = phase.minimum_commitment
        if commitment is None:
            return {}
        rank = {product: index for index, product in enumerate(commitment.products)}
        spent: dict[tuple[datetime.date, datetime.date], Decimal] = {}
        last: dict[tuple[datetime.date, datetime.date], tuple[datetime.date, InvoiceLine]] = {}
        for date in sorted(dated):
            for line in dated[date]:
                if line.product not in rank:
                    continue
                period = (line.service_start, line.service_end)
                spent[period] = spent.get(period, ZERO) + line.amount
                if line.kind is LineKind.CHARGE and (
                    period not in last
                    or last[period][0] < date
                    or rank[line.product] < rank[last[period][1].product]
                ):  # on the period's last invoice, the charge of the first product listed
                    last[period] = (date, line)
        result: dict[datetime.date, list[InvoiceLine]] = {}
        for period in sorted(last):
            date, charge = last[period]
            days, full_days = charge.proration
            due = round_money(commitment.amount * days / full_days, contract.currency)
            if spent[period] < due:
                result.setdefault(date, []).append(
                    charge._replace(
                        kind=LineKind.MINIMUM,
                        label="Minimum commitment shortfall",
                        quantity=None,
                        unit_price=None,
                        amount=due - spent[period],
                        charges=(),
                        source=commitment.source,
                        prorated=day_share(days, full_days),
                        renewal="",  # a commitment is not raised by a renewal's uplift
                        consumed=(),  # the usage is the charge's: a true-up is earned when
                        milestones=(),  # its period ends, whatever the usage's days
                        usage=None,
                        free_units=ZERO,
                    )
                )
        return result

    def report_double_billed_usage(self) -> None:
        """Usage that two contract lines would both bill: an error, never silently twice."""
        for (first, second), events in sorted(
            self.usage.double_billed().items(), key=lambda item: item[1][0].source
        ):
            event = events[0]
            self.problems.append(
                Problem(
                    event.source,
                    f"usage: {len(events)} event(s) of customer {event.customer}, metric "
                    f"{event.metric}, from {event.date} on, would be billed twice: by {first} "
                    f"and by {second}; give the lines different metrics or periods that do "
                    "not overlap",
                )
            )

    def report_unused_usage(self) -> None:
        """Events in no billing period. Those after `until` wait for a later run (an evergreen
        contract's periods stop at `until`), unless no contract could ever bill them: dated
        after every contract of the customer with that metric ended, or with none."""
        customers = {customer.id: customer for customer in self.contracts.customers}
        spans_of: dict[tuple[str, str], list[tuple[str, Span]]] = {}  # by (customer, metric)
        for event in self.usage.unused():
            spans = spans_of.get((event.customer, event.metric))
            if spans is None:
                owner = customers.get(event.customer)
                spans = spans_of[event.customer, event.metric] = [
                    (contract.id, span)
                    for contract in (owner.contracts if owner is not None else ())
                    if (span := metered_span(contract, event.metric, self.catalog.products))
                ]
            if event.date > self.until and any(
                end is None or event.date <= end for _, (_, end) in spans
            ):
                continue
            self.problems.append(Problem(event.source, unused_usage(event, spans, self.until)))


Span = tuple[datetime.date, datetime.date | None]  # first and last day; None: no end


def metered_span(contract: m.Contract, metric: str, products: dict[str, m.Product]) -> Span | None:
    """The first and last day `contract` meters `metric` (no last day when it renews up to the
    horizon or is evergreen); None when no line of it does."""
    phases = [
        phase
        for phase in contract.phases
        if any(
            (product := products.get(line.product)) is not None and product.metric == metric
            for line in phase.lines
        )
    ]
    if not phases:
        return None
    if phases[-1] is not contract.phases[-1]:
        return phases[0].start, phases[-1].end
    end = contract.end
    if end is not None and contract.renewal is not None:
        end = contract.renewal.end  # renewal terms repeat the last phase's lines
    return phases[0].start, end


def unused_usage(
    event: m.UsageEvent, spans: Sequence[tuple[str, Span]], until: datetime.date
) -> str:
    """Why no invoice bills `event`, naming the customer's contracts with its metric, and what
    to do about it."""
    head = f"usage: event of customer {event.customer}, metric {event.metric} on {event.date}"
    if not spans:
        return (
            f"{head}: no contract of the customer has a line with that metric, so no invoice "
            "bills it; remove the row, or correct its customer or metric"
        )
    named = "; ".join(
        f"{contract_id}: {start} to {end}" if end else f"{contract_id}: from {start}, no end"
        for contract_id, (start, end) in spans
    )
    which = (
        "the customer's contract with that metric"
        if len(spans) == 1
        else "every contract of the customer with that metric"
    )
    if all(event.date < start for _, (start, _) in spans):
        why = f"is before {which} starts ({named})"
    elif all(end is not None and event.date > end for _, (_, end) in spans):
        why = f"is after {which} ends ({named})"
    else:
        why = (
            f"falls in no billing period of a line with that metric ({named}; billed up to {until})"
        )
    return f"{head} {why}, so no invoice bills it; remove the row, or correct its date or customer"


@dataclass(frozen=True)
class TaxPlan:
    """A phase's tax rates, worked out once for all its lines."""

    rates: tuple[m.TaxRate, ...]
    inclusive_rate: Decimal  # the inclusive rates together (zero: all exclusive)
    last_inclusive: int  # index of the inclusive rate that takes the rounding rest (-1: none)
    # amount → (net, tax per rate, the line's TaxAmounts): a phase bills the same amounts
    # period after period. (Line amounts are rounded to the currency's minor unit, so equal
    # amounts are written alike.)
    _charged: dict[Decimal, tuple[Decimal, list[Decimal], tuple[TaxAmount, ...]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, rates: Sequence[m.TaxRate]) -> TaxPlan:
        inclusive = [i for i, r in enumerate(rates) if r.inclusive]
        return cls(
            tuple(rates),
            sum((rates[i].rate for i in inclusive), ZERO),
            inclusive[-1] if inclusive else -1,
        )

    def split(self, amount: Decimal, currency: str) -> tuple[Decimal, list[Decimal]]:
        """The net of `amount` and its tax per rate, each rounded: an exclusive rate adds
        round(net x rate); inclusive rates take round(amount / (1 + their rates)) as the net
        and share exactly amount - net (the last inclusive rate takes the rounding rest)."""
        if self.last_inclusive < 0:
            return amount, [round_money(amount * r.rate, currency) for r in self.rates]
        net = round_money(amount / (ONE + self.inclusive_rate), currency)
        taxes = [round_money(net * r.rate, currency) for r in self.rates]
        last = self.last_inclusive
        others = sum(
            (t for i, t in enumerate(taxes) if self.rates[i].inclusive and i != last), ZERO
        )
        taxes[last] = amount - net - others
        return net, taxes

    def amounts(self, amounts: list[Decimal]) -> tuple[TaxAmount, ...]:
        """The non-zero taxes of a line, one per rate."""
        return tuple(
            [
                TaxAmount(r.id, r.account, tax, r.inclusive)
                for r, tax in zip(self.rates, amounts, strict=True)
                if tax
            ]
        )

    def charge(
        self, amount: Decimal, currency: str
    ) -> tuple[Decimal, list[Decimal], tuple[TaxAmount, ...]]:
        """`split` of a charge, with the line's TaxAmounts, worked out once per amount (a plan
        serves one phase of one contract, in one currency)."""
        charged = self._charged.get(amount)
        if charged is None:
            net, taxes = self.split(amount, currency)
            charged = self._charged[amount] = (net, taxes, self.amounts(taxes))
        return charged


def taxed(lines: list[InvoiceLine], plan: TaxPlan, currency: str) -> list[InvoiceLine]:
    """Tax per line, rounded per line; inclusive rates take their tax out of the price.

    A discount line is taxed by what it changes in the tax of the line it discounts, so a
    line and its discounts carry together the tax of their net amount, rounded once: a fully
    discounted line carries no tax, and discounts never make the tax negative.
    """
    if not plan.rates:
        return lines
    # per charge (a discount copies its product and service period, one line per product per
    # phase): the amount of the charge and its discounts so far, its net and its taxes
    chains: dict[tuple[str, datetime.date, datetime.date], tuple[Decimal, Decimal, list[Decimal]]]
    chains = {}
    result = []
    for line in lines:
        if line.kind is CREDITS:
            result.append(line)
            continue
        key = (line.product, line.service_start, line.service_end)
        if line.kind is DISCOUNT:
            before, net_before, taxes_before = chains[key]
            after = before + line.amount
            net, taxes = plan.split(after, currency)
            chains[key] = (after, net, taxes)
            amounts = [tax - earlier for tax, earlier in zip(taxes, taxes_before, strict=True)]
            result.append(line.with_tax(net - net_before, plan.amounts(amounts)))
            continue
        net, amounts, line_taxes = plan.charge(line.amount, currency)
        if line.kind is CHARGE:
            chains[key] = (line.amount, net, amounts)
        result.append(line.with_tax(net, line_taxes))
    return result


def consumption(
    events: Sequence[m.UsageEvent], period: Period
) -> tuple[tuple[datetime.date, Decimal], ...]:
    """Usage per month end, for recognising a period that spans months as it was consumed."""
    start, end = period.start, period.end
    if (start.year, start.month) == (end.year, end.month):
        return ()
    by_month: dict[datetime.date, Decimal] = {}
    for event in events:
        key = month_end(event.date)
        by_month[key] = by_month.get(key, ZERO) + event.quantity
    return tuple(sorted(by_month.items()))


def describe_period(start: datetime.date, end: datetime.date) -> str:
    if start == end:
        return start.isoformat()
    return f"{start.isoformat()} to {end.isoformat()}"


def bill(contracts: m.ContractSet, until: datetime.date) -> Billed:
    """Every invoice of every contract dated on or before `until`."""
    return Engine(contracts, until).bill()
