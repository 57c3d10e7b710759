import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hutor.ledger import checks


class Command(BaseCommand):
    help = "Ledger tools. `hutor ledger check` verifies every invariant of the money ledger."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("check", help="verify the ledger's invariants; exit 1 if one fails")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "check":
            self.check_ledger()

    def check_ledger(self) -> None:
        report = checks.run()
        totals = f"{report.entries} entries, {report.postings} postings, {report.accounts} accounts"
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"ledger check: OK ({totals})"))
            return
        self.stdout.write(self.style.ERROR(f"ledger check: FAILED ({totals})"))
        for violation in report.violations:
            self.stdout.write(f"  broken invariant: {violation.invariant}: {violation.count}")
            for example in violation.examples:
                self.stdout.write(f"    - {example}")
        sys.exit(1)
