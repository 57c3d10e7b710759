"""`hutor ledger check [--since YYYY-MM-DD]`: exits 0 when every invariant holds, 1 (EXIT_BROKEN)
naming each broken one, 2 (EXIT_COULD_NOT_RUN) when it could not check at all (no database, not
migrated, a --since that is not a date; the `hutor` command gives a configuration error the same
2), so monitoring tells a broken ledger from a broken check. `--since` checks only the entries
made from that day on (checks.run)."""

import datetime as dt
import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.commands import HutorCommand
from hutor.ledger import checks

EXIT_BROKEN = 1
EXIT_COULD_NOT_RUN = 2


def _day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("--since: expected YYYY-MM-DD, not «%(text)s»") % {"text": text},
            returncode=EXIT_COULD_NOT_RUN,
        ) from None


class Command(HutorCommand):
    help = gettext_lazy(
        "Ledger tools. `hutor ledger check` verifies every invariant of the money ledger."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser(
            "check",
            help=_("verify the ledger's invariants; exit 1 if one fails, 2 if it cannot run"),
        )
        check.add_argument(
            "--since",
            metavar="YYYY-MM-DD",
            help=_(
                "check only the journal entries made from this day on and the customer "
                "balances they touched (default: everything)"
            ),
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "check":
            self.check_ledger(since=_day(options.get("since")))

    def check_ledger(self, *, since: dt.date | None) -> None:
        try:
            report = checks.run(since=since)
        except DatabaseError as exc:
            detail = " ".join(str(exc).split())
            raise CommandError(
                _("ledger check could not run: %(detail)s") % {"detail": detail},
                returncode=EXIT_COULD_NOT_RUN,
            ) from exc
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
        sys.exit(EXIT_BROKEN)
