"""`hutor ledger check`: exits 0 when every invariant holds, 1 (EXIT_BROKEN) naming each broken
one, 2 (EXIT_COULD_NOT_RUN) when it could not check at all (no database, not migrated; the
`hutor` command gives a configuration error the same 2), so monitoring tells a broken ledger
from a broken check."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from hutor.ledger import checks

EXIT_BROKEN = 1
EXIT_COULD_NOT_RUN = 2


class Command(BaseCommand):
    help = "Ledger tools. `hutor ledger check` verifies every invariant of the money ledger."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "check", help="verify the ledger's invariants; exit 1 if one fails, 2 if it cannot run"
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "check":
            self.check_ledger()

    def check_ledger(self) -> None:
        try:
            report = checks.run()
        except DatabaseError as exc:
            detail = " ".join(str(exc).split())
            raise CommandError(
                f"ledger check could not run: {detail}", returncode=EXIT_COULD_NOT_RUN
            ) from exc
        totals = f"{report.entries} entries, {report.postings} postings, {report.accounts} accounts"
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"ledger check: OK ({totals})"))
            return
        self.stdout.write(self.style.ERROR(f"ledger check: FAILED ({totals})"))
        for violation in report.violations:
            self.stdout.write(f"  broken invariant: {violation.invariant}: {violation.count}")
            for example in violation.examples:
                self.stdout.write(f"    - {example}")
        sys.exit(EXIT_BROKEN)
