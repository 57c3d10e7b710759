"""`hutor documents close-month YYYY-MM`: the month's acts / УПД for company and
sole-proprietor customers, and corrections where what was rendered has changed since; safe to
run again (a rerun issues nothing new when nothing changed).

`hutor documents advance-invoices [--since YYYY-MM-DD]`: the advance invoices-factura of the
payments credited since that day (default: the last five days) that have none yet; safe to
run again."""

import datetime as dt
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.commands import HutorCommand
from hutor.core import clock
from hutor.documents import advances
from hutor.documents.actions import close_month
from hutor.documents.calculations import MonthError, parse_month


class Command(HutorCommand):
    help = gettext_lazy(
        "Closing documents: `hutor documents close-month YYYY-MM`, "
        "`hutor documents advance-invoices [--since YYYY-MM-DD]`."
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

    def handle(self, *args: Any, action: str, **options: Any) -> None:
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
