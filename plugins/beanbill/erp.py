"""The exported journal in the import layouts of three ERPs.

- `quickbooks`: QuickBooks Online's journal-entry import (Settings, Import data, Journal
  entries): `Journal No.`, `Journal Date`, `Account Name`, `Debits`, `Credits`,
  `Description`, `Name` (the customer, which QuickBooks asks for on receivable lines),
  `Currency`. Dates `%m/%d/%Y` unless the map's `quickbooks: date_format` says otherwise.
- `xero`: Xero's manual-journal import template: `*Narration` (Xero makes one journal of the
  rows that share narration and date, so the narration starts with the journal number),
  `*Date` (`31 Dec 2026`, which Xero reads in every region), `Description`, `*AccountCode`,
  `*TaxRate` (the map's `xero: tax_rate`, default `Tax Exempt`: the books already post their
  tax, Xero must not add any), `*Amount` (debits positive, credits negative) and the two
  tracking pairs, empty. Xero's manual journals are in the organisation's base currency (the
  map's `xero: currency`, else the ledger's first `operating_currency`): a journal in another
  currency is refused.
- `netsuite`: NetSuite's journal-entry CSV import: `External ID` (`beanbill-<journal>`, which
  groups the lines of one journal entry and makes NetSuite refuse a second import of it),
  `Date` (`%m/%d/%Y` unless `netsuite: date_format`), `Subsidiary` (with the map's
  `netsuite: subsidiary`, for OneWorld accounts), `Currency`, `Memo`, `Account`, `Debit`,
  `Credit`, `Line Memo`, `Name`.

Every layout needs a map (the ERP's accounts are not Beancount's), and a journal with lines in
two currencies is refused: each ERP's journal entry has one currency.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from beanbill.books import described
from beanbill.export import ZERO, JournalLine, customer_component
from beanbill.tables import Cell

XERO_DATE = "%d %b %Y"
US_DATE = "%m/%d/%Y"
XERO_TAX_RATE = "Tax Exempt"


class Layout(NamedTuple):
    headers: list[str]
    rows: list[list[Cell]]
    problems: list[str]  # what stops the export (nothing is written when there is any)


class Context(NamedTuple):
    settings: Mapping[str, str]  # the map's settings of this ERP
    names: Mapping[str, str]  # customer account component ("Acme") → its name ("Acme Corp")
    operating_currency: str | None  # the ledger's first operating_currency


def memo(line: JournalLine) -> str:
    """The journal's description, with its references when it does not already name them."""
    return described(line.description, line.reference.split())


def customer_name(line: JournalLine, names: Mapping[str, str]) -> str:
    """The customer whose account the line posts to (receivable, overpayment, wallet), or ""."""
    key = customer_component(line.beancount_account)
    return names.get(key, key) if key else ""


def mixed_currencies(lines: Sequence[JournalLine], erp: str) -> list[str]:
    currencies: dict[str, set[str]] = {}
    first: dict[str, JournalLine] = {}
    for line in lines:
        currencies.setdefault(line.journal, set()).add(line.currency)
        first.setdefault(line.journal, line)
    return [
        f"journal {journal} ({first[journal].date} {memo(first[journal])}) has lines in "
        f"{' and '.join(sorted(found))}: a {erp} journal entry is in one currency"
        for journal, found in currencies.items()
        if len(found) > 1
    ]


def quickbooks(lines: Sequence[JournalLine], context: Context) -> Layout:
    date_format = context.settings.get("date_format", US_DATE)
    headers = ["Journal No.", "Journal Date", "Account Name", "Debits", "Credits"]
    headers += ["Description", "Name", "Currency"]
    rows: list[list[Cell]] = []
    for line in lines:
        rows.append([line.journal, line.date.strftime(date_format), line.account, line.debit])
        rows[-1] += [line.credit, memo(line), customer_name(line, context.names), line.currency]
    return Layout(headers, rows, mixed_currencies(lines, "QuickBooks"))


def xero(lines: Sequence[JournalLine], context: Context) -> Layout:
    base = context.settings.get("currency", context.operating_currency)
    if base is None:
        problem = 'say the Xero organisation\'s base currency: "xero: {currency: USD}" in the map'
        return Layout([], [], [problem])
    foreign: dict[str, list[JournalLine]] = {}
    for line in lines:
        if line.currency != base:
            journals = foreign.setdefault(line.currency, [])
            if not journals or journals[-1].journal != line.journal:
                journals.append(line)
    problems = [
        f"{len(journals)} journal(s) in {currency}, the first {journals[0].journal} "
        f"({journals[0].date} {memo(journals[0])}): Xero's manual journals are in the base "
        f"currency, {base}"
        for currency, journals in sorted(foreign.items())
    ]
    tax_rate = context.settings.get("tax_rate", XERO_TAX_RATE)
    headers = ["*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount"]
    headers += ["TrackingName1", "TrackingOption1", "TrackingName2", "TrackingOption2"]
    rows: list[list[Cell]] = []
    for line in lines:
        amount = line.debit if line.debit is not None else -(line.credit or ZERO)
        narration = f"{line.journal} {memo(line)}"
        description = customer_name(line, context.names) or memo(line)
        rows.append([narration, line.date.strftime(XERO_DATE), description, line.account])
        rows[-1] += [tax_rate, amount, None, None, None, None]
    return Layout(headers, rows, problems)


def netsuite(lines: Sequence[JournalLine], context: Context) -> Layout:
    date_format = context.settings.get("date_format", US_DATE)
    subsidiary = context.settings.get("subsidiary")
    headers = ["External ID", "Date", *(["Subsidiary"] if subsidiary else []), "Currency"]
    headers += ["Memo", "Account", "Debit", "Credit", "Line Memo", "Name"]
    rows: list[list[Cell]] = []
    for line in lines:
        rows.append([f"beanbill-{line.journal}", line.date.strftime(date_format)])
        rows[-1] += [subsidiary] if subsidiary else []
        rows[-1] += [line.currency, memo(line), line.account, line.debit, line.credit]
        rows[-1] += [line.beancount_account, customer_name(line, context.names)]
    return Layout(headers, rows, mixed_currencies(lines, "NetSuite"))


LAYOUTS: dict[str, Callable[[Sequence[JournalLine], Context], Layout]] = {
    "quickbooks": quickbooks,
    "xero": xero,
    "netsuite": netsuite,
}
