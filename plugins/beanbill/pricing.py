"""Pricing: what one contract line costs for what it consumed in one billing period.

`price(pricing, measured)` is a pure function of a pricing model (`beanbill.model.Pricing`) and
a `Measured` quantity. It returns the exact, unrounded amount together with a breakdown of
`Charge`s that sum to it exactly, so that every invoice line can be audited. Rounding to the
currency, proration of partial periods, free units and `per: month` are the caller's business.

Tier and step bounds: `up_to` is inclusive, the first tier starts at 0 (a quantity of 0 falls
in the first tier) and the last tier is unbounded (`up_to` None). For graduated tiers the units
in tier k are min(q, up_to_k) - up_to_(k-1), clipped at 0, so fractional quantities work.
Every amount is a `Decimal`; nothing passes through binary floats. The results are named
tuples: billing builds one per line and period, hundreds of thousands a year.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple, assert_never

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

ZERO = Decimal(0)
ONE = Decimal(1)


class Measured(NamedTuple):
    """What a line consumed in one billing period (after free units were subtracted)."""

    quantity: Decimal  # aggregated metric quantity, or the line's fixed quantity if unmetered
    amount: Decimal = ZERO  # sum of the events' `amount` column (percent pricing)
    events: int = 0  # number of events (percent fixed_fee is per event)
    by_dimension: tuple[tuple[str, Decimal], ...] = ()  # matrix: quantity per value, sorted
    second_quantity: Decimal = ZERO  # two_dimensional_tiered
    used: Decimal = ZERO  # the aggregated metric quantity before free units were subtracted


class Charge(NamedTuple):
    """One priced component of a line, for the invoice's breakdown."""

    label: str  # "tier 1 (0-1000)", "flat fee tier 2", "package of 100", "region eu", ...
    quantity: Decimal
    unit_price: Decimal | None  # None when the amount is not quantity * a price (steps, caps)
    amount: Decimal


class Priced(NamedTuple):
    amount: Decimal  # exact, NOT rounded (billing rounds per line to the currency)
    charges: tuple[Charge, ...]  # sums exactly to amount


class PricingError(ValueError):
    """The pricing cannot price this measurement (e.g. a matrix value with no row)."""


def price(pricing: Pricing, measured: Measured) -> Priced:
    """Price one line's consumption for one period."""
    match pricing:
        case FlatFee():
            charges = [_charge("flat fee", measured.quantity, pricing.price)]
        case PerUnit():
            charges = [_charge("per unit", measured.quantity, pricing.unit_price)]
        case Package():
            charges = _package(pricing, measured.quantity)
        case Tiered():
            charges = _tiered(pricing.mode, pricing.tiers, pricing.with_flat_fee, measured.quantity)
        case Step():
            charges = _step(pricing.steps, measured.quantity)
        case Percent():
            charges = _percent(pricing, measured)
        case Matrix():
            charges = _matrix(pricing, measured.by_dimension)
        case TwoDimensionalTiered():
            charges = _two_dimensional(pricing, measured.quantity, measured.second_quantity)
        case _:
            assert_never(pricing)
    return _priced(charges)


def _priced(charges: list[Charge]) -> Priced:
    kept = tuple([charge for charge in charges if charge.amount])
    if len(kept) == 1:  # most lines
        return Priced(kept[0].amount, kept)
    return Priced(sum([charge.amount for charge in kept], ZERO), kept)


def _charge(label: str, quantity: Decimal, unit_price: Decimal) -> Charge:
    return Charge(label, quantity, unit_price, quantity * unit_price)


def _package(pricing: Package, quantity: Decimal) -> list[Charge]:
    if pricing.package_size <= ZERO:
        raise PricingError(f"package size must be positive, not {pricing.package_size}")
    _check_not_negative(quantity)
    packages, remainder = divmod(quantity, pricing.package_size)
    if remainder:
        packages += 1
    return [_charge(f"package of {pricing.package_size:f}", packages, pricing.package_price)]


def _tiered(
    mode: TierMode, tiers: Sequence[Tier], with_flat_fee: bool, quantity: Decimal
) -> list[Charge]:
    index = _tier_index([tier.up_to for tier in tiers], quantity)
    if mode is TierMode.VOLUME:
        tier = tiers[index]
        charges = [_charge(_tier_label(tiers, index), quantity, tier.unit_price)]
        if with_flat_fee:
            charges.append(_charge(f"flat fee tier {index + 1}", ONE, tier.flat_fee))
        return charges
    charges = []
    lower = ZERO
    for k, tier in enumerate(tiers[: index + 1]):
        upper = quantity if tier.up_to is None else min(quantity, tier.up_to)
        charges.append(_charge(_tier_label(tiers, k), max(upper - lower, ZERO), tier.unit_price))
        if with_flat_fee:
            charges.append(_charge(f"flat fee tier {k + 1}", ONE, tier.flat_fee))
        lower = upper
    return charges


def _step(steps: Sequence[Tier], quantity: Decimal) -> list[Charge]:
    index = _tier_index([step.up_to for step in steps], quantity)
    label = _tier_label(steps, index).replace("tier", "step", 1)
    return [Charge(label, quantity, None, steps[index].flat_fee)]


def _percent(pricing: Percent, measured: Measured) -> list[Charge]:
    percentage = f"{(pricing.percent * 100).normalize():f}"
    charges = [
        _charge(f"{percentage}% of amount", measured.amount, pricing.percent),
        _charge("fixed fee per event", Decimal(measured.events), pricing.fixed_fee),
    ]
    subtotal = sum((charge.amount for charge in charges), ZERO)
    if pricing.minimum is not None and subtotal < pricing.minimum:
        charges.append(Charge("minimum", ONE, None, pricing.minimum - subtotal))
    elif pricing.maximum is not None and subtotal > pricing.maximum:
        charges.append(Charge("maximum", ONE, None, pricing.maximum - subtotal))
    return charges


def _matrix(pricing: Matrix, by_dimension: Sequence[tuple[str, Decimal]]) -> list[Charge]:
    rows = {row.value: row for row in pricing.rows}
    charges: list[Charge] = []
    for value, quantity in by_dimension:
        row = rows.get(value)
        if row is None:
            raise PricingError(f'no price for {pricing.dimension} "{value}"')
        charges.extend(_matrix_row(pricing, row, quantity))
    return charges


def _matrix_row(pricing: Matrix, row: MatrixRow, quantity: Decimal) -> list[Charge]:
    label = f"{pricing.dimension} {row.value}"
    if row.unit_price is not None:
        return [_charge(label, quantity, row.unit_price)]
    if row.tiers is None:
        raise PricingError(f'{pricing.dimension} "{row.value}" has neither unit_price nor tiers')
    charges = _tiered(pricing.mode, row.tiers, False, quantity)
    return [Charge(f"{label}, {c.label}", c.quantity, c.unit_price, c.amount) for c in charges]


def _two_dimensional(
    pricing: TwoDimensionalTiered, quantity: Decimal, second_quantity: Decimal
) -> list[Charge]:
    i = _tier_index(pricing.tiers, quantity)
    j = _tier_index(pricing.second_tiers, second_quantity)
    try:
        unit_price = pricing.unit_prices[j][i]
    except IndexError:
        raise PricingError(f"no unit price for tier {i + 1} and second tier {j + 1}") from None
    label = f"tier {i + 1}, {pricing.second_metric} tier {j + 1}"
    return [_charge(label, quantity, unit_price)]


def _tier_index(bounds: Sequence[Decimal | None], quantity: Decimal) -> int:
    """The index of the tier `quantity` falls in: the first whose inclusive `up_to` holds it."""
    _check_not_negative(quantity)
    for index, up_to in enumerate(bounds):
        if up_to is None or quantity <= up_to:
            return index
    raise PricingError(f"quantity {quantity} is beyond the last tier")


def _tier_label(tiers: Sequence[Tier], index: int) -> str:
    return _tier_labels(tiers)[index]


# Labels by tier list: the same few tier lists are priced hundreds of thousands of times, and
# formatting their Decimal bounds is a good part of the cost. Keyed by identity, the list kept
# alive by the entry itself so that its id is never reused while cached.
_LABELS: dict[int, tuple[Sequence[Tier], tuple[str, ...]]] = {}


def _tier_labels(tiers: Sequence[Tier]) -> tuple[str, ...]:
    cached = _LABELS.get(id(tiers))
    if cached is not None and cached[0] is tiers:
        return cached[1]
    labels = []
    for index, tier in enumerate(tiers):
        lower = ZERO if index == 0 else tiers[index - 1].up_to
        if tier.up_to is None:
            labels.append(f"tier {index + 1} (over {lower:f})")
        else:
            labels.append(f"tier {index + 1} ({lower:f}-{tier.up_to:f})")
    if len(_LABELS) > 10_000:  # bounded: Fava reloads the books again and again
        _LABELS.clear()
    _LABELS[id(tiers)] = (tiers, tuple(labels))
    return tuple(labels)


def _check_not_negative(quantity: Decimal) -> None:
    if quantity < ZERO:
        raise PricingError(f"cannot price a negative quantity ({quantity}) in tiers or packages")
