"""Measure metered usage: the events of one line's billing period, aggregated for pricing."""

from __future__ import annotations

import bisect
import datetime
import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from beanbill import model as m
from beanbill.pricing import Measured

ZERO = Decimal(0)


class Series(NamedTuple):
    """One customer's events of one metric, sorted by date, and the [low, high) slices of them
    that look-ups returned, in order, each with its biller."""

    dates: list[datetime.date]
    events: list[m.UsageEvent]
    slices: list[tuple[int, int, str | None]]


class UsageIndex:
    """Events by (customer, metric), sorted by date, for fast period look-ups.

    Each look-up only notes the slice of events it returned (and which contract line billed
    it); events used by no line and events billed by two lines are worked out once, at the end,
    from those slices."""

    def __init__(self, events: Sequence[m.UsageEvent]) -> None:
        by_key: dict[tuple[str, str], list[m.UsageEvent]] = {}
        for event in events:
            by_key.setdefault((event.customer, event.metric), []).append(event)
        self._series = {key: Series([e.date for e in evs], evs, []) for key, evs in by_key.items()}

    def between(
        self,
        customer: str,
        metric: str,
        start: datetime.date,
        end: datetime.date,
        biller: str | None = None,
    ) -> list[m.UsageEvent]:
        """Events of `customer` and `metric` dated in [start, end], noted as used, and as
        billed by `biller` (a contract line) when given."""
        series = self._series.get((customer, metric))
        if series is None:
            return []
        dates, events, slices = series
        low = bisect.bisect_left(dates, start)
        high = bisect.bisect_right(dates, end, low)
        if low == high:
            return []
        slices.append((low, high, biller))
        return events[low:high]

    def unused(self) -> list[m.UsageEvent]:
        """Events that no look-up returned, in (customer, metric, date) order."""
        result = []
        for series in self._series.values():
            covered = 0  # events before this index are covered by some slice
            for low, high, _ in sorted(series.slices, key=slice_bounds):
                result += series.events[covered:low]
                covered = max(covered, high)
            result += series.events[covered:]
        return result

    def double_billed(self) -> dict[tuple[str, str], list[m.UsageEvent]]:
        """(first line, second line) → the events both billed, in order: usage two contract
        lines would bill."""
        result: dict[tuple[str, str], list[m.UsageEvent]] = {}
        for series in self._series.values():
            billed = [s for s in series.slices if s[2] is not None]
            ordered = sorted(billed, key=slice_bounds)
            if all(a[1] <= b[0] for a, b in itertools.pairwise(ordered)):
                continue  # no event in two slices
            first_biller: dict[int, str] = {}
            for low, high, biller in billed:
                assert biller is not None
                for index in range(low, high):
                    first = first_biller.setdefault(index, biller)
                    if first != biller:
                        result.setdefault((first, biller), []).append(series.events[index])
        return result


def slice_bounds(noted: tuple[int, int, str | None]) -> tuple[int, int]:
    return noted[0], noted[1]


def aggregate(events: Sequence[m.UsageEvent], product: m.Product) -> Decimal:
    """The period quantity of `events` under the product's aggregation."""
    if not events:
        return ZERO
    match product.aggregation:
        case m.Aggregation.SUM:
            return sum([e.quantity for e in events], ZERO)
        case m.Aggregation.MAX:
            return max([e.quantity for e in events])
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
    used = aggregate(events, product)
    quantity = max(used - free_units, ZERO)
    by_dimension: tuple[tuple[str, Decimal], ...] = ()
    if isinstance(pricing, m.Matrix):
        groups: dict[str, list[m.UsageEvent]] = {}
        for event in events:
            groups.setdefault(event.dimension(pricing.dimension) or "", []).append(event)
        by_dimension = tuple(
            (value, aggregate(group, product)) for value, group in sorted(groups.items())
        )
    processed = ZERO  # the events' amounts: only percent pricing charges on them
    if isinstance(pricing, m.Percent):
        processed = sum([e.amount or ZERO for e in events], ZERO)
    second_quantity = sum([e.quantity for e in second], ZERO) if second else ZERO
    return Measured(quantity, processed, len(events), by_dimension, second_quantity, used)
