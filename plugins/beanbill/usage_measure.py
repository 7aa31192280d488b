"""Measure metered usage: the events of one line's billing period, aggregated for pricing."""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Sequence
from decimal import Decimal

from beanbill import model as m
from beanbill.pricing import Measured

ZERO = Decimal(0)


class UsageIndex:
    """Events by (customer, metric), sorted by date, for fast period look-ups."""

    def __init__(self, events: Sequence[m.UsageEvent]) -> None:
        self._events: dict[tuple[str, str], list[m.UsageEvent]] = {}
        for event in events:
            self._events.setdefault((event.customer, event.metric), []).append(event)
        self._dates = {key: [e.date for e in evs] for key, evs in self._events.items()}
        self.used: set[m.Source] = set()  # sources of events that fell in some billing period
        self._billed_by: dict[m.Source, str] = {}
        # (first line, second line) → the events both billed, in order
        self.double_billed: dict[tuple[str, str], list[m.UsageEvent]] = {}

    def between(
        self,
        customer: str,
        metric: str,
        start: datetime.date,
        end: datetime.date,
        biller: str | None = None,
    ) -> list[m.UsageEvent]:
        """Events of `customer` and `metric` dated in [start, end], marked as used, and as
        billed by `biller` (a contract line) when given: an event two lines bill is noted in
        `double_billed`."""
        key = (customer, metric)
        dates = self._dates.get(key, [])
        low = bisect.bisect_left(dates, start)
        high = bisect.bisect_right(dates, end)
        found = self._events.get(key, [])[low:high]
        self.used.update(event.source for event in found)
        if biller is not None:
            for event in found:
                first = self._billed_by.setdefault(event.source, biller)
                if first != biller:
                    self.double_billed.setdefault((first, biller), []).append(event)
        return found

    def unused(self) -> list[m.UsageEvent]:
        return [e for evs in self._events.values() for e in evs if e.source not in self.used]


def aggregate(events: Sequence[m.UsageEvent], product: m.Product) -> Decimal:
    """The period quantity of `events` under the product's aggregation."""
    if not events:
        return ZERO
    match product.aggregation:
        case m.Aggregation.SUM:
            return sum((e.quantity for e in events), ZERO)
        case m.Aggregation.MAX:
            return max(e.quantity for e in events)
        case m.Aggregation.LAST:
            return events[-1].quantity
        case m.Aggregation.COUNT:
            return Decimal(len(events))
        case m.Aggregation.UNIQUE_COUNT:
            field = product.unique_field
            values = {e.dimension(field) if field else e.event_id for e in events}
            return Decimal(len(values - {None}))


def measure(
    events: Sequence[m.UsageEvent],
    product: m.Product,
    pricing: m.Pricing,
    free_units: Decimal,
    second: Sequence[m.UsageEvent] = (),
) -> Measured:
    """What the pricing model needs of one period's events, free units subtracted."""
    quantity = max(aggregate(events, product) - free_units, ZERO)
    by_dimension: tuple[tuple[str, Decimal], ...] = ()
    if isinstance(pricing, m.Matrix):
        groups: dict[str, list[m.UsageEvent]] = {}
        for event in events:
            groups.setdefault(event.dimension(pricing.dimension) or "", []).append(event)
        by_dimension = tuple(
            (value, aggregate(group, product)) for value, group in sorted(groups.items())
        )
    return Measured(
        quantity=quantity,
        amount=sum((e.amount or ZERO for e in events), ZERO),
        events=len(events),
        by_dimension=by_dimension,
        second_quantity=sum((e.quantity for e in second), ZERO),
    )
