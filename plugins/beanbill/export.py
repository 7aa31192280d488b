"""The general journal for an ERP: every transaction of a period as debit and credit lines,
each account mapped to the ERP's chart.

A map is a YAML file `accounts:` of Beancount account patterns to ERP accounts, tried in
order (`*` matches any run of characters, `:` included):

    accounts:
      "Assets:AccountsReceivable:Customers:*": "1200"
      "Assets:Cash:*": "1000"
      "Income:*": "4000"

With a map, every account the period posts to must match a pattern (else nothing is
exported: an unmapped account would leave the ERP's journal unbalanced or wrong); without one,
accounts keep their Beancount names. A map may also hold the settings of an ERP's import
layout (`erp.py`), under the ERP's name:

    quickbooks: {date_format: "%d/%m/%Y"}
    xero: {tax_rate: BAS Excluded, currency: AUD}
    netsuite: {subsidiary: Demo SaaS Inc.}

A journal is one transaction; its lines balance per currency (debits = credits), which the
export checks. Transactions that convert currencies (a posting at a price or cost) are
refused: an ERP journal is in one currency.
"""

from __future__ import annotations

import datetime
import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

from beancount.core import data
from yaml.nodes import MappingNode, Node, ScalarNode

from beanbill.books import units
from beanbill.ledger import sort_key
from beanbill.model import Source
from beanbill.money import currency_hint, known_currencies
from beanbill.problems import at, meant_hint
from beanbill.settlement import CONTRA_PARENT, RECEIVABLE_PARENT, WALLET_PARENT, component
from beanbill.yamlread import Document, Invalid, describe, error_line

ZERO = Decimal(0)
# A customer's own accounts: its receivable, its unapplied cash (contra-receivable), its wallet.
CUSTOMER_PARENTS = (RECEIVABLE_PARENT, CONTRA_PARENT, WALLET_PARENT)


# The settings each ERP's layout takes from the map (erp.py says what they mean).
ERP_SETTINGS: dict[str, frozenset[str]] = {
    "quickbooks": frozenset({"date_format"}),
    "xero": frozenset({"tax_rate", "currency"}),
    "netsuite": frozenset({"date_format", "subsidiary"}),
}
SAMPLE_DATE = datetime.date(2026, 12, 31)


class AccountMap(NamedTuple):
    patterns: tuple[tuple[str, str], ...]  # (Beancount pattern, ERP account), in order
    settings: dict[str, dict[str, str]]  # ERP name → its layout's settings

    def get(self, account: str) -> str | None:
        for pattern, target in self.patterns:
            if fnmatch.fnmatchcase(account, pattern):
                return target
        return None


class JournalLine(NamedTuple):
    journal: str  # "<yyyymmdd>-<n>": the n-th exported transaction of that date
    date: datetime.date
    account: str  # the ERP account (or the Beancount account, without a map)
    beancount_account: str
    debit: Decimal | None
    credit: Decimal | None
    currency: str
    description: str  # the transaction's narration (else its payee)
    reference: str  # its links (invoice, memo ids), space-separated
    customer: str  # the entry's `customer`, else the id of the customer whose account it is


class ExportProblem(NamedTuple):
    entry: data.Directive | None  # None: a problem of the map
    message: str


class MapError(ValueError):
    """The problems of a map file, each `file:line: message` (the file as `shown` names it)."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


class MapReader:
    """The nodes of one map file, read with their lines (yamlread's `Document`), and the
    problems found, each at the line of the key or value it is about."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.found: list[tuple[Source, str]] = []

    def add(self, node: Node | None, message: str) -> None:
        self.found.append((self.doc.source(node), message))

    def problems(self) -> list[str]:
        """`file:line: message` of each problem, in the order of their lines."""
        found = sorted(self.found, key=lambda problem: problem[0].line)
        return [f"{at(source)}: {message}" for source, message in found]

    def pairs(self, node: MappingNode) -> list[tuple[str, Node, Node]]:
        """The mapping's (key, key node, value node), in order; a key that is not text, or is
        given twice, is a problem (YAML would silently keep the last of two)."""
        self.doc.spend(node, len(node.value))
        pairs: list[tuple[str, Node, Node]] = []
        first: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.add(key_node, f"keys must be text, not {describe(key_node)}")
                continue
            key = str(key_node.value)
            if key in first:
                line = first[key].start_mark.line + 1
                self.add(key_node, f"key {key!r} is given twice (first on line {line})")
                continue
            first[key] = key_node
            pairs.append((key, key_node, value_node))
        return pairs


def text_of(node: Node) -> str | None:
    """A scalar's text as written (a YAML number, date or boolean too), or None for a list or
    a mapping."""
    return str(node.value) if isinstance(node, ScalarNode) else None


def read_map(text: str, source: str) -> AccountMap:
    """Parse a map file; raise MapError with every problem found, each at its line of `source`.
    Every value is read as the text written: an ERP account code is a name, and YAML's own
    types would read `0100` as the octal number 64 and `1200.10` as 1200.1."""
    try:
        doc = Document(source, text)
    except Invalid as error:  # a syntax error, a tag other than plain data, too deep
        line = error_line(error) or (error.node.start_mark.line + 1 if error.node else 1)
        raise MapError([f"{at(Source(source, line))}: {error.message}"]) from error
    reader = MapReader(doc)
    try:
        account_map = read_nodes(doc.root, reader)
    except Invalid as error:  # the node budget spent: aliases expanding without end
        reader.add(error.node, error.message)
        raise MapError(reader.problems()) from error
    if reader.found:
        raise MapError(reader.problems())
    return account_map


def read_nodes(root: Node | None, reader: MapReader) -> AccountMap:
    """The map of a file's root node (None: an empty file); its problems go to `reader`."""
    pairs = reader.pairs(root) if isinstance(root, MappingNode) else []
    accounts = next((value for key, _, value in pairs if key == "accounts"), None)
    if not isinstance(accounts, MappingNode) or not accounts.value:
        where = root if accounts is None else accounts  # no accounts: the file's first line
        reader.add(where, 'needs "accounts:", a mapping of account patterns to ERP accounts')
    patterns = []
    for pattern, _, node in reader.pairs(accounts) if isinstance(accounts, MappingNode) else ():
        target = text_of(node)
        if not target:
            reader.add(node, f"{pattern!r}: map each account pattern to an ERP account")
            continue
        patterns.append((pattern, target))
    settings = {}
    for key, key_node, value in pairs:
        if key == "accounts":
            continue
        if key not in ERP_SETTINGS:
            known = ", ".join(["accounts", *ERP_SETTINGS])
            hint = meant_hint(key, ["accounts", *ERP_SETTINGS])
            reader.add(key_node, f"unknown key {key!r} ({hint}a map has {known})")
            continue
        settings[key] = read_settings(key, value, reader)
    return AccountMap(tuple(patterns), settings)


def read_settings(erp: str, node: Node, reader: MapReader) -> dict[str, str]:
    """The settings of `erp` in the map; each problem is added to the reader's."""
    allowed = ERP_SETTINGS[erp]
    if not isinstance(node, MappingNode):
        reader.add(node, f"{erp}: give its settings ({', '.join(sorted(allowed))})")
        return {}
    settings = {}
    nodes = {}
    for key, key_node, value in reader.pairs(node):
        setting = text_of(value)
        if key not in allowed:
            reader.add(
                key_node, f"{erp}: unknown setting {key!r} (it takes {', '.join(sorted(allowed))})"
            )
        elif not setting:
            reader.add(value, f"{erp}: {key} must be a text or a number")
        else:
            settings[key], nodes[key] = setting, value
    date_format = settings.get("date_format")
    if date_format is not None and not reads_back(date_format):
        reader.add(
            nodes["date_format"],
            f"{erp}: date_format {date_format!r} does not write a whole date "
            'that reads back (e.g. "%m/%d/%Y")',
        )
    currency = settings.get("currency")
    if currency is not None and currency not in known_currencies():
        reader.add(
            nodes["currency"],
            f"{erp}: currency {currency!r} is not an ISO 4217 currency code"
            f"{currency_hint(currency)}",
        )
    return settings


def reads_back(date_format: str) -> bool:
    """Whether `date_format` (strftime) writes a date from which the same date is read."""
    try:
        text = SAMPLE_DATE.strftime(date_format)
        return datetime.datetime.strptime(text, date_format).date() == SAMPLE_DATE
    except ValueError:
        return False


def customer_component(account: str) -> str | None:
    """The customer's account component ("Acme") of one of its accounts (receivable, unapplied
    cash, wallet), else None."""
    return component(account) if account.startswith(CUSTOMER_PARENTS) else None


def journal_lines(
    entries: Iterable[data.Directive],
    since: datetime.date,
    until: datetime.date,
    account_map: AccountMap | None = None,
    customers: Mapping[str, str] | None = None,
) -> tuple[list[JournalLine], list[ExportProblem]]:
    """The journal lines of the transactions dated `since` to `until` (both included), in
    `sort_key` order, and what stops the export (nothing is to be exported when there is any).

    A line's customer is its entry's `customer` metadata; an entry without (a payment written
    by hand) names on each line that posts to a customer's account that customer: its id in
    `customers` (account component → customer id), else the component itself."""
    customers = customers or {}
    lines: list[JournalLine] = []
    problems: list[ExportProblem] = []
    unmapped: dict[str, data.Transaction] = {}
    number_of_day: dict[datetime.date, int] = {}
    period = [e for e in entries if isinstance(e, data.Transaction) and since <= e.date <= until]
    for entry in sorted(period, key=sort_key):
        if any(p.cost is not None or p.price is not None for p in entry.postings):
            problems.append(
                ExportProblem(
                    entry, "converts currencies (a posting at a price or cost): not exported"
                )
            )
            continue
        number_of_day[entry.date] = number_of_day.get(entry.date, 0) + 1
        journal = f"{entry.date:%Y%m%d}-{number_of_day[entry.date]}"
        description = entry.narration or entry.payee or ""
        reference = " ".join(sorted(entry.links or ()))
        named = str(entry.meta.get("customer", ""))
        sums: dict[str, Decimal] = {}
        for posting in entry.postings:
            number = units(posting)
            if number is None or number[0] == ZERO:
                continue
            amount, currency = number
            target = posting.account if account_map is None else account_map.get(posting.account)
            if target is None:
                unmapped.setdefault(posting.account, entry)
                target = ""
            sums[currency] = sums.get(currency, ZERO) + amount
            key = customer_component(posting.account)
            customer = named or (customers.get(key, key) if key else "")
            lines.append(
                JournalLine(
                    journal,
                    entry.date,
                    target,
                    posting.account,
                    amount if amount > ZERO else None,
                    -amount if amount < ZERO else None,
                    currency,
                    description,
                    reference,
                    customer,
                )
            )
        for currency, total in sorted(sums.items()):
            if total != ZERO:
                problems.append(
                    ExportProblem(entry, f"does not balance in {currency} (off by {total})")
                )
    for account, entry in sorted(unmapped.items()):
        first = f'{entry.date} "{entry.narration}"'
        message = f"account {account} (first posted to by {first}) matches no pattern: add one"
        problems.append(ExportProblem(None, message))
    return lines, problems


def totals(lines: Sequence[JournalLine]) -> dict[str, tuple[Decimal, Decimal]]:
    """Debits and credits per currency (equal, for a balanced export)."""
    result: dict[str, tuple[Decimal, Decimal]] = {}
    for line in lines:
        debit, credit = result.get(line.currency, (ZERO, ZERO))
        result[line.currency] = (debit + (line.debit or ZERO), credit + (line.credit or ZERO))
    return result
