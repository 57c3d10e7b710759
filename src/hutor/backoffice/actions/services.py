"""The lifecycle of a customer's service, moved by staff: suspend, unsuspend, terminate, extend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from hutor.backoffice.audit import record, require_reason
from hutor.backoffice.exceptions import DeskError
from hutor.core.money import Money
from hutor.services import access, cancellations, lifecycle
from hutor.services import actions as service_actions
from hutor.services.exceptions import ServiceError
from hutor.services.models import Cancellation, ProvisioningTask, Service, ServiceEvent

if TYPE_CHECKING:
    from hutor.accounts.models import User


# --- Services' lifecycle: the transitions are services.lifecycle's; the desk adds its audit -----

STAFF = ServiceEvent.Actor.STAFF


def _move(
    *, staff: User, service: Service, transition: str, action: str, reason: str, actor: str = ""
) -> Service:
    require_reason(reason)
    with transaction.atomic():
        service = lifecycle.lock(service)
        try:
            changes = lifecycle.move(service, transition, actor=STAFF, user=staff)
        except ServiceError as exc:
            raise DeskError(str(exc)) from exc
        record(
            staff=staff,
            actor=actor,
            action=action,
            reason=reason,
            billing_account=service.billing_account,
            object_type="service",
            object_id=service.pk,
            changes=changes,
        )
    return service


def suspend_service(*, staff: User, service: Service, reason: str, actor: str = "") -> Service:
    """Suspend an active service now (abuse, the customer's request); data is kept."""
    return _move(
        staff=staff,
        service=service,
        transition="suspend",
        action="service.suspend",
        reason=reason,
        actor=actor,
    )


def unsuspend_service(*, staff: User, service: Service, reason: str, actor: str = "") -> Service:
    """Reactivate a suspended service (paid-until is not changed: extend it if it is past)."""
    return _move(
        staff=staff,
        service=service,
        transition="reactivate",
        action="service.unsuspend",
        reason=reason,
        actor=actor,
    )


def terminate_service(*, staff: User, service: Service, reason: str, actor: str = "") -> Service:
    """Remove a service for good (its data too, through its provisioning module); its unpaid
    invoices for it alone are withdrawn and auto-renewal is turned off."""
    return _move(
        staff=staff,
        service=service,
        transition="terminate",
        action="service.terminate",
        reason=reason,
        actor=actor,
    )


def cancel_service_with_refund(
    *, staff: User, service: Service, expected_amount: Decimal, reason: str
) -> Cancellation:
    """Cancel a service for its customer with its unused paid days given back to the balance
    (services.cancellations.cancel), audited in the same transaction. QuoteChanged when the
    amount is no longer `expected_amount` (nothing moves); DeskError when it cannot be
    cancelled."""
    require_reason(reason)
    with transaction.atomic():
        try:
            cancellation = cancellations.cancel(
                service=service, by=STAFF, expected_amount=expected_amount, user=staff
            )
        except cancellations.QuoteChanged:
            raise
        except ServiceError as exc:
            raise DeskError(str(exc)) from exc
        record(
            staff=staff,
            action="service.cancel_refund",
            reason=reason,
            billing_account=service.billing_account,
            object_type="service",
            object_id=service.pk,
            changes={
                "status": {"from": service.status, "to": "terminated"},
                "amount": Money(cancellation.amount, cancellation.currency),
                "day": cancellation.day,
            },
        )
    return cancellation


def extend_service(*, staff: User, service: Service, until: dt.date, reason: str) -> Service:
    """Move paid-until later without an invoice (goodwill, compensation for an outage); a
    suspended service whose new date is not past is reactivated."""
    require_reason(reason)
    with transaction.atomic():
        service = lifecycle.lock(service)
        try:
            changes = service_actions.extend_service(
                service=service, until=until, actor=STAFF, user=staff
            )
        except ServiceError as exc:
            raise DeskError(str(exc)) from exc
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


# --- Provisioning: the service on its server ----------------------------------------------------


def rerun_create(
    *, staff: User, service: Service, reason: str, actor: str = ""
) -> ProvisioningTask:
    """Queue the service's create again (after staff fixed what made it fail: room on a
    server, a name freed; its failed create goes back to the worker) or when the server lost
    the account; the worker calls the module, which finds an existing account."""
    require_reason(reason)
    with transaction.atomic():
        service = lifecycle.lock(service)
        try:
            task = access.rerun_create(service=service)
        except ServiceError as exc:
            raise DeskError(str(exc)) from exc
        record(
            staff=staff,
            actor=actor,
            action="service.rerun_create",
            reason=reason,
            billing_account=service.billing_account,
            object_type="service",
            object_id=service.pk,
            changes={
                "provisioning_task": task.pk,
                "module": task.module,
                "last_error": task.last_error[:300],  # what made the failed create fail
            },
        )
    return task


def open_control_panel(*, staff: User, service: Service, reason: str) -> str:
    """The single sign-on link into the service's control panel, as its customer. The module
    is asked outside any transaction; the link is handed over only once the audit entry is
    saved."""
    require_reason(reason)
    try:
        url = access.login_url(service=service)
    except access.AccessError as exc:
        raise DeskError(" ".join(filter(None, [str(exc), exc.detail]))) from exc
    with transaction.atomic():
        record(
            staff=staff,
            action="service.control_panel",
            reason=reason,
            billing_account=service.billing_account,
            object_type="service",
            object_id=service.pk,
            changes={"module": service.provisioning_module},
        )
    return url
