"""`hutor backup [--to DIR]`, `hutor backup verify FILE`, `hutor backup inspect`
(docs/operations.md, "Backups")."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.commands import HutorCommand
from hutor.ops import backup


class Command(HutorCommand):
    help = gettext_lazy(
        "Back up the database, the uploaded files and a manifest (row counts, ledger totals) "
        "into one archive; `verify FILE` restores it into a scratch database and checks it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to", type=Path, help=_("folder for the archive (default: var/backups)")
        )
        sub = parser.add_subparsers(dest="action")
        verify = sub.add_parser(
            "verify", help=_("restore into a scratch database, run ledger check, compare")
        )
        verify.add_argument("file", type=Path)
        sub.add_parser("inspect", help=_("print this database's row counts and ledger totals"))

    def handle(self, *args: Any, action: str | None, to: Path | None, **options: Any) -> None:
        try:
            if action == "inspect":
                self.stdout.write(json.dumps(backup.inspect_current(), sort_keys=True))
            elif action == "verify":
                self.verify(options["file"])
            else:
                archive = backup.create(to or Path(settings.VAR_DIR) / "backups")
                self.stdout.write(_("backup written: %(file)s") % {"file": archive})
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc

    def verify(self, file: Path) -> None:
        problems = backup.verify(file)
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            self.stderr.write(_("backup verify: FAILED (%(file)s)") % {"file": file})
            sys.exit(1)
        self.stdout.write(
            _("backup verify: OK (%(file)s): ledger check passed, counts match") % {"file": file}
        )
