"""`hutor prune`: delete rows kept only for a while (docs/operations.md, "Pruning").

Each app's own function deletes its rows (core.pruning's registry), in batches; run it daily
from the same timer as the billing run. Safe to stop and to run again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.commands import HutorCommand
from hutor.core import pruning


class Command(HutorCommand):
    help = gettext_lazy(
        "Delete old API idempotency keys, delivered webhooks, old events and panel form tokens."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only",
            action="append",
            choices=sorted(pruning.PRUNERS),
            help=_("prune only this (may be repeated)"),
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=pruning.BATCH,
            help=_("rows deleted per statement and transaction"),
        )

    def handle(self, *args: Any, only: list[str] | None, batch: int, **options: Any) -> None:
        if batch < 1:
            raise CommandError(_("--batch must be at least 1"))
        try:
            counts = pruning.run(batch=batch, only=set(only) if only else None)
        except pruning.RetentionTooShort as exc:
            raise CommandError(str(exc)) from exc
        for name, count in counts.items():
            pruner = pruning.PRUNERS[name]
            self.stdout.write(
                _("%(name)s: %(count)d deleted (older than %(days)d days)")
                % {"name": name, "count": count, "days": pruning.retention_days(pruner)}
            )
