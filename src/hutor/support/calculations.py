"""SLA arithmetic: pure functions of a priority, the settings and a moment."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

DEFAULT_HOURS = (8, 72)


def sla_hours(priority: str) -> tuple[int, int]:
    """(first reply, resolution) targets in hours for a priority (HUTOR_SUPPORT_SLA_HOURS)."""
    hours = settings.HUTOR_SUPPORT_SLA_HOURS.get(str(priority), DEFAULT_HOURS)
    return int(hours[0]), int(hours[1])


def due_times(priority: str, opened_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When the first reply and the resolution are due for a ticket opened at `opened_at`."""
    first, resolution = sla_hours(priority)
    return opened_at + dt.timedelta(hours=first), opened_at + dt.timedelta(hours=resolution)


def is_overdue(
    *,
    status: str,
    first_replied_at: dt.datetime | None,
    first_reply_due: dt.datetime,
    resolution_due: dt.datetime,
    now: dt.datetime,
) -> bool:
    """An open ticket past its first-reply target without a reply, or past its resolution
    target. The desk's "overdue" filter (queries.overdue_q) is the same rule as a query."""
    if status == "closed":
        return False
    return (first_replied_at is None and now > first_reply_due) or now > resolution_due
