"""The lifecycle of a customer's service, moved by staff: suspend, unsuspend, terminate, extend."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from hutor.accounts.actions import lock as lock_billing_account
from hutor.backoffice.audit import diff, record, require_reason
from hutor.backoffice.exceptions import DeskError
from hutor.core import clock
from hutor.invoices import actions as invoice_actions
from hutor.invoices.models import Invoice, InvoiceStatus
from hutor.services import actions as service_actions
from hutor.services.models import Service, ServiceStatus

if TYPE_CHECKING:
    from hutor.accounts.models import User


# --- Services' lifecycle ----------------------------------------------------------------------


def _locked_service(service: Service) -> Service:
    lock_billing_account(service.billing_account)
    return Service.objects.select_for_update().select_related("billing_account").get(pk=service.pk)


def _lapsed_statuses() -> tuple[str, ...]:
    expired = getattr(ServiceStatus, "EXPIRED", None)
    return (ServiceStatus.SUSPENDED,) + ((str(expired),) if expired else ())


def _set_status(service: Service, status: str) -> dict[str, Any]:
    before: dict[str, Any] = {"status": service.status}
    service.status = status
    fields = ["status"]
    # The daily run counts the days of a suspension from `lapsed_on` (where the field exists).
    if hasattr(service, "lapsed_on"):
        before["lapsed_on"] = service.lapsed_on
        if status == ServiceStatus.ACTIVE:
            service.lapsed_on = None
        elif status == ServiceStatus.SUSPENDED and service.lapsed_on is None:
            service.lapsed_on = clock.today()
        fields.append("lapsed_on")
    service.save(update_fields=fields)
    return diff(before, {name: getattr(service, name) for name in before})


def suspend_service(*, staff: User, service: Service, reason: str) -> Service:
    """Suspend an active service now (abuse, the customer's request); data is kept."""
    require_reason(reason)
    with transaction.atomic():
        service = _locked_service(service)
        if service.status != ServiceStatus.ACTIVE:
            raise DeskError(_("Only an active service can be suspended."))
        changes = _set_status(service, ServiceStatus.SUSPENDED)
        task = service_actions.provision(service=service, operation="suspend")
        record(
            staff=staff,
            action="service.suspend",
            reason=reason,
            billing_account=service.billing_account,
            object_type="service",
            object_id=service.pk,
            changes={**changes, "provisioning_task": task.pk},
        )
    return service


def unsuspend_service(*, staff: User, service: Service, reason: str) -> Service:
    """Reactivate a suspended service (paid-until is not changed: extend it if it is past)."""
    require_reason(reason)
    with transaction.atomic():
        service = _locked_service(service)
        if service.status not in _lapsed_statuses():
            raise DeskError(_("Only a suspended service can be unsuspended."))
        changes = _set_status(service, ServiceStatus.ACTIVE)
        task = service_actions.provision(service=service, operation="unsuspend")
        record(
            staff=staff,
            action="service.unsuspend",
            reason=reason,
            billing_account=service.billing_account,
            object_type="service",
            object_id=service.pk,
            changes={**changes, "provisioning_task": task.pk},
        )
    return service


def terminate_service(*, staff: User, service: Service, reason: str) -> Service:
    """Remove a service for good (its data too, through its provisioning module)."""
    require_reason(reason)
    with transaction.atomic():
        service = _locked_service(service)
        if service.status not in (ServiceStatus.ACTIVE, *_lapsed_statuses()):
            raise DeskError(_("Only an active or suspended service can be terminated."))
        # Its unpaid invoices for it alone are withdrawn, so no payment is taken later for a
        # service that is gone (as the daily run's termination does).
        cancelled = []
        for invoice in Invoice.objects.filter(
            lines__service=service, status=InvoiceStatus.UNPAID
        ).distinct():
            if not invoice.lines.exclude(service=service).exists():
                invoice_actions.cancel_invoice(invoice=invoice)
                cancelled.append(invoice.number)
        changes = _set_status(service, ServiceStatus.TERMINATED)
        if cancelled:
            changes["invoices_cancelled"] = cancelled
        service.auto_renew = False
        service.save(update_fields=["auto_renew"])
        task = service_actions.provision(service=service, operation="terminate")
        record(
            staff=staff,
            action="service.terminate",
            reason=reason,
            billing_account=service.billing_account,
            object_type="service",
            object_id=service.pk,
            changes={**changes, "provisioning_task": task.pk},
        )
    return service


def extend_service(*, staff: User, service: Service, until: dt.date, reason: str) -> Service:
    """Move paid-until later without an invoice (goodwill, compensation for an outage); a
    suspended service whose new date is not past is reactivated."""
    require_reason(reason)
    with transaction.atomic():
        service = _locked_service(service)
        if service.status not in (ServiceStatus.ACTIVE, *_lapsed_statuses()):
            raise DeskError(_("Only an active or suspended service can be extended."))
        if service.paid_until is not None and until <= service.paid_until:
            raise DeskError(_("The new date must be later than the paid-until date."))
        if until < clock.today():
            raise DeskError(_("The new date is in the past."))
        before = service.paid_until
        service.paid_until = until
        service.save(update_fields=["paid_until"])
        changes: dict[str, Any] = {
            "paid_until": {"from": before and before.isoformat(), "to": until.isoformat()}
        }
        if service.status in _lapsed_statuses():
            changes.update(_set_status(service, ServiceStatus.ACTIVE))
            changes["provisioning_task"] = service_actions.provision(
                service=service, operation="unsuspend"
            ).pk
        record(
            staff=staff,
            action="service.extend",
            reason=reason,
            billing_account=service.billing_account,
            object_type="service",
            object_id=service.pk,
            changes=changes,
        )
    return service
