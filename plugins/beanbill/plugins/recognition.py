"""Recognise revenue: release Deferred Revenue and accrue Unbilled Revenue into Income.

Usage, in the top-level ledger file, after the contracts plugin:

    plugin "beanbill.plugins.recognition"

No config. Every posting to `Liabilities:DeferredRevenue` (billed in advance) or
`Assets:UnbilledRevenue` (billed in arrears) that carries the metadata `revenue-rule`,
`service-start` and `service-end` — generated invoices and hand-written ones alike — is
recognised by its rule's schedule (see beanbill.recognition): the plugin emits, per contract
(or per hand-written invoice) and per recognition date, one transaction moving the amount
from Deferred (or into Unbilled) to the rule's Income account, with a posting per line.

Optional posting metadata: `allocated-amount` (the revenue to recognise when it differs from
the billed amount: ASC 606 allocation by standalone selling price), `consumed` (usage by day,
"2026-01-31=5000 2026-02-28=3000", for `as_consumed` rules), `milestones` (the same form, by
weight, for `milestone` rules). A minimum commitment's true-up (`line-kind: "minimum"`) is
earned in one amount when its period ends, whatever its rule's method (its rule gives the
account).

Rules are declared by `custom "beanbill-revenue-rule" ID METHOD ACCOUNT` directives; the
contracts plugin declares the catalog's rules, and a hand-written ledger can declare its own.

Errors: a hand-written posting to either account without `revenue-rule` (nothing would ever
recognise it, and the account would stop tying out to the invoices), at its entry; a
malformed line or rule declaration. A release dated outside the span the ledger opens one of
its accounts in (before the Open, or after a Close) is left out, with an error at the invoice
it releases (at the YAML line of a generated invoice).

Fava reloads the whole ledger on any change and keeps this module imported. The plugin keeps
its last releases of each ledger by group (contract or invoice), with the entries they came
from: a group whose entries are the very same objects as then (the contracts plugin hands
back its unchanged directives, and Beancount's directives are immutable) and whose revenue
rules are unchanged keeps its releases; only their line numbers and the accounts' open and
close dates are looked at again.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from beancount.core import data

from beanbill.active import ActiveAccounts, SourceFinder
from beanbill.billing import MINIMUM
from beanbill.ledger import (
    GENERATED_PREFIX,
    RECOGNITION_FILE,
    amount,
    internal_error,
    paused_garbage_collector,
)
from beanbill.model import RecognitionMethod
from beanbill.money import ZERO
from beanbill.problems import subject
from beanbill.recognition import Obligation, earned_when_its_period_ends, schedule
from beanbill.rules import DEFERRED_REVENUE, REVENUE_RULE, UNBILLED_REVENUE

__plugins__ = ("recognise_revenue",)

RECOGNISED_ACCOUNTS = (DEFERRED_REVENUE, UNBILLED_REVENUE)
REVENUE_RULE_KEY = "revenue-rule"


class RecognitionError(NamedTuple):
    source: dict[str, Any]
    message: str
    entry: data.Directive | None


class Rule(NamedTuple):
    method: RecognitionMethod
    account: str


class Line(NamedTuple):
    """One posting to recognise, with what the release transaction needs to say about it."""

    account: str  # Deferred or Unbilled
    income: str
    obligation: Obligation
    invoice_id: str | None
    product: str | None
    payee: str | None
    invoice: dict[str, Any]  # the metadata of the invoice (or memo) it comes from
    contract: str | None = None  # the posting's own, on a consolidated invoice (or its memo)


class Release(NamedTuple):
    """One release (or accrual) transaction of a group, without its place in the books."""

    date: datetime.date
    payee: str | None
    narration: str
    links: frozenset[str]
    postings: list[data.Posting]
    invoice: dict[str, Any]  # the metadata of the first invoice it releases, for errors
    contract: str  # the contracts whose lines it releases ("A, B" of a consolidated invoice)


class GroupReleases(NamedTuple):
    """A group's releases, and the entries they were worked out from."""

    sources: tuple[data.Transaction, ...]  # the entries holding the group's lines, in order
    releases: tuple[Release, ...]  # by date
    errors: tuple[tuple[data.Transaction, RecognitionError], ...]  # malformed lines


class Recognised(NamedTuple):
    """A load's releases by group, and the revenue rules they were worked out with."""

    rules: dict[str, Rule]
    groups: dict[str, GroupReleases]


# The last recognition of each ledger (a few: Fava may serve several). A group whose lines come
# from the very entries of that recognition (the contracts plugin reuses its unchanged
# directives) is not worked out again; holding the entries keeps their identities unique.
RECENT_RECOGNITIONS = 4
recent: dict[str, Recognised] = {}


def declared_rules(
    entries: Iterable[data.Directive],
) -> tuple[dict[str, Rule], list[RecognitionError]]:
    rules: dict[str, Rule] = {}
    errors: list[RecognitionError] = []
    for entry in entries:
        if not (isinstance(entry, data.Custom) and entry.type == REVENUE_RULE):
            continue
        values = [str(v.value) for v in entry.values]
        methods = " | ".join(m.value for m in RecognitionMethod)
        if len(values) != 3 or values[1] not in {m.value for m in RecognitionMethod}:
            message = f"{REVENUE_RULE} needs: ID METHOD ACCOUNT, METHOD one of {methods}"
            errors.append(RecognitionError(entry.meta, message, entry))
            continue
        rule_id, method, account = values
        if not account.startswith("Income:"):
            message = f'revenue rule "{rule_id}": account {account} must be an Income account'
            errors.append(RecognitionError(entry.meta, message, entry))
            continue
        rules[rule_id] = Rule(RecognitionMethod(method), account)
    return rules, errors


def parse_weights(text: Any, what: str) -> tuple[tuple[datetime.date, Decimal], ...]:
    """ "2026-01-31=5000 2026-02-28=3000" → ((date, Decimal), ...)."""
    try:
        pairs = []
        for item in str(text).split():
            day, weight = item.split("=")
            pairs.append((datetime.date.fromisoformat(day), Decimal(weight)))
        return tuple(pairs)
    except (ValueError, InvalidOperation) as error:
        raise ValueError(f'{what} must read "YYYY-MM-DD=N YYYY-MM-DD=N", not "{text}"') from error


def line_of(entry: data.Transaction, posting: data.Posting, rules: dict[str, Rule]) -> Line:
    """The Line a posting asks to recognise; ValueError with a message if it is malformed."""
    meta = posting.meta or {}
    rule_id = str(meta[REVENUE_RULE_KEY])
    rule = rules.get(rule_id)
    if rule is None:
        known = ", ".join(sorted(rules)) or "none is declared"
        raise ValueError(f'unknown revenue rule "{rule_id}" (known: {known})')
    start, end = meta.get("service-start"), meta.get("service-end")
    if not isinstance(start, datetime.date) or not isinstance(end, datetime.date):
        raise ValueError("a posting with revenue-rule needs service-start and service-end dates")
    if end < start:
        raise ValueError(f"service-end {end} is before service-start {start}")
    units = posting.units
    if units is None or not isinstance(units.number, Decimal):
        raise ValueError("a posting with revenue-rule needs an amount")
    amount = -units.number
    if "allocated-amount" in meta:
        allocated = meta["allocated-amount"]
        if not isinstance(allocated, Decimal):
            raise ValueError("allocated-amount must be a number")
        amount = allocated if amount >= 0 else -allocated
    consumed = parse_weights(meta["consumed"], "consumed") if "consumed" in meta else ()
    milestones = parse_weights(meta["milestones"], "milestones") if "milestones" in meta else ()
    obligation = Obligation(
        amount, units.currency, rule.method, start, end, entry.date, consumed, milestones
    )
    if meta.get("line-kind") == MINIMUM.value:
        obligation = earned_when_its_period_ends(obligation)
    invoice_id = entry.meta.get("invoice-id")
    product = meta.get("product")
    contract = meta.get("contract")
    return Line(
        posting.account,
        rule.account,
        obligation,
        str(invoice_id) if invoice_id else None,
        str(product) if product is not None else None,
        entry.payee,
        entry.meta,
        str(contract) if contract is not None else None,
    )


def release_of(date: datetime.date, group: str, pieces: list[tuple[Line, Decimal]]) -> Release:
    """Per line a debit of Deferred (a release) or Unbilled (an accrual) by the revenue
    recognised, and a credit per Income account."""
    postings: list[data.Posting] = []
    income: dict[tuple[str, str], Decimal] = {}
    for line, value in pieces:
        currency = line.obligation.currency
        meta: dict[str, Any] = {}
        if line.invoice_id:
            meta["invoice-id"] = line.invoice_id
        if line.product:
            meta["product"] = line.product
        if line.contract:
            meta["contract"] = line.contract
        postings.append(
            data.Posting(
                line.account,
                amount(value, currency),
                None,
                None,
                None,
                meta or None,
            )
        )
        key = (line.income, currency)
        income[key] = income.get(key, ZERO) - value
    for (account, currency), value in sorted(income.items()):
        postings.append(data.Posting(account, amount(value, currency), None, None, None, None))
    links = frozenset([line.invoice_id for line, _ in pieces if line.invoice_id])
    first = pieces[0][0]
    # A consolidated invoice's group names all its contracts; the release, those it posts.
    named = ", ".join(dict.fromkeys(line.contract for line, _ in pieces if line.contract))
    contract = named or group
    narration = f"Revenue recognised {date.isoformat()[:7]} — {contract}"
    return Release(date, first.payee, narration, links, postings, first.invoice, contract)


def release_transaction(release: Release, index: int) -> data.Transaction:
    """The release as a transaction, the `index`-th of the plugin's (its line number)."""
    meta = data.new_metadata(RECOGNITION_FILE, index)
    meta["contract"] = release.contract
    customer = release.invoice.get("customer")
    if customer is not None:  # the invoice's (a group is one contract, of one customer)
        meta["customer"] = customer
    return data.Transaction(
        meta,
        release.date,
        "*",
        release.payee,
        release.narration,
        data.EMPTY_SET,
        release.links,
        release.postings,
    )


def group_of(entry: data.Transaction) -> str:
    """The contract (or else the invoice) whose releases share a transaction."""
    meta = entry.meta
    return str(meta.get("contract") or meta.get("invoice-id") or f"{entry.date} {entry.narration}")


class Postings(NamedTuple):
    """What the entries post to Deferred and Unbilled Revenue."""

    recognisable: dict[str, list[data.Transaction]]  # entries with a line to recognise, by group
    unscheduled: list[tuple[data.Transaction, data.Posting]]  # hand-written, no revenue-rule


def read_postings(entries: list[data.Directive]) -> Postings:
    """The transactions with a posting to recognise, by group, in the entries' order; and the
    hand-written postings to the two accounts that have no schedule."""
    groups: dict[str, list[data.Transaction]] = {}
    unscheduled: list[tuple[data.Transaction, data.Posting]] = []
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        recognisable = False
        for posting in entry.postings:
            if posting.account not in RECOGNISED_ACCOUNTS:
                continue
            meta = posting.meta
            if meta and REVENUE_RULE_KEY in meta:
                recognisable = True
            elif not str(entry.meta.get("filename")).startswith(GENERATED_PREFIX):
                unscheduled.append((entry, posting))
        if recognisable:
            groups.setdefault(group_of(entry), []).append(entry)
    return Postings(groups, unscheduled)


def unscheduled_error(entry: data.Transaction, posting: data.Posting) -> RecognitionError:
    """A hand-written posting to Deferred or Unbilled Revenue that nothing will ever recognise:
    the account would no longer tie out to the invoices (accounting-rules.md, invariants)."""
    account = posting.account
    ties_to = (
        "what the invoices billed and did not recognise yet"
        if account == DEFERRED_REVENUE
        else "the revenue recognised and not invoiced yet"
    )
    message = (
        f"{account}: {posting.units} is posted without a revenue schedule: nothing will "
        f"ever recognise it, and {account} would no longer equal {ties_to}. Give the posting "
        "the metadata revenue-rule, service-start and service-end (it is then recognised "
        "like an invoice line), or post to an account of your own, opened with "
        "beanbill-custom: TRUE"
    )
    return RecognitionError(entry.meta, message, entry)


def group_releases(
    group: str, sources: list[data.Transaction], rules: dict[str, Rule]
) -> GroupReleases:
    """The releases of a group's lines, one per recognition date."""
    by_date: dict[datetime.date, list[tuple[Line, Decimal]]] = {}
    errors: list[tuple[data.Transaction, RecognitionError]] = []
    for entry in sources:
        for posting in entry.postings:
            meta = posting.meta
            if not (posting.account in RECOGNISED_ACCOUNTS and meta and REVENUE_RULE_KEY in meta):
                continue
            try:
                line = line_of(entry, posting, rules)
            except ValueError as error:
                message = f"{posting.account}: {error}"
                errors.append((entry, RecognitionError(entry.meta, message, entry)))
                continue
            for date, value in schedule(line.obligation):
                by_date.setdefault(date, []).append((line, value))
    releases = tuple(release_of(date, group, by_date[date]) for date in sorted(by_date))
    return GroupReleases(tuple(sources), releases, tuple(errors))


def same_entries(first: tuple[data.Transaction, ...], second: list[data.Transaction]) -> bool:
    return len(first) == len(second) and all(a is b for a, b in zip(first, second, strict=True))


def recognise_revenue(
    entries: list[data.Directive], options_map: dict[str, Any], config: str | None = None
) -> tuple[list[data.Directive], list[Any]]:
    """The plugin: add the revenue releases and accruals of every recognisable posting."""
    try:
        with paused_garbage_collector():
            return recognise(entries, options_map, config)
    except Exception as error:  # a bug: report it, keep the ledger loadable
        return entries, [internal_error("beanbill.plugins.recognition", error)]


def recognise(
    entries: list[data.Directive], options_map: dict[str, Any], config: str | None
) -> tuple[list[data.Directive], list[RecognitionError]]:
    rules, errors = declared_rules(entries)
    if config and config.strip():
        source = data.new_metadata("<beanbill.plugins.recognition>", 0)
        errors.append(
            RecognitionError(source, "beanbill.plugins.recognition takes no config", None)
        )
    ledger = str(options_map.get("filename"))
    last = recent.pop(ledger, None)
    previous = last.groups if last is not None and last.rules == rules else {}
    groups: dict[str, GroupReleases] = {}
    postings = read_postings(entries)
    for group, sources in postings.recognisable.items():
        known = previous.get(group)
        if known is None or not same_entries(known.sources, sources):
            known = group_releases(group, sources, rules)
        groups[group] = known
    recent[ledger] = Recognised(rules, groups)
    while len(recent) > RECENT_RECOGNITIONS:
        del recent[next(iter(recent))]
    malformed = [pair for releases in groups.values() for pair in releases.errors]
    if malformed:  # in the entries' order
        position = {id(entry): index for index, entry in enumerate(entries)}
        malformed.sort(key=lambda pair: position[id(pair[0])])
        errors.extend(error for _, error in malformed)
    errors.extend(unscheduled_error(entry, posting) for entry, posting in postings.unscheduled)
    dated = sorted(
        (release.date, group, release)
        for group, releases in groups.items()
        for release in releases.releases
    )
    active = ActiveAccounts(entries)
    finder = SourceFinder(options_map)
    new: list[data.Directive] = []
    for index, (date, group, release) in enumerate(dated):
        transaction = release_transaction(release, index)
        reason = active.inactive(transaction)
        if reason is None:
            new.append(transaction)
            continue
        invoice = release.invoice
        invoices = ", ".join(sorted(release.links)) or group
        message = (
            f"{subject(invoice.get('customer'), invoice.get('contract'))}the revenue of "
            f"{invoices} recognised on {date} posts to {reason}: it is left out of the books. "
            "Change the service dates (the contract's), or the account's open or close in the "
            "ledger"
        )
        errors.append(RecognitionError(finder.meta(invoice), message, None))
    new.extend(income_opens(entries, new))
    # No sort: Beancount sorts after each plugin, and the releases' line numbers (their order by
    # date and contract) already make that order independent of the input's.
    return entries + new, errors


def income_opens(existing: list[data.Directive], new: list[data.Directive]) -> list[data.Open]:
    """Opens for the Income accounts the releases use that nothing opened yet."""
    opened = {e.account for e in existing if isinstance(e, data.Open)}
    first: dict[str, datetime.date] = {}
    for entry in new:
        assert isinstance(entry, data.Transaction)
        for posting in entry.postings:
            if posting.account.startswith("Income:") and posting.account not in opened:
                first[posting.account] = min(first.get(posting.account, entry.date), entry.date)
    return [
        data.Open(data.new_metadata(RECOGNITION_FILE, 0), date, account, [], None)
        for account, date in sorted(first.items())
    ]
