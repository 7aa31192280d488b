"""A plugin that checks the books against beanbill's chart of accounts (and that pads are done).

beanbill generates and reconciles entries against a fixed default chart of
accounts (see ledgers/chart.beancount, which opens its fixed accounts). This
plugin issues errors when:

  - a posting of any transaction, generated or hand-written, hits an account
    outside the chart. Allowed are the fixed accounts, exactly one component
    (the customer or gateway) under a per-customer or per-gateway parent, any
    sub-account of Assets:Cash or Liabilities:SalesTax, any Income account, and
    any account whose Open directive carries the metadata

        beanbill-custom: TRUE

    Posting to a bare per-customer parent, e.g. Assets:AccountsReceivable:Customers,
    is an error: it needs the customer's sub-account. One error is issued per
    offending (transaction, account) pair. Open directives themselves are never
    errors; only postings are checked.

  - a Close directive closes one of the fixed default accounts. Closing a
    per-customer or per-gateway sub-account (a churned customer) is fine.

  - a Pad directive would do nothing: the books name their plugins
    (option "plugin_processing_mode" "raw", as beanbill's demo ledger does, to
    leave out Beancount's pad plugin and its walk over every posting) and the
    list leaves out plugin "beancount.ops.pad". Beancount would only report the
    balance assertion the pad was meant to fulfil.

The chart uses the standard root names (Assets, Liabilities, Equity, Income,
Expenses) whatever the options name_assets etc. say.

This plugin takes no configuration:

    plugin "beanbill.plugins.chart"
"""

from __future__ import annotations

import collections
import re
from typing import Any

from beancount.core import data

__plugins__ = ("validate_chart",)


ChartError = collections.namedtuple("ChartError", "source message entry")

# Metadata key on an Open directive that admits an account outside the chart.
CUSTOM_META_KEY = "beanbill-custom"

# The rule table. Pattern syntax, which is also how patterns are shown in errors:
#   <Name>  matches exactly one account component;
#   [:…]    at the end matches zero or more further components, at any depth.
# Everything else matches literally.
CHART_PATTERNS: tuple[str, ...] = (
    "Assets:AccountsReceivable:Customers:<Customer>",
    "Assets:AccountsReceivable:PaymentGateways:<Gateway>",
    "Assets:Cash[:…]",
    "Assets:TDSReceivable",
    "Assets:UnbilledRevenue",
    "Liabilities:AccountsPayable",
    "Liabilities:ContraAccountsReceivable:Customers:<Customer>",
    "Liabilities:ContraAccountsReceivable:PaymentGateways:<Gateway>",
    "Liabilities:CustomerWallet:<Customer>",
    "Liabilities:DeferredRevenue",
    "Liabilities:SalesTax[:…]",
    "Equity:RetainedEarnings",
    "Income:SalesAndServicesRevenue",
    "Income:<Custom>[:…]",
    "Expenses:GST",
    "Expenses:PaymentGatewayFees",
    "Expenses:SalesReturnsAndAllowances",
    "Expenses:TaxWithheld",
    "Expenses:BadDebt",
)

_ANY_DEPTH = "[:…]"
_CUSTOMER = ":<Customer>"
_GATEWAY = ":<Gateway>"

# The fixed accounts of the default chart: opened by ledgers/chart.beancount,
# never closed.
DEFAULT_ACCOUNTS: tuple[str, ...] = tuple(
    pattern.removesuffix(_ANY_DEPTH) for pattern in CHART_PATTERNS if "<" not in pattern
)

# Parents whose accounts are exactly one component more: the customer or the gateway.
CUSTOMER_PARENTS: tuple[str, ...] = tuple(
    pattern.removesuffix(_CUSTOMER) for pattern in CHART_PATTERNS if pattern.endswith(_CUSTOMER)
)
GATEWAY_PARENTS: tuple[str, ...] = tuple(
    pattern.removesuffix(_GATEWAY) for pattern in CHART_PATTERNS if pattern.endswith(_GATEWAY)
)

_CONFIG_META = data.new_metadata("<beanbill.plugins.chart>", 0)


def _compile(pattern: str) -> re.Pattern[str]:
    """Compile one chart pattern to a regular expression over account names."""
    any_depth = pattern.endswith(_ANY_DEPTH)
    parts = []
    for component in pattern.removesuffix(_ANY_DEPTH).split(":"):
        if component.startswith("<") and component.endswith(">"):
            parts.append("[^:]+")
        else:
            parts.append(re.escape(component))
    return re.compile(":".join(parts) + ("(?::[^:]+)*" if any_depth else ""))


_COMPILED: tuple[re.Pattern[str], ...] = tuple(_compile(pattern) for pattern in CHART_PATTERNS)


def account_allowed(account: str, custom: frozenset[str]) -> bool:
    """Whether postings may hit an account.

    Args:
      account: An account name.
      custom: The accounts opened with metadata beanbill-custom: TRUE.
    Returns:
      True if the account is in the chart or is one of the custom accounts.
    """
    return account in custom or any(regexp.fullmatch(account) for regexp in _COMPILED)


def explain_allowed(root: str) -> str:
    """The chart's patterns under a root account, as shown in error messages.

    Args:
      root: A root account name, e.g. "Assets".
    Returns:
      The patterns under that root, comma-separated, in chart order.
    """
    patterns = [pattern for pattern in CHART_PATTERNS if pattern.split(":", 1)[0] == root]
    return ", ".join(patterns) if patterns else "nothing"


def _custom_accounts(entries: list[data.Directive]) -> frozenset[str]:
    """The accounts whose Open directive has metadata beanbill-custom: TRUE."""
    return frozenset(
        entry.account
        for entry in entries
        if isinstance(entry, data.Open)
        and entry.meta is not None
        and entry.meta.get(CUSTOM_META_KEY) is True
    )


def validate_chart(
    entries: list[data.Directive], options_map: dict[str, Any], config: str | None = None
) -> tuple[list[data.Directive], list[ChartError]]:
    """Check postings and Close directives against beanbill's chart of accounts, and that
    pad directives are done.

    Args:
      entries: A list of directives.
      options_map: An options map (the chart uses the standard root names whatever it says;
        its plugin list tells whether a pad directive is done).
      config: Must be absent; this plugin takes no configuration.
    Returns:
      The entries, unchanged, and a list of ChartError, if any were found.
    """
    errors: list[ChartError] = []
    if config is not None and config.strip():
        errors.append(
            ChartError(
                _CONFIG_META,
                f'Plugin beanbill.plugins.chart takes no configuration; got "{config}"',
                None,
            )
        )

    custom = _custom_accounts(entries)
    fixed = frozenset(DEFAULT_ACCOUNTS)
    allowed: set[str] = set()  # accounts already checked and found in the chart
    for entry in entries:
        if isinstance(entry, data.Transaction):
            unknown = [p.account for p in entry.postings if p.account not in allowed]
            # dict.fromkeys: one error per (entry, account) pair, in posting order.
            for account in dict.fromkeys(unknown):
                if account_allowed(account, custom):
                    allowed.add(account)
                    continue
                root = account.split(":", 1)[0]
                errors.append(
                    ChartError(
                        entry.meta,
                        f'Account "{account}" is not in beanbill\'s chart of accounts; '
                        f"allowed under {root}: {explain_allowed(root)}; "
                        f"or open it with metadata {CUSTOM_META_KEY}: TRUE",
                        entry,
                    )
                )
        elif isinstance(entry, data.Close) and entry.account in fixed:
            errors.append(
                ChartError(
                    entry.meta,
                    f'Account "{entry.account}" belongs to beanbill\'s default chart '
                    "and cannot be closed",
                    entry,
                )
            )
    errors += _pads_left_undone(entries, options_map)
    return entries, errors


PAD_PLUGIN = "beancount.ops.pad"


def _pads_left_undone(
    entries: list[data.Directive], options_map: dict[str, Any]
) -> list[ChartError]:
    """An error for each Pad directive when the books' own plugin list leaves out the pad
    plugin (in the default mode, Beancount runs it whatever the list says)."""
    if options_map.get("plugin_processing_mode") != "raw":
        return []
    if PAD_PLUGIN in [name for name, _ in options_map.get("plugin", [])]:
        return []
    return [
        ChartError(
            entry.meta,
            "This pad directive does nothing: the books list their plugins (option "
            '"plugin_processing_mode" "raw") without Beancount\'s pad plugin; add plugin '
            f'"{PAD_PLUGIN}" just before plugin "beancount.ops.balance" in the main ledger file',
            entry,
        )
        for entry in entries
        if isinstance(entry, data.Pad)
    ]
