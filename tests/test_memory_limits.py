"""Bad input never blows up memory: what the loader holds while refusing it is measured.

Each case loads a hostile file with `tracemalloc` on and checks the peak of what Python
allocated while reading it, against a bound far below what an unbounded reader would need.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import TypeVar

from beanbill.usage import MAX_LISTED
from tests.test_load import (
    ACME,
    ACME_FILE,
    BILLION_LAUGHS,
    DEEP_DOCUMENTS,
    GLOBEX,
    GLOBEX_FILE,
    USAGE_FILE,
    customer_ids,
    load,
)

T = TypeVar("T")
MB = 1 << 20


def peak_of(work: Callable[[], T]) -> tuple[T, int]:
    """What `work` returns, and the peak of the memory Python allocated while it ran."""
    tracemalloc.start()
    try:
        result = work()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_a_usage_file_of_bad_rows_lists_a_hundred_and_counts_the_rest() -> None:
    # A wrong export: 100,000 rows (3.5 MB) of a customer nobody knows. Listed one by one, the
    # problems would take some 40 MB more (and a million rows, half a gigabyte). What is left
    # is mostly the CSV reader's copy of the text, at 4 bytes a character.
    rows = "".join(f"2026-01-{1 + i % 28:02d},nobody,api_calls,1,e{i}\n" for i in range(100_000))
    text = "timestamp,customer,metric,quantity,event_id\n" + rows
    (contract_set, problems), peak = peak_of(lambda: load(usage=[(USAGE_FILE, text)]))
    assert len(problems) == MAX_LISTED + 1
    assert problems[0] == (USAGE_FILE, 2, 'usage: unknown customer "nobody"')
    assert problems[-1] == (
        USAGE_FILE,
        MAX_LISTED + 2,
        f"usage: {100_000 - MAX_LISTED} more rows of this file, from this one on, have "
        f"problems too (only the first {MAX_LISTED} are listed); they are left out",
    )
    assert customer_ids(contract_set) == ["acme", "globex"]
    assert peak < 5 * len(text), f"peak {peak / MB:.1f} MB"


def test_an_alias_bomb_is_refused_in_little_memory() -> None:
    customers = [(ACME_FILE, BILLION_LAUGHS), (GLOBEX_FILE, GLOBEX)]
    (contract_set, problems), peak = peak_of(lambda: load(customers=customers))
    assert [line for _, line, _ in problems] == [1, 9]  # the unknown key a, the name
    assert customer_ids(contract_set) == ["globex"]
    assert peak < 5 * MB, f"peak {peak / MB:.1f} MB"


def test_a_deeply_nested_file_is_refused_in_bounded_memory() -> None:
    for text in DEEP_DOCUMENTS.values():  # a few hundred kilobytes of brackets or dashes
        customers = [(ACME_FILE, text), (GLOBEX_FILE, GLOBEX)]
        (contract_set, problems), peak = peak_of(lambda: load(customers=customers))  # noqa: B023
        assert problems == [(ACME_FILE, 1, "YAML error: the document is nested too deeply")]
        assert customer_ids(contract_set) == ["globex"]
        assert peak < 20 * MB, f"peak {peak / MB:.1f} MB"


def test_the_memory_bound_is_not_loose() -> None:
    # The same measure on valid books: if this were near the bounds above, they would prove
    # nothing.
    _, peak = peak_of(lambda: load(customers=[(ACME_FILE, ACME), (GLOBEX_FILE, GLOBEX)]))
    assert peak < 1 * MB, f"peak {peak / MB:.1f} MB"
