"""Tests for beanbill.periods: hand-checked cadences plus tiling properties."""

from __future__ import annotations

import datetime
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beanbill.model import Anchor, Billing, Timing
from beanbill.periods import (
    Period,
    add_months,
    billing_periods,
    days_between,
    month_spans,
)

D = datetime.date
ONE_DAY = datetime.timedelta(days=1)
FAR = D(2099, 12, 31)  # an `until` that never limits


def billing(
    months: int | None, timing: Timing = Timing.ADVANCE, anchor: Anchor = Anchor.CALENDAR
) -> Billing:
    return Billing(months=months, timing=timing, anchor=anchor)


def spans(periods: list[Period]) -> list[tuple[datetime.date, datetime.date]]:
    return [(p.start, p.end) for p in periods]


def full_spans(periods: list[Period]) -> list[tuple[datetime.date, datetime.date]]:
    return [(p.full_start, p.full_end) for p in periods]


# --- helpers -------------------------------------------------------------------------------


def test_days_between_is_inclusive() -> None:
    assert days_between(D(2026, 1, 1), D(2026, 1, 1)) == 1
    assert days_between(D(2026, 1, 1), D(2026, 1, 31)) == 31
    assert days_between(D(2024, 1, 1), D(2024, 12, 31)) == 366


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2026, 1, 31), 2) == D(2026, 3, 31)
    assert add_months(D(2026, 11, 15), 3) == D(2027, 2, 15)
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)


def test_month_spans_across_a_year() -> None:
    assert month_spans(D(2025, 11, 20), D(2026, 2, 10)) == [
        (D(2025, 11, 20), D(2025, 11, 30)),
        (D(2025, 12, 1), D(2025, 12, 31)),
        (D(2026, 1, 1), D(2026, 1, 31)),
        (D(2026, 2, 1), D(2026, 2, 10)),
    ]


def test_month_spans_single_day_and_invalid() -> None:
    assert month_spans(D(2026, 5, 31), D(2026, 5, 31)) == [(D(2026, 5, 31), D(2026, 5, 31))]
    with pytest.raises(ValueError):
        month_spans(D(2026, 2, 1), D(2026, 1, 31))


# --- hand-checked cadences -----------------------------------------------------------------


def test_monthly_calendar_advance() -> None:
    periods = billing_periods(billing(1), D(2026, 1, 15), D(2027, 1, 14), FAR)
    assert len(periods) == 13
    first, last = periods[0], periods[-1]
    assert (first.start, first.end) == (D(2026, 1, 15), D(2026, 1, 31))
    assert (first.full_start, first.full_end) == (D(2026, 1, 1), D(2026, 1, 31))
    assert first.proration() == (17, 31)
    assert first.is_partial
    assert first.invoice_date == D(2026, 1, 15)
    assert (last.start, last.end) == (D(2027, 1, 1), D(2027, 1, 14))
    assert last.proration() == (14, 31)
    assert last.invoice_date == D(2027, 1, 1)
    assert periods[1] == Period(
        start=D(2026, 2, 1),
        end=D(2026, 2, 28),
        full_start=D(2026, 2, 1),
        full_end=D(2026, 2, 28),
        invoice_date=D(2026, 2, 1),
    )
    assert not periods[1].is_partial
    assert [p.invoice_date for p in periods[1:]] == [D(2026, m, 1) for m in range(2, 13)] + [
        D(2027, 1, 1)
    ]


def test_until_is_ignored_when_end_is_given() -> None:
    periods = billing_periods(billing(1), D(2026, 1, 15), D(2027, 1, 14), D(2026, 3, 1))
    assert len(periods) == 13


def test_monthly_calendar_arrears() -> None:
    periods = billing_periods(billing(1, Timing.ARREARS), D(2026, 1, 15), D(2026, 4, 20), FAR)
    assert spans(periods) == [
        (D(2026, 1, 15), D(2026, 1, 31)),
        (D(2026, 2, 1), D(2026, 2, 28)),
        (D(2026, 3, 1), D(2026, 3, 31)),
        (D(2026, 4, 1), D(2026, 4, 20)),
    ]
    assert [p.invoice_date for p in periods] == [
        D(2026, 2, 1),
        D(2026, 3, 1),
        D(2026, 4, 1),
        D(2026, 4, 21),  # the day after the clipped end
    ]


def test_quarterly_calendar() -> None:
    periods = billing_periods(billing(3), D(2026, 2, 10), D(2026, 12, 31), FAR)
    assert spans(periods) == [
        (D(2026, 2, 10), D(2026, 3, 31)),
        (D(2026, 4, 1), D(2026, 6, 30)),
        (D(2026, 7, 1), D(2026, 9, 30)),
        (D(2026, 10, 1), D(2026, 12, 31)),
    ]
    assert (periods[0].full_start, periods[0].full_end) == (D(2026, 1, 1), D(2026, 3, 31))
    assert periods[0].proration() == (50, 90)
    assert [p.invoice_date for p in periods] == [
        D(2026, 2, 10),
        D(2026, 4, 1),
        D(2026, 7, 1),
        D(2026, 10, 1),
    ]


def test_quarterly_calendar_from_november() -> None:
    periods = billing_periods(billing(3), D(2026, 11, 5), D(2027, 2, 1), FAR)
    assert full_spans(periods) == [
        (D(2026, 10, 1), D(2026, 12, 31)),
        (D(2027, 1, 1), D(2027, 3, 31)),
    ]
    assert spans(periods) == [(D(2026, 11, 5), D(2026, 12, 31)), (D(2027, 1, 1), D(2027, 2, 1))]


def test_semi_annual_calendar() -> None:
    periods = billing_periods(billing(6), D(2026, 3, 15), D(2027, 3, 14), FAR)
    assert spans(periods) == [
        (D(2026, 3, 15), D(2026, 6, 30)),
        (D(2026, 7, 1), D(2026, 12, 31)),
        (D(2027, 1, 1), D(2027, 3, 14)),
    ]
    assert full_spans(periods) == [
        (D(2026, 1, 1), D(2026, 6, 30)),
        (D(2026, 7, 1), D(2026, 12, 31)),
        (D(2027, 1, 1), D(2027, 6, 30)),
    ]


def test_annual_calendar_arrears() -> None:
    periods = billing_periods(billing(12, Timing.ARREARS), D(2026, 3, 15), D(2028, 3, 14), FAR)
    assert spans(periods) == [
        (D(2026, 3, 15), D(2026, 12, 31)),
        (D(2027, 1, 1), D(2027, 12, 31)),
        (D(2028, 1, 1), D(2028, 3, 14)),
    ]
    assert periods[2].full_end == D(2028, 12, 31)
    assert periods[2].proration() == (74, 366)
    assert [p.invoice_date for p in periods] == [D(2027, 1, 1), D(2028, 1, 1), D(2028, 3, 15)]


def test_annual_start_anchor() -> None:
    periods = billing_periods(billing(12, anchor=Anchor.START), D(2026, 3, 15), D(2028, 3, 14), FAR)
    assert spans(periods) == [
        (D(2026, 3, 15), D(2027, 3, 14)),
        (D(2027, 3, 15), D(2028, 3, 14)),
    ]
    assert not any(p.is_partial for p in periods)


def test_every_five_months_calendar_steps_from_start_month() -> None:
    periods = billing_periods(billing(5), D(2026, 3, 10), D(2027, 6, 30), FAR)
    assert spans(periods) == [
        (D(2026, 3, 10), D(2026, 7, 31)),
        (D(2026, 8, 1), D(2026, 12, 31)),
        (D(2027, 1, 1), D(2027, 5, 31)),
        (D(2027, 6, 1), D(2027, 6, 30)),
    ]
    assert full_spans(periods)[0] == (D(2026, 3, 1), D(2026, 7, 31))
    assert full_spans(periods)[-1] == (D(2027, 6, 1), D(2027, 10, 31))


def test_monthly_start_anchor_from_month_end_does_not_drift() -> None:
    periods = billing_periods(billing(1, anchor=Anchor.START), D(2026, 1, 31), D(2026, 6, 10), FAR)
    assert spans(periods) == [
        (D(2026, 1, 31), D(2026, 2, 27)),
        (D(2026, 2, 28), D(2026, 3, 30)),
        (D(2026, 3, 31), D(2026, 4, 29)),
        (D(2026, 4, 30), D(2026, 5, 30)),
        (D(2026, 5, 31), D(2026, 6, 10)),
    ]
    assert full_spans(periods)[-1] == (D(2026, 5, 31), D(2026, 6, 29))
    assert [p.is_partial for p in periods] == [False, False, False, False, True]
    assert periods[-1].proration() == (11, 30)


def test_evergreen_stops_at_until() -> None:
    periods = billing_periods(billing(1), D(2026, 1, 15), None, D(2026, 12, 31))
    assert len(periods) == 12
    assert (periods[0].start, periods[0].end) == (D(2026, 1, 15), D(2026, 1, 31))
    last = periods[-1]
    assert (last.start, last.end) == (D(2026, 12, 1), D(2026, 12, 31))
    assert not last.is_partial

    mid = billing_periods(billing(1), D(2026, 1, 15), None, D(2026, 12, 15))
    assert mid == periods  # December starts on or before until
    assert len(billing_periods(billing(1), D(2026, 1, 15), None, D(2026, 11, 30))) == 11
    assert billing_periods(billing(1), D(2026, 1, 15), None, D(2026, 1, 14)) == []


def test_evergreen_arrears_quarterly() -> None:
    periods = billing_periods(billing(3, Timing.ARREARS), D(2026, 2, 10), None, D(2026, 7, 1))
    assert spans(periods) == [
        (D(2026, 2, 10), D(2026, 3, 31)),
        (D(2026, 4, 1), D(2026, 6, 30)),
        (D(2026, 7, 1), D(2026, 9, 30)),
    ]
    assert [p.invoice_date for p in periods] == [D(2026, 4, 1), D(2026, 7, 1), D(2026, 10, 1)]


def test_one_time_advance_and_arrears() -> None:
    (advance,) = billing_periods(billing(None), D(2026, 3, 5), D(2026, 6, 30), FAR)
    assert (advance.start, advance.end) == (D(2026, 3, 5), D(2026, 6, 30))
    assert (advance.full_start, advance.full_end) == (advance.start, advance.end)
    assert advance.invoice_date == D(2026, 3, 5)
    assert not advance.is_partial

    (arrears,) = billing_periods(billing(None, Timing.ARREARS), D(2026, 3, 5), D(2026, 6, 30), FAR)
    assert arrears.invoice_date == D(2026, 7, 1)


def test_one_time_evergreen_is_the_start_day() -> None:
    (advance,) = billing_periods(billing(None), D(2026, 3, 5), None, FAR)
    assert (advance.start, advance.end, advance.invoice_date) == (D(2026, 3, 5),) * 3
    (arrears,) = billing_periods(billing(None, Timing.ARREARS), D(2026, 3, 5), None, FAR)
    assert arrears.invoice_date == D(2026, 3, 6)


def test_validation() -> None:
    with pytest.raises(ValueError):
        billing_periods(billing(1), D(2026, 2, 1), D(2026, 1, 31), FAR)
    with pytest.raises(ValueError):
        billing_periods(billing(None), D(2026, 2, 1), D(2026, 1, 31), FAR)
    with pytest.raises(ValueError):
        billing_periods(billing(0), D(2026, 1, 1), D(2026, 12, 31), FAR)


def test_single_day_span() -> None:
    (period,) = billing_periods(billing(3), D(2026, 5, 20), D(2026, 5, 20), FAR)
    assert period.proration() == (1, 91)  # Apr-Jun: 30 + 31 + 30


# --- properties ----------------------------------------------------------------------------

cadences = st.one_of(st.sampled_from([1, 2, 3, 4, 5, 6, 7, 12, 18, 24]), st.integers(1, 36))
timings = st.sampled_from(Timing)
anchors = st.sampled_from(Anchor)
starts = st.dates(min_value=D(2000, 1, 1), max_value=D(2060, 12, 31))
lengths = st.integers(min_value=0, max_value=2500)  # days after start


def check_full_period(billing_: Billing, start: datetime.date, periods: list[Period]) -> None:
    """Full periods have the cadence's length and follow each other without drift."""
    months = billing_.months
    assert months is not None
    for k, p in enumerate(periods):
        assert p.full_start <= p.start <= p.end <= p.full_end
        if billing_.anchor is Anchor.CALENDAR:
            assert p.full_start.day == 1
            assert add_months(p.full_start, months) - ONE_DAY == p.full_end
            if 12 % months == 0:
                assert (p.full_start.month - 1) % months == 0
        else:
            # Each boundary is computed from the original start (no drift), so for a start on
            # the 29th-31st a full period is start + kN .. start + (k+1)N - 1 day, which may
            # differ from add_months(full_start, N) - 1 day once full_start was clamped.
            assert p.full_start == add_months(start, k * months)
            assert p.full_end == add_months(start, (k + 1) * months) - ONE_DAY
    for prev, nxt in itertools.pairwise(periods):
        assert prev.full_end + ONE_DAY == nxt.full_start


@settings(max_examples=200, deadline=None)
@given(cadences, timings, anchors, starts, lengths)
def test_periods_tile_the_span(
    months: int, timing: Timing, anchor: Anchor, start: datetime.date, length: int
) -> None:
    end = start + datetime.timedelta(days=length)
    b = billing(months, timing, anchor)
    periods = billing_periods(b, start, end, start)  # until is ignored with an end
    assert periods
    assert periods[0].start == start
    assert periods[-1].end == end
    for prev, nxt in itertools.pairwise(periods):
        assert prev.end + ONE_DAY == nxt.start
    assert all(p.start <= p.end for p in periods)
    assert sum(p.days for p in periods) == days_between(start, end)
    assert sorted(periods) == periods
    # Only the first and last period can be partial.
    assert not any(p.is_partial for p in periods[1:-1])
    if anchor is Anchor.START:
        assert not periods[0].is_partial or len(periods) == 1
    for p in periods:
        expected = p.start if timing is Timing.ADVANCE else p.end + ONE_DAY
        assert p.invoice_date == expected
    check_full_period(b, start, periods)


@settings(max_examples=200, deadline=None)
@given(cadences, timings, anchors, starts, lengths)
def test_evergreen_periods_stop_at_until(
    months: int, timing: Timing, anchor: Anchor, start: datetime.date, length: int
) -> None:
    until = start + datetime.timedelta(days=length)
    b = billing(months, timing, anchor)
    periods = billing_periods(b, start, None, until)
    assert periods
    assert periods[0].start == start
    assert periods[-1].start <= until <= periods[-1].end  # the next one would start after until
    for prev, nxt in itertools.pairwise(periods):
        assert prev.end + ONE_DAY == nxt.start
    assert not any(p.is_partial for p in periods[1:])
    check_full_period(b, start, periods)
    # An evergreen's periods are a prefix of the same contract's periods with any later end.
    bounded = billing_periods(b, start, periods[-1].full_end, until)
    assert bounded == periods


@settings(max_examples=200, deadline=None)
@given(starts, lengths)
def test_month_spans_tile_the_span(start: datetime.date, length: int) -> None:
    end = start + datetime.timedelta(days=length)
    pieces = month_spans(start, end)
    assert pieces[0][0] == start
    assert pieces[-1][1] == end
    for (_, prev_end), (next_start, _) in itertools.pairwise(pieces):
        assert prev_end + ONE_DAY == next_start
        assert next_start.day == 1
    for piece_start, piece_end in pieces:
        assert (piece_start.year, piece_start.month) == (piece_end.year, piece_end.month)
    assert sum(days_between(a, b) for a, b in pieces) == days_between(start, end)
    monthly = billing_periods(billing(1), start, end, end)
    assert spans(monthly) == pieces
