"""The lifecycle of a customer's service: the one place where its status changes.

    pending ──activate──▶ active ──suspend──▶ suspended ──terminate──▶ terminated
       │                  │  ▲                  │
       │                  │  └───reactivate─────┤
       │                  └──expire──▶ expired ─┘ (domains)
       └──cancel──▶ cancelled

Every transition is a row of `TRANSITIONS`: the statuses it may start from, the status it
leads to, and the provisioning call it queues. `move()` does the rest the same way for every
caller (the daily run, the staff desk, the customer's panel, a paid invoice, the bulk renewal
path): it checks the source status under the caller's row lock, sets the dates, turns
auto-renew off where the service can no longer renew, cancels what must not be paid any more,
queues the provisioning task and records a `ServiceEvent`. Nothing outside this module assigns
`Service.status`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.accounts.actions import lock as lock_billing_account
from hutor.accounts.models import BillingAccount
from hutor.core import clock
from hutor.invoices.actions import cancel_invoice
from hutor.invoices.models import Invoice, InvoiceStatus
from hutor.services import events as service_events
from hutor.services.exceptions import ServiceError
from hutor.services.models import (
    ProvisioningStatus,
    ProvisioningTask,
    Service,
    ServiceEvent,
    ServiceStatus,
)
from hutor.services.provisioning import get_module, module_renews, perform

if TYPE_CHECKING:
    from hutor.accounts.models import User

S = ServiceStatus


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    provisioning: str | None  # the module operation queued, if any
    refusal: Promise  # what the person asking is told when the status does not allow it
    auto_renew_off: bool = False  # the service can never renew again
    sets_lapsed_on: bool = False  # the termination countdown starts
    clears_lapsed_on: bool = False


TRANSITIONS: dict[str, Transition] = {
    # The order invoice is paid: the service is created on its server.
    "activate": Transition(
        frozenset({S.PENDING}),
        S.ACTIVE,
        "create",
        gettext_lazy("Only a service waiting for payment can be activated."),
    ),
    # Unpaid past the grace period (or by staff): data kept, access stopped.
    "suspend": Transition(
        frozenset({S.ACTIVE}),
        S.SUSPENDED,
        "suspend",
        gettext_lazy("Only an active service can be suspended."),
        sets_lapsed_on=True,
    ),
    # A domain unpaid at paid-until: the registrar lets it expire; no call needed.
    "expire": Transition(
        frozenset({S.ACTIVE}),
        S.EXPIRED,
        None,
        gettext_lazy("Only an active domain can expire."),
        sets_lapsed_on=True,
    ),
    # Paid again (or by staff): back at once; for a domain, restored from expiry.
    "reactivate": Transition(
        frozenset({S.SUSPENDED, S.EXPIRED}),
        S.ACTIVE,
        "unsuspend",
        gettext_lazy("Only a suspended service can be unsuspended."),
        clears_lapsed_on=True,
    ),
    # Removed for good, with its data; its unpaid invoices for it alone are withdrawn.
    "terminate": Transition(
        frozenset({S.ACTIVE, S.SUSPENDED, S.EXPIRED}),
        S.TERMINATED,
        "terminate",
        gettext_lazy("Only an active or suspended service can be terminated."),
        auto_renew_off=True,
    ),
    # A domain's registration refused by the registry (the name taken meanwhile): the price
    # goes back to the balance (services.refusals); nothing is left to call.
    "refuse": Transition(
        frozenset({S.ACTIVE}),
        S.TERMINATED,
        None,
        gettext_lazy("Only an active service can be refused."),
        auto_renew_off=True,
    ),
    # An order withdrawn before it was paid.
    "cancel": Transition(
        frozenset({S.PENDING}),
        S.CANCELLED,
        None,
        gettext_lazy("Only an order that is not paid yet can be cancelled."),
        auto_renew_off=True,
    ),
}


class TransitionNotAllowed(ServiceError):
    """The service is not in a status the transition starts from."""


def allowed(service: Service, name: str) -> bool:
    return service.status in TRANSITIONS[name].sources


def lock(service: Service | int) -> Service:
    """Lock the service for a change, in the order every writer keeps: its billing account
    first, then the service. Must run inside the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("lifecycle.lock() must run inside transaction.atomic()")
    pk = service if isinstance(service, int) else service.pk
    account_id = Service.objects.filter(pk=pk).values_list("billing_account_id", flat=True).get()
    lock_billing_account(BillingAccount(pk=account_id))
    return (
        Service.objects.select_for_update(of=("self",))
        .select_related("billing_account", "service_type", "tariff")
        .get(pk=pk)
    )


def move(
    service: Service,
    name: str,
    *,
    actor: str,
    user: User | None = None,
    today: dt.date | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Make transition `name` on a service the caller has locked (`lock()`), in the caller's
    transaction. Returns what changed ({"status": {"from": …, "to": …}, …}) for an audit entry;
    raises TransitionNotAllowed, changing nothing, when the status does not allow it."""
    transition = TRANSITIONS[name]
    if service.status not in transition.sources:
        raise TransitionNotAllowed(str(transition.refusal))
    today = today or clock.today()
    before = service.status
    changes: dict[str, Any] = {"status": {"from": before, "to": transition.target}}
    fields = ["status"]
    service.status = transition.target
    if name == "activate":
        service.activated_at = clock.now()
        fields.append("activated_at")
    if transition.sets_lapsed_on and service.lapsed_on is None:
        service.lapsed_on = today
        fields.append("lapsed_on")
        changes["lapsed_on"] = {"from": None, "to": today.isoformat()}
    if transition.clears_lapsed_on and service.lapsed_on is not None:
        changes["lapsed_on"] = {"from": service.lapsed_on.isoformat(), "to": None}
        service.lapsed_on = None
        fields.append("lapsed_on")
    if transition.auto_renew_off and service.auto_renew:
        service.auto_renew = False
        fields.append("auto_renew")
        changes["auto_renew"] = {"from": True, "to": False}
    if name == "terminate":
        withdrawn = _withdraw_open_invoices(service)
        if withdrawn:
            changes["invoices_cancelled"] = withdrawn
    service.save(update_fields=fields)
    if transition.provisioning:
        task = provision(service=service, operation=transition.provisioning)
        changes["provisioning_task"] = task.pk
    ServiceEvent.objects.create(
        service=service,
        code=name,
        from_status=before,
        to_status=transition.target,
        actor=actor,
        user=user,
        params=params or {},
        at=clock.now(),
    )
    service_events.transitions([(service, name)])
    return changes


def reactivate_many(service_ids: Sequence[int], *, actor: str) -> list[int]:
    """The bulk renewal path's `move(…, "reactivate")` for services its batch has locked
    (through their billing accounts) and just extended: the lapsed ones among them become
    active with one UPDATE, and each gets its provisioning task and event. Returns their ids."""
    transition = TRANSITIONS["reactivate"]
    lapsed = list(
        Service.objects.filter(pk__among=service_ids, status__in=transition.sources)
        .select_related("billing_account", "service_type", "tariff")
        .order_by("pk")
    )
    if not lapsed:
        return []
    Service.objects.filter(pk__among=[s.pk for s in lapsed]).update(
        status=transition.target, lapsed_on=None
    )
    now = clock.now()
    events = []
    for service in lapsed:
        events.append(
            ServiceEvent(
                service=service,
                code="reactivate",
                from_status=service.status,
                to_status=transition.target,
                actor=actor,
                at=now,
            )
        )
        service.status = transition.target
        service.lapsed_on = None
        provision(service=service, operation=str(transition.provisioning))
    ServiceEvent.objects.bulk_create(events)
    service_events.transitions([(service, "reactivate") for service in lapsed])
    return [s.pk for s in lapsed]


def set_auto_renew(*, service: Service, on: bool, actor: str, user: User | None = None) -> Service:
    """Switch auto-renewal, locked and recorded; a service that can never renew again
    (terminated, cancelled) keeps it off."""
    with transaction.atomic():
        service = lock(service)
        if on and service.status in (S.TERMINATED, S.CANCELLED):
            raise TransitionNotAllowed(_("A terminated or cancelled service cannot renew."))
        if service.auto_renew != on:
            service.auto_renew = on
            service.save(update_fields=["auto_renew"])
            ServiceEvent.objects.create(
                service=service,
                code="auto_renew_on" if on else "auto_renew_off",
                from_status=service.status,
                to_status=service.status,
                actor=actor,
                user=user,
                at=clock.now(),
            )
    return service


def record(
    service: Service,
    code: str,
    *,
    actor: str,
    user: User | None = None,
    params: dict[str, Any] | None = None,
) -> ServiceEvent:
    """Record what happened to a service without a change of status (a domain's nameservers
    changed, its transfer code given): the service's history, with who did it."""
    return ServiceEvent.objects.create(
        service=service,
        code=code,
        from_status=service.status,
        to_status=service.status,
        actor=actor,
        user=user,
        params=params or {},
        at=clock.now(),
    )


def _withdraw_open_invoices(service: Service) -> list[str]:
    """Cancel the service's unpaid invoices that are for it alone: no payment is taken later
    for a service that is gone. (An invoice that also bills other services stays.)"""
    cancelled = []
    for invoice in (
        Invoice.objects.filter(lines__service=service, status=InvoiceStatus.UNPAID)
        .distinct()
        .order_by("pk")
    ):
        if not invoice.lines.exclude(service=service).exists():
            cancel_invoice(invoice=invoice)
            cancelled.append(invoice.number)
    return cancelled


def renew_remote(renewed: Sequence[tuple[Service, dt.date | None, int]]) -> list[ProvisioningTask]:
    """After a paid renewal: a `renew` task for each renewed service whose module declares it
    (a registrar or a CA: the remote side has its own expiry), in the caller's transaction.

    `renewed` holds (service, the paid-until date before the renewal, the months paid). The task
    carries the months, the whole years (domains) and the expiry billing believed in before,
    which a registry's renew command names (EPP's curExpDate). Other modules renew nothing."""
    tasks = []
    for service, before, months in renewed:
        if not module_renews(service.provisioning_module):
            continue
        params = {"months": str(months), "years": str(max(1, months // 12))}
        if before is not None:
            params["expires_on"] = before.isoformat()
        tasks.append(provision(service=service, operation="renew", **params))
    return tasks


def provision(*, service: Service, operation: str, **params: str) -> ProvisioningTask:
    """Queue a call of the service's provisioning module, in the caller's transaction.

    The task commits or rolls back with the decision it carries out (an activation, a
    suspension), and `hutor worker` runs it after commit, with retries (services.tasks): a slow
    or failing control panel never holds up a payment or the billing run. A module that only
    makes staff to-dos (manual) is not queued: its task is a to-do at once.
    """
    module = get_module(service.provisioning_module)
    now = clock.now()
    task = ProvisioningTask(
        service=service,
        operation=operation,
        module=module.name,
        params=params,
        created_at=now,
    )
    if module.queued:
        task.status = ProvisioningStatus.PENDING
        task.next_attempt_at = now
    else:
        result = perform(module, service, operation, params)
        task.status = ProvisioningStatus.DONE if result.done else ProvisioningStatus.TODO
        task.note = result.note
        task.done_at = now if result.done else None
    task.save()
    return task
