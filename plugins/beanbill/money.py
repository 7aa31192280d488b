"""Money: Decimal amounts rounded to each currency's minor unit.

Every amount in beanbill is a `decimal.Decimal`; nothing passes through binary floats. Babel
knows ISO 4217's minor units (USD 2, JPY 0, BHD 3).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

ZERO = Decimal(0)
# Digits before the decimal point of any number in the contracts and usage files (the loader
# refuses more), and of any amount billed (billing reports a larger one). It leaves Decimal's 28
# significant digits room for every rounding, tax and sum that follows: past 10**26 or so,
# rounding to the minor unit raised InvalidOperation and sums silently lost cents.
MAX_DIGITS = 15
LARGEST = Decimal(10) ** MAX_DIGITS


@cache
def known_currencies() -> frozenset[str]:
    """The ISO 4217 codes Babel knows."""
    return frozenset(list_currencies())


def currency_hint(code: str) -> str:
    """' (did you mean "USD"? codes are upper case)' for a known code written in lower case,
    else ''."""
    upper = code.upper()
    if upper != code and upper in known_currencies():
        return f' (did you mean "{upper}"? codes are upper case)'
    return ""


@cache
def minor_unit(currency: str) -> Decimal:
    """The smallest amount of `currency`: Decimal("0.01") for USD, Decimal("1") for JPY."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def too_large(amount: Decimal) -> bool:
    """Whether `amount` has more than MAX_DIGITS digits before the decimal point."""
    return abs(amount) >= LARGEST


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit."""
    return amount.quantize(minor_unit(currency), ROUND_HALF_UP)  # (positional: twice as fast)


def allocate(total: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """Split `total` in proportion to `weights`, each share rounded, summing exactly to `total`.

    Shares are rounded cumulatively (share i = round(total * cum_i) - round(total * cum_{i-1})),
    so the rounding remainder never drifts and the last share closes the total exactly.
    """
    weight_sum = sum(weights, ZERO)
    if weight_sum == ZERO:
        raise ValueError("cannot allocate over weights that sum to zero")
    shares: list[Decimal] = []
    cumulative = ZERO
    previous = ZERO
    for weight in weights:
        cumulative += weight
        rounded = round_money(total * cumulative / weight_sum, currency)
        shares.append(rounded - previous)
        previous = rounded
    return shares
