import datetime as dt

import time_machine
from django.utils import timezone

from hutor.core import clock


def test_travel_moves_now_and_today_in_the_providers_time_zone():
    with clock.travel(dt.date(2028, 2, 29)):
        assert clock.today() == dt.date(2028, 2, 29)
        assert timezone.localtime(clock.now()).hour == 0
    assert clock.today() != dt.date(2028, 2, 29)


def test_today_is_the_moscow_date_not_the_utc_one():
    # 22:30 UTC on 31 Dec is already 1 Jan in Moscow (UTC+3).
    with time_machine.travel(dt.datetime(2026, 12, 31, 22, 30, tzinfo=dt.UTC), tick=False):
        assert clock.today() == dt.date(2027, 1, 1)
        with clock.travel(dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)):
            assert clock.now() == dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
