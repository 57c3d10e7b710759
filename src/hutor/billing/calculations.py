"""Pure date rules of the daily billing run (the settings are in settings.py, HUTOR_BILLING_*)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

# A reminder whose day was missed (no run that day) is still sent this many days later; past
# that it is skipped rather than sent out of turn.
REMINDER_LATE_DAYS = 2


def per_type(table: Mapping[str, int], code: str) -> int:
    """The value for a service type: its own entry, else "default"."""
    return table.get(code, table.get("default", 0))


def renewal_due(*, today: dt.date, paid_until: dt.date, days_before: int) -> bool:
    """A renewal invoice is due `days_before` days before paid-until (and any day after)."""
    return paid_until <= today + dt.timedelta(days=days_before)


def reminder_offset(
    *, today: dt.date, issue_date: dt.date, due_date: dt.date, offsets: Sequence[int]
) -> int | None:
    """The reminder an unpaid invoice gets today: the latest offset (days from the due date)
    whose day has come, if it came at most REMINDER_LATE_DAYS ago (a run was missed) and after
    the day the invoice was issued (its own email said it all that day); else None."""
    passed = [o for o in offsets if issue_date < due_date + dt.timedelta(days=o) <= today]
    if not passed:
        return None
    offset = max(passed)
    if (today - (due_date + dt.timedelta(days=offset))).days > REMINDER_LATE_DAYS:
        return None
    return offset


def suspension_due(*, today: dt.date, paid_until: dt.date, grace_days: int) -> bool:
    """paid_until is the first unpaid day; the service is suspended `grace_days` later."""
    return today >= paid_until + dt.timedelta(days=grace_days)


def expiry_due(*, today: dt.date, paid_until: dt.date) -> bool:
    """A domain expires on its first unpaid day."""
    return today >= paid_until


def termination_due(*, today: dt.date, lapsed_on: dt.date, after_days: int) -> bool:
    return today >= lapsed_on + dt.timedelta(days=after_days)
