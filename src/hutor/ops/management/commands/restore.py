"""`hutor restore FILE`: a `hutor backup` archive into the configured, empty database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.commands import HutorCommand
from hutor.ops import backup


class Command(HutorCommand):
    help = gettext_lazy(
        "Restore a `hutor backup` archive into the configured database, which must be empty, "
        "and its files into the files' folder; then run `hutor ledger check`."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        try:
            manifest = backup.restore(file)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("restored %(file)s (made %(created)s): %(tables)s tables, %(files)s files")
            % {
                "file": file,
                "created": manifest["created_at"],
                "tables": len(manifest["tables"]),
                "files": len(manifest["files"]),
            }
        )
