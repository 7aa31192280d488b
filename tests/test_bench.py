"""The benchmark's generator: small synthetic books that load cleanly, the same every time."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data
from fava.application import create_app

from beanbill import bench


def files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_tiny_books_load_without_errors_with_the_expected_invoices(tmp_path: Path) -> None:
    books = bench.generate(tmp_path, customers=5, years=1)
    entries, errors, _ = loader.load_file(str(books.ledger))
    assert errors == []
    invoices = Counter(
        entry.meta["customer"]
        for entry in entries
        if isinstance(entry, data.Transaction) and "invoice-id" in entry.meta
    )
    expected = {c.id: books.expected_invoices(c) for c in books.customers}
    assert dict(invoices) == expected
    # The mix: 12 monthly invoices with an advance fee (the month's fee plus the previous
    # month's usage), 11 for the usage-only customer (its first invoice is on 1 February).
    assert sorted(expected.values()) == [11, 12, 12, 12, 12]
    assert {c.advance for c in books.customers} == {True, False}
    assert all(c.metered for c in books.customers)


def test_the_books_serve_in_fava_as_the_demo_does(tmp_path: Path) -> None:
    """So that what large books are like in Fava can be seen, not only timed."""
    books = bench.generate(tmp_path, customers=2, years=1)
    client = create_app([str(books.ledger)], load=True).test_client()
    response = client.get("/beanbill-bench-2-customers-1-years/extension/BillingReports/")
    assert response.status_code == 200
    assert "Receivables aging as of" in response.get_data(as_text=True)


def test_generation_is_deterministic(tmp_path: Path) -> None:
    bench.generate(tmp_path / "a", customers=5, years=1)
    bench.generate(tmp_path / "b", customers=5, years=1)
    first, second = files(tmp_path / "a"), files(tmp_path / "b")
    assert first == second
    assert "contracts/catalog.yaml" in first
    assert "contracts/usage/2026-12.csv" in first
    assert "ledgers/chart.beancount" in first
    # Generating again in place rewrites the same bytes (and leaves nothing stale behind).
    bench.generate(tmp_path / "a", customers=5, years=1)
    assert files(tmp_path / "a") == first


def test_the_mix_covers_every_pricing_model(tmp_path: Path) -> None:
    books = bench.generate(tmp_path, customers=40, years=1)
    texts = "".join(p.read_text() for p in (tmp_path / "contracts" / "customers").iterdir())
    for model in ("flat_fee", "per_unit", "package", "tiered", "volume"):
        assert f"model: {model}" in texts
    assert "taxes: [ca-sales]" in texts and "taxes: [de-vat]" in texts
    assert "discounts:" in texts
    assert {c.advance for c in books.customers} == {True, False}
    assert any(not c.metered for c in books.customers)


def test_compare_balances_reports_differences() -> None:
    assert bench.compare_balances({"Assets:A USD": "1.00"}, {"Assets:A USD": "1"}) == []
    assert bench.compare_balances({"Assets:A USD": "1.00"}, {}) == [
        "Assets:A USD: plugin 1.00 != text 0"
    ]


@pytest.mark.parametrize(
    ("options", "plugins"),
    [
        ([], "contracts, chart"),
        (
            ["--recognition", "--settlement", "--repeat", "1"],
            "contracts, recognition, settlement, chart",
        ),
    ],
)
def test_a_small_bench_runs_end_to_end_and_agrees_with_itself(
    options: list[str], plugins: str
) -> None:
    # The whole bench on 5 customers: both load paths, the invoice count it expects and the
    # balance comparison (a mismatch of either ends the run with an error).
    run = subprocess.run(
        [sys.executable, "-m", "beanbill.bench", "--sizes", "5", "--years", "1", *options],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "identical on both paths at every size" in run.stdout
    assert f"plugins: {plugins}\n" in run.stdout
    # where each load's time goes, the two reloads' included
    for label in ("plugin", "text", "reload", "edit reload"):
        assert f"n=5 {label:>11}: " in run.stdout
    assert "n=5      reload: parse " in run.stdout and "beanbill.plugins.contracts " in run.stdout
    # below 10,000 customers, best of three pairs of loads unless --repeat says otherwise
    assert ("; each pair: " in run.stdout) == ("--repeat" not in options)


def test_best_pair_takes_the_loads_in_turns_and_keeps_each_pairs_ratio() -> None:
    calls: list[str] = []
    text_loads, plugin_loads = iter([10.0, 8.0, 12.0]), iter([5.0, 4.4, 5.4])

    def text() -> dict[str, float]:
        calls.append("text")
        return {"load_s": next(text_loads)}

    def plugin() -> dict[str, float]:
        calls.append("plugin")
        return {"load_s": next(plugin_loads)}

    fastest_text, fastest_plugin, ratios = bench.best_pair(3, text, plugin)
    assert calls == ["text", "plugin"] * 3
    assert (fastest_text["load_s"], fastest_plugin["load_s"]) == (8.0, 4.4)
    assert ratios == (0.5, 0.55, 0.45)


def test_the_reference_load_is_the_design_notes_mix_and_balances() -> None:
    from beanbill.bench_reference import reference_text

    text = reference_text(300)
    assert text == reference_text(300)
    entries, errors, _ = loader.load_string(text)
    assert errors == []
    transactions = [e for e in entries if isinstance(e, data.Transaction)]
    assert len(transactions) == 300
    assert {len(t.postings) for t in transactions} == {2}
    kinds = Counter(t.narration.split(" ")[0] for t in transactions)
    assert kinds == {"Invoice": 100, "Payment": 100, "Revenue": 100}
    # Each invoice is paid and released in full: only cash and income are left.
    left = {k: v for k, v in bench.balances(entries).items() if Decimal(v)}
    assert set(left) == {"Assets:Cash USD", "Income:SalesAndServicesRevenue USD"}
    assert Decimal(left["Assets:Cash USD"]) == -Decimal(left["Income:SalesAndServicesRevenue USD"])
    assert transactions[0].date.isoformat() == "2024-01-01"
    assert transactions[-1].date.year == 2024


def test_the_machine_speed_lines_scale_the_load_by_the_reference(tmp_path: Path) -> None:
    from beanbill.bench_reference import reference_text

    said = " ".join(line.strip() for line in bench.machine_speed(64.0, [12.36, 16.48]))
    # Mean 14.42 s against 10.3 s: 1.40 times as long; 64.0 / 1.4 = 45.7 s.
    assert "took 12.4 s just before and 16.5 s just after" in said
    assert "this machine took 1.40 times as long" in said
    assert said.endswith("On the targets' machine the plugin load would take about 45.7 s.")
    # Bracketing runs the reference (here a small one) before and after the measurement.
    reference = tmp_path / "reference.beancount"
    reference.write_text(reference_text(30), encoding="utf-8")
    order: list[str] = []

    def measure() -> dict[str, object]:
        order.append("measured")
        return {"load_s": 1.0}

    result = bench.bracketed(measure, reference, tmp_path)()
    assert order == ["measured"]
    assert result["load_s"] == 1.0
    before, after = result["reference_s"]
    assert 0 < before < 30 and 0 < after < 30
