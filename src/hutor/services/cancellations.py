"""Cancelling a service with its unused paid days given back to the balance (issue 17).

The money given back is valued on what the customer actually paid, by the tariff change's rule
(services.calculations.quote_paid_periods, docs/billing-rules.md): the days of each paid period
from the day of the cancellation on (that day counts) are worth `paid × unused_days / days`,
rounded once per period, never a list price. That is a change to a tariff that costs nothing,
and it is computed by the very same function, so the two can never give back different sums
for the same days. An unpaid period (an open renewal) has no paid period and gives back
nothing; a period given free by staff gives back 0.00.

`cancel()` does it in one transaction under the billing account's lock (lifecycle.lock): the
quote is recomputed and compared with the amount the customer was shown (a different figure is
refused, nothing moves), the service is terminated by the lifecycle, each paid period is cut at
the day (its used part keeps what it was worth, a period not started yet is removed), the
amount is credited by a `cancellation_credit` ledger entry whose idempotency key is the
service's, a `Cancellation` row records it (one per service) and the email is queued.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.core import clock
from hutor.core.money import Money
from hutor.invoices.actions import settle_open_invoices
from hutor.ledger import actions as ledger
from hutor.ledger.models import EntryKind
from hutor.notifications.actions import enqueue
from hutor.services import calculations, lifecycle
from hutor.services.exceptions import ServiceError
from hutor.services.models import Cancellation, PaidPeriod, Service

if TYPE_CHECKING:
    from hutor.accounts.models import User

TEMPLATE = "service_cancelled"

NOT_REFUNDABLE = "not_refundable"  # the type's unused time is not given back (the setting)
NOTHING_UNUSED = "nothing_unused"  # no paid day left from the day on

REASONS: dict[str, Promise] = {
    NOT_REFUNDABLE: gettext_lazy(
        "The unused time of this kind of service is not given back: it was bought from the "
        "registry or certificate authority when it was paid."
    ),
    NOTHING_UNUSED: gettext_lazy("No paid day of this service is left to give back."),
}


class CancellationNotAllowed(ServiceError):
    """The service cannot be cancelled (its status, or it was cancelled already)."""


class QuoteChanged(ServiceError):
    """The amount to give back is no longer the one the customer was shown."""

    def __init__(self, message: str, amount: Money) -> None:
        super().__init__(message)
        self.amount = amount


@dataclass(frozen=True)
class CancellationQuote:
    """What cancelling a service on `day` gives back, and why it is 0 when it is."""

    day: dt.date
    amount: Money  # ≥ 0: credited to the balance
    unused_days: int  # paid days from `day` on, over every paid period
    parts: tuple[calculations.PeriodPart, ...]  # per paid period (empty when not refundable)
    reason: str = ""  # NOT_REFUNDABLE or NOTHING_UNUSED when amount is 0

    @property
    def reason_text(self) -> str:
        return str(REASONS[self.reason]) if self.reason else ""


def refundable(service: Service) -> bool:
    return service.service_type.code not in settings.HUTOR_SERVICES_NOT_REFUNDABLE


def cancellable(service: Service) -> bool:
    """Whether the service's status lets it be cancelled (the lifecycle's "terminate")."""
    return lifecycle.allowed(service, "terminate")


def quote(service: Service, on_date: dt.date | None = None) -> CancellationQuote:
    """The money given back if `service` is cancelled on `on_date` (today by default): the
    unused days of its paid periods at what was paid for them (see the module's docstring)."""
    day = on_date or clock.today()
    currency = service.billing_account.currency
    zero = Money.zero(currency).rounded()
    if not refundable(service):
        return CancellationQuote(day, zero, 0, (), NOT_REFUNDABLE)
    held = [
        calculations.HeldPeriod(
            key=period.pk,
            start=period.start,
            end=period.end,
            paid=Money(period.amount, currency),
            period_days=period.period_days,
            new_price=Money.zero(currency),  # cancelling is a change to a tariff worth nothing
        )
        for period in PaidPeriod.objects.filter(service=service, end__gt=day).order_by(
            "start", "pk"
        )
    ]
    change = calculations.quote_paid_periods(today=day, periods=held, currency=currency)
    amount = -change.amount
    if not amount:
        amount = zero
    reason = "" if amount.is_positive() else NOTHING_UNUSED
    return CancellationQuote(day, amount, change.remaining_days, change.parts, reason)


def cancel(
    *,
    service: Service | int,
    by: str,
    expected_amount: Money | Decimal,
    user: User | None = None,
) -> Cancellation:
    """Cancel the service today with its unused paid days given back (one transaction).

    `expected_amount` is the amount the customer (or staff) was shown: if the quote differs now
    (a renewal paid or a period cut meanwhile), QuoteChanged carries the new figure and nothing
    moves. CancellationNotAllowed (or lifecycle.TransitionNotAllowed) for a service that cannot
    be cancelled. `by` is the ServiceEvent actor (customer or staff)."""
    with transaction.atomic():
        service = lifecycle.lock(service)  # the billing account first, then the service
        if Cancellation.objects.filter(service=service).exists():
            raise CancellationNotAllowed(_("This service has been cancelled already."))
        if not cancellable(service):
            raise CancellationNotAllowed(_("Only an active or suspended service can be cancelled."))
        account = service.billing_account
        current = quote(service)
        expected = expected_amount.amount if isinstance(expected_amount, Money) else expected_amount
        if current.amount.amount != Decimal(expected):
            raise QuoteChanged(
                _("The amount to give back has changed: it is %(amount)s %(currency)s now.")
                % {"amount": current.amount.amount, "currency": current.amount.currency},
                current.amount,
            )
        breakdown = _cut(service, current)
        lifecycle.move(
            service,
            "terminate",
            actor=by,
            user=user,
            params={"cancelled": True, "refunded": str(current.amount.amount)},
        )
        entry = None
        if current.amount.is_positive():
            credit = current.amount
            entry, _created = ledger.post(
                lines=[
                    (ledger.revenue_account(service.service_type.code, credit.currency), -credit),
                    (ledger.customer_account(account), credit),
                ],
                kind=EntryKind.CANCELLATION_CREDIT,
                memo=f"Cancelled: {service.tariff.code} {service.identifier}".strip()[:300],
                reference=f"service-{service.pk}",
                billing_account=account,
                idempotency_key=f"cancellation:{service.pk}",
                created_by=user,
            )
        cancellation = Cancellation.objects.create(
            service=service,
            day=current.day,
            amount=current.amount.amount,
            currency=current.amount.currency,
            reason=current.reason,
            breakdown=breakdown,
            actor=by,
            user=user,
            entry=entry,
            created_at=clock.now(),
        )
        lifecycle.record(
            service,
            "cancel_refund",
            actor=by,
            user=user,
            params={"amount": str(current.amount.amount), "reason": current.reason},
        )
        if entry is not None:
            settle_open_invoices(billing_account=account)
        enqueue(
            key=f"{TEMPLATE}:{service.pk}",
            template=TEMPLATE,
            billing_account=account,
            params={"service_id": service.pk},
        )
    return cancellation


def _cut(service: Service, current: CancellationQuote) -> list[dict[str, object]]:
    """Cut the service's paid periods at the day: the used part of a period keeps what it was
    worth (paid less what is given back), a period not started yet is removed, and paid-until
    becomes the day. Returns what the periods were, for the Cancellation row."""
    day = current.day
    by_key = {part.key: part for part in current.parts}
    breakdown: list[dict[str, object]] = []
    for period in PaidPeriod.objects.filter(service=service, end__gt=day).order_by("start", "pk"):
        part = by_key.get(period.pk)
        unused = part.unused_paid.amount if part is not None else Decimal(0)
        breakdown.append(
            {
                "period": period.pk,
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "paid": str(period.amount),
                "unused_days": part.unused_days if part is not None else 0,
                "unused": str(unused),
            }
        )
        if current.reason == NOT_REFUNDABLE:
            continue  # nothing is given back: the periods stay what they were paid for
        if period.start >= day:
            period.delete()
            continue
        period.end = day
        period.amount = period.amount - unused
        period.save(update_fields=["end", "amount"])
    if current.reason != NOT_REFUNDABLE and service.paid_until and service.paid_until > day:
        # The first unpaid day: the end of what is left (the day itself, unless the service
        # had lapsed and its only period from then on was given back whole).
        left = PaidPeriod.objects.filter(service=service).aggregate(end=Max("end"))["end"]
        service.paid_until = min(left, day) if left is not None else day
        service.save(update_fields=["paid_until"])
    return breakdown


def cancellation_of(service: Service) -> Cancellation | None:
    return Cancellation.objects.filter(service=service).first()


def cut_since(since: dt.date) -> list[tuple[int, dt.date]]:
    """Cancellations made on `since` or later that cut paid periods: (billing account id,
    the first day of the earliest period cut), for the closing documents to look back at
    (documents.actions.correct_after_cancellations)."""
    cut = []
    for account_id, breakdown in Cancellation.objects.filter(day__gte=since).values_list(
        "service__billing_account_id", "breakdown"
    ):
        starts = [dt.date.fromisoformat(part["start"]) for part in breakdown or []]
        if starts:
            cut.append((account_id, min(starts)))
    return cut
