"""`hutor documents close-month YYYY-MM`: the month's acts / УПД for company and
sole-proprietor customers, and corrections where what was rendered has changed since; safe to
run again (a rerun issues nothing new when nothing changed).

`hutor documents advance-invoices [--since YYYY-MM-DD]`: the advance invoices-factura of the
payments credited since that day (default: the last five days) that have none yet; safe to
run again.

`hutor documents sales-ledger [--company INN|id] --quarter 2026Q1 [--csv] [--pdf FILE]`: a
provider company's sales ledger (книга продаж) for a quarter, as a table, CSV or PDF."""

import datetime as dt
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.commands import HutorCommand
from hutor.core import clock
from hutor.documents import advances, sales_ledger
from hutor.documents.actions import close_month
from hutor.documents.calculations import MonthError, parse_month


class Command(HutorCommand):
    help = gettext_lazy(
        "Closing documents: `hutor documents close-month YYYY-MM`, "
        "`hutor documents advance-invoices [--since YYYY-MM-DD]`, "
        "`hutor documents sales-ledger --quarter YYYYQN [--company INN] [--csv] [--pdf FILE]`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        close = sub.add_parser(
            "close-month",
            help=_("issue the month's acts or UPDs and corrections (safe to repeat)"),
        )
        close.add_argument("month", help=_("the month, YYYY-MM"))
        advance = sub.add_parser(
            "advance-invoices",
            help=_("issue the advance invoices-factura of prepayments (safe to repeat)"),
        )
        advance.add_argument(
            "--since",
            help=_("the first day of the payments, YYYY-MM-DD (default: five days ago)"),
        )

        ledger = sub.add_parser(
            "sales-ledger", help=_("a provider company's sales ledger for a quarter")
        )
        ledger.add_argument("--quarter", required=True, help=_("the quarter, YYYYQN"))
        ledger.add_argument(
            "--company", help=_("the provider company's INN or id (default: the default one)")
        )
        ledger.add_argument("--csv", action="store_true", help=_("write CSV instead of a table"))
        ledger.add_argument("--pdf", metavar="FILE", help=_("also write the PDF to this file"))

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "sales-ledger":
            self._sales_ledger(options)
            return
        if action == "advance-invoices":
            self._advances(options.get("since"))
            return
        if action == "close-month":
            try:
                month = parse_month(options["month"])
                report = close_month(month)
            except MonthError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                _(
                    "documents close-month %(month)s: issued=%(issued)s "
                    "corrections=%(corrections)s unchanged=%(unchanged)s errors=%(errors)s"
                )
                % {
                    "month": f"{month:%Y-%m}",
                    "issued": report.issued,
                    "corrections": report.corrections,
                    "unchanged": report.unchanged,
                    "errors": len(report.errors),
                }
            )
            for error in report.errors:
                self.stderr.write(error)
            if report.errors:
                raise CommandError(_("some accounts could not be closed; see above"))

    def _advances(self, since_text: str | None) -> None:
        since = clock.today() - dt.timedelta(days=advances.WINDOW_DAYS)
        if since_text:
            try:
                since = dt.date.fromisoformat(since_text.strip())
            except ValueError as exc:
                raise CommandError(
                    _("Write the day as YYYY-MM-DD, for example 2026-03-01.")
                ) from exc
        report = advances.issue_advances(since)
        self.stdout.write(
            _(
                "documents advance-invoices since %(since)s: issued=%(issued)s "
                "skipped=%(skipped)s errors=%(errors)s"
            )
            % {
                "since": since.isoformat(),
                "issued": report.issued,
                "skipped": report.skipped,
                "errors": len(report.errors),
            }
        )
        for error in report.errors:
            self.stderr.write(error)
        if report.errors:
            raise CommandError(_("some payments could not be handled; see above"))

    def _sales_ledger(self, options: dict[str, Any]) -> None:
        language = translation.get_language() or "ru"
        try:
            quarter = sales_ledger.parse_quarter(options["quarter"])
            company = sales_ledger.find_company(options.get("company"))
        except sales_ledger.QuarterError as exc:
            raise CommandError(str(exc)) from exc
        ledger = sales_ledger.build(company, quarter)
        if options.get("pdf"):
            with open(options["pdf"], "wb") as out:
                out.write(sales_ledger.render_pdf(ledger, language))
        if options.get("csv"):
            self.stdout.write(sales_ledger.render_csv(ledger, language).lstrip("\ufeff"), ending="")
            return
        self.stdout.write(sales_ledger.title(ledger, language))
        headings = sales_ledger.columns(ledger, language)
        for row in ledger.rows:
            self.stdout.write(_line(headings, sales_ledger.cells(ledger, row)))
        self.stdout.write(_line(headings, sales_ledger.total_cells(ledger, language)))


def _line(headings: list[tuple[str, str]], cells: list[str]) -> str:
    """A ledger row on one line: columns 1 and 2 bare, the others named by their number (or, for
    the rates' columns, their heading); empty cells left out."""
    return " | ".join(
        cell if number in ("1", "2") else f"{number or name}: {cell}"
        for (number, name), cell in zip(headings, cells, strict=True)
        if cell
    )
