"""The period lock: `beanbill close YYYY-MM` and the close plugin, through Beancount's loader.
A closed month that moves (an invoice, a balance) fails the books with a message saying what
moved and how to correct it; corrections in an open period pass."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from beancount.core import data
from beancount.parser import parser

from beanbill import cli
from beanbill.closing import (
    HOW_TO_CORRECT,
    WHAT_MOVED,
    close_month,
    format_closing,
    invoice_digest,
    journal_digests,
)
from tests.test_adjustments import ACME, write_books

AR = "Assets:AccountsReceivable:Customers:Acme"
JAN = "INV-ACME-1-20260101"
LEDGER = f"""\
option "operating_currency" "USD"
plugin "beanbill.plugins.contracts" "{{path: contracts, until: 2026-12-31}}"
plugin "beanbill.plugins.recognition"
plugin "beanbill.plugins.settlement"
plugin "beanbill.plugins.close"
plugin "beanbill.plugins.chart"
2026-01-01 open Assets:Cash:Bank

2026-01-20 * "Acme Corp" "Payment" ^{JAN}
  Assets:Cash:Bank   440.00 USD
  {AR}  -440.00 USD
"""
# ACME bills 440.00 on 01-01 (platform 300.00 + onboarding 100.00 + 10 % tax), then 330.00 on
# 02-01 and 03-01; the payment settles January.
CLOSE_OF_JANUARY = """\
;; The close of 2026-01, written by `beanbill close 2026-01`: do not edit.
;; Anything that would change the month below fails bean-check; correct a closed month
;; with a credit or debit memo dated in an open period.

2026-01-31 custom "beanbill-closed" "2026-01"

;; The invoices dated in 2026-01: SHA-256 of what each says.
2026-01-01 custom "beanbill-invoice" "INV-ACME-1-20260101" "{digest}"

;; The credit and debit memos dated in 2026-01: SHA-256 of what each says.
2026-01-31 custom "beanbill-memos" "2026-01" "0"

;; The 2 transactions dated in 2026-01: SHA-256 of dates, links, postings.
2026-01-31 custom "beanbill-journal" "2026-01" "2" "{journal}"

;; Every account's balance at the end of 2026-01.
2026-02-01 balance Assets:AccountsReceivable:Customers:Acme  0.00 USD
2026-02-01 balance Assets:Cash:Bank                          440.00 USD
2026-02-01 balance Income:ProfessionalServices               -100.00 USD
2026-02-01 balance Income:SalesAndServicesRevenue            -300.00 USD
2026-02-01 balance Liabilities:DeferredRevenue               0.00 USD
2026-02-01 balance Liabilities:SalesTax:CA                   -40.00 USD
"""


def closed_books(tmp_path: Path, month: str = "2026-01", ledger: str = LEDGER) -> Path:
    path = write_books(tmp_path, {"acme": ACME}, ledger)
    assert cli.main(["close", str(path), month]) == 0
    return path


def load(path: Path) -> tuple[list[data.Directive], list[str]]:
    entries, errors, _ = loader.load_file(str(path))
    return entries, [f"{e.source['filename']}:{e.source['lineno']}: {e.message}" for e in errors]


def invoice(entries: list[data.Directive], invoice_id: str) -> data.Transaction:
    (found,) = [
        e
        for e in entries
        if isinstance(e, data.Transaction)
        and e.meta.get("invoice-id") == invoice_id
        and "due-date" in e.meta
    ]
    return found


def test_close_writes_the_month_and_the_books_still_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = closed_books(tmp_path)
    out = capsys.readouterr().out
    assert "2026-01 closed in" in out and "(6 balances, 1 invoice, 0 memos)" in out
    assert path.read_text() == LEDGER + 'include "closed/2026-01.beancount"\n'
    entries, errors = load(path)
    assert errors == []
    digest = invoice_digest(invoice(entries, JAN))
    january = datetime.date(2026, 1, 1)
    count, journal = journal_digests(entries, [january])[january]
    assert count == 2  # the invoice and its payment; not the revenue released from the invoice
    written = (tmp_path / "closed" / "2026-01.beancount").read_text()
    assert written == CLOSE_OF_JANUARY.format(digest=digest, journal=journal)


def test_the_same_books_close_to_the_same_bytes(tmp_path: Path) -> None:
    closed_books(tmp_path / "a")
    closed_books(tmp_path / "b")
    first = (tmp_path / "a" / "closed" / "2026-01.beancount").read_bytes()
    assert first == (tmp_path / "b" / "closed" / "2026-01.beancount").read_bytes()


def test_a_contract_edit_that_changes_a_closed_invoice_fails_at_the_contract(
    tmp_path: Path,
) -> None:
    path = closed_books(tmp_path)
    contract = tmp_path / "contracts" / "customers" / "acme.yaml"
    contract.write_text(ACME.replace('price: "300.00"', 'price: "310.00"'))
    _, errors = load(path)
    close_file = tmp_path / "closed" / "2026-01.beancount"
    assert errors[0] == (
        f"{contract}:3: invoice {JAN} of the closed month 2026-01 changed since the close "
        f"({close_file}:8; `beanbill diff` says what changed): {HOW_TO_CORRECT}"
    )
    assert errors[1] == (
        f"{close_file}:17: the closed month 2026-01 moved: at its end, {AR} was 0.00 USD and "
        "is now 11.00 USD; Income:SalesAndServicesRevenue was -300.00 USD and is now -310.00 "
        "USD; Liabilities:SalesTax:CA was -40.00 USD and is now -41.00 USD (balances at its "
        f"end sum every month up to it, so an edit to any of them moves them; {WHAT_MOVED}); "
        f"{HOW_TO_CORRECT}"
    )
    # That one error stands for the close's balance assertions that fail: Beancount does not
    # report each of them again.
    assert len(errors) == 2


def test_the_close_file_in_a_message_is_named_as_the_problems_file_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the current folder, as the `file:line` the problem is printed at."""
    closed_books(tmp_path)
    contract = tmp_path / "contracts" / "customers" / "acme.yaml"
    contract.write_text(ACME.replace('price: "300.00"', 'price: "310.00"'))
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert cli.main(["check", "main.beancount"]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        f"contracts/customers/acme.yaml:3: invoice {JAN} of the closed month 2026-01 changed "
        "since the close (closed/2026-01.beancount:8; `beanbill diff` says what changed): "
        f"{HOW_TO_CORRECT}"
    )


def test_a_payment_moved_within_a_closed_month_is_caught_though_no_balance_moved(
    tmp_path: Path,
) -> None:
    path = closed_books(tmp_path)
    path.write_text(path.read_text().replace("2026-01-20 *", "2026-01-21 *"))
    _, errors = load(path)
    close_file = tmp_path / "closed" / "2026-01.beancount"
    assert errors == [
        f"{close_file}:14: the transactions of the closed month 2026-01 changed since the "
        "close (2 then, 2 now), though its invoices and balances did not: one was moved to "
        "another day, or to another invoice, or swapped for another (`beanbill diff` lists the "
        "invoices and memos that changed, `git diff` the hand-written entries, such as "
        f"payments); {HOW_TO_CORRECT}"
    ]
    assert HOW_TO_CORRECT == (
        "a closed month does not change: undo the edit, and date any correction in an open "
        "period (a credit or debit memo for what was billed, a transaction for cash)"
    )
    # A journal digest written wrong is said, not a traceback.
    text = close_file.read_text()
    close_file.write_text(text.replace('"2026-01" "2" "', '"2026-01" "two" "'))
    assert load(path)[1] == [
        f"{close_file}:14: beanbill-journal needs: MONTH-OF-ITS-DATE COUNT DIGEST"
    ]
    close_file.write_text(text)
    # A close written before the journal digest existed checks what it locked, as before.
    text = close_file.read_text()
    close_file.write_text(
        text[: text.index(";; The 2 transactions")] + text[text.index(";; Every") :]
    )
    assert load(path)[1] == []


def test_moving_the_billing_horizon_past_a_closed_month_leaves_it_closed(tmp_path: Path) -> None:
    # January's platform fee, billed in arrears on 1 February, after the horizon: January
    # accrues it. Once the horizon moves on, the invoice is issued and releases the same
    # revenue in January: the month's transactions are regrouped, not changed.
    arrears = ACME.replace(
        "billing: {cadence: monthly, timing: advance}",
        "billing: {cadence: monthly, timing: arrears}",
    )
    before = LEDGER[: LEDGER.index("\n2026-01-20")].replace(
        "until: 2026-12-31", "until: 2026-01-31"
    )
    path = write_books(tmp_path, {"acme": arrears}, before)
    entries, errors = load(path)
    assert errors == []
    assert any("to-be-invoiced" in e.meta for e in entries if isinstance(e, data.Transaction))
    assert cli.main(["close", str(path), "2026-01"]) == 0
    path.write_text(path.read_text().replace("until: 2026-01-31", "until: 2026-12-31"))
    entries, errors = load(path)
    assert errors == []
    assert not any("to-be-invoiced" in e.meta for e in entries if isinstance(e, data.Transaction))


def test_a_changed_closed_invoice_is_not_taken_for_a_contract_file_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = closed_books(tmp_path)
    capsys.readouterr()
    contract = tmp_path / "contracts" / "customers" / "acme.yaml"
    contract.write_text(ACME.replace('price: "300.00"', 'price: "310.00"'))
    assert cli.main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    # the first error sits at the contract's line, but the file is read and billed
    assert err.startswith(f"{contract}:3: invoice {JAN} of the closed month 2026-01 changed")
    assert "is in the contracts" not in err and "leaves all its invoices out" not in err
    assert err.endswith("beanbill check: 2 problem(s)\n")


def test_a_change_that_only_renames_the_customer_leaves_the_close_alone(tmp_path: Path) -> None:
    path = closed_books(tmp_path)
    contract = tmp_path / "contracts" / "customers" / "acme.yaml"
    contract.write_text(ACME.replace("name: Acme Corp", "name: Acme Corporation"))
    entries, errors = load(path)
    assert errors == []
    assert invoice(entries, JAN).narration == f"Invoice {JAN} — Acme Corporation"


def test_a_credit_memo_in_an_open_period_corrects_a_closed_month(tmp_path: Path) -> None:
    path = closed_books(tmp_path)
    contract = tmp_path / "contracts" / "customers" / "acme.yaml"
    memo = (
        "  - {type: credit_memo, id: CM-1, date: 2026-02-10, invoice: INV-ACME-1-20260201,\n"
        '     amount: "10.00", reason: Outage in January}\n'
    )
    contract.write_text(ACME + memo)
    _, errors = load(path)
    assert errors == []
    # A memo dated in January (on January's invoice, before its payment) moves the month.
    january = memo.replace("2026-02-10", "2026-01-15").replace("20260201", "20260101")
    contract.write_text(ACME + january)
    _, errors = load(path)
    # The memo is named at its line in the contract.
    assert errors[0] == (
        f"{contract}:17: credit memo CM-1 is dated 2026-01-15, in the closed month 2026-01, but "
        f"the close does not know it: {HOW_TO_CORRECT}"
    )
    # Accounts the close never saw (the memo's Sales Returns, the overpayment's contra-AR)
    # are named too: Beancount has no balance assertion of theirs to fail.
    assert errors[1].endswith(
        ".beancount:20: the closed month 2026-01 moved: at its end, "
        "Income:SalesAndServicesRevenue was -300.00 USD and is now -295.89 USD; "
        "Liabilities:SalesTax:CA was -40.00 USD and is now -39.00 USD; "
        "Expenses:SalesReturnsAndAllowances had no balance in USD and now has 5.89 USD; "
        "Liabilities:ContraAccountsReceivable:Customers:Acme had no balance in USD and now has "
        "-11.00 USD (balances at its end sum every month up to it, so an edit to any of them "
        f"moves them; {WHAT_MOVED}); {HOW_TO_CORRECT}"
    )
    assert len(errors) == 2


def test_a_memo_of_a_closed_month_is_locked_like_its_invoices(tmp_path: Path) -> None:
    path = write_books(tmp_path, {"acme": ACME + JANUARY_MEMO}, LEDGER)
    assert cli.main(["close", str(path), "2026-01"]) == 0
    close_file = tmp_path / "closed" / "2026-01.beancount"
    assert 'custom "beanbill-memos" "2026-01" "1"' in close_file.read_text()
    assert load(path)[1] == []
    # Its reason reworded: what was sent no longer matches; the balances did not move.
    contract = tmp_path / "contracts" / "customers" / "acme.yaml"
    contract.write_text(ACME + JANUARY_MEMO.replace("Outage in January", "Outage"))
    line = [i for i, text in enumerate(close_file.read_text().splitlines(), 1) if "CM-1" in text]
    assert load(path)[1] == [
        f"{contract}:17: credit memo CM-1 of the closed month 2026-01 changed since the close "
        f"({close_file}:{line[0]}; `beanbill diff` says what changed): {HOW_TO_CORRECT}"
    ]
    # Gone: the close's line says so (and the balances it moved back).
    contract.write_text(ACME)
    errors = load(path)[1]
    assert errors[0] == (
        f"{close_file}:{line[0]}: memo CM-1 of the closed month 2026-01 is no longer in the "
        f"books: {HOW_TO_CORRECT}"
    )


def test_closes_written_before_memos_were_locked_still_hold(tmp_path: Path) -> None:
    path = closed_books(tmp_path)
    close_file = tmp_path / "closed" / "2026-01.beancount"
    older = [line for line in close_file.read_text().splitlines(True) if "memo" not in line]
    close_file.write_text("".join(older))
    assert load(path)[1] == []
    # A memo dated in the month is then caught by the balances it moves, not by name.
    (tmp_path / "contracts" / "customers" / "acme.yaml").write_text(ACME + JANUARY_MEMO)
    errors = load(path)[1]
    assert len(errors) == 1 and "the closed month 2026-01 moved" in errors[0]


JANUARY_MEMO = (
    "  - {type: credit_memo, id: CM-1, date: 2026-01-15, invoice: INV-ACME-1-20260101,\n"
    '     amount: "10.00", reason: Outage in January}\n'
)


def test_only_the_close_s_own_failed_assertions_are_reported_once(tmp_path: Path) -> None:
    path = closed_books(tmp_path)
    # The bank statement's own assertion on the same day, wrong since the close: Beancount's.
    path.write_text(path.read_text() + "\n2026-02-01 balance Assets:Cash:Bank  400.00 USD\n")
    contract = tmp_path / "contracts" / "customers" / "acme.yaml"
    contract.write_text(ACME.replace('price: "300.00"', 'price: "310.00"'))
    _, errors = load(path)
    balance_failures = [e for e in errors if ": Balance failed for '" in e]
    assert balance_failures == [
        f"{path}:{len(path.read_text().splitlines())}: Balance failed for 'Assets:Cash:Bank': "
        "expected 400.00 USD != accumulated 440.00 USD (40.00 too much)"
    ]
    (moved,) = [e for e in errors if "the closed month 2026-01 moved" in e]
    assert "Assets:Cash:Bank" not in moved  # the close asserted 440.00 USD: it did not move
    # Without the close plugin, Beancount reports each of the close's assertions itself.
    path.write_text(path.read_text().replace('plugin "beanbill.plugins.close"\n', ""))
    _, errors = load(path)
    assert sum(": Balance failed for '" in e for e in errors) == 4


def test_an_invoice_new_in_a_closed_month_is_refused(tmp_path: Path) -> None:
    path = closed_books(tmp_path)
    # A second contract, back-dated into January.
    acme_1 = ACME.split("contracts:\n")[1].split("adjustments:")[0]
    acme_2 = acme_1.replace("ACME-1", "ACME-2").replace("2026-03-31", "2026-01-31")
    contract = tmp_path / "contracts" / "customers" / "acme.yaml"
    contract.write_text(ACME.replace("adjustments:", acme_2 + "adjustments:"))
    _, errors = load(path)
    (new,) = [e for e in errors if "INV-ACME-2-20260101 is dated" in e]
    assert new.startswith(f"{contract}:")  # at the contract's line
    assert new.endswith(
        "invoice INV-ACME-2-20260101 is dated 2026-01-01, in the closed month 2026-01, but the "
        f"close does not know it: {HOW_TO_CORRECT}"
    )


def test_an_invoice_gone_from_a_closed_month_is_reported_at_the_close(tmp_path: Path) -> None:
    path = closed_books(tmp_path)
    (tmp_path / "contracts" / "customers" / "acme.yaml").unlink()
    path.write_text(path.read_text().replace(f"^{JAN}", ""))  # the payment names no invoice
    _, errors = load(path)
    close_file = tmp_path / "closed" / "2026-01.beancount"
    assert (
        f"{close_file}:8: invoice {JAN} of the closed month 2026-01 is no longer in the books"
        in errors[1]
    )
    # The payment is to a receivable no customer file names any more: said too.
    assert "payment posts to Assets:AccountsReceivable:Customers:Acme, an account" in errors[0]


def test_a_second_close_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = closed_books(tmp_path)
    ledger_before = path.read_text()
    close_before = (tmp_path / "closed" / "2026-01.beancount").read_text()
    capsys.readouterr()
    assert cli.main(["close", str(path), "2026-01"]) == 1
    assert "beanbill close: 2026-01 is already closed" in capsys.readouterr().err
    assert path.read_text() == ledger_before
    assert (tmp_path / "closed" / "2026-01.beancount").read_text() == close_before


@pytest.mark.parametrize(
    ("ledger", "month", "message"),
    [
        (LEDGER, "2999-12", "2999-12 is not over yet (today is"),
        (
            LEDGER.replace('plugin "beanbill.plugins.close"\n', ""),
            "2026-01",
            'does not load the plugin that enforces a close: add plugin "beanbill.plugins.close"',
        ),
        (
            LEDGER.replace("440.00 USD\n", "440.00 EUR\n", 1),
            "2026-01",
            "the books have 1 problem(s): close only books that check; nothing written",
        ),
    ],
)
def test_a_close_that_would_not_hold_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ledger: str, month: str, message: str
) -> None:
    path = write_books(tmp_path, {"acme": ACME}, ledger)
    assert cli.main(["close", str(path), month]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "closed").exists()
    assert path.read_text() == ledger


def test_a_glob_include_that_covers_the_close_gets_no_new_line(tmp_path: Path) -> None:
    path = closed_books(tmp_path)
    path.write_text(path.read_text().replace("closed/2026-01.beancount", "closed/*.beancount"))
    assert cli.main(["close", str(path), "2026-02"]) == 0
    assert path.read_text().count("include") == 1
    entries, errors = load(path)
    assert errors == []
    closes = [e for e in entries if isinstance(e, data.Custom) and e.type == "beanbill-closed"]
    assert [e.values[0].value for e in closes] == ["2026-01", "2026-02"]


HAND_WRITTEN = """\
2026-01-01 open Assets:Bank
2026-01-01 open Assets:Bank:Savings
2026-01-01 open Assets:Old
2026-01-01 open Equity:Opening
2026-01-02 * "Opening"
  Assets:Bank          100.00 USD
  Assets:Bank:Savings   50.00 USD
  Assets:Old            10 EUR
  Equity:Opening      -150.00 USD
  Equity:Opening       -10 EUR
2026-01-10 * "Moved"
  Assets:Old           -10 EUR
  Equity:Opening        10 EUR
2026-01-15 close Assets:Old
"""


def test_a_parent_account_is_asserted_with_its_sub_accounts_and_a_closed_one_not_at_all() -> None:
    entries, errors, _ = loader.load_string(HAND_WRITTEN)
    assert errors == []
    closing = close_month(entries, datetime.date(2026, 1, 1))
    assert closing.balances == [
        ("Assets:Bank", "USD", Decimal("150.00")),  # as Beancount checks it: with Savings
        ("Assets:Bank:Savings", "USD", Decimal("50.00")),
        ("Equity:Opening", "EUR", Decimal("0")),
        ("Equity:Opening", "USD", Decimal("-150.00")),
    ]
    closed, errors, _ = loader.load_string(HAND_WRITTEN + format_closing(closing))
    assert errors == []
    assert len([e for e in closed if isinstance(e, data.Balance)]) == 4


def test_the_month_before_the_ledger_is_a_usage_error_that_says_the_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["close", "2026-10", "ledgers/main.beancount"])
    assert stopped.value.code == 2
    assert (
        "argument month: 'ledgers/main.beancount' is not a month YYYY-MM: the ledger comes "
        "first, then the month" in capsys.readouterr().err
    )


def test_a_close_marker_of_another_month_is_an_error() -> None:
    text = 'plugin "beanbill.plugins.close"\n2026-01-31 custom "beanbill-closed" "2026-02"\n'
    _, errors, _ = loader.load_string(text)
    assert [e.message for e in errors] == ['beanbill-closed needs the month of its date: "2026-01"']


def test_the_digest_reads_what_the_invoice_says_not_where_or_its_status() -> None:
    text = f"""\
2026-01-01 open Assets:AccountsReceivable:Customers:Acme
2026-01-01 open Liabilities:DeferredRevenue
2026-01-01 * "Acme" "Invoice" ^{JAN}
  invoice-id: "{JAN}"
  due-date: 2026-01-31
  status: "open"
  {AR}  100.00 USD
  Liabilities:DeferredRevenue  -100.00 USD
    product: "platform"
"""
    entries: list[Any] = parser.parse_string(text)[0]
    (entry,) = [e for e in entries if isinstance(e, data.Transaction)]
    digest = invoice_digest(entry)
    moved = parser.parse_string("\n\n\n" + text.replace('"open"', '"paid"'))[0]
    (same,) = [e for e in moved if isinstance(e, data.Transaction)]
    assert invoice_digest(same._replace(narration="Invoice INV")) == digest
    # A consolidated invoice's lines name their contract since the tenth session: closes
    # made before still hold.
    named = text.replace('    product: "platform"', '    product: "platform"\n    contract: "A-1"')
    (lines_named,) = [e for e in parser.parse_string(named)[0] if isinstance(e, data.Transaction)]
    assert lines_named.postings[1].meta["contract"] == "A-1"
    assert invoice_digest(lines_named) == digest
    # What a line's metadata explains of its amount for its documents (since the thirteenth
    # session) is worked out from what is digested: closes made before still hold.
    explained = text.replace(
        '    product: "platform"',
        '    product: "platform"\n    proration: "22/31"\n    usage: 78596\n    free-units: 1000',
    )
    (lines_explained,) = [
        e for e in parser.parse_string(explained)[0] if isinstance(e, data.Transaction)
    ]
    assert lines_explained.postings[1].meta["proration"] == "22/31"
    assert lines_explained.postings[1].meta["free-units"] == 1000
    assert invoice_digest(lines_explained) == digest
    for changed in (
        text.replace("100.00", "101.00"),
        text.replace('"platform"', '"seats"'),
        text.replace("due-date: 2026-01-31", "due-date: 2026-02-28"),
    ):
        (other,) = [e for e in parser.parse_string(changed)[0] if isinstance(e, data.Transaction)]
        assert invoice_digest(other) != digest
