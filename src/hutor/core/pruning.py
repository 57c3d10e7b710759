"""Old rows nobody needs any more, deleted in batches: `hutor prune` (docs/operations.md).

Each app deletes its own rows through its own function (one writer per table) and registers
it here from its AppConfig.ready(), with the setting that holds its retention in days. The
command runs them in `order` (deliveries before the events they point to). Deletes are
set-based, a batch of primary keys per statement, each batch its own transaction, so a long
prune never holds locks for long and can be stopped and run again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from hutor.core import clock

BATCH = 1000


@dataclass(frozen=True)
class Pruner:
    name: str  # what the command prints: "api.idempotency"
    setting: str  # days to keep: "HUTOR_API_IDEMPOTENCY_DAYS"
    minimum_days: int  # a retention below this is refused (what must hold that long)
    prune: Callable[[dt.datetime, int], int]  # (older than, batch size) -> rows deleted
    order: int = 0


PRUNERS: dict[str, Pruner] = {}


class RetentionTooShort(ValueError):
    """A retention setting below what its rows must be kept for."""


def register(pruner: Pruner) -> None:
    PRUNERS[pruner.name] = pruner


def retention_days(pruner: Pruner) -> int:
    days = int(getattr(settings, pruner.setting))
    if days < pruner.minimum_days:
        raise RetentionTooShort(
            _("%(setting)s=%(days)d: it must be at least %(minimum)d.")
            % {"setting": pruner.setting, "days": days, "minimum": pruner.minimum_days}
        )
    return days


def delete_in_batches(queryset: QuerySet[Model], batch: int = BATCH) -> int:
    """Delete the queryset's rows a batch of primary keys at a time, each batch its own
    transaction; returns how many rows went. For the owning app's prune function only."""
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                return deleted
            # The conditions again: a row changed since it was picked (a delivery resent) stays.
            count, _by_model = queryset.filter(pk__in=ids).delete()
            deleted += count


def run(*, batch: int = BATCH, only: set[str] | None = None) -> dict[str, int]:
    """Run every registered pruner (or those named in `only`), in order; rows deleted by name.
    Every retention is checked before anything is deleted."""
    chosen = sorted(
        (p for p in PRUNERS.values() if only is None or p.name in only),
        key=lambda p: (p.order, p.name),
    )
    cutoffs = {p.name: clock.now() - dt.timedelta(days=retention_days(p)) for p in chosen}
    return {p.name: p.prune(cutoffs[p.name], batch) for p in chosen}
