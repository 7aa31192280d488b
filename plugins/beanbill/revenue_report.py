"""The revenue waterfall: per month, revenue recognised per Income account, what Sales Returns
and Allowances took back of it (credit memos on revenue already earned, promotional credits),
the net revenue, and the Deferred and Unbilled Revenue balances at the month's end. A pure
function over plain postings, shared by `beanbill revenue`, `beanbill diff` and the Fava
extension.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from beanbill.money import ZERO, minor_unit
from beanbill.periods import month_end
from beanbill.rules import DEFERRED_REVENUE, SALES_RETURNS, UNBILLED_REVENUE


@dataclass(frozen=True)
class PostingRow:
    date: datetime.date
    account: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class MonthRow:
    month: str  # YYYY-MM
    currency: str
    recognised: dict[str, Decimal] = field(default_factory=dict)  # per Income account, positive
    deferred: Decimal = ZERO  # balance at month end, positive = owed to customers
    unbilled: Decimal = ZERO  # balance at month end, positive = earned, not yet invoiced
    returns: Decimal = ZERO  # the month's Sales Returns and Allowances, positive = taken back

    @property
    def total(self) -> Decimal:
        """Revenue recognised (gross of returns and allowances)."""
        return sum(self.recognised.values(), zero_in(self.currency))

    @property
    def net(self) -> Decimal:
        """Revenue recognised less returns and allowances: the income statement's net revenue."""
        return self.total - self.returns


def zero_in(currency: str) -> Decimal:
    """Zero written to the currency's minor unit: 0.00 USD, 0 JPY (a bare 0 among amounts of
    cents reads as a different kind of number)."""
    return minor_unit(currency) * 0


def is_revenue_account(account: str) -> bool:
    """An account the waterfall reads: Income, Sales Returns and Allowances, Deferred or
    Unbilled Revenue."""
    return account.startswith("Income:") or account in (
        DEFERRED_REVENUE,
        UNBILLED_REVENUE,
        SALES_RETURNS,
    )


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The month ends from `first`'s month to `last`'s month."""
    ends = []
    day = month_end(first)
    while day <= month_end(last):
        ends.append(day)
        day = month_end(day + datetime.timedelta(days=1))
    return ends


def waterfall(
    rows: Iterable[PostingRow],
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> list[MonthRow]:
    """Month rows (sorted by month, then currency): every month in which a row of that currency
    is dated, or whose Deferred or Unbilled balance in it is not zero."""
    relevant = [r for r in rows if is_revenue_account(r.account)]
    if not relevant:
        return []
    first = start or min(r.date for r in relevant)
    last = end or max(r.date for r in relevant)
    currencies = sorted({r.currency for r in relevant})
    result = []
    balances = {
        (a, c): zero_in(c) for a in (DEFERRED_REVENUE, UNBILLED_REVENUE) for c in currencies
    }
    ordered = sorted(relevant, key=lambda r: r.date)
    index = 0
    for day in months_between(first, last):
        recognised: dict[str, dict[str, Decimal]] = {c: {} for c in currencies}
        returns = {c: zero_in(c) for c in currencies}
        touched: set[str] = set()  # currencies with a row dated in this month
        while index < len(ordered) and ordered[index].date <= day:
            row = ordered[index]
            index += 1
            in_month = row.date >= day.replace(day=1)
            if in_month:
                touched.add(row.currency)
            if row.account.startswith("Income:"):
                if in_month:
                    income = recognised[row.currency]
                    income[row.account] = income.get(row.account, ZERO) - row.amount
            elif row.account == SALES_RETURNS:
                if in_month:
                    returns[row.currency] += row.amount
            else:
                balances[(row.account, row.currency)] += row.amount
        for currency in currencies:
            deferred = balances[(DEFERRED_REVENUE, currency)]
            unbilled = balances[(UNBILLED_REVENUE, currency)]
            if currency not in touched and deferred == unbilled == ZERO:
                continue  # no row of this currency this month, and both balances are zero
            result.append(
                MonthRow(
                    month=f"{day:%Y-%m}",
                    currency=currency,
                    recognised=dict(sorted(recognised[currency].items())),
                    deferred=-deferred,
                    unbilled=unbilled,
                    returns=returns[currency],
                )
            )
    return result


def income_accounts(months: Iterable[MonthRow]) -> list[str]:
    return sorted({account for row in months for account in row.recognised})
