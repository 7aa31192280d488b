"""Load a contracts folder (catalog.yaml, customers/*.yaml, usage/*.csv) into the model.

`load_folder` reads the files (`read_folder`) and validates them; `load_texts` does the
validation on texts already read, so tests and the plugin share one path. Every problem names
its file, line and the customer or contract it is about; a customer file with a problem is
left out whole (never half-loaded), and a broken catalog stops everything that depends on it.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import Enum
from typing import NamedTuple, TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode

from beanbill import model as m
from beanbill.money import currency_hint, known_currencies
from beanbill.problems import Problem, at, meant_hint, meant_note, shown, subject
from beanbill.usage import read_usage
from beanbill.yamlread import (
    STR,
    Document,
    Fields,
    Invalid,
    as_bool,
    as_date,
    as_decimal,
    as_int,
    as_list,
    as_percent,
    as_str,
    describe,
    error_line,
)

E = TypeVar("E", bound=Enum)
T = TypeVar("T")


class Reported(Invalid):
    """Problems inside an item, each already reported: the item is given up without another."""

    def __init__(self) -> None:
        super().__init__(None, "")


ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
COMPONENT_RE = re.compile(r"[A-Z0-9][A-Za-z0-9-]*")
ACCOUNT_RE = re.compile(r"(Assets|Liabilities|Equity|Income|Expenses)(:[A-Z0-9][A-Za-z0-9-]*)+")
TERMS_RE = re.compile(r"net (\d{1,4})|due on receipt")
EVERY_RE = re.compile(r"every (\d{1,3}) months?")
ADJUSTMENT_TYPES = ("credit_memo", "debit_memo", "write_off", "credit", "refund")
CADENCES = {"monthly": 1, "quarterly": 3, "semi_annual": 6, "annual": 12}
ONE_TIME = "one_time"


def describe_billing_period(billing: m.Billing) -> str:
    """ "monthly", "every 2 months (start anchor)": a line's billing period, as written."""
    months = billing.months
    names = {number: name for name, number in CADENCES.items()}
    cadence = ONE_TIME if months is None else names.get(months, f"every {months} months")
    return (
        cadence
        if billing.anchor is m.Anchor.CALENDAR
        else f"{cadence} ({billing.anchor.value} anchor)"
    )


DEFAULT_BILLING = m.Billing(months=1, timing=m.Timing.ADVANCE, anchor=m.Anchor.CALENDAR)
# What a contract's lines are checked against when its own billing has a problem: nothing a
# line says contradicts it (a metered line must bill in arrears, and not one_time).
LENIENT_BILLING = m.Billing(months=1, timing=m.Timing.ARREARS, anchor=m.Anchor.CALENDAR)
METERED_ONLY = (m.Percent, m.Matrix, m.TwoDimensionalTiered)


@dataclass
class Collector:
    """Problems found so far; `item` turns an `Invalid` inside it into a `Problem`."""

    problems: list[Problem] = field(default_factory=list)

    def item(self, doc: Document, prefix: str = "") -> Item:
        return Item(self, doc, prefix)

    def add(self, doc: Document, error: Invalid, prefix: str = "") -> None:
        line = error_line(error)
        source = m.Source(doc.file, line) if line else doc.source(error.node)
        self.problems.append(Problem(source, prefix + error.message))

    def count(self) -> int:
        return len(self.problems)


class Item:
    """`with out.item(doc, prefix):` an `Invalid` raised inside becomes a problem of `out`
    (one already reported, `Reported`, is dropped), and the reading goes on after the block.
    A class, not a generator: there is one per contract, phase and product line."""

    __slots__ = ("doc", "out", "prefix")

    def __init__(self, out: Collector, doc: Document, prefix: str) -> None:
        self.out, self.doc, self.prefix = out, doc, prefix

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> bool:
        if not isinstance(error, Invalid):
            return False
        if self.doc.budget < 0:
            return False  # an alias bomb: the whole file is given up, with one problem
        if not isinstance(error, Reported):
            self.out.add(self.doc, error, self.prefix)
        return True


def _enum(node: Node, what: str, kind: type[E]) -> E:
    text = as_str(node, what)
    for member in kind:
        if member.value == text:
            return member
    values = [member.value for member in kind]
    hint = meant_note(text, values)
    raise Invalid(node, f'{what} "{text}" is not one of {" | ".join(values)}{hint}')


def _id_map(
    doc: Document,
    node: Node | None,
    what: str,
    read: Callable[[str, Node], object],
    out: Collector,
) -> None:
    """Read a mapping of id → definition, each read by `read`, checking ids."""
    if node is None:
        return
    fields = Fields(doc, node, what)
    for key in fields.names():
        value = fields.optional(key)
        with out.item(doc):
            if not ID_RE.fullmatch(key):
                raise Invalid(fields.key_node(key), f'{what}: id "{key}" is not valid')
            if value is None:
                raise Invalid(fields.key_node(key), f'{what}: "{key}" has no definition')
            read(key, value)


# --- catalog.yaml --------------------------------------------------------------------------


def _payment_terms(node: Node, what: str) -> m.PaymentTerms:
    text = as_str(node, what)
    match = TERMS_RE.fullmatch(text.strip().lower())
    if match is None:
        raise Invalid(node, f'{what} "{text}" must be "net N" or "due on receipt"')
    return m.PaymentTerms(int(match.group(1)) if match.group(1) else 0)


MAX_TERM_MONTHS = 1200  # a renewal term of more than a century is a typo (and overflowed)


def _term_months(node: Node) -> int:
    months = as_int(node, "renewal term_months", 1)
    if months > MAX_TERM_MONTHS:
        raise Invalid(node, f"renewal term_months must be at most {MAX_TERM_MONTHS} (got {months})")
    return months


def fields_of(doc: Document, node: Node, what: str) -> Fields:
    """The `Fields` of a contract or an adjustment; a problem with its keys (a key given twice)
    names it by its id, when it has one: `contract ACME-1: key "end" is given twice`."""
    try:
        return Fields(doc, node, what)
    except Invalid as error:
        named = _written_id(node)
        if named is None:
            raise
        raise Invalid(error.node, f"{what} {named}{error.message.removeprefix(what)}") from error


def _written_id(node: Node) -> str | None:
    """The `id` a mapping gives, as written, read without `Fields`."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == "id" and isinstance(value, ScalarNode):
                return str(value.value)
    return None


def _currency(node: Node, what: str) -> str:
    code = as_str(node, what)
    if code not in known_currencies():
        hint = currency_hint(code)
        raise Invalid(node, f'{what} "{code}" is not an ISO 4217 currency code{hint}')
    return code


def _text(node: Node, what: str, *, one_line: bool = False) -> str:
    """Text a document prints as written: a string (a YAML `|` block keeps its lines), not a
    number, list or mapping, and not empty; the lines' trailing spaces and the blank lines
    before and after them are dropped."""
    if isinstance(node, ScalarNode) and node.tag != STR:
        raise Invalid(node, f'{what} must be a string, not {describe(node)} (quote it: "...")')
    lines = [line.rstrip() for line in as_str(node, what).splitlines()]
    while not lines[0]:
        lines.pop(0)
    while not lines[-1]:
        lines.pop()
    if one_line and len(lines) > 1:
        raise Invalid(node, f"{what} must be one line, not {len(lines)}")
    return "\n".join(lines)


def _account(node: Node, what: str, root: str) -> str:
    name = as_str(node, what)
    if not ACCOUNT_RE.fullmatch(name):
        raise Invalid(node, f'{what} "{name}" is not a valid Beancount account name')
    if not (name == root or name.startswith(root + ":")):
        raise Invalid(node, f'{what} "{name}" must be {root} or one of its sub-accounts')
    return name


def _catalog(doc: Document, out: Collector) -> m.Catalog | None:
    before = out.count()
    if doc.root is None:
        out.problems.append(Problem(doc.source(None), "catalog.yaml is empty"))
        return None
    top = Fields(doc, doc.root, "catalog")
    company: m.Company | None = None
    with out.item(doc):
        node = top.required("company")
        f = Fields(doc, node, "company")
        company = m.Company(
            name=as_str(f.required("name"), "company name"),
            currency=_currency(f.required("currency"), "company currency"),
            payment_terms=(
                _payment_terms(n, "payment_terms")
                if (n := f.optional("payment_terms"))
                else m.PaymentTerms(30)
            ),
            invoice_prefix=(
                as_str(n, "invoice_prefix", ID_RE) if (n := f.optional("invoice_prefix")) else "INV"
            ),
            source=doc.source(node),
            address=_text(n, "company address") if (n := f.optional("address")) else None,
            tax_id=(
                _text(n, "company tax_id", one_line=True) if (n := f.optional("tax_id")) else None
            ),
            payment_instructions=(
                _text(n, "company payment_instructions")
                if (n := f.optional("payment_instructions"))
                else None
            ),
        )
        f.done()

    taxes: dict[str, m.TaxRate] = {}

    def read_tax(key: str, node: Node) -> None:
        f = Fields(doc, node, f"tax rate {key}")
        taxes[key] = m.TaxRate(
            id=key,
            name=as_str(f.required("name"), f"tax rate {key}: name"),
            rate=as_percent(f.required("rate"), f"tax rate {key}: rate"),
            account=_account(
                f.required("account"), f"tax rate {key}: account", "Liabilities:SalesTax"
            ),
            inclusive=as_bool(n, f"tax rate {key}: inclusive")
            if (n := f.optional("inclusive"))
            else False,
            source=doc.source(node),
        )
        f.done()

    rules: dict[str, m.RevenueRule] = {}
    rule_ids: set[str] = set()  # defined, valid or not: a broken rule is reported once

    def read_rule(key: str, node: Node) -> None:
        rule_ids.add(key)
        f = Fields(doc, node, f"revenue rule {key}")
        method = _enum(f.required("method"), f"revenue rule {key}: method", m.RecognitionMethod)
        rules[key] = m.RevenueRule(
            id=key,
            method=method,
            account=_account(f.required("account"), f"revenue rule {key}: account", "Income"),
            source=doc.source(node),
        )
        f.done()

    products: dict[str, m.Product] = {}

    def read_product(key: str, node: Node) -> None:
        what = f"product {key}"
        f = Fields(doc, node, what)
        rule_node = f.optional("revenue_rule")
        rule = as_str(rule_node, f"{what}: revenue_rule") if rule_node else None
        if rule_node is not None and rule not in rule_ids:
            raise Invalid(
                rule_node, f'{what}: unknown revenue rule "{rule}" ({_known(rule_ids, str(rule))})'
            )
        metric = as_str(n, f"{what}: metric", ID_RE) if (n := f.optional("metric")) else None
        aggregation_node = f.optional("aggregation")
        if aggregation_node is not None and metric is None:
            raise Invalid(aggregation_node, f"{what}: aggregation needs a metric")
        aggregation = (
            _enum(aggregation_node, f"{what}: aggregation", m.Aggregation)
            if aggregation_node
            else m.Aggregation.SUM
        )
        unique_node = f.optional("unique_field")
        if unique_node is not None and aggregation is not m.Aggregation.UNIQUE_COUNT:
            raise Invalid(unique_node, f"{what}: unique_field goes with aggregation unique_count")
        products[key] = m.Product(
            id=key,
            name=as_str(f.required("name"), f"{what}: name"),
            revenue_rule=rule,
            metric=metric,
            aggregation=aggregation,
            unique_field=as_str(unique_node, f"{what}: unique_field") if unique_node else None,
            ssp=CustomerReader._positive(n, f"{what}: ssp") if (n := f.optional("ssp")) else None,
            source=doc.source(node),
        )
        f.done()

    with out.item(doc):
        _id_map(doc, top.optional("tax_rates"), "tax_rates", read_tax, out)
    with out.item(doc):
        _id_map(doc, top.optional("revenue_rules"), "revenue_rules", read_rule, out)
    with out.item(doc):
        _id_map(doc, top.required("products"), "products", read_product, out)
    with out.item(doc):
        top.done()
    if out.count() > before or company is None:
        return None
    return m.Catalog(company, taxes, rules, products, doc.source(doc.root))


def _known(mapping: Collection[str], given: str) -> str:
    """What is defined instead of `given` (and the one it looks like a misspelling of)."""
    if not mapping:
        return "none are defined"
    return f"{meant_hint(given, mapping)}known: {', '.join(sorted(mapping))}"


# --- customers/<id>.yaml -------------------------------------------------------------------


@dataclass
class CustomerReader:
    """Reads one customer file against the catalog."""

    doc: Document
    catalog: m.Catalog
    out: Collector
    customer_id: str = ""
    scope: str = ""  # what the problems found inside the contract being read start with

    def each(self, nodes: list[Node], read: Callable[[Node], T]) -> list[T]:
        """Every node read, each with its own problems (not only the first one's): a
        colleague's review lists all of them. Reported when any had a problem."""
        before = self.out.count()
        result: list[T] = []
        for node in nodes:
            with self.out.item(self.doc, self.scope):
                result.append(read(node))
        if self.out.count() > before:
            raise Reported()
        return result

    def attempt(self, read: Callable[[], T], default: T, prefix: str) -> T:
        """What `read` reads; `default` when it has a problem (reported)."""
        with self.out.item(self.doc, prefix):
            return read()
        return default

    def read(self) -> m.Customer | None:
        doc = self.doc
        if doc.root is None:
            self.out.problems.append(Problem(doc.source(None), "customer file is empty"))
            return None
        top = Fields(doc, doc.root, "customer file")
        c_node = top.required("customer")
        c = Fields(doc, c_node, "customer")
        self.customer_id = as_str(c.required("id"), "customer id", SLUG_RE, " (use a-z, 0-9, -)")
        # From here on, an Invalid raised out of `read` is prefixed with the customer by
        # `load_texts`; problems caught per contract or adjustment get the prefix here.
        prefix = subject(customer=self.customer_id)
        # Each of the customer's keys is checked on its own, and the contracts are read even
        # when one has a problem (in the company's currency, when it is the currency's).
        before = self.out.count()
        company = self.catalog.company.currency
        currency = self.attempt(
            lambda: (
                _currency(n, "currency")
                if (n := c.given("currency", f"bills in the company's currency, {company}"))
                else company
            ),
            company,
            prefix,
        )
        account = self.attempt(
            lambda: as_str(
                c.required("account"),
                "account",
                COMPONENT_RE,
                " as a Beancount account component (e.g. Acme or Globex-Eu)",
            ),
            "",
            prefix,
        )
        name = self.attempt(lambda: as_str(c.required("name"), "name"), "", prefix)
        email = self.attempt(
            lambda: as_str(n, "email") if (n := c.optional("email")) else None, None, prefix
        )
        address = self.attempt(
            lambda: as_str(n, "address") if (n := c.optional("address")) else None, None, prefix
        )
        consolidate_node = c.optional("consolidate")
        consolidate = self.attempt(
            lambda: as_bool(consolidate_node, "consolidate") if consolidate_node else False,
            False,
            prefix,
        )
        customer = m.Customer(
            id=self.customer_id,
            account=account,
            name=name,
            email=email,
            address=address,
            currency=currency,
            consolidate=consolidate,
            contracts=(),
            adjustments=(),
            source=doc.source(c_node),
        )
        with self.out.item(doc, prefix):  # an unknown key: said, and the contracts still read
            c.done()
        contracts: list[m.Contract] = []
        for node in as_list(doc, top.required("contracts"), "contracts"):
            with self.out.item(doc, prefix):
                contracts.append(self.contract(node, currency))
        adjustments: list[m.Adjustment] = []
        if (adj_node := top.optional("adjustments")) is not None:
            for node in as_list(doc, adj_node, "adjustments"):
                with self.out.item(doc, prefix):
                    adjustments.append(self.adjustment(node))
        with self.out.item(doc, prefix):
            top.done()
        currencies = {contract.currency for contract in contracts}
        if consolidate and consolidate_node is not None and len(currencies) > 1:
            listed = ", ".join(f"{contract.id} {contract.currency}" for contract in contracts)
            self.out.add(
                doc,
                Invalid(
                    consolidate_node,
                    f"consolidate: true puts all the customer's contracts on one invoice per "
                    f"date, in one currency, and these use {', '.join(sorted(currencies))} "
                    f"({listed}): give them one currency, or set consolidate: false (each "
                    "contract then has its own invoices)",
                ),
                prefix,
            )
        if self.out.count() > before:
            return None
        return m.Customer(
            **{
                **customer.__dict__,
                "contracts": tuple(contracts),
                "adjustments": tuple(adjustments),
            }
        )

    # contracts

    def contract(self, node: Node, currency: str) -> m.Contract:
        doc = self.doc
        f = fields_of(doc, node, "contract")
        contract_id = as_str(
            f.required("id"), "contract id", ID_RE, " (use letters, digits, -, _ and .)"
        )
        self.scope = f"{subject(customer=self.customer_id)}contract {contract_id}: "
        try:
            return self._contract_body(f, node, contract_id, currency)
        except Reported:
            raise
        except Invalid as error:
            # Name the contract in every problem found inside it.
            raise Invalid(error.node, f"contract {contract_id}: {error.message}") from error

    def _contract_body(self, f: Fields, node: Node, contract_id: str, currency: str) -> m.Contract:
        # Without a list of phases there is nothing more to read: that problem is the
        # contract's only one. The other keys' problems are each said, and the phases read all
        # the same: after a bad billing, against one that no line can contradict (monthly in
        # arrears); after a bad start or end, each on its own, without checking that they
        # tile the contract.
        phases_node = f.required("phases")
        phase_nodes = as_list(self.doc, phases_node, "phases")
        if not phase_nodes:
            raise Invalid(phases_node, "a contract needs at least one phase")
        before = self.out.count()
        start: datetime.date | None = None
        with self.out.item(self.doc, self.scope):
            start = as_date(f.required("start"), "start")
        end_node = f.optional("end")
        end: datetime.date | None = None
        with self.out.item(self.doc, self.scope):
            end = as_date(end_node, "end") if end_node else None
            if end is not None and start is not None and end < start:
                raise Invalid(end_node, f"end {end} is before start {start}")
        dates_valid = self.out.count() == before
        billing = LENIENT_BILLING
        with self.out.item(self.doc, self.scope):
            billing = self.billing(f.optional("billing"), DEFAULT_BILLING)
        renewal = None
        if (r_node := f.optional("renewal")) is not None:
            with self.out.item(self.doc, self.scope):
                renewal = self.renewal(r_node, end if dates_valid else None, end_node is None)
        contract_currency = currency
        terms = self.catalog.company.payment_terms
        with self.out.item(self.doc, self.scope):
            if (
                n := f.given("currency", f"bills in the customer's currency, {currency}")
            ) is not None:
                contract_currency = _currency(n, "currency")
        with self.out.item(self.doc, self.scope):
            if (n := f.optional("payment_terms")) is not None:
                terms = _payment_terms(n, "payment_terms")
        with self.out.item(self.doc, self.scope):
            f.done()
        if start is None or not dates_valid:
            self.each(phase_nodes, lambda node: self.phase(node, billing))
            raise Reported()
        phases = self.phases(phase_nodes, start, end, billing)
        if self.out.count() > before:
            raise Reported()
        return m.Contract(
            id=contract_id,
            customer=self.customer_id,
            currency=contract_currency,
            start=start,
            end=end,
            payment_terms=terms,
            billing=billing,
            renewal=renewal,
            phases=phases,
            source=self.doc.source(node),
        )

    def renewal(self, node: Node, end: datetime.date | None, evergreen: bool) -> m.Renewal:
        """`end`: the contract's, when it is valid (None also for an evergreen contract)."""
        r = Fields(self.doc, node, "renewal")
        last_node = r.optional("end")
        renewal = m.Renewal(
            term_months=_term_months(r.required("term_months")),
            uplift=as_percent(n, "renewal uplift") if (n := r.optional("uplift")) else Decimal(0),
            end=as_date(last_node, "renewal end") if last_node is not None else None,
            source=self.doc.source(node),
        )
        r.done()
        if evergreen:
            raise Invalid(node, "renewal needs an end date (an evergreen contract never renews)")
        stop = renewal.end
        if last_node is not None and stop is not None and end is not None and stop < end:
            raise Invalid(
                last_node,
                f"renewal end {stop} is before the contract's end {end}: the "
                "renewals would stop before they start (to end the contract earlier, "
                "change its end)",
            )
        return renewal

    def billing(self, node: Node | None, inherited: m.Billing) -> m.Billing:
        if node is None:
            return inherited
        f = Fields(self.doc, node, "billing")
        months = inherited.months
        if (c_node := f.optional("cadence")) is not None:
            cadence = as_str(c_node, "cadence")
            every = EVERY_RE.fullmatch(cadence)
            if cadence in CADENCES:
                months = CADENCES[cadence]
            elif cadence == ONE_TIME:
                months = None
            elif every and int(every.group(1)) >= 1:
                months = int(every.group(1))
            else:
                raise Invalid(
                    c_node,
                    f'cadence "{cadence}" must be monthly, quarterly, semi_annual, annual, '
                    'one_time or "every N months"' + meant_note(cadence, [*CADENCES, ONE_TIME]),
                )
        timing = inherited.timing
        if (t_node := f.optional("timing")) is not None:
            timing = _enum(t_node, "timing", m.Timing)
        anchor = inherited.anchor
        if (a_node := f.optional("anchor")) is not None:
            anchor = _enum(a_node, "anchor", m.Anchor)
        f.done()
        return m.Billing(months, timing, anchor)

    def phases(
        self,
        nodes: list[Node],
        start: datetime.date,
        end: datetime.date | None,
        billing: m.Billing,
    ) -> tuple[m.Phase, ...]:
        # (phase, end node, start node)
        read = self.each(nodes, lambda node: self.phase(node, billing))
        phases: list[m.Phase] = []
        for index, (phase, end_node, start_node) in enumerate(read):
            if index == 0 and phase.start != start:
                raise Invalid(
                    start_node,
                    f'phase "{phase.name}" starts {phase.start}, not on the contract start {start}',
                )
            if index + 1 < len(read):
                following = read[index + 1][0]
                if following.start <= phase.start:
                    raise Invalid(
                        read[index + 1][2],
                        f'phase "{following.name}" starts {following.start}, not after phase '
                        f'"{phase.name}" ({phase.start}): phases must be in order',
                    )
                phase_end: datetime.date | None = following.start - datetime.timedelta(days=1)
            else:
                phase_end = end
            if end is not None and phase.start > end:
                raise Invalid(
                    start_node,
                    f'phase "{phase.name}" starts {phase.start}, after the contract end {end}',
                )
            if end_node is not None and phase.end != phase_end:
                kind = (
                    "overlaps the next phase"
                    if phase_end and phase.end and phase.end > phase_end
                    else "leaves a gap"
                )
                expected = f"{phase_end}" if phase_end else "open-ended"
                raise Invalid(
                    end_node,
                    f'phase "{phase.name}" ends {phase.end} and {kind}: phases must tile the '
                    f"contract (expected end {expected})",
                )
            self.check_discount_dates(phase, None if index + 1 == len(read) else phase_end)
            phases.append(m.Phase(**{**phase.__dict__, "end": phase_end}))
        return tuple(phases)

    def check_discount_dates(self, phase: m.Phase, last_day: datetime.date | None) -> None:
        """A discount applies to lines whose service period starts within its dates: one that
        ends before its phase starts, or starts after the phase's last day (`last_day`: None
        for the last phase, which renewals may extend), would never apply, silently."""
        problems = []
        for discount in phase.discounts:
            if discount.end is not None and discount.end < phase.start:
                why = f"it ends {discount.end}, before the phase starts ({phase.start})"
            elif discount.start and last_day and discount.start > last_day:
                why = f"it starts {discount.start}, after the phase ends ({last_day})"
            else:
                continue
            problems.append(
                Problem(
                    discount.source,
                    f'{self.scope}phase "{phase.name}", discount "{discount.name}": {why}: it '
                    "would never apply (is a date mistyped?)",
                )
            )
        if problems:
            self.out.problems.extend(problems)
            raise Reported()

    def phase(self, node: Node, billing: m.Billing) -> tuple[m.Phase, Node | None, Node]:
        f = Fields(self.doc, node, "phase")
        name = as_str(n, "phase name") if (n := f.optional("name")) else ""
        start_node = f.required("start")
        start = as_date(start_node, f'phase "{name}": start' if name else "phase start")
        name = name or str(start)
        what = f.what = f'phase "{name}"'  # its problems name it from here on
        end_node = f.optional("end")
        end = as_date(end_node, f"{what}: end") if end_node else None
        line_nodes = as_list(self.doc, f.required("products"), f"{what}: products")
        before = self.out.count()
        # The taxes and the phase's keys are checked even when a line has a problem; the
        # discounts and the minimum commitment name the lines, so they wait for valid ones.
        lines: tuple[m.Line, ...] = ()
        with self.out.item(self.doc, self.scope):
            lines = tuple(self.each(line_nodes, lambda n: self.line(n, billing, what)))
            products = [line.product for line in lines]
            for index, line in enumerate(lines):
                if line.product in products[:index]:
                    first = lines[products.index(line.product)].source.line
                    raise Invalid(
                        line_nodes[index],
                        f'{what}: product "{line.product}" is listed twice (first on line {first})',
                    )
        d_node = f.optional("discounts")
        c_node = f.optional("minimum_commitment")
        discounts: tuple[m.Discount, ...] = ()
        commitment = None
        if self.out.count() == before:  # the lines are valid
            d_nodes = as_list(self.doc, d_node, f"{what}: discounts") if d_node else []
            discounts = tuple(self.each(d_nodes, lambda n: self.discount(n, what, products)))
            if c_node is not None:
                commitment = self.commitment(c_node, what, lines)
        taxes: list[str] = []
        with self.out.item(self.doc, self.scope):
            taxes = self.phase_taxes(f.optional("taxes"), what)
        with self.out.item(self.doc, self.scope):
            f.done()
        if self.out.count() > before:
            raise Reported()
        phase = m.Phase(
            name=name,
            start=start,
            end=end,
            lines=lines,
            discounts=discounts,
            taxes=tuple(taxes),
            minimum_commitment=commitment,
            source=self.doc.source(node),
        )
        return phase, end_node, start_node

    def phase_taxes(self, node: Node | None, what: str) -> list[str]:
        taxes: list[str] = []
        for t in as_list(self.doc, node, f"{what}: taxes") if node else []:
            tax = as_str(t, f"{what}: tax")
            if tax not in self.catalog.tax_rates:
                raise Invalid(
                    t, f'{what}: unknown tax rate "{tax}" ({_known(self.catalog.tax_rates, tax)})'
                )
            if tax in taxes:
                raise Invalid(t, f'{what}: tax rate "{tax}" is listed twice')
            taxes.append(tax)
        return taxes

    def line(self, node: Node, billing: m.Billing, phase: str) -> m.Line:
        f = Fields(self.doc, node, f"{phase}: product line")
        p_node = f.required("product")
        product_id = as_str(p_node, f"{phase}: product")
        product = self.catalog.products.get(product_id)
        if product is None:
            raise Invalid(
                p_node,
                f'{phase}: unknown product "{product_id}" '
                f"({_known(self.catalog.products, product_id)})",
            )
        what = f.what = f"{phase}, product {product_id}"  # its problems name it from here on
        line_billing = self.billing(f.optional("billing"), billing)
        credits = as_bool(n, f"{what}: credits") if (n := f.optional("credits")) else False
        pricing_node = f.required("pricing")
        pricing = read_pricing(self.doc, pricing_node, what)
        metered = product.metric is not None
        if metered and line_billing.timing is m.Timing.ADVANCE:
            raise Invalid(
                node,
                f"{what}: a metered product bills in arrears; add billing: {{timing: arrears}}",
            )
        if metered and line_billing.months is None:
            raise Invalid(node, f"{what}: a metered product cannot bill one_time")
        if isinstance(pricing, m.FlatFee) and metered:
            raise Invalid(
                pricing_node, f"{what}: flat_fee pricing is for products without a metric"
            )
        if isinstance(pricing, METERED_ONLY) and not metered:
            raise Invalid(
                pricing_node, f"{what}: this pricing model needs a metered product (with a metric)"
            )
        if isinstance(pricing, m.TwoDimensionalTiered):
            metrics = {p.metric for p in self.catalog.products.values() if p.metric}
            if pricing.second_metric not in metrics:
                raise Invalid(
                    pricing_node,
                    f'{what}: unknown second_metric "{pricing.second_metric}" '
                    f"({_known(metrics, pricing.second_metric)})",
                )
        if product.revenue_rule is None and not credits:
            raise Invalid(
                p_node,
                f"{what}: the product has no revenue_rule; only credits: true lines may use it",
            )
        if credits and metered:
            raise Invalid(node, f"{what}: a credits line cannot be metered")
        q_node = f.optional("quantity")
        if q_node is not None and metered:
            raise Invalid(
                q_node, f"{what}: quantity is for products without a metric (usage sets it)"
            )
        free_node = f.optional("free_units")
        if free_node is not None and not metered:
            raise Invalid(free_node, f"{what}: free_units need a metered product")
        milestones_node = f.optional("milestones")
        line = m.Line(
            product=product_id,
            pricing=pricing,
            billing=line_billing,
            quantity=as_decimal(q_node, f"{what}: quantity") if q_node else Decimal(1),
            free_units=as_decimal(free_node, f"{what}: free_units") if free_node else Decimal(0),
            credits=credits,
            ssp=self._positive(n, f"{what}: ssp") if (n := f.optional("ssp")) else None,
            source=self.doc.source(node),
        )
        f.done()  # unknown keys (a misspelt milestones, say) first
        line = replace(line, milestones=self.milestones(milestones_node, node, product, what))
        return line

    def milestones(
        self, node: Node | None, line_node: Node, product: m.Product, what: str
    ) -> tuple[tuple[datetime.date, Decimal], ...]:
        """`milestones: [{date, percent}]` of a line whose rule recognises by milestone; the
        percentages must add up to 100%."""
        rule = self.catalog.revenue_rules.get(product.revenue_rule or "")
        by_milestone = rule is not None and rule.method is m.RecognitionMethod.MILESTONE
        if node is None:
            if by_milestone:
                raise Invalid(
                    line_node,
                    f"{what}: revenue rule {product.revenue_rule} recognises by milestone: "
                    'add milestones: [{date: YYYY-MM-DD, percent: "50%"}, ...]',
                )
            return ()
        if not by_milestone:
            raise Invalid(node, f"{what}: milestones need a revenue rule with method milestone")
        result = []
        for item in as_list(self.doc, node, f"{what}: milestones"):
            f = Fields(self.doc, item, f"{what}: milestone")
            result.append(
                (
                    as_date(f.required("date"), f"{what}: milestone date"),
                    as_percent(f.required("percent"), f"{what}: milestone percent"),
                )
            )
            f.done()
        if sum((share for _, share in result), Decimal(0)) != 1:
            raise Invalid(node, f"{what}: milestone percentages must add up to 100%")
        return tuple(result)

    def discount(self, node: Node, phase: str, products: list[str]) -> m.Discount:
        f = Fields(self.doc, node, f"{phase}: discount")
        name = as_str(n, f"{phase}: discount name") if (n := f.optional("name")) else "Discount"
        what = f'{phase}, discount "{name}"'
        percent_node, amount_node = f.optional("percent"), f.optional("amount")
        if (percent_node is None) == (amount_node is None):
            raise f.missing(f"{what}: give exactly one of percent and amount", "percent", "amount")
        percent = as_percent(percent_node, f"{what}: percent") if percent_node else None
        if percent is not None and percent > 1:
            raise Invalid(percent_node, f"{what}: percent cannot exceed 100%")
        listed = None
        if (p_node := f.optional("products")) is not None:
            listed = tuple(
                self._phase_product(n, what, products) for n in as_list(self.doc, p_node, what)
            )
        start = as_date(n, f"{what}: start") if (n := f.optional("start")) else None
        end = as_date(n, f"{what}: end") if (n := f.optional("end")) else None
        if start and end and end < start:
            raise Invalid(node, f"{what}: end {end} is before start {start}")
        f.done()
        return m.Discount(
            name=name,
            percent=percent,
            amount=as_decimal(amount_node, f"{what}: amount") if amount_node else None,
            products=listed,
            start=start,
            end=end,
            source=self.doc.source(node),
        )

    def _phase_product(self, node: Node, what: str, products: list[str]) -> str:
        product = as_str(node, f"{what}: product")
        if product not in products:
            raise Invalid(
                node,
                f'{what}: product "{product}" is not a line of this phase'
                + meant_note(product, products),
            )
        return product

    def commitment(self, node: Node, phase: str, lines: Sequence[m.Line]) -> m.MinimumCommitment:
        what = f"{phase}, minimum_commitment"
        f = Fields(self.doc, node, what)
        per_node = f.optional("per")
        if per_node is not None and as_str(per_node, f"{what}: per") != "billing_period":
            raise Invalid(per_node, f"{what}: per must be billing_period")
        by_product = {line.product: line for line in lines}
        listed: list[str] = []
        for n in as_list(self.doc, f.required("products"), what):
            listed.append(self._phase_product(n, what, list(by_product)))
            if by_product[listed[-1]].credits:
                raise Invalid(
                    n,
                    f'{what}: product "{listed[-1]}" is a credits: true line; a prepaid top-up '
                    "is not a charge and cannot count toward a commitment",
                )
        amount = as_decimal(f.required("amount"), f"{what}: amount")
        f.done()
        periods = {(by_product[p].billing.months, by_product[p].billing.anchor) for p in listed}
        if len(periods) > 1:  # the true-up compares a period's charges: they need one period
            cadences = ", ".join(
                [f"{p} {describe_billing_period(by_product[p].billing)}" for p in listed]
            )
            raise Invalid(
                node,
                f"{what}: its products are billed over different periods ({cadences}); a "
                "commitment per billing period needs one period: give them the same cadence "
                "and anchor, or a commitment each",
            )
        return m.MinimumCommitment(amount, tuple(listed), self.doc.source(node))

    # adjustments

    def adjustment(self, node: Node) -> m.Adjustment:
        doc = self.doc
        f = fields_of(doc, node, "adjustment")
        kind = as_str(f.required("type"), "adjustment type")
        given: str | None = None  # the id written, if any
        if kind in ADJUSTMENT_TYPES:
            given = self._adjustment_id(n, kind) if (n := f.optional("id")) else None
            # a problem with the keys names the adjustment: `credit CR-1: "amount" is required`
            f.what = f"{kind} {given}" if given is not None else kind
        date = as_date(f.required("date"), f"{kind}: date")
        reason = as_str(n, f"{kind}: reason") if (n := f.optional("reason")) else ""
        source = doc.source(node)
        result: m.Adjustment
        if kind in ("credit_memo", "debit_memo"):
            memo_id = given if given is not None else self._adjustment_id(f.required("id"), kind)
            what = f"{kind} {memo_id}"
            amount_node, lines_node = f.optional("amount"), f.optional("lines")
            total_node = f.optional("total")
            if total_node is not None and (amount_node is not None or lines_node is not None):
                raise self._total_and(f, kind, what, "amount" if amount_node else "lines")
            if total_node is None and (amount_node is None) == (lines_node is None):
                raise f.missing(
                    f"{what}: give exactly one of amount, lines and total",
                    "amount",
                    "lines",
                    "total",
                )
            lines = None
            if lines_node is not None:
                lines = tuple(
                    self.memo_line(n, what) for n in as_list(doc, lines_node, f"{what}: lines")
                )
            result = m.Memo(
                kind=kind,
                id=memo_id,
                date=date,
                invoice=as_str(f.required("invoice"), f"{what}: invoice", ID_RE),
                amount=self._positive(amount_node, f"{what}: amount") if amount_node else None,
                lines=lines,
                reason=reason,
                source=source,
                total=self._positive(total_node, f"{what}: total") if total_node else None,
            )
        elif kind == "write_off":
            invoice = as_str(f.required("invoice"), "write_off: invoice", ID_RE)
            write_off_id = given if given is not None else f"WO-{invoice}"
            f.what = f"write_off {write_off_id}"
            result = m.WriteOff(
                id=write_off_id,
                date=date,
                invoice=invoice,
                reason=reason,
                source=source,
            )
        elif kind == "credit":
            credit_id = given if given is not None else self._adjustment_id(f.required("id"), kind)
            result = m.WalletCredit(
                id=credit_id,
                date=date,
                amount=self._positive(f.required("amount"), f"credit {credit_id}: amount"),
                reason=reason,
                source=source,
            )
        elif kind == "refund":
            refund_id = given if given is not None else f"RF-{self.customer_id}-{date:%Y%m%d}"
            f.what = f"refund {refund_id}"
            result = m.Refund(
                id=refund_id,
                date=date,
                amount=self._positive(f.required("amount"), "refund: amount"),
                from_=_enum(f.required("from"), "refund: from", m.RefundSource),
                reason=reason,
                source=source,
                account=(
                    _account(n, "refund: account", "Assets:Cash")
                    if (n := f.optional("account"))
                    else "Assets:Cash"
                ),
            )
        else:
            raise Invalid(
                f.required("type"),
                f'adjustment type "{kind}" must be {", ".join(ADJUSTMENT_TYPES[:-1])} or '
                f"{ADJUSTMENT_TYPES[-1]}",
            )
        f.done()
        return result

    @staticmethod
    def _total_and(f: Fields, kind: str, what: str, other: str) -> Invalid:
        """The problem of a memo giving `total` and `other` (amount or lines), at `total`."""
        does = "credits" if kind == "credit_memo" else "adds to the invoice"
        if other == "amount":
            meant = "amount is net of tax (its tax is worked out from the invoice's lines)"
        else:
            meant = "lines give net amounts (before tax) of the products named"
        return Invalid(
            f.key_node("total"),
            f"{what}: give total or {other}, not both: total is what the memo {does}, tax "
            f"included, spread over the invoice's lines; {meant}; keep one",
        )

    def _adjustment_id(self, node: Node, kind: str) -> str:
        """An adjustment's id, which must not look like an invoice id: documents are named,
        payments matched and reviews keyed by id, and would take it for one."""
        value = as_str(node, f"{kind}: id", ID_RE)
        prefix = self.catalog.company.invoice_prefix
        if re.fullmatch(rf"{re.escape(prefix)}-.+-\d{{8}}", value):
            raise Invalid(
                node,
                f'{kind}: id "{value}" has the form of an invoice id ({prefix}-<contract>-'
                "<yyyymmdd>): documents, payments and reviews would take it for an invoice; "
                "give it a prefix of its own (CM-, DM-, CR-, RF-, WO-)",
            )
        return value

    def memo_line(self, node: Node, what: str) -> m.MemoLine:
        f = Fields(self.doc, node, f"{what}: line")
        product = as_str(f.required("product"), f"{what}: product")
        if product not in self.catalog.products:
            raise Invalid(
                node,
                f'{what}: unknown product "{product}" ({_known(self.catalog.products, product)})',
            )
        contract = f.optional("contract")
        line = m.MemoLine(
            product,
            self._positive(f.required("amount"), f"{what}: amount"),
            self.doc.source(node),
            as_str(contract, f"{what}: contract") if contract is not None else None,
        )
        f.done()
        return line

    @staticmethod
    def _positive(node: Node, what: str) -> Decimal:
        value = as_decimal(node, what)
        if value == 0:
            raise Invalid(node, f"{what} must be more than zero")
        return value


# --- pricing -------------------------------------------------------------------------------


def _tiers(doc: Document, node: Node, what: str, price_key: str, flat: bool) -> tuple[m.Tier, ...]:
    tiers: list[m.Tier] = []
    nodes = as_list(doc, node, what)
    if not nodes:
        raise Invalid(node, f"{what}: give at least one tier")
    previous: Decimal | None = None
    for index, tier_node in enumerate(nodes):
        f = Fields(doc, tier_node, f"{what}[{index + 1}]")
        up_node = f.optional("up_to")
        up_to = as_decimal(up_node, f"{what}: up_to") if up_node else None
        last = index == len(nodes) - 1
        if up_to is None and not last:
            raise Invalid(tier_node, f"{what}: only the last tier may leave out up_to")
        if up_to is not None and last:
            raise Invalid(up_node, f"{what}: the last tier has no up_to (it is unbounded)")
        if up_to is not None and previous is not None and up_to <= previous:
            raise Invalid(
                up_node, f"{what}: tiers out of order (up_to {up_to} after up_to {previous})"
            )
        if price_key == "price":
            tiers.append(m.Tier(up_to, flat_fee=as_decimal(f.required("price"), f"{what}: price")))
        else:
            tiers.append(
                m.Tier(
                    up_to,
                    unit_price=as_decimal(f.required("unit_price"), f"{what}: unit_price"),
                    flat_fee=as_decimal(f.required("flat_fee"), f"{what}: flat_fee")
                    if flat
                    else Decimal(0),
                )
            )
        f.done()
        previous = up_to
    return tuple(tiers)


def _bounds(doc: Document, node: Node, what: str) -> tuple[Decimal | None, ...]:
    nodes = as_list(doc, node, what)
    bounds: list[Decimal | None] = []
    for index, tier_node in enumerate(nodes):
        f = Fields(doc, tier_node, f"{what}[{index + 1}]")
        up_node = f.optional("up_to")
        bounds.append(as_decimal(up_node, f"{what}: up_to") if up_node else None)
        f.done()
    if not bounds or bounds[-1] is not None or None in bounds[:-1]:
        raise Invalid(node, f"{what}: every tier but the last needs up_to, the last has none")
    values = [b for b in bounds if b is not None]
    if values != sorted(set(values)):
        raise Invalid(node, f"{what}: tiers out of order")
    return tuple(bounds)


TIER_MODELS = {
    "tiered": (m.TierMode.GRADUATED, False),
    "tiered_with_flat_fee": (m.TierMode.GRADUATED, True),
    "volume": (m.TierMode.VOLUME, False),
    "volume_with_flat_fee": (m.TierMode.VOLUME, True),
}
MODELS = (
    "flat_fee, per_unit, package, tiered, tiered_with_flat_fee, volume, volume_with_flat_fee, "
    "step, percent, matrix, two_dimensional_tiered"
)


def read_pricing(doc: Document, node: Node, what: str) -> m.Pricing:
    f = Fields(doc, node, f"{what}: pricing")
    model_node = f.required("model")
    model = as_str(model_node, f"{what}: pricing model")
    what = f"{what}: {model}"
    pricing: m.Pricing
    if model == "flat_fee":
        per_node = f.optional("per")
        if per_node is not None and as_str(per_node, f"{what}: per") != "month":
            raise Invalid(per_node, f"{what}: per must be month (or left out: per billing period)")
        pricing = m.FlatFee(
            as_decimal(f.required("price"), f"{what}: price"), per_month=per_node is not None
        )
    elif model == "per_unit":
        pricing = m.PerUnit(as_decimal(f.required("unit_price"), f"{what}: unit_price"))
    elif model == "package":
        size_node = f.required("package_size")
        size = as_decimal(size_node, f"{what}: package_size")
        if size == 0:
            raise Invalid(size_node, f"{what}: package_size must be more than zero")
        pricing = m.Package(size, as_decimal(f.required("package_price"), f"{what}: package_price"))
    elif model in TIER_MODELS:
        mode, flat = TIER_MODELS[model]
        pricing = m.Tiered(
            mode, _tiers(doc, f.required("tiers"), f"{what} tiers", "unit_price", flat), flat
        )
    elif model == "step":
        pricing = m.Step(_tiers(doc, f.required("steps"), f"{what} steps", "price", False))
    elif model == "percent":
        pct_node = f.required("percent")
        percent = as_percent(pct_node, f"{what}: percent")
        minimum = as_decimal(n, f"{what}: min") if (n := f.optional("min")) else None
        maximum = as_decimal(n, f"{what}: max") if (n := f.optional("max")) else None
        if minimum is not None and maximum is not None and maximum < minimum:
            raise Invalid(node, f"{what}: max {maximum} is below min {minimum}")
        pricing = m.Percent(
            percent,
            as_decimal(n, f"{what}: fixed_fee") if (n := f.optional("fixed_fee")) else Decimal(0),
            minimum,
            maximum,
        )
    elif model == "matrix":
        pricing = _matrix(doc, f, what)
    elif model == "two_dimensional_tiered":
        pricing = _two_dimensional(doc, f, node, what)
    else:
        meant = meant_hint(model, MODELS.split(", "))
        raise Invalid(model_node, f"{what}: unknown pricing model ({meant}one of {MODELS})")
    f.done()
    return pricing


def _matrix(doc: Document, f: Fields, what: str) -> m.Matrix:
    dimension = as_str(f.required("dimension"), f"{what}: dimension", ID_RE)
    mode_node = f.optional("mode")
    mode = _enum(mode_node, f"{what}: mode", m.TierMode) if mode_node else m.TierMode.VOLUME
    rows: list[m.MatrixRow] = []
    for row_node in as_list(doc, f.required("rows"), f"{what}: rows"):
        r = Fields(doc, row_node, f"{what}: row")
        value = as_str(r.required("value"), f"{what}: row value")
        if any(row.value == value for row in rows):
            raise Invalid(row_node, f'{what}: row value "{value}" is given twice')
        price_node, tiers_node = r.optional("unit_price"), r.optional("tiers")
        if (price_node is None) == (tiers_node is None):
            raise r.missing(
                f'{what}: row "{value}" needs exactly one of unit_price and tiers',
                "unit_price",
                "tiers",
            )
        rows.append(
            m.MatrixRow(
                value,
                as_decimal(price_node, f"{what}: unit_price") if price_node else None,
                _tiers(doc, tiers_node, f'{what} row "{value}" tiers', "unit_price", False)
                if tiers_node
                else None,
            )
        )
        r.done()
    return m.Matrix(dimension, tuple(rows), mode)


def _two_dimensional(doc: Document, f: Fields, node: Node, what: str) -> m.TwoDimensionalTiered:
    second = as_str(f.required("second_metric"), f"{what}: second_metric", ID_RE)
    tiers = _bounds(doc, f.required("tiers"), f"{what}: tiers")
    second_tiers = _bounds(doc, f.required("second_tiers"), f"{what}: second_tiers")
    grid_node = f.required("unit_prices")
    grid: list[tuple[Decimal, ...]] = []
    rows = as_list(doc, grid_node, f"{what}: unit_prices")
    for row in rows:
        cells = as_list(doc, row, f"{what}: unit_prices row")
        if len(cells) != len(tiers):
            raise Invalid(
                row, f"{what}: each unit_prices row needs {len(tiers)} prices (one per tier)"
            )
        grid.append(tuple(as_decimal(c, f"{what}: unit price") for c in cells))
    if len(grid) != len(second_tiers):
        raise Invalid(
            grid_node, f"{what}: unit_prices needs {len(second_tiers)} rows (one per second tier)"
        )
    return m.TwoDimensionalTiered(second, tiers, second_tiers, tuple(grid))


# --- the folder ----------------------------------------------------------------------------


CASELESS = ("contract id", "adjustment id")  # ids compared whatever their case


def _check_unique(customers: list[m.Customer], out: Collector) -> list[m.Customer]:
    """Ids and accounts must be unique across customers; a clashing customer is left out.
    Contract and adjustment ids are compared whatever their case: they name invoices and
    documents, and many ERPs and file systems do not tell `ACME-1` from `acme-1`. A
    contract's invoices are named after it, a consolidated customer's after the customer: a
    contract with the id of such a customer (in any case) would issue its invoice ids, so it
    is the contract's customer that is left out, whichever file comes first."""
    seen: dict[tuple[str, str], tuple[str, m.Source]] = {}
    kept: list[m.Customer] = []
    consolidated = {c.id.casefold(): c.id for c in customers if c.consolidate}
    for customer in customers:
        clashes: list[Problem] = [
            Problem(
                contract.source,
                f'{subject(customer.id)}contract id "{contract.id}" is the id of customer '
                f"{consolidated[contract.id.casefold()]}, which has consolidate: true: both "
                f"would issue the invoice ids <prefix>-{contract.id}-<yyyymmdd>"
                f"{'' if contract.id in consolidated.values() else ' (in another case)'}; "
                "give the contract another id",
            )
            for contract in customer.contracts
            if contract.id.casefold() in consolidated and contract.id != customer.id
        ]
        keys = [
            ("customer id", customer.id, customer.source),
            ("account", customer.account, customer.source),
        ]
        keys += [("contract id", c.id, c.source) for c in customer.contracts]
        keys += [("adjustment id", a.id, a.source) for a in customer.adjustments]
        mine: dict[tuple[str, str], tuple[str, m.Source]] = {}
        for kind, value, source in keys:
            key = (kind, value.casefold() if kind in CASELESS else value)
            first = seen.get(key) or mine.get(key)
            if first is not None:
                twice = (
                    "is used twice"
                    if first[0] == value
                    else f'differs from "{first[0]}" only in case (ids are compared whatever '
                    "their case: ERPs and file systems may not tell them apart)"
                )
                clashes.append(
                    Problem(
                        source,
                        f'{subject(customer.id)}{kind} "{value}" {twice} (first at {at(first[1])})',
                    )
                )
            mine.setdefault(key, (value, source))
        if clashes:
            out.problems.extend(clashes)
            continue
        seen.update(mine)
        kept.append(customer)
    return kept


def load_texts(
    catalog: tuple[str, str],
    customers: list[tuple[str, str]],
    usage: list[tuple[str, str]],
) -> tuple[m.ContractSet | None, list[Problem]]:
    """Validate file texts, given as (file name, text) pairs, into a ContractSet."""
    contract_set, problems, _ = validate_texts(catalog, customers, usage)
    return contract_set, problems


class CustomerParse(NamedTuple):
    """A customer file read against a catalog."""

    customer: m.Customer | None  # None: the file has problems, and is left out whole
    problems: tuple[Problem, ...]
    named: str  # the customer id it gives (else its file's stem)


class Parsed(NamedTuple):
    """What one validation of a folder's texts keeps for the next, which reuses what did not
    change: the catalog, each customer file read against it (the same text gives the same
    `Customer` object, which the compiler's reuse of a customer's billing relies on), and the
    usage events read against them."""

    catalog: tuple[str, str]  # (file, text)
    the_catalog: m.Catalog
    catalog_problems: tuple[Problem, ...]
    customers: dict[tuple[str, str], CustomerParse]  # by (file, text)
    usage: UsageRead


class UsageRead(NamedTuple):
    """The usage files' events and problems, and what they were read against (besides the
    catalog): the texts, the customers kept and the customers left out for their problems."""

    texts: tuple[tuple[str, str], ...]
    kept: frozenset[str]
    skipped: frozenset[str]
    events: tuple[m.UsageEvent, ...]
    problems: tuple[Problem, ...]


def validate_texts(
    catalog: tuple[str, str],
    customers: list[tuple[str, str]],
    usage: list[tuple[str, str]],
    previous: Parsed | None = None,
) -> tuple[m.ContractSet | None, list[Problem], Parsed | None]:
    """`load_texts`, reusing `previous` where the catalog and a customer file are unchanged
    (and the usage events, where the usage files and the customers kept and left out are too);
    also what this validation keeps for the next."""
    out = Collector()
    same_catalog = previous is not None and previous.catalog == catalog
    if previous is not None and same_catalog:
        the_catalog = previous.the_catalog
        out.problems.extend(previous.catalog_problems)
        reusable = previous.customers
    else:
        try:
            catalog_doc = Document(*catalog)
        except Invalid as error:
            out.add(Document(catalog[0], ""), error)
            return None, out.problems, None
        parsed_catalog = None
        try:
            parsed_catalog = _catalog(catalog_doc, out)
        except Invalid as error:
            out.add(catalog_doc, error)
        if parsed_catalog is None:
            return None, sorted(out.problems), None
        the_catalog = parsed_catalog
        reusable = {}
    catalog_problems = tuple(out.problems)
    parses: dict[tuple[str, str], CustomerParse] = {}
    loaded: list[m.Customer] = []
    named: set[str] = set()  # ids of the customer files read, loaded or not
    for file, text in sorted(customers):
        parse = reusable.get((file, text)) or parse_customer(file, text, the_catalog)
        parses[(file, text)] = parse
        out.problems.extend(parse.problems)
        named.add(parse.named)
        if parse.customer is not None:
            loaded.append(parse.customer)
    kept = _check_unique(loaded, out)
    kept_ids = frozenset(c.id for c in kept)
    # The usage of a customer left out for its own problems is skipped, not "unknown".
    skipped = frozenset(named - kept_ids)
    used = previous.usage if previous is not None and same_catalog else None
    if used is None or (used.texts, used.kept, used.skipped) != (tuple(usage), kept_ids, skipped):
        events, usage_problems = read_usage(usage, the_catalog, kept_ids, skipped)
        used = UsageRead(tuple(usage), kept_ids, skipped, events, tuple(usage_problems))
    out.problems.extend(used.problems)
    contract_set = m.ContractSet(the_catalog, tuple(sorted(kept, key=lambda c: c.id)), used.events)
    parsed = Parsed(catalog, the_catalog, catalog_problems, parses, used)
    return contract_set, sorted(out.problems), parsed


def parse_customer(file: str, text: str, catalog: m.Catalog) -> CustomerParse:
    stem = os.path.splitext(os.path.basename(file))[0]  # customers/<id>.yaml
    out = Collector()
    try:
        doc = Document(file, text)
    except Invalid as error:
        out.add(Document(file, ""), error)
        return CustomerParse(None, tuple(out.problems), stem)
    reader = CustomerReader(doc, catalog, out)
    try:
        customer = reader.read()
    except Invalid as error:
        customer = None
        out.add(doc, error, subject(reader.customer_id))
    return CustomerParse(
        customer if not out.problems else None, tuple(out.problems), reader.customer_id or stem
    )


class FolderTexts(NamedTuple):
    """A contracts folder's files, read but not yet validated."""

    folder: str  # absolute
    catalog: tuple[str, str] | None  # (file, text); None: missing or unreadable
    customers: list[tuple[str, str]]
    usage: list[tuple[str, str]]
    files_read: tuple[str, ...]  # files and folders, for cache and reload
    problems: list[Problem]  # the files that could not be read

    def digest(self) -> bytes:
        """A fingerprint of everything the folder's compile depends on."""
        hashed = hashlib.blake2b(self.folder.encode())
        for file, text in [*([self.catalog] if self.catalog else []), *self.customers, *self.usage]:
            hashed.update(b"\0%d\0%s\0%d\0" % (len(file), file.encode(), len(text)))
            hashed.update(text.encode())
        hashed.update(repr((self.files_read, self.problems)).encode())
        return hashed.digest()


def load_folder(folder: str) -> tuple[m.ContractSet | None, list[Problem]]:
    """Read `folder`/catalog.yaml, customers/*.yaml and usage/*.csv and validate them."""
    contract_set, problems, _ = load_folder_texts(read_folder(folder))
    return contract_set, problems


def load_folder_texts(
    texts: FolderTexts, previous: Parsed | None = None
) -> tuple[m.ContractSet | None, list[Problem], Parsed | None]:
    """Validate what `read_folder` read (reusing `previous`: see `validate_texts`)."""
    if texts.catalog is None:
        return None, texts.problems, None
    contract_set, problems, parsed = validate_texts(
        texts.catalog, texts.customers, texts.usage, previous
    )
    if contract_set is not None:
        contract_set = m.ContractSet(
            contract_set.catalog, contract_set.customers, contract_set.usage, texts.files_read
        )
    return contract_set, sorted(problems + texts.problems), parsed


def read_folder(folder: str) -> FolderTexts:
    """Read `folder`/catalog.yaml, customers/*.yaml and usage/*.csv."""
    folder = os.path.abspath(folder)
    catalog_file = os.path.join(folder, "catalog.yaml")
    files_read = [folder, catalog_file]
    if not os.path.isfile(catalog_file):
        problem = Problem(
            m.Source(catalog_file, 0), f"no catalog.yaml in the contracts folder {shown(folder)}"
        )
        return FolderTexts(folder, None, [], [], (folder,), [problem])
    unreadable: list[Problem] = []
    real_folder = os.path.realpath(folder)

    def read(path: str) -> str | None:
        line = 1
        try:
            return _read(path)
        except UnicodeDecodeError as error:
            line = error.object[: error.start].count(b"\n") + 1  # where the bad byte is
            excel = ' (in Excel: "CSV UTF-8")' if path.endswith(".csv") else ""
            message = (
                f"the file is not UTF-8 text ({error.reason} at byte {error.start}): save it "
                f"as UTF-8{excel}"
            )
        except OSError as error:
            message = f"cannot read the file ({error.strerror or error})"
        unreadable.append(Problem(m.Source(path, line), message))
        return None

    def texts(sub: str, suffixes: tuple[str, ...], kind: str) -> list[tuple[str, str]]:
        """The files of `sub` and its subfolders whose names end in one of `suffixes` (in any
        case), in path order; any other file there is a problem, not silently left out."""
        directory = os.path.join(folder, sub)
        if not os.path.isdir(directory):
            return []
        result = []
        for here, subfolders, names in os.walk(directory):
            subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
            for linked in [d for d in subfolders if os.path.islink(os.path.join(here, d))]:
                message = "the folder is a link; it is not read (put the files themselves here)"
                unreadable.append(Problem(m.Source(os.path.join(here, linked), 0), message))
                subfolders.remove(linked)  # (os.walk would not go into it either)
            files_read.append(here)
            real_here = os.path.realpath(here)
            for name in sorted(n for n in names if not n.startswith(".")):
                path = os.path.join(here, name)
                files_read.append(path)
                if not name.lower().endswith(suffixes):
                    message = (
                        f"the file is not read: {kind} (a name ending in "
                        f"{' or '.join(suffixes)}); rename it, or move it out of {sub}/ (names "
                        "starting with a dot are left out)"
                    )
                    unreadable.append(Problem(m.Source(path, 0), message))
                    continue
                # (resolving each file's links component by component was a tenth of the
                # reading)
                real = os.path.realpath(path) if os.path.islink(path) else real_here + os.sep + name
                if not _inside(real, real_folder):
                    message = "the file links outside the contracts folder; it is not read"
                    unreadable.append(Problem(m.Source(path, 1), message))
                elif (text := read(path)) is not None:
                    result.append((path, text))
        return sorted(result)

    customers = texts("customers", (".yaml", ".yml"), "a customer file is YAML")
    usage = texts("usage", (".csv",), "a usage file is CSV, saved as CSV UTF-8")
    catalog_text = read(catalog_file)
    catalog = None if catalog_text is None else (catalog_file, catalog_text)
    return FolderTexts(
        folder, catalog, customers, usage, tuple(sorted(set(files_read))), unreadable
    )


def _inside(real: str, real_folder: str) -> bool:
    """Whether the path `real` (links resolved) is inside `real_folder` (links resolved)."""
    return os.path.commonpath([real, real_folder]) == real_folder


def _read(path: str) -> str:
    with open(path, encoding="utf-8-sig", newline="") as file:
        return file.read()
