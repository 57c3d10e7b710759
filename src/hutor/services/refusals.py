"""A domain the registry refused to register: the customer gets back what they paid for it,
at once and exactly once, and is told why in their language (issue 14).

The registration runs as the service's create task after the order is paid (services.tasks).
When the registry says no for good (ProvisioningRefused from a registrar module: the name was
registered by someone else between the search and the payment, a reserved name), no retry and no
staff can register it; so instead of leaving the task for staff, the worker calls `refuse()`:
in one transaction, under the service's lock, the service moves to terminated by the
lifecycle's "refuse" transition (its event keeps the reason), the amount its paid invoices'
lines charged for it (period and setup: what the customer actually paid, never a list price)
goes back to the balance as a refund entry whose idempotency key is the service's, and the
"registration refused" email is queued. A second call finds the service terminated and does
nothing; the ledger's key would refuse a second refund anyway.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy

from hutor.core.money import Money
from hutor.invoices.actions import settle_open_invoices
from hutor.invoices.models import InvoiceLine, InvoiceStatus
from hutor.ledger import actions as ledger
from hutor.ledger.models import EntryKind, JournalEntry
from hutor.notifications.actions import enqueue
from hutor.services import lifecycle
from hutor.services.models import Service, ServiceEvent, ServiceStatus
from hutor.services.provisioning.registrar import Refusal

TEMPLATE = "registration_refused"

# What the customer is told, by the registrar module's refusal code.
REASONS = {
    Refusal.TAKEN: gettext_lazy("the name has been registered by someone else"),
    Refusal.NOT_ALLOWED: gettext_lazy("the rules of the zone do not allow this name"),
    Refusal.CONTACT: gettext_lazy("the registry did not accept the owner's details"),
    Refusal.OTHER: gettext_lazy("the registry refused it"),
}


def reason_text(code: str) -> str:
    return str(REASONS.get(code, REASONS[Refusal.OTHER]))


def paid_for(service_id: int, currency: str) -> Money:
    """What the customer paid for the service: its lines on paid invoices."""
    total = InvoiceLine.objects.filter(
        service_id=service_id, invoice__status=InvoiceStatus.PAID
    ).aggregate(total=Sum("amount"))["total"]
    return Money(total or 0, currency).rounded()


def refuse(*, service_id: int, code: str, detail: str) -> JournalEntry | None:
    """The registry refused the service's registration for good: terminate it, refund what was
    paid for it to the balance, tell the customer. Returns the refund entry (None when there
    was nothing to do: already refused, or no longer active)."""
    with transaction.atomic():
        service = lifecycle.lock(service_id)
        if service.status != ServiceStatus.ACTIVE:
            return None
        account = service.billing_account
        amount = paid_for(service.pk, account.currency)
        lifecycle.move(
            service,
            "refuse",
            actor=ServiceEvent.Actor.SYSTEM,
            params={"code": code, "detail": detail[:500], "refunded": str(amount.amount)},
        )
        entry = None
        if amount.amount > 0:
            entry, _created = ledger.post(
                lines=[
                    (ledger.revenue_account(service.service_type.code, amount.currency), -amount),
                    (ledger.customer_account(account), amount),
                ],
                kind=EntryKind.REFUND,
                memo=f"Registration refused: {service.identifier}",
                reference=f"service-{service.pk}",
                billing_account=account,
                idempotency_key=f"registration-refused:{service.pk}",
            )
            settle_open_invoices(billing_account=account)
        enqueue(
            key=f"{TEMPLATE}:{service.pk}",
            template=TEMPLATE,
            billing_account=account,
            params={"service_id": service.pk},
        )
    return entry


def refusal_of(service: Service) -> dict[str, Any] | None:
    """What the panel tells about a refused registration: the reason in the reader's language,
    the registry's words, the amount refunded; None for a service that was not refused."""
    if service.status != ServiceStatus.TERMINATED:
        return None
    event = service.events.filter(code="refuse").order_by("-at", "-id").first()
    if event is None:
        return None
    currency = service.billing_account.currency
    return {
        "reason": reason_text(event.params.get("code", "")),
        "detail": event.params.get("detail", ""),
        "refunded": Money(event.params.get("refunded") or "0", currency),
        "at": event.at,
    }
