"""SLA arithmetic: pure functions of a priority, the settings and a moment, and the figures
of the support report (how the targets were kept)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

DEFAULT_HOURS = (8, 72)


def sla_hours(priority: str) -> tuple[int, int]:
    """(first reply, resolution) targets in hours for a priority, from HUTOR_SUPPORT_SLA_HOURS
    (`low=24/120,normal=8/72,...`); a priority it does not name, or names unreadably, gets
    the default."""
    for item in settings.HUTOR_SUPPORT_SLA_HOURS:
        name, _, hours = item.partition("=")
        first, _, resolution = hours.partition("/")
        if (
            name.strip() == str(priority)
            and first.strip().isdigit()
            and resolution.strip().isdigit()
        ):
            return int(first), int(resolution)
    return DEFAULT_HOURS


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


# --- Reports: how the targets were kept -------------------------------------------------------

TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Target:
    """How one SLA target (first reply or resolution) was kept by a group of tickets.

    `met`: done by the deadline; `missed`: done late, or not done and the deadline has passed;
    `pending`: not done and not yet due (counted in neither share). The hours are those of
    the tickets done, the median and the 90th percentile by the nearest-rank method: the
    smallest time with at least half (nine tenths) of the tickets done at or within it."""

    met: int
    missed: int
    pending: int
    median_hours: Decimal | None
    p90_hours: Decimal | None

    @property
    def share(self) -> Decimal | None:
        """Per cent of the decided tickets done within the target, one decimal; None if none."""
        decided = self.met + self.missed
        if not decided:
            return None
        return (Decimal(100 * self.met) / decided).quantize(TENTH, ROUND_HALF_UP)


def nearest_rank(ordered: Sequence[Decimal], fraction: Decimal) -> Decimal | None:
    """The smallest value with at least `fraction` of the (ascending) values at or below it."""
    if not ordered:
        return None
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def target_kept(
    samples: Iterable[tuple[dt.datetime, dt.datetime | None, dt.datetime]], now: dt.datetime
) -> Target:
    """Figures of one target over (opened at, done at or None, due at) samples."""
    met = missed = pending = 0
    hours: list[Decimal] = []
    for opened, done, due in samples:
        if done is None:
            if now > due:
                missed += 1
            else:
                pending += 1
            continue
        if done <= due:
            met += 1
        else:
            missed += 1
        hours.append(Decimal((done - opened).total_seconds()) / 3600)
    hours.sort()

    def rounded(value: Decimal | None) -> Decimal | None:
        return None if value is None else value.quantize(TENTH, ROUND_HALF_UP)

    return Target(
        met=met,
        missed=missed,
        pending=pending,
        median_hours=rounded(nearest_rank(hours, Decimal("0.5"))),
        p90_hours=rounded(nearest_rank(hours, Decimal("0.9"))),
    )
