"""`hutor documents close-month YYYY-MM`: the month's acts / УПД for company and
sole-proprietor customers, and corrections where what was rendered has changed since; safe to
run again (a rerun issues nothing new when nothing changed)."""

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.commands import HutorCommand
from hutor.documents.actions import close_month
from hutor.documents.calculations import MonthError, parse_month


class Command(HutorCommand):
    help = gettext_lazy("Closing documents: `hutor documents close-month YYYY-MM`.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        close = sub.add_parser(
            "close-month",
            help=_("issue the month's acts or UPDs and corrections (safe to repeat)"),
        )
        close.add_argument("month", help=_("the month, YYYY-MM"))

    def handle(self, *args: Any, action: str, **options: Any) -> None:
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
