"""The `beanbill` command line: compile, check, diff, report on (revenue, rollforward, invoices,
aging), close, render, export and serve the books.

Every command takes the ledger file as an optional first argument (default
ledgers/main.beancount). Problems are printed as `file:line: message`; the exit status is 1
when there are any.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import glob
import ipaddress
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any, cast

import babel
import jinja2
from beancount.core import data
from beancount.parser import parser as bc_parser
from beancount.parser import printer
from fava.beans.load import load_uncached

from beanbill.active import SourceFinder
from beanbill.books import read_settlement
from beanbill.closing import CLOSED, close_month, format_closing, month_label
from beanbill.documents import Directory, Document, directory_of, documents, select
from beanbill.erp import LAYOUTS, Context
from beanbill.export import JournalLine, MapError, journal_lines, read_map, totals
from beanbill.ledger import GENERATED_PREFIX, in_contracts, sort_key
from beanbill.load import load_folder
from beanbill.output import write_atomically, write_bytes_atomically
from beanbill.periods import add_months
from beanbill.plugins.contracts import last_contracts
from beanbill.plugins.contracts import parse_config as contracts_config
from beanbill.problems import meant_hint, meant_note, shown
from beanbill.receivables import default_as_of, invoice_rows
from beanbill.render import FORMATS as RENDER_FORMATS
from beanbill.render import Renderer, document_path, template_problem
from beanbill.reports import (
    aging_table,
    invoices_table,
    revenue_rows,
    revenue_table,
    rollforward_table,
)
from beanbill.review import CHANGES, compare, revenue_changes, text_diff, without_status
from beanbill.revision import RevisionError, repository_root, write_revision
from beanbill.settlement import STATUSES, Settlement, component
from beanbill.statements import Statement, statements
from beanbill.tables import FORMATS, Cell, render
from beanbill.yamlread import FIRST_YEAR, LAST_YEAR

DEFAULT_LEDGER = "ledgers/main.beancount"
CLOSE_PLUGIN = "beanbill.plugins.close"


def load(ledger: str) -> tuple[list[data.Directive], list[Any], dict[str, Any]]:
    if not os.path.isfile(ledger):
        raise SystemExit(f"beanbill: no ledger file {ledger}")
    return load_books(ledger)


def load_books(ledger: str) -> tuple[list[data.Directive], list[Any], dict[str, Any]]:
    """The books as Fava loads them: without Beancount's pickle cache. Writing it took longer
    than the load itself on large books (2,000 contracts: 30 s against 17 s, and twice the
    memory), after every edit and in every CI run, which starts from a fresh checkout."""
    # Fava types what Beancount returns as protocols of Beancount's own types
    loaded = load_uncached(os.path.abspath(ledger), is_encrypted=False)
    return cast("tuple[list[data.Directive], list[Any], dict[str, Any]]", loaded)


def format_error(error: Any) -> str:
    """`file:line: message`, as bean-check prints it (without the entry), the file named from
    the current folder when it is under it (`contracts/customers/acme.yaml:11`)."""
    source = error.source or {}
    return f"{shown(str(source.get('filename', '?')))}:{source.get('lineno', 0)}: {error.message}\n"


def print_errors(errors: Sequence[Any], options: dict[str, Any], command: str) -> None:
    """Each problem, `file:line: message`; then, when some are in the contract files and
    others not, that those come first: a customer file with a problem leaves all its invoices
    out, and what named them (payments, closed months, documents) fails too."""
    for error in errors:
        sys.stderr.write(format_error(error))
    contracts = in_contracts(errors, options)
    if 0 < contracts < len(errors):
        which = "it" if contracts == 1 else "them"
        sys.stderr.write(
            f"beanbill {command}: {contracts} of the {len(errors)} problems "
            f"{'is' if contracts == 1 else 'are'} in the contracts: fix {which} first, the "
            f"others may follow from {which} (a customer file with a problem leaves all its "
            "invoices out; a problem in catalog.yaml, every invoice)\n"
        )


def generated(entries: Sequence[data.Directive]) -> list[data.Directive]:
    """The directives beanbill's plugins generated, in a stable order (not the documents
    filed: they name files by their absolute path, and plain Beancount files them itself
    with its `documents` option once the accounts are opened in text)."""
    mine = [
        e
        for e in entries
        if str(e.meta.get("filename", "")).startswith(GENERATED_PREFIX)
        and not isinstance(e, data.Document)
    ]
    return sorted(mine, key=sort_key)


def format_compiled(entries: Sequence[data.Directive], ledger: str) -> Iterator[str]:
    """The compiled text, entry by entry: at 10,000 contracts it is half a gigabyte, and
    joining it into one string first would double the compile's memory."""
    yield (
        f";; Generated by `beanbill compile {ledger}`: do not edit, edit the contracts.\n"
        ";; Loads with plain Beancount (no beanbill plugins) beside the chart of accounts.\n\n"
    )
    for index, entry in enumerate(entries):
        if index:
            yield "\n"
        yield printer.format_entry(entry)


def cmd_compile(args: argparse.Namespace) -> int:
    entries, errors, options = load(args.ledger)
    if errors:
        print_errors(errors, options, args.command)
        sys.stderr.write(f"beanbill compile: {len(errors)} problem(s); nothing written\n")
        return 1
    text = format_compiled(generated(entries), args.ledger)
    if args.output in (None, "-"):
        sys.stdout.writelines(text)
    else:
        write_atomically(args.output, text)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    entries, errors, options = load(args.ledger)
    if errors:
        print_errors(errors, options, args.command)
        sys.stderr.write(f"beanbill check: {len(errors)} problem(s)\n")
        return 1
    count = sum(1 for e in generated(entries) if isinstance(e, data.Transaction))
    print(
        f"beanbill check: {args.ledger} is consistent ({len(entries)} entries, {count} generated)"
    )
    return 0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_diff(args: argparse.Namespace) -> int:
    ledger = os.path.abspath(args.ledger)
    try:
        root = repository_root(os.path.dirname(ledger))
    except RevisionError as error:
        sys.stderr.write(f"beanbill diff: {error}\n")
        return 1
    relative = os.path.relpath(ledger, root)
    # With problems (a closed month that moved, a customer file left out), the diff is still
    # what shows what moved: the problems are said first, and the exit status is 1.
    entries, errors, options = load(args.ledger)
    if errors:
        print_errors(errors, options, args.command)
        sys.stderr.write(
            f"beanbill diff: {len(errors)} problem(s) in the working tree's books; the diff "
            "below is of the books as they load with them\n"
        )
    with tempfile.TemporaryDirectory(prefix="beanbill-diff-") as folder:
        try:
            write_revision(root, args.base, folder)
        except RevisionError as error:
            sys.stderr.write(f"beanbill diff: {error}\n")
            return 1
        base_ledger = os.path.join(folder, relative)
        base_entries: list[data.Directive] = []
        if os.path.isfile(base_ledger):
            base_entries, base_errors, _ = load_books(base_ledger)
            if base_errors:
                sys.stderr.write(
                    f"beanbill diff: the books at {args.base} have {len(base_errors)} problem(s) "
                    f"(`git stash` or check out {args.base}, then `beanbill check` names them)\n"
                )
                return 1
    changes = compare(base_entries, entries)
    counts = {kind: sum(1 for c in changes if c.change == kind) for kind in CHANGES}
    print(
        f"beanbill diff: {args.base} -> the working tree, invoices and adjustments: "
        + ", ".join(f"{count} {kind}" for kind, count in counts.items())
    )
    if changes:
        headers = ["change", "id", "date", "customer", "before", "after", "what"]
        rows: list[list[Cell]] = [
            [c.change, c.id, str(c.date), c.customer, c.before, c.after, c.what] for c in changes
        ]
        sys.stdout.write("\n" + render(headers, rows, "table"))
    revenue = revenue_changes(base_entries, entries)
    if revenue:
        headers = ["month", "currency", "net revenue before", "after", "change"]
        rows = [[r.month, r.currency, r.before, r.after, r.after - r.before] for r in revenue]
        sys.stdout.write(
            "\nNet revenue per month that moves (recognised, less returns and allowances):\n"
        )
        sys.stdout.write(render(headers, rows, "table"))
    if not args.summary:
        lines = "".join(
            text_diff(
                format_compiled(without_status(generated(base_entries)), relative),
                format_compiled(without_status(generated(entries)), relative),
                f"{args.base}:{relative} (compiled)",
                f"{relative} (compiled)",
            )
        )
        sys.stdout.write(f"\n{lines}" if lines else "")
    return 1 if errors else 0


def cmd_serve(args: argparse.Namespace) -> int:
    if not is_loopback(args.host):
        sys.stderr.write(
            f"beanbill serve: WARNING: Fava has no authentication; anyone who can reach "
            f"{args.host}:{args.port} can read and edit these books.\n"
        )
    command = [sys.executable, "-m", "fava.cli", "--host", args.host, "--port", str(args.port)]
    command += ["--poll-watcher", args.ledger]
    os.execv(sys.executable, command)
    return 0  # pragma: no cover - execv does not return


def month_arg(text: str) -> datetime.date:
    try:
        month = datetime.date.fromisoformat(f"{text}-01")
    except ValueError as error:
        # `beanbill close 2026-10 ledgers/main.beancount`: the ledger comes first
        order = ": the ledger comes first, then the month" if text.endswith(".beancount") else ""
        raise argparse.ArgumentTypeError(f"{text!r} is not a month YYYY-MM{order}") from error
    if not FIRST_YEAR <= month.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range (years {FIRST_YEAR} to {LAST_YEAR})"
        )
    return month


def port_arg(text: str) -> int:
    try:
        port = int(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from error
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is not between 1 and 65535")
    return port


def locale_arg(text: str) -> str:
    """A locale Babel knows (`en_US`, `de_DE`, `ja`), else a usage error, not a traceback."""
    try:
        babel.Locale.parse(text)
    except (ValueError, babel.UnknownLocaleError) as error:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a locale Babel knows (e.g. en_US, de_DE, fr_CH, ja)"
        ) from error
    return text


def cmd_revenue(args: argparse.Namespace) -> int:
    if args.since and args.until and args.until < args.since:
        sys.stderr.write(
            f"beanbill revenue: --to {args.until:%Y-%m} is before --from {args.since:%Y-%m}\n"
        )
        return 1
    entries = sound_books(args)
    if entries is None:
        return 1
    table = revenue_table(revenue_rows(entries), args.since, args.until)
    sys.stdout.write(render(*table, "csv" if args.csv else args.format))
    return 0


def date_arg(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from error


def sound_books(args: argparse.Namespace) -> list[data.Directive] | None:
    """The ledger's entries; None, with its problems said, when it has any: a report of such
    books would be silently short of what they leave out (a customer file with a problem
    leaves out all its invoices)."""
    entries, errors, options = load(args.ledger)
    if errors:
        print_errors(errors, options, args.command)
        sys.stderr.write(
            f"beanbill {args.command}: {len(errors)} problem(s) in the books, so no report: "
            "it would leave out what they leave out; fix them and run it again\n"
        )
        return None
    return entries


def settled(args: argparse.Namespace) -> tuple[Settlement, datetime.date] | None:
    """The books' settlement and the as-of date (--as-of, else `default_as_of`);
    None, said, when the books have problems or --customer names no customer of theirs."""
    entries = sound_books(args)
    if entries is None:
        return None
    settlement = read_settlement(entries)
    if args.customer is not None:
        issued = [invoice.issued for invoice in settlement.invoices.values()]
        ids = sorted({i.customer for i in issued})
        if args.customer not in {*ids, *(component(i.receivable) for i in issued)}:
            hint = meant_hint(args.customer, ids)
            sys.stderr.write(
                f'beanbill {args.command}: no customer "{args.customer}" has invoices in these '
                f"books ({hint}customers with invoices: {', '.join(ids) or 'none'})\n"
            )
            return None
    as_of = args.as_of or default_as_of(settlement.last_date, datetime.date.today())
    return settlement, as_of


def cmd_invoices(args: argparse.Namespace) -> int:
    loaded = settled(args)
    if loaded is None:
        return 1
    settlement, as_of = loaded
    if args.since is not None and args.since > as_of:
        sys.stderr.write(f"beanbill invoices: --from {args.since} is after --as-of {as_of}\n")
        return 1
    rows = invoice_rows(settlement, as_of, args.customer, args.status)
    if args.since is not None:  # a month's invoices, as the Billing page lists them
        rows = [row for row in rows if row.date >= args.since]
    if args.format == "table":
        issued = f"issued {args.since} to {as_of}, " if args.since is not None else ""
        sys.stdout.write(f"Invoices {issued}as of {as_of}\n")
    sys.stdout.write(render(*invoices_table(rows), args.format))
    return 0


def cmd_aging(args: argparse.Namespace) -> int:
    loaded = settled(args)
    if loaded is None:
        return 1
    settlement, as_of = loaded
    rows = invoice_rows(settlement, as_of, args.customer)
    table = aging_table(rows, totals=args.format == "table")
    if args.format == "table":
        sys.stdout.write(f"Receivables aging as of {as_of} (days past due)\n")
    sys.stdout.write(render(*table, args.format))
    return 0


def cmd_rollforward(args: argparse.Namespace) -> int:
    if args.until < args.since:
        sys.stderr.write(f"beanbill rollforward: --to {args.until} is before --from {args.since}\n")
        return 1
    entries = sound_books(args)
    if entries is None:
        return 1
    if args.format == "table":
        sys.stdout.write(f"Deferred revenue from {args.since} to {args.until}\n")
    sys.stdout.write(render(*rollforward_table(entries, args.since, args.until), args.format))
    return 0


def cmd_close(args: argparse.Namespace) -> int:
    month: datetime.date = args.month
    label = month_label(month)
    today = datetime.date.today()
    if add_months(month, 1) > today:
        return refuse(
            args, f"{label} is not over yet (today is {today}): close a month once it ended"
        )
    entries, errors, options = load(args.ledger)
    if errors:
        print_errors(errors, options, args.command)
        return refuse(args, f"the books have {len(errors)} problem(s): close only books that check")
    if CLOSE_PLUGIN not in [name for name, _ in options["plugin"]]:
        return refuse(
            args,
            f"{args.ledger} does not load the plugin that enforces a close: add plugin "
            f'"{CLOSE_PLUGIN}" after beanbill\'s settlement plugin, then close again',
        )
    path = os.path.join(os.path.dirname(args.ledger), "closed", f"{label}.beancount")
    if os.path.exists(path) or any(
        isinstance(e, data.Custom) and e.type == CLOSED and e.date.replace(day=1) == month
        for e in entries
    ):
        return refuse(
            args, f"{label} is already closed ({path}); reopening one is deleting its file"
        )
    closing = close_month(entries, month)
    write_atomically(path, [format_closing(closing)])
    try:
        added = include_close(args.ledger, path)
    except BaseException:
        os.unlink(path)
        raise
    print(
        f"beanbill close: {label} closed in {path} ({counted(closing.balances, 'balance')}, "
        f"{counted(closing.invoices, 'invoice')}, {counted(closing.memos, 'memo')})"
        + (f"; {args.ledger} now includes it" if added else "")
        + ". Commit it: from now on bean-check fails on any change to the month."
    )
    return 0


def refuse(args: argparse.Namespace, message: str) -> int:
    """A command that writes files (close, render, export) stops before writing any."""
    sys.stderr.write(f"beanbill {args.command}: {message}; nothing written\n")
    return 1


def counted(items: Sequence[object], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def include_close(ledger: str, path: str) -> bool:
    """Make `ledger` include the close file `path` (append an `include` line, atomically)
    unless one of its include patterns already matches it. True when a line was added."""
    folder = os.path.dirname(os.path.abspath(ledger))
    _, _, options = bc_parser.parse_file(ledger)
    target = os.path.abspath(path)
    for pattern in options["include"]:
        if target in {os.path.abspath(p) for p in glob.glob(os.path.join(folder, pattern))}:
            return False
    with open(ledger, encoding="utf-8") as file:
        text = file.read()
    if text and not text.endswith("\n"):
        text += "\n"
    relative = os.path.relpath(target, folder).replace(os.sep, "/")
    write_atomically(ledger, [text, f'include "{relative}"\n'])
    return True


def cmd_render(args: argparse.Namespace) -> int:
    if args.statements and args.id:
        return refuse(args, "--id names invoices and memos; --statements renders statements")
    if args.month and (args.statements or args.id):
        return refuse(
            args, "--month renders a month's invoices and memos: not with --id or --statements"
        )
    for option, given in (("--customer", args.customer), ("--from", args.since)):
        if given and not args.statements:
            return refuse(args, f"{option} goes with --statements")
    if args.since and args.statements and args.since > args.statements:
        return refuse(args, f"--from {args.since} is after the statements' date {args.statements}")
    folder = os.path.dirname(args.ledger)
    templates = args.templates or os.path.join(folder, os.pardir, "templates")
    if not os.path.isfile(os.path.join(templates, "invoice.html.j2")):
        return refuse(args, f"no invoice.html.j2 in {templates}: name the folder with --templates")
    out = args.out or os.path.join(folder, "documents")
    if os.path.exists(out) and not os.path.isdir(out):
        return refuse(args, f"{out} is a file, not a folder: name a folder with --out")
    entries, errors, options = load(args.ledger)
    if errors:
        print_errors(errors, options, args.command)
        return refuse(args, f"the books have {len(errors)} problem(s)")
    directory = ledger_directory(args.ledger, options)
    found: Sequence[Document | Statement]
    if args.statements:
        found = statements(
            entries,
            read_settlement(entries),
            args.statements,
            directory,
            args.customer,
            args.since,
        )
        if args.customer and not found:
            return refuse(
                args,
                f"customer {args.customer} has no open invoice, credit or activity to state on "
                f"{args.statements}",
            )
    else:
        every = documents(entries, directory)
        found, unknown = select(every, args.id)
        if unknown:
            ids = [document.id for document in every]
            named = ", ".join(f"{i}{meant_note(i, ids)}" for i in unknown)
            return refuse(args, f"no invoice or memo {named} in the books")
        if args.month:
            found = [d for d in found if d.date.replace(day=1) == args.month]
    renderer = Renderer(templates, args.locale)
    try:
        renderer.check_templates()
    except jinja2.TemplateError as error:
        return refuse(args, template_problem(error, templates))
    written: dict[str, list[str]] = {"new": [], "updated": [], "unchanged": []}
    for document in found:
        path = document_path(out, document, args.format)
        try:
            content = (
                renderer.pdf(document)
                if args.format == "pdf"
                else renderer.html(document).encode("utf-8")
            )
        except jinja2.TemplateError as error:  # an undefined name, met with this document
            done = len(written["new"]) + len(written["updated"])
            sys.stderr.write(
                f"beanbill render: {template_problem(error, templates)} (rendering {path}); "
                f"{counted(range(done), 'document')} written before it\n"
            )
            return 1
        if not os.path.exists(path):
            written["new"].append(path)
        else:
            with open(path, "rb") as file:
                if file.read() == content:
                    written["unchanged"].append(path)
                    continue
            written["updated"].append(path)
        write_bytes_atomically(path, content)
    said = {"updated": "updated (the books or the templates changed since it was rendered)"}
    # a month's documents, or those named by id, are listed to be sent, each of them; else
    # (all of the books') only those updated
    listed = written if args.month or args.id else {"updated": written["updated"]}
    for path, state in sorted((p, state) for state, paths in listed.items() for p in paths):
        print(f"{said.get(state, state)}: {path}")
    dated = f" dated {args.month:%Y-%m}" if args.month else ""
    print(
        f"beanbill render: {counted(found, 'document')}{dated} in {out} "
        f"({len(written['new'])} new, {len(written['updated'])} updated, "
        f"{len(written['unchanged'])} unchanged)"
    )
    return 0


def ledger_directory(ledger: str, options: dict[str, Any]) -> Directory:
    """The names of the ledger's contracts folder (company, customers, products, taxes)."""
    for name, config in options["plugin"]:
        if name == "beanbill.plugins.contracts":
            folder = contracts_config(config, ledger).folder
            # The contracts the load just compiled, else read again (the plugin keeps none).
            return directory_of(last_contracts(folder) or load_folder(folder)[0])
    return directory_of(None)


def cmd_export(args: argparse.Namespace) -> int:
    if args.until < args.since:
        return refuse(args, f"--to {args.until} is before --from {args.since}")
    if args.format in LAYOUTS and not args.map:
        return refuse(args, f"--format {args.format} needs --map: the ERP's accounts")
    account_map = None
    if args.map:
        try:
            with open(args.map, encoding="utf-8") as file:
                account_map = read_map(file.read(), args.map)
        except OSError as error:
            return refuse(args, f"cannot read the map {args.map} ({error.strerror or error})")
        except MapError as error:
            sys.stderr.writelines(f"{said}\n" for said in error.problems)
            return refuse(args, f"{counted(error.problems, 'problem')} in the map")
    entries, errors, options = load(args.ledger)
    if errors:
        print_errors(errors, options, args.command)
        return refuse(args, f"the books have {len(errors)} problem(s)")
    directory = ledger_directory(args.ledger, options)
    lines, problems = journal_lines(
        entries, args.since, args.until, account_map, directory.accounts
    )
    if problems:
        finder = SourceFinder(options)
        for problem in problems:
            if problem.entry is None:
                where = shown(str(args.map))
            else:
                source = finder.meta(problem.entry.meta)
                where = f"{shown(str(source.get('filename', '?')))}:{source.get('lineno', 0)}"
            sys.stderr.write(f"{where}: {problem.message}\n")
        return refuse(args, f"{len(problems)} problem(s)")
    if args.format in LAYOUTS:
        context = Context(
            account_map.settings.get(args.format, {}) if account_map else {},
            customer_names(directory),
            (options["operating_currency"] or [None])[0],
        )
        layout = LAYOUTS[args.format](lines, context)
        for message in layout.problems:
            sys.stderr.write(f"beanbill export: {message}\n")
        if layout.problems:
            return refuse(args, f"{len(layout.problems)} problem(s)")
        text = render(layout.headers, layout.rows, "csv")
    else:
        text = render(*journal_table(lines), args.format)
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        write_atomically(args.output, [text])
    journals = len({line.journal for line in lines})
    balanced = "; ".join(
        f"{currency} debits {debit} = credits {credit}"
        for currency, (debit, credit) in sorted(totals(lines).items())
    )
    sys.stderr.write(
        f"beanbill export: {journals} journals, {len(lines)} lines, {args.since} to "
        f"{args.until}{'; ' + balanced if balanced else ''}\n"
    )
    return 0


def customer_names(directory: Directory) -> dict[str, str]:
    """A customer's account component → its name."""
    return {
        key: directory.customers[customer].name
        for key, customer in directory.accounts.items()
        if customer in directory.customers
    }


def journal_table(lines: Sequence[JournalLine]) -> tuple[list[str], list[list[Cell]]]:
    headers = ["journal", "date", "account", "beancount account", "debit", "credit"]
    headers += ["currency", "description", "reference", "customer"]
    rows: list[list[Cell]] = []
    for line in lines:
        rows.append([line.journal, str(line.date), line.account, line.beancount_account])
        rows[-1] += [line.debit, line.credit, line.currency, line.description]
        rows[-1] += [line.reference, line.customer]
    return headers, rows


def parser() -> argparse.ArgumentParser:
    summary, usage_notes = (" ".join(part.split()) for part in __doc__.split("\n\n", 1))
    root = argparse.ArgumentParser(prog="beanbill", description=summary, epilog=usage_notes)
    commands = root.add_subparsers(dest="command", required=True)

    compile_ = commands.add_parser("compile", help="the generated entries as Beancount text")
    compile_.add_argument("ledger", nargs="?", default=DEFAULT_LEDGER)
    compile_.add_argument("-o", "--output", help="write to FILE (atomically) instead of stdout")
    compile_.set_defaults(run=cmd_compile)

    check = commands.add_parser("check", help="bean-check plus beanbill's checks")
    check.add_argument("ledger", nargs="?", default=DEFAULT_LEDGER)
    check.set_defaults(run=cmd_check)

    revenue = commands.add_parser(
        "revenue", help="revenue waterfall: recognised per month, deferred, unbilled"
    )
    revenue.add_argument("ledger", nargs="?", default=DEFAULT_LEDGER)
    revenue.add_argument("--from", dest="since", type=month_arg, help="first month, YYYY-MM")
    revenue.add_argument("--to", dest="until", type=month_arg, help="last month, YYYY-MM")
    revenue.add_argument("--format", choices=FORMATS, default="table")
    revenue.add_argument("--csv", action="store_true", help="same as --format csv")
    revenue.set_defaults(run=cmd_revenue)

    invoices = commands.add_parser(
        "invoices", help="invoices with what was paid, credited and is still open, as of a date"
    )
    invoices.add_argument("ledger", nargs="?", default=DEFAULT_LEDGER)
    invoices.add_argument("--customer", help="a customer id (or account component)")
    invoices.add_argument("--status", choices=STATUSES)
    invoices.add_argument(
        "--from",
        dest="since",
        type=date_arg,
        help="YYYY-MM-DD: only the invoices issued from this date to the as-of date",
    )
    invoices.add_argument(
        "--as-of",
        type=date_arg,
        help="YYYY-MM-DD (default: today, or the books' last invoice or payment date if earlier)",
    )
    invoices.add_argument("--format", choices=FORMATS, default="table")
    invoices.set_defaults(run=cmd_invoices)

    rollforward = commands.add_parser(
        "rollforward", help="deferred revenue per contract: opening, billed, recognised, closing"
    )
    rollforward.add_argument("ledger", nargs="?", default=DEFAULT_LEDGER)
    rollforward.add_argument("--from", dest="since", type=date_arg, required=True)
    rollforward.add_argument("--to", dest="until", type=date_arg, required=True)
    rollforward.add_argument("--format", choices=FORMATS, default="table")
    rollforward.set_defaults(run=cmd_rollforward)

    aging_ = commands.add_parser("aging", help="receivables aging per customer, as of a date")
    aging_.add_argument("ledger", nargs="?", default=DEFAULT_LEDGER)
    aging_.add_argument("--customer", help="a customer id (or account component)")
    aging_.add_argument(
        "--as-of",
        type=date_arg,
        help="YYYY-MM-DD (default: today, or the books' last invoice or payment date if earlier)",
    )
    aging_.add_argument("--format", choices=FORMATS, default="table")
    aging_.set_defaults(run=cmd_aging)

    close = commands.add_parser("close", help="lock a month: anything that changes it fails")
    close.add_argument("ledger", nargs="?", default=DEFAULT_LEDGER)
    close.add_argument("month", type=month_arg, help="the month to close, YYYY-MM")
    close.set_defaults(run=cmd_close)

    render_ = commands.add_parser("render", help="invoices and memos as PDF (or HTML) documents")
    render_.add_argument("ledger", nargs="?", default=DEFAULT_LEDGER)
    render_.add_argument(
        "--id",
        "--invoice",
        dest="id",
        action="append",
        default=[],
        help="an invoice or memo id (repeatable; default: all)",
    )
    render_.add_argument(
        "--statements",
        type=date_arg,
        metavar="DATE",
        help="statements of account as of DATE (YYYY-MM-DD) instead of invoices and memos",
    )
    render_.add_argument(
        "--from",
        dest="since",
        type=date_arg,
        metavar="DATE",
        help="with --statements: add the account's activity from DATE to the statements' date",
    )
    render_.add_argument("--customer", help="with --statements: only this customer (id)")
    render_.add_argument(
        "--month",
        type=month_arg,
        metavar="YYYY-MM",
        help="only the invoices and memos dated in this month, each listed",
    )
    render_.add_argument("--format", choices=RENDER_FORMATS, default="pdf")
    render_.add_argument("--out", help="the documents folder (default: documents/ beside LEDGER)")
    render_.add_argument("--templates", help="the templates folder (default: ../templates)")
    render_.add_argument(
        "--locale", type=locale_arg, default="en_US", help="money and number format (Babel)"
    )
    render_.set_defaults(run=cmd_render)

    export = commands.add_parser("export", help="the general journal of a period, for an ERP")
    export.add_argument("ledger", nargs="?", default=DEFAULT_LEDGER)
    export.add_argument("--from", dest="since", type=date_arg, required=True, help="YYYY-MM-DD")
    export.add_argument("--to", dest="until", type=date_arg, required=True, help="YYYY-MM-DD")
    export.add_argument("--map", help="YAML file mapping account patterns to ERP accounts")
    export.add_argument("--format", choices=("csv", "json", *LAYOUTS), default="csv")
    export.add_argument("-o", "--output", help="write to FILE (atomically) instead of stdout")
    export.set_defaults(run=cmd_export)

    diff = commands.add_parser(
        "diff", help="what the working tree changes in the books, against a git revision"
    )
    diff.add_argument("ledger", nargs="?", default=DEFAULT_LEDGER)
    diff.add_argument("--base", default="HEAD", help="the git revision to compare with")
    diff.add_argument(
        "--summary", action="store_true", help="only the invoices and adjustments changed"
    )
    diff.set_defaults(run=cmd_diff)

    serve = commands.add_parser("serve", help="Fava on 127.0.0.1 with the books")
    serve.add_argument("ledger", nargs="?", default=DEFAULT_LEDGER)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=port_arg, default=5000)
    serve.set_defaults(run=cmd_serve)
    for command in commands.choices.values():
        # an option the command does not take is said with the command's own usage
        command.set_defaults(command_parser=command)
    return root


def output_closed() -> int:
    """The reader of the output stopped early (`beanbill diff | head`): stop quietly, as git
    does, with the status of a process the closed pipe ended (128 + SIGPIPE)."""
    # what is left in Python's buffer would fail again at the exit (ValueError: stdout is not
    # a file, as under a test's capture)
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 141


def main(argv: Sequence[str] | None = None) -> int:
    args, unknown = parser().parse_known_args(argv)
    if unknown:  # argparse would say it with beanbill's usage, not the command's
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        result: int = args.run(args)
        sys.stdout.flush()  # a reader that stopped early is met here, not at the exit
    except BrokenPipeError:
        return output_closed()
    except OSError as error:  # a file it cannot write (a folder given for a file, a full disk)
        where = " -> ".join(str(name) for name in (error.filename, error.filename2) if name)
        said = f"{error.strerror or error}{f': {where}' if where else ''}"
        sys.stderr.write(f"beanbill {args.command}: {said}\n")
        return 1
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
