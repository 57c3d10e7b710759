"""The one source of "now" for business rules.

Code asks `clock.now()` / `clock.today()` instead of datetime.now(), so that a test, the
billing run's `--date` option or a benchmark can move time: `with clock.travel(...)` shifts it
for the current thread and its context only, without touching the rest of the process.
time-machine works too (it moves the whole process) and is what the tests of time-based
behaviour use.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar

from django.utils import timezone

_offset: ContextVar[dt.timedelta] = ContextVar("hutor_clock_offset", default=dt.timedelta(0))


def now() -> dt.datetime:
    """Aware current time (UTC), shifted by any active `travel`."""
    return timezone.now() + _offset.get()


def today() -> dt.date:
    """The current date in the provider's time zone (settings.TIME_ZONE)."""
    return timezone.localdate(now())


@contextlib.contextmanager
def travel(to: dt.datetime | dt.date) -> Iterator[None]:
    """Make `now()` return `to` (a date means the start of that local day) while the block runs;
    time keeps flowing from there."""
    if isinstance(to, dt.datetime):
        target = to if timezone.is_aware(to) else timezone.make_aware(to)
    else:
        target = timezone.make_aware(dt.datetime.combine(to, dt.time.min))
    token = _offset.set(target - timezone.now())
    try:
        yield
    finally:
        _offset.reset(token)
