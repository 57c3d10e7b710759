"""`hutor migrate-database --to postgres://…` (docs/operations.md, "From SQLite to PostgreSQL")."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.commands import HutorCommand
from hutor.ops import move
from hutor.ops.backup import BackupError


class Command(HutorCommand):
    help = gettext_lazy(
        "Copy everything from this database into an empty PostgreSQL database (--to "
        "postgres://…), then run ledger check there and compare the row counts. Stop the web "
        "processes and workers first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", required=True, help=_("the target, postgres://…"))

    def handle(self, *args: Any, to: str, **options: Any) -> None:
        try:
            before, after = move.move(to)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        different = 0
        # Tables only SQLite has (the help search's FTS5 index: PostgreSQL searches with its
        # own full-text functions) are listed apart, not compared.
        only_here = sorted(set(before["tables"]) - set(after["tables"]))
        tables = sorted(after["tables"])
        width = max(len(t) for t in [*tables, *only_here])
        self.stdout.write(f"{_('table'):<{width}}  {_('here'):>9}  {_('target'):>9}")
        for table in tables:
            here, there = before["tables"].get(table), after["tables"][table]
            mark = "" if here == there else "  ≠"
            different += bool(mark)
            self.stdout.write(f"{table:<{width}}  {here!s:>9}  {there!s:>9}{mark}")
        if only_here:
            self.stdout.write(
                _("not moved (SQLite's own): %(tables)s") % {"tables": ", ".join(only_here)}
            )
        if before["ledger"] != after["ledger"]:
            different += 1
            self.stdout.write(
                _("the ledger's totals differ: %(here)s / %(there)s")
                % {"here": before["ledger"], "there": after["ledger"]}
            )
        env = {**os.environ, "DATABASE_URL": to}
        check = subprocess.run(
            [sys.executable, "-m", "hutor.cli", "ledger", "check"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        self.stdout.write(check.stdout.strip())
        if check.returncode or different:
            raise CommandError(_("the copy differs from this database: do not switch to it"))
        self.stdout.write(_("Done: set DATABASE_URL to the new database and start Hutor again."))
