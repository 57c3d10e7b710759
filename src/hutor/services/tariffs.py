"""Tariff change: one rule, on what the customer actually paid (docs/billing-rules.md).

The unused days of each paid period are valued at what was paid for them and at the new
tariff's price (services.calculations.quote_paid_periods); the difference is charged (an
upgrade: an invoice, applied when it is paid) or credited to the balance (a downgrade: applied
at once). A change stays within the service's type, and a domain within its zone. Open renewal
invoices of the service are re-issued at the new tariff in the same transaction, so no period
is ever billed at one tariff and held at another.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from hutor.catalog.models import TariffPrice
from hutor.core import clock
from hutor.core.events import EventKind, publish_many
from hutor.core.money import Money
from hutor.invoices.actions import LineDraft, cancel_invoice, issue_invoice, settle_open_invoices
from hutor.invoices.models import Invoice, InvoiceKind, InvoiceStatus, LineKind
from hutor.ledger import actions as ledger
from hutor.ledger.models import EntryKind
from hutor.services import calculations, lifecycle
from hutor.services import events as service_events
from hutor.services.exceptions import TariffChangeNotAllowed
from hutor.services.models import (
    PaidPeriod,
    PeriodSource,
    Service,
    ServiceEvent,
    ServiceStatus,
    TariffChange,
    TariffChangeStatus,
)
from hutor.services.texts import period_line_texts

if TYPE_CHECKING:
    from hutor.accounts.models import User
    from hutor.catalog.models import Tariff

CHANGEABLE = (ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED, ServiceStatus.EXPIRED)


def _check_target(service: Service, new_tariff: Tariff) -> None:
    if new_tariff.service_type_id != service.service_type_id:
        raise TariffChangeNotAllowed(_("A service can only move to a tariff of its own type."))
    if new_tariff.pk == service.tariff_id:
        raise TariffChangeNotAllowed(_("The service already has this tariff."))
    if not new_tariff.is_active:
        raise TariffChangeNotAllowed(_("This tariff is not available."))
    if (new_tariff.domain_zone or service.tariff.domain_zone) and (
        new_tariff.domain_zone != service.tariff.domain_zone
    ):
        # A domain's zone is part of what it is: carol-shop.com cannot become a .ru domain.
        raise TariffChangeNotAllowed(
            _("A domain stays in its zone: order a domain in .%(zone)s separately.")
            % {"zone": new_tariff.domain_zone}
        )
    if service.status not in CHANGEABLE:
        raise TariffChangeNotAllowed(_("Only an active or suspended service can change tariff."))


def _new_prices(service: Service, new_tariff: Tariff) -> dict[int, TariffPrice]:
    return {
        price.period_months: price
        for price in new_tariff.prices.filter(
            currency=service.billing_account.currency, is_active=True
        )
    }


def _price_for(prices: dict[int, TariffPrice], months: int) -> TariffPrice:
    price = prices.get(months)
    if price is None:
        raise TariffChangeNotAllowed(
            _("The tariff has no price for the service's %(n)d-month period.") % {"n": months}
        )
    return price


def _period_price(prices: dict[int, TariffPrice], months: int, currency: str) -> Money:
    """The new tariff's price of a `months`-month billing period: its own price when it has
    one; otherwise the price of its longest shorter period, or else of its shortest longer one,
    in proportion to the months (a 3-month period at a tariff sold by the month and the year
    costs three of its months)."""
    if months in prices:
        return Money(prices[months].price, currency)
    shorter = [m for m in prices if m < months]
    nearest = max(shorter) if shorter else min(prices, default=None)
    if nearest is None:
        raise TariffChangeNotAllowed(_("This tariff is not available."))
    return Money(prices[nearest].price, currency) * months / nearest


def _held(
    service: Service, prices: dict[int, TariffPrice], today: dt.date
) -> list[calculations.HeldPeriod]:
    currency = service.billing_account.currency
    held = []
    for period in PaidPeriod.objects.filter(service=service, end__gt=today).order_by("start", "pk"):
        held.append(
            calculations.HeldPeriod(
                key=period.pk,
                start=period.start,
                end=period.end,
                paid=Money(period.amount, currency),
                period_days=period.period_days,
                new_price=_period_price(prices, period.period_months, currency),
            )
        )
    return held


def tariff_change_quote(*, service: Service, new_tariff: Tariff) -> calculations.PaidChangeQuote:
    """What changing the service to `new_tariff` today costs (> 0) or credits (< 0)."""
    _check_target(service, new_tariff)
    prices = _new_prices(service, new_tariff)
    _price_for(prices, service.period_months)  # its next renewals need one
    today = clock.today()
    return calculations.quote_paid_periods(
        today=today,
        periods=_held(service, prices, today),
        currency=service.billing_account.currency,
    )


def open_period_invoices(service: Service) -> list[Invoice]:
    """The service's unpaid invoices that would extend it (renewals, or an upgrade with its
    renewal), oldest first."""
    return list(
        Invoice.objects.filter(
            lines__service=service, lines__kind=LineKind.PERIOD, status=InvoiceStatus.UNPAID
        )
        .exclude(kind=InvoiceKind.ORDER)
        .distinct()
        .order_by("issued_at", "pk")
    )


def pending_change(service: Service) -> TariffChange | None:
    return TariffChange.objects.filter(service=service, status=TariffChangeStatus.PENDING).first()


def change_tariff(
    *,
    service: Service,
    new_tariff: Tariff,
    actor: str = ServiceEvent.Actor.CUSTOMER,
    user: User | None = None,
) -> Invoice | None:
    """Move the service to another tariff of its type (and zone), valued on what was paid.

    An upgrade issues one invoice: the difference for the paid days, and the service's open
    renewal (if any) re-billed at the new tariff; the change applies, as quoted, when it is
    paid (settled at once when the balance covers it). A downgrade, or a change with nothing to
    prorate, applies at once: the difference is credited to the balance and an open renewal is
    re-issued at the new tariff. At most one change a day (each is rounded on its own), and
    none while an upgrade waits for payment. Returns the upgrade's invoice, or None.
    """
    with transaction.atomic():
        service = lifecycle.lock(service)
        account = service.billing_account
        today = clock.today()
        waiting = pending_change(service)
        if waiting is not None:
            raise TariffChangeNotAllowed(
                _("Pay or cancel the open tariff change invoice %(number)s first.")
                % {"number": waiting.invoice.number if waiting.invoice else ""}
            )
        if service.tariff_changed_on == today:
            # Each change is rounded on its own; a cycle through three tariffs in one day could
            # otherwise gain a kopeck per round (docs/billing-rules.md).
            raise TariffChangeNotAllowed(_("A service's tariff can be changed once a day."))
        quote = tariff_change_quote(service=service, new_tariff=new_tariff)
        prices = _new_prices(service, new_tariff)
        renewals = open_period_invoices(service)
        rebilled = [_rebilled_lines(invoice, service, new_tariff, prices) for invoice in renewals]
        for invoice in renewals:
            cancel_invoice(invoice=invoice)
        change = TariffChange.objects.create(
            service=service,
            from_tariff_code=service.tariff.code,
            to_tariff_code=new_tariff.code,
            effective_on=today,
            amount=quote.amount.amount,
            currency=account.currency,
            status=TariffChangeStatus.PENDING,
            breakdown=[
                {
                    "period": part.key,
                    "used": str(part.used.amount),
                    "paid": str(part.unused_paid.amount),
                    "new": str(part.new_value.amount),
                }
                for part in quote.parts
            ],
            created_at=clock.now(),
        )
        service.tariff_changed_on = today
        service.save(update_fields=["tariff_changed_on"])
        if quote.is_upgrade:
            texts = {lang: _change_text(service, new_tariff, quote, lang) for lang in ("ru", "en")}
            lines = [
                LineDraft(
                    kind=LineKind.PRORATION,
                    service=service,
                    service_type_code=service.service_type.code,
                    tariff_code=new_tariff.code,
                    description_ru=texts["ru"],
                    description_en=texts["en"],
                    period_start=today,
                    period_end=service.paid_until,
                    amount=quote.amount,
                )
            ]
            for drafts in rebilled:
                lines.extend(drafts)
            invoice = issue_invoice(
                billing_account=account, kind=InvoiceKind.TARIFF_CHANGE, lines=lines
            )
            change.invoice = invoice
            change.save(update_fields=["invoice"])
            settle_open_invoices(billing_account=account)
            invoice.refresh_from_db()
            return invoice
        if quote.is_downgrade:
            credit = -quote.amount
            ledger.post(
                lines=[
                    (ledger.revenue_account(service.service_type.code, credit.currency), -credit),
                    (ledger.customer_account(account), credit),
                ],
                kind=EntryKind.TARIFF_CREDIT,
                memo=f"Tariff change {service.tariff.code} -> {new_tariff.code}",
                reference=f"service-{service.pk}",
                billing_account=account,
                idempotency_key=f"tariff-change:{change.pk}:credit",
            )
        apply_change(change, actor=actor, user=user)
        for drafts in rebilled:
            issue_invoice(billing_account=account, kind=InvoiceKind.RENEWAL, lines=drafts)
        settle_open_invoices(billing_account=account)
    return None


def _rebilled_lines(
    invoice: Invoice, service: Service, new_tariff: Tariff, prices: dict[int, TariffPrice]
) -> list[LineDraft]:
    """An open renewal's period lines, billed again at the new tariff (same dates)."""
    if invoice.lines.exclude(service=service).exists():
        raise TariffChangeNotAllowed(
            _("Invoice %(number)s bills other services too: pay or cancel it first.")
            % {"number": invoice.number}
        )
    drafts = []
    for line in invoice.lines.filter(kind=LineKind.PERIOD).order_by("position"):
        assert line.period_start and line.period_end and line.period_months
        price = _price_for(prices, line.period_months)
        texts = period_line_texts(price, service.identifier, line.period_start, line.period_end)
        drafts.append(
            LineDraft(
                kind=LineKind.PERIOD,
                service=service,
                service_type_code=service.service_type.code,
                tariff_code=new_tariff.code,
                description_ru=texts["ru"],
                description_en=texts["en"],
                period_start=line.period_start,
                period_end=line.period_end,
                period_months=line.period_months,
                amount=Money(price.price, price.currency),
            )
        )
    return drafts


def apply_change(change: TariffChange, *, actor: str, user: User | None = None) -> None:
    """Carry out a tariff change as quoted, on a service the caller has locked: each paid
    period is split at the day of the change (its used part keeps what it was worth, the rest
    becomes a period at the new tariff), the service moves to the new tariff and its
    provisioning module is told."""
    service = Service.objects.select_related("tariff", "service_type").get(pk=change.service_id)
    now = clock.now()
    periods = {p.pk: p for p in PaidPeriod.objects.filter(service=service)}
    for part in change.breakdown:
        period = periods[part["period"]]
        used, new = Decimal(part["used"]), Decimal(part["new"])
        if period.start >= change.effective_on:
            period.tariff_code = change.to_tariff_code
            period.amount = new
            period.save(update_fields=["tariff_code", "amount"])
            continue
        rest_end = period.end
        period.end = change.effective_on
        period.amount = used
        period.save(update_fields=["end", "amount"])
        PaidPeriod.objects.create(
            service=service,
            start=change.effective_on,
            end=rest_end,
            tariff_code=change.to_tariff_code,
            period_months=period.period_months,
            period_days=period.period_days,
            amount=new,
            currency=period.currency,
            source=PeriodSource.TARIFF_CHANGE,
            invoice=change.invoice,
            created_at=now,
        )
    change.status = TariffChangeStatus.APPLIED
    change.applied_at = now
    change.save(update_fields=["status", "applied_at"])
    old_code = service.tariff.code
    service.tariff = service.service_type.tariffs.get(code=change.to_tariff_code)
    service.save(update_fields=["tariff"])
    ServiceEvent.objects.create(
        service=service,
        code="tariff_change",
        from_status=service.status,
        to_status=service.status,
        actor=actor,
        user=user,
        params={"from": old_code, "to": change.to_tariff_code, "amount": str(change.amount)},
        at=now,
    )
    lifecycle.provision(service=service, operation="change_tariff", old_tariff_code=old_code)
    publish_many(
        [
            service_events.draft(
                EventKind.SERVICE_TARIFF_CHANGED,
                service,
                from_tariff=old_code,
                to_tariff=change.to_tariff_code,
                effective_on=change.effective_on,
                amount=change.amount,
                currency=change.currency,
                invoice=change.invoice.number if change.invoice is not None else None,
            )
        ]
    )


def withdraw_pending_change(service: Service) -> Invoice | None:
    """Cancel a pending upgrade's invoice (its quote no longer holds once the paid time
    changes, e.g. by a renewal): the service stays on its tariff. Returns the invoice."""
    change = pending_change(service)
    if change is None or change.invoice is None:
        return None
    cancel_invoice(invoice=change.invoice)  # → on_cancelled_invoice marks the change
    return change.invoice


def on_cancelled_invoice(invoice: Invoice) -> None:
    """The invoice of a pending upgrade was withdrawn: the change is cancelled, and the day's
    change is given back (nothing moved)."""
    for change in TariffChange.objects.filter(invoice=invoice, status=TariffChangeStatus.PENDING):
        change.status = TariffChangeStatus.CANCELLED
        change.save(update_fields=["status"])
        Service.objects.filter(pk=change.service_id).update(tariff_changed_on=None)


def on_paid_invoice(invoice: Invoice, *, actor: str) -> None:
    for change in TariffChange.objects.filter(invoice=invoice, status=TariffChangeStatus.PENDING):
        lifecycle.lock(change.service_id)
        apply_change(change, actor=actor)


def _change_text(
    service: Service,
    new_tariff: Tariff,
    quote: calculations.PaidChangeQuote,
    language: str,
) -> str:
    with translation.override(language):
        return _("Tariff change %(old)s → %(new)s%(identifier)s for %(days)d paid days") % {
            "old": service.tariff.name,
            "new": new_tariff.name,
            "identifier": f", {service.identifier}" if service.identifier else "",
            "days": quote.remaining_days,
        }
