import sys
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.commands import HutorCommand
from hutor.ledger import checks


class Command(HutorCommand):
    help = gettext_lazy(
        "Ledger tools. `hutor ledger check` verifies every invariant of the money ledger."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("check", help=_("verify the ledger's invariants; exit 1 if one fails"))

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "check":
            self.check_ledger()

    def check_ledger(self) -> None:
        report = checks.run()
        totals = _("%(entries)s entries, %(postings)s postings, %(accounts)s accounts") % {
            "entries": report.entries,
            "postings": report.postings,
            "accounts": report.accounts,
        }
        if report.ok:
            self.stdout.write(
                self.style.SUCCESS(_("ledger check: OK (%(totals)s)") % {"totals": totals})
            )
            return
        # The report goes to stdout (monitoring reads it) and the exit code says it failed.
        self.stdout.write(
            self.style.ERROR(_("ledger check: FAILED (%(totals)s)") % {"totals": totals})
        )
        for violation in report.violations:
            self.stdout.write(
                _("  broken invariant: %(invariant)s: %(count)s")
                % {"invariant": violation.invariant, "count": violation.count}
            )
            for example in violation.examples:
                self.stdout.write(f"    - {example}")
        sys.exit(1)
