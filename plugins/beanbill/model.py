"""The contract model: typed, validated, immutable objects built by `beanbill.load`.

Nothing here knows about YAML or Beancount. Every object that came from a file carries its
`Source` (file and line) so that later stages can report problems where the user can fix them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import NamedTuple


class Source(NamedTuple):
    """Where something was written: a file and a 1-based line. (Named tuples, as events and
    invoice lines: there are hundreds of thousands of them, hashed and compared often.)"""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


# --- Catalog -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentTerms:
    """Days from the invoice date to its due date ("net 30" → 30, "due on receipt" → 0)."""

    days: int

    def __str__(self) -> str:
        return "due on receipt" if self.days == 0 else f"net {self.days}"


@dataclass(frozen=True)
class Company:
    name: str
    currency: str
    payment_terms: PaymentTerms
    invoice_prefix: str
    source: Source
    # What the documents say of the seller under its name, and how to pay it (None: not said).
    address: str | None = None  # lines as written
    tax_id: str | None = None  # "EIN 12-3456789", "VAT DE123456789": one line
    payment_instructions: str | None = None  # lines as written


@dataclass(frozen=True)
class TaxRate:
    id: str
    name: str
    rate: Decimal  # a fraction: "7.25%" → Decimal("0.0725")
    account: str
    inclusive: bool
    source: Source


class RecognitionMethod(Enum):
    RATABLE_DAILY = "ratable_daily"
    RATABLE_MONTHLY = "ratable_monthly"
    POINT_IN_TIME = "point_in_time"
    AS_INVOICED = "as_invoiced"
    AS_CONSUMED = "as_consumed"
    MILESTONE = "milestone"


@dataclass(frozen=True)
class RevenueRule:
    id: str
    method: RecognitionMethod
    account: str
    source: Source


class Aggregation(Enum):
    SUM = "sum"
    MAX = "max"
    LAST = "last"
    COUNT = "count"
    UNIQUE_COUNT = "unique_count"


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    revenue_rule: str | None  # None only for wallet top-up products (`credits: true` lines)
    metric: str | None  # set for metered products
    aggregation: Aggregation
    unique_field: str | None  # the column counted by unique_count (default event_id)
    ssp: Decimal | None
    source: Source


@dataclass(frozen=True)
class Catalog:
    company: Company
    tax_rates: dict[str, TaxRate]
    revenue_rules: dict[str, RevenueRule]
    products: dict[str, Product]
    source: Source


# --- Pricing models ------------------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    """A tier or step: `up_to` is inclusive; None means unbounded (the last tier)."""

    up_to: Decimal | None
    unit_price: Decimal = Decimal(0)
    flat_fee: Decimal = Decimal(0)


@dataclass(frozen=True)
class FlatFee:
    price: Decimal
    per_month: bool = False  # `per: month`: a monthly price billed on any cadence


@dataclass(frozen=True)
class PerUnit:
    unit_price: Decimal


@dataclass(frozen=True)
class Package:
    package_size: Decimal
    package_price: Decimal


class TierMode(Enum):
    GRADUATED = "graduated"  # each unit at the price of its own tier
    VOLUME = "volume"  # all units at the price of the tier the total falls in


@dataclass(frozen=True)
class Tiered:
    """`tiered`, `tiered_with_flat_fee`, `volume` and `volume_with_flat_fee`."""

    mode: TierMode
    tiers: tuple[Tier, ...]
    with_flat_fee: bool


@dataclass(frozen=True)
class Step:
    steps: tuple[Tier, ...]  # Tier.flat_fee holds the step's price


@dataclass(frozen=True)
class Percent:
    percent: Decimal  # a fraction
    fixed_fee: Decimal = Decimal(0)  # per event
    minimum: Decimal | None = None
    maximum: Decimal | None = None


@dataclass(frozen=True)
class MatrixRow:
    value: str
    unit_price: Decimal | None
    tiers: tuple[Tier, ...] | None


@dataclass(frozen=True)
class Matrix:
    dimension: str
    rows: tuple[MatrixRow, ...]
    mode: TierMode = TierMode.VOLUME


@dataclass(frozen=True)
class TwoDimensionalTiered:
    second_metric: str
    tiers: tuple[Decimal | None, ...]  # up_to bounds of the first metric
    second_tiers: tuple[Decimal | None, ...]  # up_to bounds of the second metric
    unit_prices: tuple[tuple[Decimal, ...], ...]  # [second tier][first tier]


Pricing = FlatFee | PerUnit | Package | Tiered | Step | Percent | Matrix | TwoDimensionalTiered


# --- Contracts -----------------------------------------------------------------------------


class Timing(Enum):
    ADVANCE = "advance"
    ARREARS = "arrears"


# By plain name for the code that tests every invoice line: on Python 3.11, reading a member
# off its Enum class (`Timing.ADVANCE`) costs about 100 ns each time.
ADVANCE, ARREARS = Timing.ADVANCE, Timing.ARREARS


class Anchor(Enum):
    CALENDAR = "calendar"
    START = "start"


@dataclass(frozen=True)
class Billing:
    """How a line is billed. `months` is None for `one_time`."""

    months: int | None
    timing: Timing
    anchor: Anchor


@dataclass(frozen=True)
class Line:
    product: str
    pricing: Pricing
    billing: Billing
    quantity: Decimal  # fixed quantity (seats) for lines that are not metered
    free_units: Decimal
    credits: bool  # a wallet top-up: credits the customer's wallet instead of revenue
    ssp: Decimal | None  # overrides the product's
    source: Source
    milestones: tuple[tuple[datetime.date, Decimal], ...] = ()  # (date, share) for milestone rules


@dataclass(frozen=True)
class Discount:
    name: str
    percent: Decimal | None  # a fraction; exactly one of percent and amount is set
    amount: Decimal | None  # a fixed amount per invoice
    products: tuple[str, ...] | None  # None: the whole invoice
    start: datetime.date | None
    end: datetime.date | None
    source: Source


@dataclass(frozen=True)
class MinimumCommitment:
    amount: Decimal
    products: tuple[str, ...]
    source: Source


@dataclass(frozen=True)
class Phase:
    name: str
    start: datetime.date
    end: datetime.date | None  # inclusive; None for the open-ended last phase of an evergreen
    lines: tuple[Line, ...]
    discounts: tuple[Discount, ...]
    taxes: tuple[str, ...]
    minimum_commitment: MinimumCommitment | None
    source: Source
    renewal: int = 0  # the renewal term this phase is (1, 2, ...); 0 for a phase as signed


@dataclass(frozen=True)
class Renewal:
    term_months: int
    uplift: Decimal  # a fraction applied to every price at each renewal
    # The renewals' last day of service (a notice of non-renewal, or an early termination in
    # a renewal term); None: the contract renews term after term, up to the billing horizon.
    end: datetime.date | None
    source: Source


@dataclass(frozen=True)
class Contract:
    id: str
    customer: str
    currency: str
    start: datetime.date
    end: datetime.date | None  # inclusive; None: evergreen
    payment_terms: PaymentTerms
    billing: Billing
    renewal: Renewal | None
    phases: tuple[Phase, ...]
    source: Source


# --- Adjustments ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MemoLine:
    product: str
    amount: Decimal
    source: Source
    # Whose line of that product, on a consolidated invoice with several contracts selling it:
    # None, all of them, in proportion.
    contract: str | None = None


@dataclass(frozen=True)
class Memo:
    """A credit memo (reduces an invoice) or a debit memo (adds to it)."""

    kind: str  # "credit_memo" | "debit_memo"
    id: str
    date: datetime.date
    invoice: str
    amount: Decimal | None  # net of tax; exactly one of amount, lines and total is set
    lines: tuple[MemoLine, ...] | None
    reason: str
    source: Source
    total: Decimal | None = None  # tax included


@dataclass(frozen=True)
class WriteOff:
    id: str
    date: datetime.date
    invoice: str
    reason: str
    source: Source


@dataclass(frozen=True)
class WalletCredit:
    id: str
    date: datetime.date
    amount: Decimal
    reason: str
    source: Source


class RefundSource(Enum):
    WALLET = "wallet"
    OVERPAYMENT = "overpayment"


@dataclass(frozen=True)
class Refund:
    id: str
    date: datetime.date
    amount: Decimal
    from_: RefundSource
    reason: str
    source: Source
    account: str = "Assets:Cash"  # the bank account that pays it


Adjustment = Memo | WriteOff | WalletCredit | Refund


@dataclass(frozen=True)
class Customer:
    id: str
    account: str  # the Beancount account component of its sub-accounts
    name: str
    email: str | None
    address: str | None
    currency: str
    consolidate: bool
    contracts: tuple[Contract, ...]
    adjustments: tuple[Adjustment, ...]
    source: Source


# --- Usage ---------------------------------------------------------------------------------


class UsageEvent(NamedTuple):
    date: datetime.date
    timestamp: str  # as written, for documents
    customer: str
    metric: str
    quantity: Decimal
    amount: Decimal | None
    event_id: str | None
    dimensions: tuple[tuple[str, str], ...]
    source: Source

    def dimension(self, name: str) -> str | None:
        return dict(self.dimensions).get(name)


# --- The whole input -----------------------------------------------------------------------


@dataclass(frozen=True)
class ContractSet:
    """Everything read from a contracts folder."""

    catalog: Catalog
    customers: tuple[Customer, ...]  # sorted by id
    usage: tuple[UsageEvent, ...]  # sorted by (date, file, line); duplicate event ids dropped
    files_read: tuple[str, ...] = field(default=())  # files and folders, for cache and reload
