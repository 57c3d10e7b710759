"""Writes to operations' own table (ops.models)."""

from __future__ import annotations

from django.db import connection

from hutor.core import clock
from hutor.ops.models import RefusedNotification

# Ignored notifications (payments.exceptions.NotificationIgnored: genuine, about something
# Hutor does not act on) are answered as received and are not refusals. The mark is repeated
# here so that ops imports nothing from payments.
IGNORED_PREFIX = "ignored: "


def record_refused_notification(*, method: str, reason: str) -> None:
    """Count one refused payment notification (method's slug, the refusal's short reason).

    One statement, an insert that adds 1 to the day's row when it exists (ON CONFLICT, on both
    PostgreSQL and SQLite): concurrent web processes never lose a count nor make two rows. It
    runs in the view's own autocommit, after the refusal, never inside a money transaction."""
    if reason.startswith(IGNORED_PREFIX):
        return
    table = connection.ops.quote_name(RefusedNotification._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (method, reason, day, count) VALUES (%s, %s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (method, reason, day) DO UPDATE SET count = {table}.count + 1",
            [method[:50], reason[:100], clock.today()],
        )
