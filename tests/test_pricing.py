"""Tests for beanbill.pricing: hand-checked examples, then properties."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beanbill.model import (
    FlatFee,
    Matrix,
    MatrixRow,
    Package,
    Percent,
    PerUnit,
    Pricing,
    Step,
    Tier,
    Tiered,
    TierMode,
    TwoDimensionalTiered,
)
from beanbill.pricing import Charge, Measured, Priced, PricingError, price

D = Decimal
ZERO = Decimal(0)
GRADUATED = TierMode.GRADUATED
VOLUME = TierMode.VOLUME

# 1-1000 at 0.10, 1001+ at 0.05
TWO_TIERS = (Tier(D(1000), unit_price=D("0.10")), Tier(None, unit_price=D("0.05")))


def amount(
    pricing: Pricing, quantity: int | str, *, amount: Decimal = ZERO, events: int = 0
) -> Decimal:
    return price(pricing, Measured(D(quantity), amount=amount, events=events)).amount


# --- Hand-checked examples -----------------------------------------------------------------


def test_flat_fee_times_seats() -> None:
    assert amount(FlatFee(D("49.00")), 1) == D("49.00")
    assert amount(FlatFee(D("49.00")), 3) == D("147.00")


def test_per_unit() -> None:
    assert amount(PerUnit(D("0.002")), "12500.5") == D("25.001")


def test_graduated() -> None:
    # 1000 * 0.10 + 500 * 0.05
    result = price(Tiered(GRADUATED, TWO_TIERS, False), Measured(D(1500)))
    assert result.amount == D("125.00")
    assert result.charges == (
        Charge("tier 1 (0-1000)", D(1000), D("0.10"), D("100.00")),
        Charge("tier 2 (over 1000)", D(500), D("0.05"), D("25.00")),
    )


def test_volume() -> None:
    # all 1500 at 0.05
    assert amount(Tiered(VOLUME, TWO_TIERS, False), 1500) == D("75.00")


def test_quantity_equal_to_up_to_falls_in_that_tier() -> None:
    assert amount(Tiered(GRADUATED, TWO_TIERS, False), 1000) == D("100.00")
    assert amount(Tiered(VOLUME, TWO_TIERS, False), 1000) == D("100.00")
    # just past the bound: the next tier
    assert amount(Tiered(GRADUATED, TWO_TIERS, False), "1000.5") == D("100.025")
    assert amount(Tiered(VOLUME, TWO_TIERS, False), "1000.5") == D("50.025")


def test_package_rounds_up() -> None:
    package = Package(package_size=D(100), package_price=D("5.00"))
    assert amount(package, 250) == D("15.00")  # 3 packages
    assert amount(package, 200) == D("10.00")
    assert amount(package, "200.01") == D("15.00")
    assert amount(package, 0) == D(0)


FLAT_FEE_TIERS = (
    Tier(D(100), unit_price=D("1.00"), flat_fee=D("10.00")),
    Tier(None, unit_price=D("0.50"), flat_fee=D("20.00")),
)


def test_tiered_with_flat_fee() -> None:
    graduated = Tiered(GRADUATED, FLAT_FEE_TIERS, True)
    # quantity 0 reaches tier 1: its flat fee is charged (as Stripe does)
    assert price(graduated, Measured(D(0))) == Priced(
        D("10.00"), (Charge("flat fee tier 1", D(1), D("10.00"), D("10.00")),)
    )
    assert amount(graduated, 100) == D("110.00")  # 10 + 100 * 1
    assert amount(graduated, 150) == D("155.00")  # 10 + 100 * 1 + 20 + 50 * 0.50


def test_volume_with_flat_fee() -> None:
    volume = Tiered(VOLUME, FLAT_FEE_TIERS, True)
    assert amount(volume, 0) == D("10.00")
    assert amount(volume, 100) == D("110.00")  # 10 + 100 * 1
    assert amount(volume, 150) == D("95.00")  # 20 + 150 * 0.50


STEPS = Step(
    (Tier(D(10), flat_fee=D(100)), Tier(D(50), flat_fee=D(400)), Tier(None, flat_fee=D(900)))
)


def test_step() -> None:
    assert amount(STEPS, 0) == D(100)  # quantity 0: the first step
    assert amount(STEPS, 10) == D(100)
    assert amount(STEPS, 11) == D(400)
    assert amount(STEPS, 50) == D(400)
    assert amount(STEPS, 51) == D(900)
    assert price(STEPS, Measured(D(11))).charges == (Charge("step 2 (10-50)", D(11), None, D(400)),)


def test_percent_with_fixed_fee_per_event() -> None:
    # 2.9% of 1000 + 0.30 * 10 events
    card = Percent(percent=D("0.029"), fixed_fee=D("0.30"))
    assert amount(card, 0, amount=D(1000), events=10) == D("32.000")


def test_percent_clamped_to_minimum_and_maximum() -> None:
    clamped = Percent(percent=D("0.01"), fixed_fee=D("0.10"), minimum=D(5), maximum=D(50))
    # 1% of 100 + 0.10 * 2 = 1.20: raised to the minimum
    assert amount(clamped, 0, amount=D(100), events=2) == D(5)
    # no events at all: the minimum still applies (a per-period minimum)
    assert amount(clamped, 0) == D(5)
    # 1% of 2000 + 0.10 * 20 = 22: inside the bounds
    assert amount(clamped, 0, amount=D(2000), events=20) == D("22.00")
    # 1% of 10000 + 0.10 * 100 = 110: capped at the maximum
    result = price(clamped, Measured(D(0), amount=D(10000), events=100))
    assert result.amount == D(50)
    assert result.charges[-1] == Charge("maximum", D(1), None, D(-60))


MATRIX = Matrix(
    dimension="region",
    rows=(
        MatrixRow("eu", D("0.02"), None),
        MatrixRow("us", D("0.01"), None),
        MatrixRow("apac", None, (Tier(D(1000), D("0.03")), Tier(None, D("0.02")))),
    ),
)


def test_matrix() -> None:
    measured = Measured(D(0), by_dimension=(("apac", D(1500)), ("eu", D(100)), ("us", D(300))))
    # apac volume: 1500 * 0.02 = 30; eu: 100 * 0.02 = 2; us: 300 * 0.01 = 3
    result = price(MATRIX, measured)
    assert result.amount == D("35.00")
    assert [charge.label for charge in result.charges] == [
        "region apac, tier 2 (over 1000)",
        "region eu",
        "region us",
    ]
    # the same row graduated: 1000 * 0.03 + 500 * 0.02 = 40
    graduated = Matrix(MATRIX.dimension, MATRIX.rows, GRADUATED)
    assert price(graduated, measured).amount == D("45.00")


def test_matrix_empty_and_unknown_value() -> None:
    assert price(MATRIX, Measured(D(0))) == Priced(D(0), ())
    with pytest.raises(PricingError, match='no price for region "mars"'):
        price(MATRIX, Measured(D(1), by_dimension=(("mars", D(1)),)))


GRID = TwoDimensionalTiered(
    second_metric="storage_gb",
    tiers=(D(100), D(1000), None),
    second_tiers=(D(10), None),
    unit_prices=(
        (D("3.00"), D("2.00"), D("1.00")),  # storage up to 10
        (D("4.00"), D("3.00"), D("2.00")),  # storage over 10
    ),
)


@pytest.mark.parametrize(
    ("quantity", "second", "unit_price"),
    [
        (0, 0, "3.00"),
        (100, 10, "3.00"),  # both on their bounds: still the first tiers
        (101, 10, "2.00"),
        (100, "10.01", "4.00"),
        (1000, 11, "3.00"),
        (1001, 11, "2.00"),
        (1001, 0, "1.00"),
    ],
)
def test_two_dimensional_grid(quantity: int, second: int | str, unit_price: str) -> None:
    measured = Measured(D(quantity), second_quantity=D(second))
    assert price(GRID, measured).amount == D(quantity) * D(unit_price)


def test_invalid_inputs_raise_pricing_error() -> None:
    bounded = Tiered(VOLUME, (Tier(D(10), D(1)),), False)
    with pytest.raises(PricingError, match="beyond the last tier"):
        price(bounded, Measured(D(11)))
    with pytest.raises(PricingError, match="negative"):
        price(Tiered(GRADUATED, TWO_TIERS, False), Measured(D(-1)))


# --- Properties ----------------------------------------------------------------------------

PROPERTY = settings(max_examples=200, deadline=None)

prices = st.decimals(min_value=0, max_value=100, places=3)
quantities = st.decimals(min_value=0, max_value=5000, places=2)


@st.composite
def tier_lists(draw: st.DrawFn, integer_bounds: bool = False) -> tuple[Tier, ...]:
    """Ascending tiers, the last unbounded."""
    bound = st.integers(1, 4000).map(D) if integer_bounds else st.decimals(1, 4000, places=1)
    bounds: Sequence[Decimal | None] = sorted(set(draw(st.lists(bound, max_size=4))))
    return tuple(Tier(up_to, draw(prices), draw(prices)) for up_to in [*bounds, None])


def tiered(mode: TierMode, with_flat_fee: bool) -> st.SearchStrategy[Tiered]:
    return tier_lists().map(lambda tiers: Tiered(mode, tiers, with_flat_fee))


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """Steps whose prices never decrease (otherwise a step price is not monotone)."""
    tiers = draw(tier_lists())
    fees = sorted(tier.flat_fee for tier in tiers)
    return Step(
        tuple(Tier(tier.up_to, flat_fee=fee) for tier, fee in zip(tiers, fees, strict=True))
    )


per_units = st.builds(PerUnit, prices)
packages = st.builds(Package, st.decimals(min_value="0.5", max_value=500, places=1), prices)

monotone_pricings = st.one_of(
    per_units,
    packages,
    steps(),
    tiered(GRADUATED, False),
    tiered(GRADUATED, True),
)

percents = st.builds(
    Percent,
    st.decimals(0, 1, places=4),
    prices,
    st.none() | st.decimals(0, 50, places=2),
    st.none() | st.decimals(50, 500, places=2),
)


@st.composite
def matrices(draw: st.DrawFn) -> Matrix:
    rows = tuple(
        MatrixRow(value, draw(prices), None)
        if draw(st.booleans())
        else MatrixRow(value, None, draw(tier_lists()))
        for value in ("a", "b", "c")
    )
    return Matrix("region", rows, draw(st.sampled_from(TierMode)))


grids = st.builds(
    TwoDimensionalTiered,
    st.just("storage"),
    st.just((D(100), None)),
    st.just((D(10), D(20), None)),
    st.lists(st.tuples(prices, prices), min_size=3, max_size=3).map(tuple),
)

all_pricings: st.SearchStrategy[Pricing] = st.one_of(
    st.builds(FlatFee, prices),
    monotone_pricings,
    tiered(VOLUME, False),
    tiered(VOLUME, True),
    percents,
    matrices(),
    grids,
)

measurements = st.builds(
    Measured,
    quantities,
    st.decimals(0, 100000, places=2),
    st.integers(0, 1000),
    st.lists(st.tuples(st.sampled_from("abc"), quantities), unique_by=lambda t: t[0]).map(
        lambda pairs: tuple(sorted(pairs))
    ),
    quantities,
)


@PROPERTY
@given(monotone_pricings, quantities, quantities)
def test_monotone_in_quantity(pricing: Pricing, q1: Decimal, q2: Decimal) -> None:
    low, high = sorted((q1, q2))
    assert amount(pricing, str(low)) <= amount(pricing, str(high))


@PROPERTY
@given(tier_lists(integer_bounds=True), st.integers(0, 5000))
def test_graduated_equals_unit_by_unit_sum(tiers: tuple[Tier, ...], quantity: int) -> None:
    def unit_price(unit: int) -> Decimal:
        return next(t.unit_price for t in tiers if t.up_to is None or unit <= t.up_to)

    expected = sum((unit_price(unit) for unit in range(1, quantity + 1)), D(0))
    assert amount(Tiered(GRADUATED, tiers, False), quantity) == expected


@PROPERTY
@given(all_pricings, measurements)
def test_charges_sum_to_amount_in_decimal(pricing: Pricing, measured: Measured) -> None:
    result = price(pricing, measured)
    assert type(result.amount) is Decimal
    assert sum((charge.amount for charge in result.charges), D(0)) == result.amount
    for charge in result.charges:
        assert type(charge.amount) is Decimal
        assert type(charge.quantity) is Decimal
        assert charge.unit_price is None or type(charge.unit_price) is Decimal
