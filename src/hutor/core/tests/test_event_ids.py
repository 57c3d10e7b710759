"""core.events: an event's id is a UUID version 7 of its created_at, so later events' ids sort
later (each insert at the end of the primary key's index: docs/performance.md)."""

import datetime as dt
import uuid

import pytest
import time_machine

from hutor.core.events import EventDraft, EventKind, publish_many

pytestmark = pytest.mark.django_db


def test_an_event_id_is_a_version_7_uuid_of_its_time_and_later_ones_sort_later():
    first_time = dt.datetime(2026, 12, 2, 3, 0, 0, 123456, tzinfo=dt.UTC)
    with time_machine.travel(first_time, tick=False):
        first = publish_many(
            [EventDraft(EventKind.INVOICE_ISSUED, None, {"invoice": str(k)}) for k in range(50)]
        )
    with time_machine.travel(first_time + dt.timedelta(milliseconds=1), tick=False):
        later = publish_many([EventDraft(EventKind.INVOICE_PAID, None, {"invoice": "0"})])
    ids = [event.pk for event in first + later]
    assert all(isinstance(pk, uuid.UUID) and pk.version == 7 for pk in ids)
    assert all(pk.variant == uuid.RFC_4122 for pk in ids)
    assert {int(pk.hex[:12], 16) for pk in ids[:-1]} == {int(first_time.timestamp() * 1000)}
    assert int(ids[-1].hex[:12], 16) == int(first_time.timestamp() * 1000) + 1
    assert len(set(ids)) == len(ids)  # the rest random
    assert all(pk < ids[-1] for pk in ids[:-1])
