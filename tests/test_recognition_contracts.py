"""Recognition of compiled contracts, end to end, and its invariants on the demo books."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data

from beanbill.load import load_texts
from beanbill.model import RecognitionMethod
from beanbill.periods import month_end
from beanbill.recognition import Obligation, recognised_by, schedule
from tests.test_recognition import balance

D = datetime.date
ROOT = Path(__file__).resolve().parent.parent

CATALOG = """\
company: {name: Test Co, currency: USD}
revenue_rules:
  licence: {method: ratable_daily, account: Income:Licences}
  support: {method: ratable_monthly, account: Income:SalesAndServicesRevenue}
  services: {method: point_in_time, account: Income:ProfessionalServices}
  usage: {method: as_consumed, account: Income:SalesAndServicesRevenue}
  project: {method: milestone, account: Income:ProfessionalServices}
products:
  licence: {name: Licence, revenue_rule: licence, ssp: "36000"}
  support: {name: Support, revenue_rule: support, ssp: "7200"}
  installation: {name: Installation, revenue_rule: services, ssp: "8000"}
  api: {name: API calls, metric: api_calls, revenue_rule: usage}
  implementation: {name: Implementation project, revenue_rule: project}
  platform: {name: Platform, revenue_rule: licence}
"""

PROJECT = """\
customer: {id: wayne, account: Wayne, name: Wayne Enterprises}
contracts:
  - id: WAYNE-1
    start: 2026-02-01
    end: 2026-07-31
    phases:
      - start: 2026-02-01
        products:
          - product: implementation
            billing: {cadence: one_time}
            pricing: {model: flat_fee, price: "9000.00"}
            milestones:
              - {date: 2026-03-15, percent: "30%"}
              - {date: 2026-07-31, percent: "70%"}
"""

BUNDLE = """\
customer: {id: stark, account: Stark, name: Stark Industries}
contracts:
  - id: STARK-1
    start: 2026-03-01
    end: 2027-02-28
    billing: {cadence: annual, timing: advance, anchor: start}
    phases:
      - start: 2026-03-01
        products:
          - {product: licence, pricing: {model: flat_fee, price: "30000.00"}}
          - {product: support, pricing: {model: flat_fee, price: "6000.00"}}
          - product: installation
            billing: {cadence: one_time}
            pricing: {model: flat_fee, price: "4000.00"}
"""

USAGE = """\
customer: {id: acme, account: Acme, name: Acme}
contracts:
  - id: ACME-1
    start: 2026-01-01
    end: 2026-12-31
    billing: {cadence: quarterly, timing: arrears}
    phases:
      - start: 2026-01-01
        products:
          - {product: api, pricing: {model: per_unit, unit_price: "0.10"}}
"""

LEDGER = """\
plugin "beanbill.plugins.contracts" "{path: contracts, until: 2027-12-31}"
plugin "beanbill.plugins.recognition"
plugin "beanbill.plugins.chart"
"""


def books(
    tmp_path: Path, customers: dict[str, str], usage: str = "", until: str = "2027-12-31"
) -> list[data.Directive]:
    folder = tmp_path / "contracts"
    (folder / "customers").mkdir(parents=True)
    (folder / "usage").mkdir()
    (folder / "catalog.yaml").write_text(CATALOG)
    for name, text in customers.items():
        (folder / "customers" / f"{name}.yaml").write_text(text)
    if usage:
        (folder / "usage" / "usage.csv").write_text(usage)
    (tmp_path / "main.beancount").write_text(LEDGER.replace("until: 2027-12-31", f"until: {until}"))
    entries, errors, _ = loader.load_file(str(tmp_path / "main.beancount"))
    assert errors == []
    return entries


def test_bundle_sold_below_ssp_recognises_allocated_amounts(tmp_path: Path) -> None:
    # Textbook ASC 606 step 4: licence 30,000 + support 6,000 + installation 4,000 = 40,000,
    # against SSPs of 36,000 + 7,200 + 8,000 = 51,200: allocated 28,125 / 5,625 / 6,250.
    entries = books(tmp_path, {"stark": BUNDLE})
    end = D(2027, 2, 28)
    assert balance(entries, "Income:Licences", end) == Decimal("-28125.00")
    assert balance(entries, "Income:SalesAndServicesRevenue", end) == Decimal("-5625.00")
    # Installation is recognised in full when it is done, at its allocated amount.
    assert balance(entries, "Income:ProfessionalServices", D(2026, 3, 1)) == Decimal("-6250.00")
    # The invoice's 40,000 all sits in Deferred Revenue at first; the allocation moves revenue
    # between the lines, so the contract liability differs from the sum of the billed lines
    # while service is rendered and closes at zero when the contract ends.
    assert balance(entries, "Liabilities:DeferredRevenue", D(2026, 3, 1)) == Decimal("-33750.00")
    assert balance(entries, "Liabilities:DeferredRevenue", end) == 0


SUPPORT_ALONE = """\
customer: {id: eta, account: Eta, name: Eta}
contracts:
  - id: ETA-1
    start: 2026-01-01
    end: 2026-12-31
    billing: {cadence: monthly, timing: advance}
    phases:
      - start: 2026-01-01
        products:
          - {product: support, pricing: {model: flat_fee, price: "1000.00"}}
"""


def test_a_product_sold_alone_keeps_its_own_schedule_whatever_its_ssp(tmp_path: Path) -> None:
    # Support has an SSP in the catalog (for bundles) and is earned an equal share per month.
    # Sold alone there is nothing to allocate: 1,000.00 a month, not 12,000 by days (1,019.18
    # in January, 920.55 in February), and no month leaves Deferred Revenue a debit.
    entries = books(tmp_path, {"eta": SUPPORT_ALONE})
    revenue = income_by_month(entries, "Income:SalesAndServicesRevenue")
    assert revenue == [Decimal("1000.00")] * 12
    assert not any(
        "allocated-amount" in (p.meta or {})
        for e in entries
        if isinstance(e, data.Transaction)
        for p in e.postings
    )


BUNDLE_MONTHLY_SUPPORT = """\
customer: {id: stark, account: Stark, name: Stark Industries}
contracts:
  - id: STARK-2
    start: 2026-01-01
    end: 2026-12-31
    phases:
      - start: 2026-01-01
        products:
          - product: licence
            billing: {cadence: annual, timing: advance}
            pricing: {model: flat_fee, price: "27000.00"}
          - product: support
            billing: {cadence: monthly, timing: advance}
            pricing: {model: flat_fee, price: "500.00"}
"""


def test_a_bundle_allocates_between_products_not_between_a_products_months(
    tmp_path: Path,
) -> None:
    # 27,000 + 12 x 500 = 33,000 against SSPs of 36,000 + 7,200 (a year each): licence
    # 33,000 x 36,000 / 43,200 = 27,500.00, support 5,500.00, spread over its months as they
    # bill (500.00 each): 458.33 or 458.34 a month, the remainder carried; not reweighted by
    # the month's days (January 467.12, February 421.92).
    entries = books(tmp_path, {"stark": BUNDLE_MONTHLY_SUPPORT})
    allocated = [
        (p.meta["product"], p.meta["allocated-amount"])
        for e in entries
        if isinstance(e, data.Transaction)
        for p in e.postings
        if "allocated-amount" in (p.meta or {})
    ]
    support = [Decimal("458.33"), Decimal("458.34"), Decimal("458.33")] * 4
    assert allocated == [("licence", Decimal("27500.00"))] + [("support", a) for a in support]
    assert income_by_month(entries, "Income:SalesAndServicesRevenue") == support
    assert balance(entries, "Income:Licences", D(2026, 12, 31)) == Decimal("-27500.00")


def test_quarterly_usage_is_accrued_in_the_months_it_was_consumed(tmp_path: Path) -> None:
    usage = (
        "timestamp,customer,metric,quantity\n"
        "2026-01-10,acme,api_calls,1000\n"
        "2026-03-05,acme,api_calls,3000\n"
    )
    entries = books(tmp_path, {"acme": USAGE}, usage)
    assert balance(entries, "Assets:UnbilledRevenue", D(2026, 1, 31)) == Decimal("100.00")
    assert balance(entries, "Assets:UnbilledRevenue", D(2026, 2, 28)) == Decimal("100.00")
    assert balance(entries, "Assets:UnbilledRevenue", D(2026, 3, 31)) == Decimal("400.00")
    # The invoice of 2026-04-01 bills the quarter and clears the accrual.
    assert balance(entries, "Assets:UnbilledRevenue", D(2026, 4, 1)) == 0
    assert balance(entries, "Income:SalesAndServicesRevenue", D(2026, 4, 1)) == Decimal("-400.00")


def committed(lines: list[str], products: str) -> str:
    """A quarterly-in-arrears contract of 2026 with a 3,000.00 minimum per quarter."""
    listed = "".join(f"          - {line}\n" for line in lines)
    return f"""\
customer: {{id: acme, account: Acme, name: Acme}}
contracts:
  - id: ACME-1
    start: 2026-01-01
    end: 2026-12-31
    billing: {{cadence: quarterly, timing: arrears}}
    phases:
      - start: 2026-01-01
        products:
{listed}        minimum_commitment: {{amount: "3000.00", products: [{products}]}}
"""


PLATFORM = '{product: platform, pricing: {model: flat_fee, price: "900.00"}}'
API = '{product: api, pricing: {model: per_unit, unit_price: "0.10"}}'


def income_by_month(entries: list[data.Directive], account: str) -> list[Decimal]:
    ends = [month_end(D(2026, month, 1)) for month in range(1, 13)]
    totals = [-balance(entries, account, day) for day in ends]
    return [b - a for a, b in zip([Decimal(0), *totals[:-1]], totals, strict=True)]


def test_a_minimum_commitment_shortfall_is_earned_when_its_period_ends(tmp_path: Path) -> None:
    # Q1: 1,000 calls in January (100.00) and nothing after: 2,900.00 short of 3,000.00. The
    # shortfall is known, and earned, only when the quarter ends: not with January's usage.
    usage = "timestamp,customer,metric,quantity\n2026-01-10,acme,api_calls,1000\n"
    entries = books(tmp_path, {"acme": committed([API], "api")}, usage)
    revenue = income_by_month(entries, "Income:SalesAndServicesRevenue")
    assert revenue[:3] == [Decimal("100.00"), Decimal(0), Decimal("2900.00")]
    # Q2 to Q4: no usage at all, the whole 3,000.00 at each quarter's end
    assert revenue[3:] == [0, 0, 3000, 0, 0, 3000, 0, 0, 3000]


def test_a_shortfall_is_posted_and_earned_alike_whatever_the_order_of_the_lines(
    tmp_path: Path,
) -> None:
    # The platform (ratable by day, 900.00 a quarter) and the API calls (as consumed) together
    # fall 2,000.00 short each quarter (900.00 + 100.00 of usage in January). Listed in either
    # order, the true-up is posted like the product the commitment lists first (its rule's
    # account: Income:Licences here), in the quarter's last month.
    usage = "timestamp,customer,metric,quantity\n2026-01-10,acme,api_calls,1000\n"
    results = []
    for order in ([PLATFORM, API], [API, PLATFORM]):
        entries = books(
            tmp_path / str(len(results)), {"acme": committed(order, "platform, api")}, usage
        )
        invoice = next(
            e
            for e in entries
            if isinstance(e, data.Transaction) and e.meta.get("invoice-id") == "INV-ACME-1-20260401"
        )
        (shortfall,) = [p for p in invoice.postings if (p.meta or {}).get("line-kind") == "minimum"]
        assert (shortfall.units.number, shortfall.meta["product"]) == (
            Decimal("-2000.00"),
            "platform",
        )
        assert "consumed" not in shortfall.meta
        results.append(
            (
                income_by_month(entries, "Income:Licences"),
                income_by_month(entries, "Income:SalesAndServicesRevenue"),
            )
        )
    assert results[0] == results[1]
    licences, usage_revenue = results[0]
    # the platform ratable by day (90 days in Q1: 310.00, 280.00, 310.00), the true-up on 31 March
    assert licences[:3] == [Decimal("310.00"), Decimal("280.00"), Decimal("2310.00")]
    assert usage_revenue[:3] == [Decimal("100.00"), Decimal(0), Decimal(0)]


def test_usage_invoiced_after_the_horizon_is_accrued_all_the_same(tmp_path: Path) -> None:
    # The quarter's invoice (2026-04-01) falls after the horizon: the revenue earned in the
    # quarter is accrued as if it had been issued, month by month.
    usage = (
        "timestamp,customer,metric,quantity\n"
        "2026-01-10,acme,api_calls,1000\n"
        "2026-03-05,acme,api_calls,3000\n"
    )
    early = books(tmp_path / "early", {"acme": USAGE}, usage, until="2026-03-31")
    late = books(tmp_path / "late", {"acme": USAGE}, usage, until="2026-12-31")
    for day in (D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31)):
        for account in ("Assets:UnbilledRevenue", "Income:SalesAndServicesRevenue"):
            assert balance(early, account, day) == balance(late, account, day), (day, account)
    assert balance(early, "Income:SalesAndServicesRevenue", D(2026, 3, 31)) == Decimal("-400.00")
    assert balance(early, "Assets:UnbilledRevenue", D(2026, 12, 31)) == Decimal("400.00")
    assert not [e for e in early if isinstance(e, data.Transaction) and "invoice-id" in e.meta]
    accruals = [e for e in early if isinstance(e, data.Transaction) and "to-be-invoiced" in e.meta]
    assert [(e.date, e.meta["to-be-invoiced"]) for e in accruals] == [
        (D(2026, 1, 31), "INV-ACME-1-20260401"),
        (D(2026, 3, 31), "INV-ACME-1-20260401"),
    ]
    assert accruals[0].narration == (
        "Revenue accrued 2026-01, to be invoiced on 2026-04-01 (INV-ACME-1-20260401) — Acme"
    )
    assert [(p.account, p.units.number) for p in accruals[0].postings] == [
        ("Assets:UnbilledRevenue", Decimal("100.00")),
        ("Income:SalesAndServicesRevenue", Decimal("-100.00")),
    ]


STRADDLING = """\
customer: {id: acme, account: Acme, name: Acme}
contracts:
  - id: ACME-1
    start: 2026-01-15
    billing: {cadence: monthly, timing: arrears, anchor: start}
    phases:
      - start: 2026-01-15
        products:
          - {product: licence, pricing: {model: flat_fee, price: "310.00"}}
          - {product: api, pricing: {model: per_unit, unit_price: "0.10"}}
"""


def test_a_fixed_fee_whose_service_runs_past_the_horizon_is_accrued_up_to_it(
    tmp_path: Path,
) -> None:
    # Billed monthly in arrears from the 15th: the period 2026-12-15..2027-01-14 is invoiced on
    # 2027-01-15, after a horizon of 2026-12-31. Its fixed fee is known and 17 of its 31 days
    # are rendered by the horizon: 170.00 is earned in 2026 and accrued on 12-31. Its API calls
    # are not: the period's usage is not complete, so they wait for the invoice.
    usage = "timestamp,customer,metric,quantity\n2026-12-20,acme,api_calls,1000\n"
    early = books(tmp_path / "early", {"acme": STRADDLING}, usage, until="2026-12-31")
    late = books(tmp_path / "late", {"acme": STRADDLING}, usage, until="2027-12-31")
    accruals = [e for e in early if isinstance(e, data.Transaction) and "to-be-invoiced" in e.meta]
    assert [(e.date, e.meta["to-be-invoiced"]) for e in accruals] == [
        (D(2026, 12, 31), "INV-ACME-1-20270115")
    ]
    assert [(p.account, p.units.number) for p in accruals[0].postings] == [
        ("Assets:UnbilledRevenue", Decimal("170.00")),
        ("Income:Licences", Decimal("-170.00")),
    ]
    assert accruals[0].postings[0].meta["service-end"] == D(2027, 1, 14)
    # Up to the horizon the licence reads the same as once the invoice is issued; nothing of
    # the period is accrued after it.
    for day in (D(2026, 11, 30), D(2026, 12, 31)):
        assert balance(early, "Income:Licences", day) == balance(late, "Income:Licences", day)
    assert balance(early, "Assets:UnbilledRevenue", D(2027, 1, 31)) == Decimal("170.00")
    # The December API calls: recognised once invoiced, not accrued before.
    late_usage = balance(late, "Income:SalesAndServicesRevenue", D(2026, 12, 31))
    assert late_usage == Decimal("-100.00")
    assert balance(early, "Income:SalesAndServicesRevenue", D(2026, 12, 31)) == 0


def test_milestones_release_their_share_on_their_dates(tmp_path: Path) -> None:
    entries = books(tmp_path, {"wayne": PROJECT})
    income = "Income:ProfessionalServices"
    assert balance(entries, income, D(2026, 3, 14)) == 0
    assert balance(entries, income, D(2026, 3, 15)) == Decimal("-2700.00")
    assert balance(entries, income, D(2026, 7, 30)) == Decimal("-2700.00")
    assert balance(entries, income, D(2026, 7, 31)) == Decimal("-9000.00")
    assert balance(entries, "Liabilities:DeferredRevenue", D(2026, 7, 31)) == 0


def test_milestones_reached_before_an_instalment_recognise_it_on_its_service_start(
    tmp_path: Path,
) -> None:
    # Found by tests/test_fuzz.py: the project billed in six monthly instalments of 1,500.00;
    # the August-style instalments (here April to July) were recognised on 03-15, before
    # they were invoiced and before their service started.
    instalments = PROJECT.replace("{cadence: one_time}", "{cadence: monthly}").replace(
        '"9000.00"', '"1500.00"'
    )
    entries = books(tmp_path, {"wayne": instalments})
    invoiced = {
        e.meta["invoice-id"]: e.date
        for e in entries
        if isinstance(e, data.Transaction) and "due-date" in e.meta
    }
    releases = [
        (e.date, p.meta["invoice-id"])
        for e in entries
        if isinstance(e, data.Transaction) and e.narration.startswith("Revenue recognised")
        for p in e.postings
        if p.account == "Liabilities:DeferredRevenue"
    ]
    assert len(invoiced) == 6 and len(releases) == 12
    assert all(day >= invoiced[invoice_id] for day, invoice_id in releases)
    income = "Income:ProfessionalServices"
    assert balance(entries, income, D(2026, 3, 15)) == Decimal("-900.00")  # Feb and March
    assert balance(entries, income, D(2026, 4, 1)) == Decimal("-1350.00")
    assert balance(entries, income, D(2026, 7, 30)) == Decimal("-2700.00")
    assert balance(entries, income, D(2026, 7, 31)) == Decimal("-9000.00")


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (
            ("            milestones:\n", "            mile_stones:\n"),
            12,
            'unknown key "mile_stones"',
        ),
        (('percent: "70%"', 'percent: "60%"'), 13, "milestone percentages must add up to 100%"),
    ],
)
def test_milestone_mistakes_are_reported_at_their_line(
    tmp_path: Path, change: tuple[str, str], line: int, message: str
) -> None:
    _, problems = load_texts(
        ("catalog.yaml", CATALOG), [("wayne.yaml", PROJECT.replace(*change))], []
    )
    assert len(problems) == 1
    assert problems[0].source.line == line
    assert message in problems[0].message


def test_a_milestone_rule_needs_milestones() -> None:
    text = PROJECT.split("            milestones:")[0]
    _, problems = load_texts(("catalog.yaml", CATALOG), [("wayne.yaml", text)], [])
    assert [(p.source.line, p.message) for p in problems] == [
        (
            9,
            'customer wayne: contract WAYNE-1: phase "2026-02-01", product implementation: '
            "revenue rule project recognises by milestone: add milestones: [{date: YYYY-MM-DD, "
            'percent: "50%"}, ...]',
        )
    ]


ANNUAL_CREDITED = """\
customer: {id: lex, account: Lex, name: Lex Corp}
contracts:
  - id: LEX-1
    start: 2026-01-01
    end: 2026-12-31
    billing: {cadence: annual, timing: advance}
    phases:
      - start: 2026-01-01
        products:
          - {product: licence, pricing: {model: flat_fee, price: "12000.00"}}
adjustments:
  - {type: credit_memo, id: CM-LEX-1, date: 2026-07-02, invoice: INV-LEX-1-20260101,
     amount: "6000.00", reason: Half the licence returned}
"""


def test_credit_memo_on_a_half_recognised_annual_line(tmp_path: Path) -> None:
    # 12,000.00 for 2026, ratable daily; on 2 July (182 of 365 days served) half is credited:
    # 6,000 x 182/365 = 2,991.78 was already recognised (Sales Returns), 3,008.22 comes off
    # the 183 days still deferred.
    entries = books(tmp_path, {"lex": ANNUAL_CREDITED})
    memo = next(e for e in entries if isinstance(e, data.Transaction) and "CM-LEX-1" in e.links)
    amounts = {p.account: p.units.number for p in memo.postings}
    assert amounts == {
        "Expenses:SalesReturnsAndAllowances": Decimal("2991.78"),
        "Liabilities:DeferredRevenue": Decimal("3008.22"),
        "Assets:AccountsReceivable:Customers:Lex": Decimal("-6000.00"),
    }
    income = "Income:Licences"
    assert balance(entries, income, D(2026, 6, 30)) == Decimal("-5950.68")  # 181 days
    # July: 1,019.18 of the original schedule less 30/183 of the credit (493.15).
    assert balance(entries, income, D(2026, 7, 31)) == Decimal("-6476.71")
    assert balance(entries, income, D(2026, 12, 31)) == Decimal("-8991.78")
    assert balance(entries, "Liabilities:DeferredRevenue", D(2026, 12, 31)) == 0
    returns = balance(entries, "Expenses:SalesReturnsAndAllowances", D(2026, 12, 31))
    assert -balance(entries, income, D(2026, 12, 31)) - returns == Decimal("6000.00")


def demo_entries() -> list[data.Directive]:
    entries, errors, _ = loader.load_file(str(ROOT / "ledgers" / "main.beancount"))
    assert errors == []
    return entries


def test_demo_deferred_revenue_equals_unreleased_invoiced_amounts_at_every_month_end() -> None:
    entries = demo_entries()
    rules = {
        e.values[0].value: RecognitionMethod(e.values[1].value)
        for e in entries
        if isinstance(e, data.Custom) and e.type == "beanbill-revenue-rule"
    }
    lines = []  # (invoice date, its schedule) of every advance line
    for entry in entries:
        # invoices, and memos (their not yet recognised share carries the revenue metadata)
        if not isinstance(entry, data.Transaction) or not (
            entry.narration.startswith("Invoice") or "memo-id" in entry.meta
        ):
            continue
        for posting in entry.postings:
            meta = posting.meta or {}
            if posting.account == "Liabilities:DeferredRevenue" and "revenue-rule" in meta:
                amount = meta.get("allocated-amount", -posting.units.number)
                obligation = Obligation(
                    amount=amount,
                    currency=posting.units.currency,
                    method=rules[meta["revenue-rule"]],
                    start=meta["service-start"],
                    end=meta["service-end"],
                    invoice_date=entry.date,
                )
                billed = -posting.units.number
                lines.append((entry.date, posting.units.currency, billed, schedule(obligation)))
    assert len(lines) > 50
    for month in range(1, 13):
        day = month_end(D(2026, month, 1))
        for currency in ("USD", "EUR", "JPY"):
            expected = sum(
                (
                    billed - recognised_by(plan, day)
                    for date, cur, billed, plan in lines
                    if date <= day and cur == currency
                ),
                Decimal(0),
            )
            actual = -sum(
                (
                    p.units.number
                    for e in entries
                    if isinstance(e, data.Transaction) and e.date <= day
                    for p in e.postings
                    if p.account == "Liabilities:DeferredRevenue" and p.units.currency == currency
                ),
                Decimal(0),
            )
            assert actual == expected, (day, currency)


def test_demo_income_is_the_sum_of_the_releases_and_accruals() -> None:
    # Accruals: December's usage, billed in arrears on 2027-01-01, after the demo's horizon.
    entries = demo_entries()
    income = Decimal(0)
    released = Decimal(0)
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        for posting in entry.postings:
            if posting.units.currency != "USD":
                continue
            if posting.account.startswith("Income:") and "memo-id" not in entry.meta:
                income += posting.units.number  # a debit memo's recognised share is not a release
            generated_revenue = (
                entry.meta["filename"] == "<beanbill:recognition>" or "to-be-invoiced" in entry.meta
            )
            if generated_revenue and not posting.account.startswith("Income:"):
                released += posting.units.number
    assert income == -released != 0


def test_a_release_names_its_contract_and_customer(tmp_path: Path) -> None:
    entries = books(tmp_path, {"wayne": PROJECT})
    releases = [
        e
        for e in entries
        if isinstance(e, data.Transaction) and e.narration.startswith("Revenue recognised")
    ]
    assert releases
    assert {(e.meta["contract"], e.meta["customer"]) for e in releases} == {("WAYNE-1", "wayne")}


def test_a_consolidated_invoices_release_names_the_contracts_it_releases() -> None:
    # The demo's Umbrella: INV-umbrella-20260401 bills April's platform (UMB-PLATFORM, in
    # advance) and March's payments (UMB-PAYMENTS, in arrears). The accrual of 31 March
    # posts March's payments alone: it names UMB-PAYMENTS, not both contracts.
    march = [
        e
        for e in demo_entries()
        if isinstance(e, data.Transaction)
        and e.date == D(2026, 3, 31)
        and "INV-umbrella-20260401" in e.links
        and e.narration.startswith("Revenue recognised")
    ]
    assert [(e.narration, e.meta["contract"]) for e in march] == [
        ("Revenue recognised 2026-03 — UMB-PAYMENTS", "UMB-PAYMENTS")
    ]
    assert {p.meta["contract"] for p in march[0].postings if p.meta} == {"UMB-PAYMENTS"}
