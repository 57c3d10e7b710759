"""Domain events: any app announces a change inside the transaction that makes it.

`publish(kind, billing_account=..., data=...)` writes an `Event` row (core.models) in the
caller's transaction, so an event exists exactly when its change committed: never lost by a
crash after commit, never announced for a change that rolled back. `publish_many()` is its bulk
twin, and `publish_rows()` the billing run's (the same rows as plain tuples, written with the
batch's row writer).

Core is the bottom layer, so every app may publish; none needs to know who listens. Listeners
connect to the `published` signal, sent in the same transaction with the new events (the
webhooks app turns them into deliveries there: hutor.webhooks.fanout), so what they write
commits or rolls back with the change too.

The catalogue below is the one list of kinds (docs/webhooks.md shows each with a payload); the
data of an event is plain JSON of codes, numbers and decimal strings (`plain()` refuses a
float, as money is never a float).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection, models, transaction
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from hutor.core import clock, statements
from hutor.core.models import Event
from hutor.core.rows import RowWriter as RowWriter  # the type of publish_many's writer


class EventKind(models.TextChoices):
    """Every event Hutor publishes; the value is the webhook's `type`."""

    ACCOUNT_OPENED = "account.opened", _("Billing account opened")  # an order opened it
    INVOICE_ISSUED = "invoice.issued", _("Invoice issued")  # numbered, mailed
    INVOICE_PAID = "invoice.paid", _("Invoice paid")  # settled from the balance
    INVOICE_CANCELLED = "invoice.cancelled", _("Invoice cancelled")  # withdrawn unpaid
    PAYMENT_CREDITED = "payment.credited", _("Payment credited")  # money reached the balance
    PAYMENT_FAILED = "payment.failed", _("Payment failed")  # declined by the payment service
    BALANCE_ADJUSTED = "balance.adjusted", _("Balance adjusted")  # other than payments, invoices
    SERVICE_CREATED = "service.created", _("Service created")  # the paid order activated it
    SERVICE_SUSPENDED = "service.suspended", _("Service suspended")  # or a domain expired
    SERVICE_UNSUSPENDED = "service.unsuspended", _("Service unsuspended")
    SERVICE_TERMINATED = "service.terminated", _("Service terminated")
    SERVICE_TARIFF_CHANGED = "service.tariff_changed", _("Tariff changed")
    PROVISIONING_FAILED = "provisioning.failed", _("Provisioning failed")  # needs staff
    DOMAIN_EXPIRING = "domain.expiring", _("Domain expiring")  # not renewed, expiry near


# Sent in the publishing transaction: sender=Event, events=[<Event>], insert=<row writer|None>.
published = Signal()


@dataclass(frozen=True)
class EventDraft:
    """One event for publish_many(): what publish() takes. `ready`: `data` is plain already
    (what plain() gives: dicts with str keys, lists, str, int, bool, None; amounts and dates
    as strings), built so by a publisher whose payload has a fixed shape (an invoice's), and
    stored as it is, without plain()'s walk: the billing run publishes two per renewal."""

    kind: str
    account_id: int | None
    data: Mapping[str, Any]
    key: str | None = None
    ready: bool = False


def plain(value: Any) -> Any:
    """`value` as JSON of codes, numbers and strings: Decimal and dates as strings (amounts
    keep their scale: "1500.00"), mappings and sequences converted inside. A float is refused:
    money is never a float, and an event must not invent a rounding."""
    # The exact types an event is made of first (the billing run converts a few hundred
    # thousand values): a lookup of the type, not a chain of isinstance().
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is Decimal:
        return str(value)
    if kind is dict:
        return {k if type(k) is str else str(k): plain(v) for k, v in value.items()}
    if kind is list:
        return [plain(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        raise TypeError("an event carries no float; give a Decimal or a string")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    raise TypeError(f"an event carries plain values, not {type(value).__name__}")


_AS_IS = frozenset({str, int, bool, type(None)})


def publish(
    kind: str,
    *,
    billing_account: Any | None,
    data: Mapping[str, Any],
    key: str | None = None,
) -> Event | None:
    """Publish one event in the caller's transaction (one of its own if there is none).

    `billing_account` is the account it concerns (a BillingAccount, or None); its events are
    delivered in order. With a `key`, an event already published under it is not published
    again (None is returned)."""
    account_id = None if billing_account is None else billing_account.pk
    events = publish_many([EventDraft(kind, account_id, data, key)])
    return events[0] if events else None


def publish_many(drafts: Sequence[EventDraft]) -> list[Event]:
    """publish() for many events at once, in the drafts' order (their deliveries keep it).

    Drafts whose key is already published are left out, as are repeats within `drafts`."""
    with transaction.atomic(savepoint=False):
        new = _new_events(drafts)
        if not new:
            return []
        # By hand (core.statements): on a payment's credit the ORM's INSERT cost more to build
        # than to run. The instances are what bulk_create() would have left: saved, in this db.
        statements.insert(Event, [dict(zip(_EVENT, row, strict=True)) for row in new])
        rows = [Event.from_db(connection.alias, _EVENT, row) for row in new]
        published.send(sender=Event, events=rows, insert=None)
    return rows


class PublishedRow(NamedTuple):
    """An event publish_rows() writes, as the row it is written as (its fields in _EVENT's
    order) and what the `published` signal's receivers read of it (an Event has the same
    attributes)."""

    pk: uuid.UUID
    kind: str
    account_id: int | None
    data: Mapping[str, Any]
    key: str | None
    created_at: dt.datetime


def publish_rows(drafts: Sequence[EventDraft], *, insert: RowWriter) -> list[PublishedRow]:
    """publish_many() for the billing run's batches: the same events, written by `insert`
    (core.rows.RowWriter: COPY on PostgreSQL, executemany on SQLite) as plain tuples, and
    announced to the `published` signal's receivers as PublishedRow records, which pass the
    same writer on (insert=) for the rows they add (webhook deliveries)."""
    with transaction.atomic(savepoint=False):
        rows = _new_events(drafts)
        if not rows:
            return []
        insert.rows(Event, _EVENT, rows)
        published.send(sender=Event, events=rows, insert=insert)
    return rows


# An event's fields as _new_events() gives them, in Event's field order (Model.from_db's).
_EVENT = ("id", "kind", "account_id", "data", "key", "created_at")


def _new_events(drafts: Sequence[EventDraft]) -> list[PublishedRow]:
    """The rows (as _EVENT names them) of the drafts to publish: each kind checked, the data
    made plain, a key published already or repeated in `drafts` left out."""
    kinds = set(EventKind.values)
    now = clock.now()
    rows: list[PublishedRow] = []
    seen: set[str] = set()
    # The ids' randomness for every draft in one read of os.urandom, not one each.
    randoms = os.urandom(10 * len(drafts))
    stamp = time_ordered_prefix(now)
    for k, draft in enumerate(drafts):
        if draft.kind not in kinds:
            raise ValueError(f"unknown event kind {draft.kind!r} (core.events.EventKind)")
        if draft.key is not None:
            if draft.key in seen:
                continue
            seen.add(draft.key)
        data = draft.data if draft.ready else plain(draft.data)
        pk = uuid.UUID(int=stamp | int.from_bytes(randoms[10 * k : 10 * k + 10]) & _RANDOM_BITS)
        rows.append(PublishedRow(pk, draft.kind, draft.account_id, data, draft.key, now))
    if seen:
        # Read in the caller's transaction; a run beside this one that publishes the same key
        # meets the unique constraint and rolls back (the daily run is one at a time anyway).
        known = set(Event.objects.filter(key__in=seen).values_list("key", flat=True))
        rows = [row for row in rows if row.key is None or row.key not in known]
    return rows


# An event's id is a UUID version 7 (RFC 9562): its first 48 bits the event's created_at in
# Unix milliseconds, the other 74 (all but the version and variant bits) random. Ids of events
# published later sort later, so each new event's id goes at the end of the table's primary
# key index instead of at a random place in it: with version 4 ids (all random) every insert
# touched a page of an index the size of the table, which on SQLite cost 3.4 s of the 100,000
# renewals' (200,000 events') 22 s of CPU and grew with the table; time-ordered, 1.4 s
# (docs/performance.md). As unique and as unguessable for a receiver that deduplicates by it
# (74 random bits within a millisecond); it tells the event's time, which the webhook's
# timestamp and body say anyway.
_RANDOM_BITS = (1 << 74) - 1
_RANDOM_BITS = (_RANDOM_BITS >> 62) << 64 | (_RANDOM_BITS & ((1 << 62) - 1))  # rand_a, rand_b


def time_ordered_prefix(at: dt.datetime) -> int:
    """The bits of a version 7 UUID other than its random ones, for time `at`: the Unix
    milliseconds (48 bits), the version (7) and the variant (0b10); or'ed with random bits
    masked by _RANDOM_BITS, a UUID's integer."""
    millis = int(at.timestamp() * 1000) & ((1 << 48) - 1)
    return millis << 80 | 7 << 76 | 0b10 << 62


def prune(before: dt.datetime, batch: int) -> int:
    """Delete events published before `before` that nothing refers to any more (a webhook
    delivery keeps its event: webhooks prune theirs first), in batches; returns how many.

    An event with a `key` is kept: the key is what stops it being announced twice (a domain's
    expiry per paid-until date), so forgetting it could announce it again."""
    from hutor.core.pruning import delete_in_batches

    queryset = Event.objects.filter(created_at__lt=before, key__isnull=True)
    # Whatever points at an event (webhooks.Delivery, PROTECT), found without importing it.
    for relation in Event._meta.get_fields(include_hidden=True):
        if relation.one_to_many and relation.auto_created and relation.related_model:
            remote = relation.remote_field.attname  # type: ignore[union-attr]
            queryset = queryset.exclude(
                pk__in=relation.related_model._default_manager.values(remote)  # type: ignore[union-attr]
            )
    return delete_in_batches(queryset, batch)
