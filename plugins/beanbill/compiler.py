"""Contracts folder → Beancount directives: the pipeline shared by the plugin and the CLI.

load & validate → billing engine → accounting rules (invoices, then the customers'
adjustments: memos, wallet credits, refunds, write-off declarations) → Beancount directives.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import NamedTuple

from beancount.core import data

from beanbill import model as m
from beanbill.adjustments import customer_adjustments
from beanbill.billing import AccruedLine, Engine
from beanbill.journal import Declaration
from beanbill.ledger import Converter
from beanbill.load import FolderTexts, Parsed, load_folder_texts
from beanbill.problems import Problem
from beanbill.rules import (
    AccountsToOpen,
    accrual_entries,
    books_start,
    invoice_entries,
    revenue_rule_declarations,
)


class CustomerUnit(NamedTuple):
    """One customer's share of a compile: its invoices and adjustments as directives, what
    the rest of the compile needs of it, and what it was compiled from (for reuse)."""

    customer: m.Customer
    events: tuple[m.UsageEvent, ...]  # its usage
    invoices: list[data.Transaction]
    adjustments: list[data.Transaction]
    accrued: list[AccruedLine]
    declarations: list[Declaration]
    problems: list[Problem]
    accounts: AccountsToOpen  # the accounts its entries post to, by first use


class Memo(NamedTuple):
    """What a compile keeps for the next compile of the same folder."""

    parsed: Parsed | None  # the catalog and customer files as validated
    until: datetime.date
    units: dict[str, CustomerUnit]  # by customer id


@dataclass(frozen=True)
class Compiled:
    directives: list[data.Directive]  # unsorted: Beancount sorts a plugin's output
    invoice_count: int
    problems: list[Problem]
    files_read: tuple[str, ...]
    memo: Memo | None = None


def default_until(today: datetime.date | None = None) -> datetime.date:
    """The default billing horizon: the end of the current year."""
    today = today or datetime.date.today()
    return datetime.date(today.year, 12, 31)


def compile_texts(
    texts: FolderTexts,
    until: datetime.date,
    opened: AbstractSet[str],
    previous: Memo | None = None,
) -> Compiled:
    """Compile what `read_folder` read of a contracts folder into directives (accounts in
    `opened` are not opened again). With the `previous` compile's
    memo, a customer whose file, catalog, usage and horizon are unchanged is not billed
    again: its share of that compile is reused (the same directives)."""
    contracts, problems, parsed = load_folder_texts(texts, previous.parsed if previous else None)
    if contracts is None:
        # every file read, watched still: Fava reloads when the catalog is mended
        return Compiled([], 0, problems, texts.files_read)
    reusable = previous.units if previous is not None and previous.until == until else {}
    catalog = contracts.catalog
    converter = Converter(os.path.dirname(texts.folder))
    usage: dict[str, list[m.UsageEvent]] = {}
    for event in contracts.usage:
        usage.setdefault(event.customer, []).append(event)
    units: dict[str, CustomerUnit] = {}
    to_open = AccountsToOpen()
    invoices: list[data.Transaction] = []
    adjustments: list[data.Transaction] = []
    accrued: list[AccruedLine] = []
    declarations = revenue_rule_declarations(contracts)
    # One customer at a time: its invoices become directives, and its billing model is dropped,
    # before the next customer is billed. Holding every customer's invoice lines until the end
    # made the compile's memory, and its time, grow faster than the books at scale.
    for customer in contracts.customers:
        events = tuple(usage.get(customer.id, ()))
        unit = reusable.get(customer.id)
        if unit is None or unit.customer is not customer or unit.events != events:
            unit = compile_customer(catalog, customer, events, until, converter)
        units[customer.id] = unit
        invoices += unit.invoices
        adjustments += unit.adjustments
        accrued += unit.accrued
        declarations += unit.declarations
        problems += unit.problems
        to_open.merge(unit.accounts)
    # In date and id order, as `bill` gives them: Beancount's sort keeps this order among the
    # entries it ranks equal, so the plugin's entries come in the same order however billed.
    invoices.sort(key=lambda t: (t.date, t.meta["invoice-id"]))
    accruals = [converter.transaction(to_open.note(e)) for e in accrual_entries(accrued, catalog)]
    directives: list[data.Directive] = [
        *(
            converter.open(o)
            for o in to_open.opens(books_start(contracts))
            if o.account not in opened
        ),
        *(converter.custom(declaration) for declaration in declarations),
        *invoices,
        *accruals,
        *adjustments,
    ]
    return Compiled(
        directives,
        len(invoices),
        sorted(problems),
        contracts.files_read,
        Memo(parsed, until, units),
    )


def compile_customer(
    catalog: m.Catalog,
    customer: m.Customer,
    events: tuple[m.UsageEvent, ...],
    until: datetime.date,
    converter: Converter,
) -> CustomerUnit:
    """One customer billed, its adjustments applied, and the entries converted."""
    engine = Engine(m.ContractSet(catalog, (customer,), events), until)
    customer_invoices, accrued = engine.bill_customer(customer)
    adjusted = customer_adjustments(customer, customer_invoices, catalog, until)
    accounts = AccountsToOpen()
    return CustomerUnit(
        customer,
        events,
        [converter.transaction(accounts.note(e)) for e in invoice_entries(customer_invoices)],
        [converter.transaction(accounts.note(e)) for e in adjusted.entries],
        accrued,
        list(adjusted.declarations),
        [*adjusted.problems, *engine.finish()],
        accounts,
    )
