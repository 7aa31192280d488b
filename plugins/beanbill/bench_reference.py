"""The design notes' reference load: how fast this machine ran while the benchmark measured.

../shared/design/beancount-fava-facts.md measured, on the 2-core machine the targets were set
on, 100,000 transactions (invoices, payments and revenue releases, two postings each) loading
from text in 10.3 s (Beancount 3.2.3, no cache). This machine's speed drifts: the same
10,000-customer load took 48 s and 68 s within an hour, every phase of it, Beancount's own as
much as beanbill's. So `make bench` loads such a file before and after its measurements; the
ratio of those loads to 10.3 s says how much slower this machine ran, and the 10,000-customer
load divided by it is what it would take on the machine the targets were set on.
"""

from __future__ import annotations

import datetime

REFERENCE_TRANSACTIONS = 100_000
REFERENCE_LOAD_S = 10.3  # beancount-fava-facts.md, "Speed": full load of 100,000 from text
REFERENCE_CUSTOMERS = 1_000
_START = datetime.date(2024, 1, 1)


def reference_text(count: int = REFERENCE_TRANSACTIONS) -> str:
    """`count` transactions over a year, in turn an invoice (receivable / deferred revenue), a
    payment (cash / receivable) and a revenue release (deferred revenue / income), each with
    both amounts written; the same text every time."""
    lines = [
        ";; Written by beanbill.bench: the design notes' reference load (no plugins).",
        'option "operating_currency" "USD"',
        "",
        "2023-12-31 open Assets:Cash",
        "2023-12-31 open Liabilities:DeferredRevenue",
        "2023-12-31 open Income:SalesAndServicesRevenue",
    ]
    lines += [
        f"2023-12-31 open Assets:AccountsReceivable:Customers:C{c:04d}"
        for c in range(REFERENCE_CUSTOMERS)
    ]
    for i in range(count):
        day = _START + datetime.timedelta(days=i * 365 // count)
        customer = f"C{i // 3 % REFERENCE_CUSTOMERS:04d}"
        receivable = f"Assets:AccountsReceivable:Customers:{customer}"
        cents = 100 + (i // 3 * 7919) % 99_900
        amount = f"{cents // 100}.{cents % 100:02d} USD"
        invoice = f"INV-{i // 3:06d}"
        if i % 3 == 0:
            head = f'{day} * "{customer}" "Invoice {invoice}" ^{invoice}'
            debit, credit = receivable, "Liabilities:DeferredRevenue"
        elif i % 3 == 1:
            head = f'{day} * "{customer}" "Payment of {invoice}" ^{invoice}'
            debit, credit = "Assets:Cash", receivable
        else:
            head = f'{day} * "{customer}" "Revenue release of {invoice}"'
            debit, credit = "Liabilities:DeferredRevenue", "Income:SalesAndServicesRevenue"
        lines += ["", head, f"  {debit}  {amount}", f"  {credit}  -{amount}"]
    return "\n".join(lines) + "\n"


def slowdown(loads_s: list[float]) -> float:
    """How many times slower than the targets' machine this one ran: the mean of the
    reference loads against 10.3 s."""
    return sum(loads_s) / len(loads_s) / REFERENCE_LOAD_S
