"""What every desk report is made of: the Report a page and its CSV show, and the period a
report covers (?from=&to=&by=), read forgivingly from the query string."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import formats, timezone
from django.utils.safestring import SafeString

from hutor.core import clock


@dataclass
class Report:
    slug: str
    title: str
    columns: list[tuple[str, str]]  # (key, heading)
    rows: list[dict[str, Any]]
    chart: SafeString | None = None
    summary: list[tuple[str, str]] = field(default_factory=list)
    numeric: frozenset[str] = frozenset()  # columns aligned right, in monospace
    filters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    by: str  # "day" or "month"

    def buckets(self) -> list[dt.date]:
        if self.by == "month":
            result, month = [], self.start.replace(day=1)
            while month <= self.end:
                result.append(month)
                month = (month + dt.timedelta(days=32)).replace(day=1)
            return result
        days = (self.end - self.start).days
        return [self.start + dt.timedelta(days=i) for i in range(days + 1)]

    def label(self, day: dt.date) -> str:
        return formats.date_format(day, "M Y" if self.by == "month" else "d.m")

    def key(self, day: dt.date) -> str:
        return day.strftime("%Y-%m") if self.by == "month" else day.isoformat()


def period_from(params: Any, *, default_by: str = "day") -> Period:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD&by=day|month; by default the last 30 days or 12 months."""
    by = params.get("by") if params.get("by") in ("day", "month") else default_by
    today = clock.today()
    end = parse_date(params.get("to")) or today
    if by == "month":
        default_start = (end.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    else:
        default_start = end - dt.timedelta(days=29)
    start = parse_date(params.get("from")) or default_start
    if start > end:
        start, end = end, start
    # Keep a chart readable and a query bounded: at most ~2 years of days or 10 years of months.
    limit = dt.timedelta(days=3660 if by == "month" else 731)
    start = max(start, end - limit)
    return Period(start, end, by)


def parse_date(value: Any) -> dt.date | None:
    """A YYYY-MM-DD parameter; anything else, or a day too far out for the period's arithmetic
    (0001-01-01 minus 29 days), is no date."""
    try:
        day = dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return day if day is not None and dt.date(1900, 1, 1) <= day <= dt.date(2999, 12, 31) else None


def bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    assert isinstance(value, dt.date)
    return value
