"""Revenue recognition schedules (ASC 606 / IFRS 15 step 5), as pure functions.

An `Obligation` is one billed (or credited) amount with its service period and rule. Its
`schedule` says how much revenue to recognise on which dates: monthly amounts dated on each
month's last day for the ratable and consumption methods, one amount for point-in-time and
as-invoiced. Schedules are rounded cumulatively — each date gets round(exact amount recognised
to that date) - round(exact amount to the previous date) — so no month drifts and the schedule
sums exactly to the obligation's amount.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from beanbill.model import RecognitionMethod
from beanbill.money import ZERO, round_money
from beanbill.periods import month_end, month_spans

Schedule = list[tuple[datetime.date, Decimal]]
ONE = Decimal(1)
RATABLE = (RecognitionMethod.RATABLE_DAILY, RecognitionMethod.RATABLE_MONTHLY)
AS_CONSUMED = RecognitionMethod.AS_CONSUMED


class Obligation(NamedTuple):
    """An amount of revenue to recognise over a service period, by a method. (A named tuple:
    the books have one per invoice line.)"""

    amount: Decimal  # positive: revenue to recognise; negative: a reduction (discount, memo)
    currency: str
    method: RecognitionMethod
    start: datetime.date
    end: datetime.date
    invoice_date: datetime.date
    consumed: tuple[tuple[datetime.date, Decimal], ...] = ()  # as_consumed: (day, quantity)
    milestones: tuple[tuple[datetime.date, Decimal], ...] = ()  # milestone: (day, weight)


def earned_when_its_period_ends(obligation: Obligation) -> Obligation:
    """A minimum commitment's shortfall: known, and earned, only when its billing period ends
    (the usage that falls short may come on its last day). One amount on the month end of the
    period's last day, whatever the method of its rule (whose account it goes to): never by
    the usage or the days of the line it is posted like, and never into a month before the
    period ends, which a close may have locked."""
    return obligation._replace(method=AS_CONSUMED, consumed=(), milestones=())


def cumulative(
    amount: Decimal, currency: str, weights: Sequence[tuple[datetime.date, Decimal]]
) -> Schedule:
    """Spread `amount` over dated weights, rounding cumulatively; dates may repeat (merged)."""
    total = sum([w for _, w in weights], ZERO)
    if total == ZERO:
        return [(weights[-1][0], amount)] if weights else []
    if len(weights) == 1:  # most lines: a month's service, recognised in that month
        whole = round_money(amount, currency)
        return [(weights[0][0], whole)] if whole else []
    merged: dict[datetime.date, Decimal] = {}
    for day, weight in weights:
        merged[day] = merged.get(day, ZERO) + weight
    schedule: Schedule = []
    running = ZERO
    previous = ZERO
    last = max(merged)
    for day in sorted(merged):
        running += merged[day]
        rounded = round_money(amount * running / total, currency)
        if rounded != previous or day == last:
            schedule.append((day, rounded - previous))
        previous = rounded
    return [(day, value) for day, value in schedule if value != ZERO]


def daily_weights(start: datetime.date, end: datetime.date) -> list[tuple[datetime.date, Decimal]]:
    """Service days per month, dated at each month's end."""
    return [(month_end(a), Decimal((b - a).days + 1)) for a, b in month_spans(start, end)]


def monthly_weights(
    start: datetime.date, end: datetime.date
) -> list[tuple[datetime.date, Decimal]]:
    """One per whole month; a partial month counts its share of that month's days."""
    weights = []
    for a, b in month_spans(start, end):
        last = month_end(a)
        days_in_month = last.day
        weights.append((last, Decimal((b - a).days + 1) / Decimal(days_in_month)))
    return weights


def schedule(obligation: Obligation) -> Schedule:
    """The dated amounts that recognise `obligation`, summing exactly to its amount."""
    ob = obligation
    one_month = (ob.start.year, ob.start.month) == (ob.end.year, ob.end.month)
    if one_month and (ob.method in RATABLE or (ob.method is AS_CONSUMED and not ob.consumed)):
        # most lines (a month's subscription, a month's usage): all of it at the month's end
        return cumulative(ob.amount, ob.currency, [(month_end(ob.end), ONE)])
    match ob.method:
        case RecognitionMethod.RATABLE_DAILY:
            weights = daily_weights(ob.start, ob.end)
        case RecognitionMethod.RATABLE_MONTHLY:
            weights = monthly_weights(ob.start, ob.end)
        case RecognitionMethod.POINT_IN_TIME:
            weights = [(ob.start, Decimal(1))]
        case RecognitionMethod.AS_INVOICED:
            weights = [(ob.invoice_date, Decimal(1))]
        case RecognitionMethod.AS_CONSUMED:
            weights = [(month_end(day), q) for day, q in ob.consumed] or [
                (month_end(ob.end), Decimal(1))
            ]
        case RecognitionMethod.MILESTONE:
            # Never before the service starts: a milestone reached earlier (a line billed in
            # instalments after it) is recognised on the service start.
            weights = [(max(day, ob.start), w) for day, w in ob.milestones] or [
                (ob.end, Decimal(1))
            ]
    return cumulative(ob.amount, ob.currency, weights)


def recognised_by(obligation_schedule: Schedule, day: datetime.date) -> Decimal:
    """How much of a schedule is recognised on or before `day`."""
    return sum((value for date, value in obligation_schedule if date <= day), ZERO)
