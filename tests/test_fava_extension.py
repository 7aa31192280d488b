"""The Fava extension's "Billing" page, requested from Fava's own app: the same tables as the
CLI's reports, as of Fava's time filter, with each invoice linked to its journal."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from fava.application import create_app

from beanbill import cli, fava_ext
from tests.test_adjustments import ACME, GLOBEX, write_books

AR = "Assets:AccountsReceivable:Customers:Acme"
LEDGER = f"""\
option "title" "Test Books"
option "operating_currency" "USD"
plugin "beanbill.plugins.contracts" "{{path: contracts, until: 2026-12-31}}"
plugin "beanbill.plugins.recognition"
plugin "beanbill.plugins.settlement"
plugin "beanbill.plugins.chart"
2020-01-01 custom "fava-extension" "beanbill.fava_ext"
2026-01-01 open Assets:Cash:Bank

2026-01-20 * "Acme Corp" "Payment" ^INV-ACME-1-20260101
  Assets:Cash:Bank   440.00 USD
  {AR}  -440.00 USD
"""
PAGE = "/test-books/extension/BillingReports/"


def page(tmp_path: Path, query: str = "") -> str:
    ledger = write_books(tmp_path, {"acme": ACME}, LEDGER)
    client = create_app([ledger], load=True).test_client()
    response = client.get(PAGE + query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_billing_page_shows_the_cli_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html = page(tmp_path)
    for title in (
        "Revenue waterfall",
        "Deferred revenue roll-forward, 2026-01-01 to 2026-03-01",
        "Invoices open on 2026-03-01",
        "Receivables aging as of",
    ):
        assert title in html
    # Without a time filter, the invoices still open: February's and March's (330.00 each);
    # January's (440.00) was paid.
    invoices = html[html.index("Invoices open on") : html.index("Receivables aging")]
    assert invoices.count("<td>open</td>") == 2 and "<td>paid</td>" not in invoices
    link = '<a href="/test-books/journal/?filter=%5EINV-ACME-1-20260201">INV-ACME-1-20260201</a>'
    assert link in html
    # ... and to the contract clause it was compiled from, in Fava's editor.
    contract = quote(str(tmp_path / "contracts" / "customers" / "acme.yaml"), safe="/")
    assert f"/test-books/editor/?file_path={contract}&amp;line=3" in html
    # The same numbers as `beanbill invoices`.
    assert cli.main(["invoices", str(tmp_path / "main.beancount"), "--format", "csv"]) == 0
    listed = [line.split(",") for line in capsys.readouterr().out.splitlines()[1:]]
    for invoice, *_, total in (row[:6] for row in listed if row[12] == "open"):
        assert f">{invoice}</a>" in invoices and f">{total}<" in invoices


def test_an_invoice_links_to_its_whole_history_whatever_the_pages_filters(
    tmp_path: Path,
) -> None:
    html = page(tmp_path, "?time=2026-02&account=Assets")
    link = '<a href="/test-books/journal/?filter=%5EINV-ACME-1-20260201">INV-ACME-1-20260201</a>'
    assert link in html


def test_a_long_invoice_list_is_cut_to_the_oldest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The oldest, those collections chase first (the latest were shown: at 2,000 contracts,
    1,000 invoices of the last month, not yet due, and the overdue ones cut off)."""
    monkeypatch.setattr(fava_ext, "INVOICE_ROWS_SHOWN", 1)
    html = page(tmp_path, "?time=2026")
    invoices = html[html.index("Invoices issued 2026-01-01") : html.index("Receivables aging")]
    assert ">INV-ACME-1-20260101</a>" in invoices
    assert ">INV-ACME-1-20260201</a>" not in invoices
    assert "and 2 more, the latest: click a customer to see its own" in invoices


def test_a_customer_s_receivable_in_the_account_filter_narrows_the_page_to_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = write_books(tmp_path, {"acme": ACME, "globex": GLOBEX}, LEDGER)
    client = create_app([ledger], load=True).test_client()
    html = client.get(PAGE).get_data(as_text=True)
    # Each customer links to the page narrowed to it, keeping the time filter: to its
    # receivable exactly (Fava's account filter is a regular expression).
    narrowed = f"{PAGE}?account=%5EAssets:AccountsReceivable:Customers:Acme$"
    assert f'<a href="{narrowed}" title="this page for acme alone">acme</a>' in html
    assert "GLOBEX-1" in html  # the company's roll-forward
    # Fava's account filter as Fava reads it: a component, or a regular expression in any case
    for query in ("?account=Acme", "?account=customers:acme", "?account=%5E.*:Acme%24"):
        assert "Invoices of acme issued by" in client.get(PAGE + query).get_data(as_text=True)
    html = client.get(narrowed).get_data(as_text=True)
    assert "Revenue waterfall" not in html
    assert "The revenue waterfall is the company&#39;s: clear the account filter" in html
    # (Fava embeds every link of the ledger in each page: look at the tables only.)
    tables = html[html.index("Deferred revenue roll-forward") : html.rindex("</section>")]
    assert "GLOBEX" not in tables and "globex" not in tables
    invoices = tables[tables.index("Invoices of acme issued by 2026-04-01") :]
    # Every invoice of its own, the paid one too: January's, paid on 20 January.
    assert [m for m in re.findall(r">(INV-[A-Z0-9-]+)</a>", invoices)] == [
        "INV-ACME-1-20260101",
        "INV-ACME-1-20260201",
        "INV-ACME-1-20260301",
    ]
    aging = re.findall(
        r"<td[^>]*>(?:<a[^>]*>)?([^<]*)", tables[tables.index("Receivables aging") :]
    )
    assert aging[:2] == ["acme", "USD"] and "total" not in aging  # its row, no company total
    # Globex in March, before its first invoice (1 April): nothing issued, nothing owed.
    march = f"{PAGE}?account=Globex&time=2026-03"
    text = client.get(march).get_data(as_text=True)
    tables = text[text.index("Deferred revenue roll-forward") : text.rindex("</section>")]
    assert tables.count("<p>Nothing owed on this date.</p>") == 1
    assert "<p>No invoice to list.</p>" in tables  # none issued to it in March
    # The same numbers as `beanbill aging --customer acme`.
    assert cli.main(["aging", str(ledger), "--customer", "acme", "--as-of", "2026-04-01"]) == 0
    row = capsys.readouterr().out.splitlines()[-1].split()
    assert aging[2:8] == row[2:8]


@pytest.mark.parametrize(
    ("query", "note"),
    [
        (
            "?account=Income",
            "Fava&#39;s account filter (Income) matches no customer&#39;s receivable, so the "
            "page shows every customer: pick one (an account under "
            "Assets:AccountsReceivable:Customers), or click one below.",
        ),
        (  # not a customer: never "Invoices of Nobody" and "Nothing owed"
            "?account=Assets:AccountsReceivable:Customers:Nobody",
            "Fava&#39;s account filter (Assets:AccountsReceivable:Customers:Nobody) matches no "
            "customer&#39;s receivable, so the page shows every customer: pick one (an account "
            "under Assets:AccountsReceivable:Customers), or click one below.",
        ),
        (
            "?filter=acme",
            "Fava&#39;s filter (acme) does not apply to this page (the journal applies it): pick "
            "a customer with the account filter, or click one below.",
        ),
        ("?account=Assets", None),  # above every customer's receivable: all of them
        ("?account=Assets:AccountsReceivable", None),
    ],
)
def test_a_filter_the_page_does_not_apply_is_said(
    tmp_path: Path, query: str, note: str | None
) -> None:
    html = page(tmp_path, query)
    notes = re.findall(r'<p class="beanbill-note">([^<]*)</p>', html)
    assert notes == ([note] if note else [])
    assert "Revenue waterfall" in html and "Invoices open on 2026-03-01" in html
    contents = re.findall(r'<a href="#([a-z]+)">([^<]*)</a>', html)
    assert contents == [
        ("revenue", "Revenue"),
        ("deferred", "Deferred revenue"),
        ("invoices", "Invoices"),
        ("aging", "Aging"),
    ]


def test_the_time_filter_sets_the_months_and_the_as_of_date(tmp_path: Path) -> None:
    html = page(tmp_path, "?time=2026-02")
    # (Fava embeds every link of the ledger in each page: look at the tables only.)
    waterfall = html[html.index("Revenue waterfall") : html.index("Deferred revenue roll-forward")]
    rollforward = html[html.index("Deferred revenue roll-forward") : html.index("Invoices issued")]
    assert rollforward.startswith("Deferred revenue roll-forward, 2026-02-01 to 2026-02-28")
    # February: nothing owed at its start (January's fee was released on 31 January); its fee
    # billed on the 1st and released on the 28th.
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", rollforward)
    assert cells[:8] == ["ACME-1", "USD", "0.00", "300.00", "300.00", "0.00", "0.00", "0.00"]
    invoices = html[html.index("Invoices issued") : html.index("Receivables aging")]
    assert invoices.startswith("Invoices issued 2026-02-01 to 2026-02-28")
    assert "INV-ACME-1-20260201" in invoices
    assert "INV-ACME-1-20260101" not in invoices  # issued before the filter
    assert "INV-ACME-1-20260301" not in invoices  # issued after the filter
    assert "<td>2026-02</td>" in waterfall and "<td>2026-01</td>" not in waterfall
    # Overdue invoices stand out: on 30 April, February's and March's (due 3 and 31 March).
    html = page(tmp_path / "april", "?time=2026-01-01+-+2026-04-30")
    invoices = html[html.index("Invoices issued") : html.index("Receivables aging")]
    assert invoices.count('<td class="overdue">overdue</td>') == 2
    assert "<td>paid</td>" in invoices  # January's, paid: not marked


def test_a_time_filter_that_cuts_a_month_says_the_waterfall_shows_it_whole(
    tmp_path: Path,
) -> None:
    html = page(tmp_path, "?time=2026-02-10+-+2026-02-20")
    assert (
        '<p class="beanbill-note">The revenue waterfall counts whole months: it shows 2026-02, '
        "all of it (the time filter runs 2026-02-10 to 2026-02-20).</p>" in html
    )
    # Whole months say nothing.
    assert "counts whole months" not in page(tmp_path / "whole", "?time=2026-02")


def test_a_time_filter_that_is_not_a_date_is_said_on_the_page(tmp_path: Path) -> None:
    # Fava's own pages take it; the Billing page answered 500 with Fava's ValueError.
    html = page(tmp_path, "?time=2026-02-30")
    assert (
        '<p class="beanbill-problem">Fava&#39;s filter cannot be read (day is out of range '
        "for month): correct it above.</p>" in html
    )
    assert "Revenue waterfall" not in html


def test_a_reload_shows_the_new_books(tmp_path: Path) -> None:
    ledger = write_books(tmp_path, {"acme": ACME}, LEDGER)
    app = create_app([ledger], load=True)
    client = app.test_client()
    assert ">INV-ACME-1-20260201</a>" in client.get(PAGE).get_data(as_text=True)
    # February's invoice paid: Fava reloads the same extension object with the new books.
    ledger.write_text(
        LEDGER + f'\n2026-02-10 * "Acme Corp" "Payment" ^INV-ACME-1-20260201\n'
        f"  Assets:Cash:Bank   330.00 USD\n  {AR}  -330.00 USD\n"
    )
    app.config["LEDGERS"]["test-books"].load_file()
    html = client.get(PAGE).get_data(as_text=True)
    assert ">INV-ACME-1-20260201</a>" not in html  # no longer open
    assert ">INV-ACME-1-20260301</a>" in html


def test_each_query_gets_its_own_page(tmp_path: Path) -> None:
    ledger = write_books(tmp_path, {"acme": ACME}, LEDGER)
    client = create_app([ledger], load=True).test_client()
    for query, title in [
        ("", "Invoices open on 2026-03-01"),
        ("?time=2026-02", "Invoices issued 2026-02-01 to 2026-02-28"),
        ("", "Invoices open on 2026-03-01"),  # worked out once, shown again
    ]:
        assert title in client.get(PAGE + query).get_data(as_text=True)
    # Links carry the request's own settings, not those of the page first worked out.
    html = client.get(PAGE + "?interval=week").get_data(as_text=True)
    assert "filter=%5EINV-ACME-1-20260201&amp;interval=week" in html or (
        "interval=week&amp;filter=%5EINV-ACME-1-20260201" in html
    )
    html = client.get(PAGE).get_data(as_text=True)
    invoices = html[html.index("Invoices open on") : html.index("Receivables aging")]
    assert "INV-ACME-1-20260201" in invoices and "interval=week" not in invoices


def test_without_a_filter_the_page_is_as_of_today_and_a_new_day_works_it_out_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = write_books(tmp_path, {"acme": ACME}, LEDGER)
    client = create_app([ledger], load=True).test_client()
    today = [datetime.date(2026, 2, 15)]

    class Day(datetime.date):
        @classmethod
        def today(cls) -> Day:
            return cls.fromordinal(today[0].toordinal())

    monkeypatch.setattr(fava_ext.datetime, "date", Day)
    # The books hold March's invoice already; on 15 February it is not issued yet.
    html = client.get(PAGE).get_data(as_text=True)
    assert "Invoices open on 2026-02-15" in html and ">INV-ACME-1-20260301</a>" not in html
    today[0] = datetime.date(2026, 3, 2)  # the server runs on into March
    html = client.get(PAGE).get_data(as_text=True)
    assert "Invoices open on 2026-03-01" in html and ">INV-ACME-1-20260301</a>" in html


def test_books_with_problems_say_the_figures_are_incomplete(tmp_path: Path) -> None:
    html = page(tmp_path)
    assert "These figures are incomplete" not in html
    # An unquoted price: Acme's file is left out whole, and its invoices with it.
    broken = ACME.replace('price: "300.00"', "price: 300.00")
    assert broken != ACME
    ledger = write_books(tmp_path / "broken", {"acme": broken}, LEDGER)
    client = create_app([ledger], load=True).test_client()
    html = client.get(PAGE).get_data(as_text=True)
    assert "<strong>These figures are incomplete:</strong>" in html
    assert re.search(r"the books have \d+ problems?\s+\(<a href=\"/test-books/errors/", html)
    assert "fix the problems first, as <code>beanbill check</code> asks" in html
    # The payment naming one of Acme's invoices fails too: the contract's problem comes first.
    assert "1 of them in the contract files: fix it first, the others may follow." in html
