"""Dates of paid periods as a person reads them.

Inside Hutor a period is half-open: `paid_until` and a period's `end` are the first day that is
NOT paid, so «30.11.2026–28.02.2027» followed by «28.02.2027–28.02.2028» would look like two
periods sharing a day. Every screen, document and email prints the last paid day instead
(«по 27.02.2027», «30.11.2026–27.02.2027»); see docs/billing-rules.md, "Paid periods"."""

from __future__ import annotations

import datetime as dt

from django import template

register = template.Library()


@register.filter
def last_day(value: dt.date | None) -> dt.date | None:
    """The last day included in a half-open period ending at `value` (the day before)."""
    if value is None or value == "":
        return None
    return value - dt.timedelta(days=1)
