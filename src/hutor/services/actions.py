"""Use cases of customers' services: order, activation, renewal, cancellation.

Status changes go through services.lifecycle; tariff changes are in services.tariffs (both
re-exported here, so other apps call `services.actions` only).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils.translation import gettext as _

from hutor.catalog.models import TariffPrice
from hutor.core import clock
from hutor.core.money import Money
from hutor.core.rows import Row, RowWriter
from hutor.invoices.actions import LineDraft, cancel_invoice, issue_invoice, settle_open_invoices
from hutor.invoices.issuing import IssuedInvoice, IssuedLine
from hutor.invoices.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineKind
from hutor.services import calculations, expiry, lifecycle, tariffs
from hutor.services.calculations import add_months
from hutor.services.exceptions import (
    RenewalNotAllowed,
    ServiceError,
    ServiceNotPending,
)
from hutor.services.lifecycle import provision
from hutor.services.models import (
    PaidPeriod,
    PeriodSource,
    ProvisioningStatus,
    ProvisioningTask,
    Service,
    ServiceEvent,
    ServiceStatus,
)
from hutor.services.orders import OrderItem as OrderItem  # re-exported: orders are placed here
from hutor.services.orders import order_invoice as order_invoice
from hutor.services.orders import ordered_together as ordered_together
from hutor.services.orders import place_order as place_order
from hutor.services.orders import place_orders as place_orders
from hutor.services.orders import validate_identifier as validate_identifier
from hutor.services.provisioning import module_renews
from hutor.services.tariffs import (
    change_tariff,
    open_period_invoices,
    pending_change,
    tariff_change_quote,
    withdraw_pending_change,
)
from hutor.services.tasks import TASKS
from hutor.services.texts import (
    line_dates,
    line_prefix,
    line_text,
    period_line_texts,
    restore_texts,
)

if TYPE_CHECKING:
    from hutor.accounts.models import User

__all__ = [
    "RENEWABLE",
    "apply_paid_invoice",
    "apply_paid_renewals",
    "cancel_order",
    "change_tariff",
    "extend_service",
    "line_dates",
    "line_prefix",
    "line_text",
    "open_renewal",
    "pending_change",
    "place_order",
    "provision",
    "renew",
    "renewal_start",
    "tariff_change_quote",
]

Actor = ServiceEvent.Actor


def apply_paid_invoice(invoice: Invoice, *, actor: str = Actor.PAYMENT) -> None:
    """Carry out what a just-paid invoice pays for: a tariff change as quoted, a new service
    activated, a renewal extending the service (and reactivating a lapsed one).

    Runs inside the settlement's transaction (services/receivers.py). A new service starts on
    the day it is paid; a renewal extends from the paid-until date, or from today when the
    service has lapsed. Each paid period is recorded with what was paid for it (PaidPeriod):
    what a later tariff change values the unused days at.
    """
    tariffs.on_paid_invoice(invoice, actor=actor)
    # Domains whose renewal pays their registry's restore too (out of redemption): restored
    # at the registry before the renewal there (a service's tasks run in order).
    restoring = set(
        invoice.lines.filter(kind=LineKind.RESTORE).values_list("service_id", flat=True)
    )
    for line in invoice.lines.filter(kind=LineKind.PERIOD, service__isnull=False).order_by(
        "position"
    ):
        assert line.service_id is not None
        service = lifecycle.lock(line.service_id)
        months = line.period_months or service.period_months
        today = clock.today()
        if service.status == ServiceStatus.PENDING:
            start = today
        elif service.status in RENEWABLE:
            start = renewal_start(service)
        else:
            continue  # terminated or cancelled meanwhile: the money stays paid, nothing to do
        before = service.paid_until
        end = add_months(start, months)
        PaidPeriod.objects.create(
            service=service,
            start=start,
            end=end,
            tariff_code=line.tariff_code or service.tariff.code,
            period_months=months,
            period_days=(end - start).days,
            amount=line.amount,
            currency=invoice.currency,
            source=PeriodSource.ORDER
            if service.status == ServiceStatus.PENDING
            else (PeriodSource.RENEWAL),
            invoice=invoice,
            created_at=clock.now(),
        )
        service.paid_until = end
        service.period_months = months
        service.save(update_fields=["paid_until", "period_months"])
        if service.status == ServiceStatus.PENDING:
            lifecycle.move(service, "activate", actor=actor)
            continue
        if service.status != ServiceStatus.ACTIVE:
            lifecycle.move(service, "reactivate", actor=actor)
        if service.pk in restoring:
            provision(service=service, operation="restore")
        lifecycle.renew_remote([(service, before, months)])


def apply_cancelled_invoice(invoice: Invoice) -> None:
    """A withdrawn order invoice withdraws its pending services; a withdrawn upgrade invoice
    cancels its tariff change."""
    tariffs.on_cancelled_invoice(invoice)
    for line in invoice.lines.filter(service__isnull=False).select_related("service"):
        service = line.service
        if service is not None and service.status == ServiceStatus.PENDING:
            service = lifecycle.lock(service)
            if lifecycle.allowed(service, "cancel"):
                lifecycle.move(service, "cancel", actor=Actor.SYSTEM)


def cancel_order(
    *, service: Service, actor: str = Actor.CUSTOMER, user: User | None = None
) -> Service:
    """Cancel an unpaid order (customer or staff): its invoice is cancelled, number kept."""
    with transaction.atomic():
        service = lifecycle.lock(service)
        if service.status != ServiceStatus.PENDING:
            raise ServiceNotPending(_("Only an order that is not paid yet can be cancelled."))
        invoices = Invoice.objects.filter(lines__service=service, status=InvoiceStatus.UNPAID)
        for invoice in invoices.distinct():
            cancel_invoice(invoice=invoice)
        service.refresh_from_db()
        if service.status == ServiceStatus.PENDING:  # no invoice was open
            lifecycle.move(service, "cancel", actor=actor, user=user)
    return service


# --- Renewal (S4, S6) ---------------------------------------------------------------------------

RENEWABLE = (ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED, ServiceStatus.EXPIRED)


def open_renewal(service: Service) -> Invoice | None:
    """The service's unpaid invoice that renews it (a renewal, or an upgrade re-billing its
    renewal at the new tariff), if it has one."""
    invoices = open_period_invoices(service)
    return invoices[0] if invoices else None


def renewal_start(service: Service) -> dt.date:
    """A renewal extends from the paid-until date, or from today when the service has lapsed
    (a domain: from its paid-until still, calculations.renewal_period)."""
    start, _end = calculations.renewal_period(
        today=clock.today(),
        paid_until=service.paid_until,
        period_months=1,
        continuous=calculations.is_continuous(service.service_type.code),
    )
    return start


def renew(*, service: Service, price: TariffPrice) -> Invoice:
    """Issue a renewal invoice for one more period of the service's tariff; it is settled at
    once when the balance covers it (and then extends the service, unsuspending it).

    A service has at most one open renewal invoice: asking again returns it. An upgrade still
    waiting for payment is withdrawn first: it was quoted on the paid time the renewal changes,
    and a period billed at one tariff must not be held at another (docs/billing-rules.md). The
    service's billing period changes only when the renewal is paid.
    """
    if price.tariff_id != service.tariff_id or not price.is_active:
        raise RenewalNotAllowed(_("Choose one of the tariff's periods."))
    with transaction.atomic():
        service = lifecycle.lock(service)
        if service.status not in RENEWABLE:
            raise RenewalNotAllowed(_("Only an active or suspended service can be renewed."))
        if price.tariff_id != service.tariff_id:
            raise RenewalNotAllowed(_("Choose one of the tariff's periods."))
        restore_due = expiry.phase(service) == expiry.Phase.REDEMPTION and price.restore_fee > 0
        existing = open_renewal(service)
        if existing is not None:
            if not restore_due or existing.lines.filter(kind=LineKind.RESTORE).exists():
                return existing
            # Issued before the domain entered redemption: the registry now wants the restore
            # paid too, so the invoice for the renewal alone is withdrawn and reissued.
            cancel_invoice(invoice=existing)
        withdraw_pending_change(service)
        plan = calculations.renewal_plan(
            today=clock.today(),
            paid_until=service.paid_until,
            period_months=price.period_months,
            price=Money(price.price, price.currency),
            continuous=calculations.is_continuous(service.service_type.code),
        )
        start, end = plan.start, plan.end
        account = service.billing_account
        texts = period_line_texts(price, service.identifier, start, end)
        lines = [
            LineDraft(
                kind=LineKind.PERIOD,
                service=service,
                service_type_code=service.service_type.code,
                tariff_code=price.tariff.code,
                description_ru=texts["ru"],
                description_en=texts["en"],
                period_start=start,
                period_end=end,
                period_months=plan.months,
                amount=plan.amount,
            )
        ]
        if restore_due:
            restore = restore_texts(service.identifier)
            lines.append(
                LineDraft(
                    kind=LineKind.RESTORE,
                    service=service,
                    service_type_code=service.service_type.code,
                    tariff_code=price.tariff.code,
                    description_ru=restore["ru"],
                    description_en=restore["en"],
                    amount=Money(price.restore_fee, price.currency).rounded(),
                )
            )
        invoice = issue_invoice(
            billing_account=account,
            kind=InvoiceKind.RENEWAL,
            lines=lines,
            due_date=plan.due_date,
        )
        settle_open_invoices(billing_account=account)
    invoice.refresh_from_db()
    return invoice


def extend_service(
    *, service: Service, until: dt.date, actor: str, user: User | None = None
) -> dict[str, object]:
    """Move paid-until later without an invoice (goodwill, compensation for an outage), on a
    service the caller has locked (lifecycle.lock); a lapsed service is reactivated. The free
    days are a paid period worth nothing: a later downgrade credits nothing for them. Returns
    what changed, for the caller's audit entry."""
    if service.status not in RENEWABLE:
        raise ServiceError(_("Only an active or suspended service can be extended."))
    if service.paid_until is not None and until <= service.paid_until:
        raise ServiceError(_("The new date must be later than the paid-until date."))
    today = clock.today()
    if until < today:
        raise ServiceError(_("The new date is in the past."))
    before = service.paid_until
    start = before if before is not None and before >= today else today
    if until > start:
        months = service.period_months
        PaidPeriod.objects.create(
            service=service,
            start=start,
            end=until,
            tariff_code=service.tariff.code,
            period_months=months,
            period_days=max((add_months(start, months) - start).days, (until - start).days),
            amount=0,
            currency=service.billing_account.currency,
            source=PeriodSource.EXTENSION,
            created_at=clock.now(),
        )
    service.paid_until = until
    service.save(update_fields=["paid_until"])
    changes: dict[str, object] = {
        "paid_until": {"from": before and before.isoformat(), "to": until.isoformat()}
    }
    ServiceEvent.objects.create(
        service=service,
        code="extend",
        from_status=service.status,
        to_status=service.status,
        actor=actor,
        user=user,
        params={"until": until.isoformat()},
        at=clock.now(),
    )
    if service.status != ServiceStatus.ACTIVE:
        changes.update(lifecycle.move(service, "reactivate", actor=actor, user=user))
    return changes


# --- Provisioning tasks: staff transitions (the worker's side is in services/tasks.py) --------


def complete_task(*, task: ProvisioningTask, note: str = "") -> ProvisioningTask:
    """Staff mark a to-do (or a task that failed for good and was done by hand) as done."""
    with transaction.atomic():
        task = ProvisioningTask.objects.select_for_update().get(pk=task.pk)
        if task.status not in (ProvisioningStatus.TODO, ProvisioningStatus.FAILED):
            raise ServiceError(_("Only a to-do or a failed task can be marked done."))
        task.status = ProvisioningStatus.DONE
        task.done_at = clock.now()
        if note:
            task.note = f"{task.note}\n{note}".strip()
        task.save(update_fields=["status", "done_at", "note"])
    return task


def retry_task(*, task: ProvisioningTask) -> ProvisioningTask:
    """Staff send a task that failed for good back to the worker, with a fresh set of tries
    (the one queue's requeue, core.queue)."""
    requeued = TASKS.requeue(task.pk)
    if requeued is None:
        raise ServiceError(_("Only a failed task can be retried."))
    return requeued


# --- Paid invoices in bulk (the billing run) --------------------------------------------------


def apply_paid_renewals(
    *,
    invoices: Sequence[Invoice | IssuedInvoice],
    lines: Sequence[InvoiceLine | IssuedLine],
    actor: str = Actor.PAYMENT,
    insert: RowWriter | None = None,
) -> list[int]:
    """The bulk twin of apply_paid_invoice: what just-paid invoices do to their services, for
    the billing run's batches (the `invoices_paid` signal, services/receivers.py).

    `lines` are the invoices' lines. Runs inside the settlement's transaction, whose caller
    holds the billing accounts' locks (every writer of a service takes its account's lock
    first). An invoice whose every line is a period line of an active, suspended or expired
    service extends each by the renewal rule (calculations.renewal_period, as
    apply_paid_invoice does), records the paid period with what was paid for it, and
    reactivates a lapsed service through the lifecycle; the services are updated in one
    statement (one per new paid-until date on SQLite), and the paid periods are written by
    `insert` as plain tuples when the caller passes its row writer (the billing run, whose
    invoices and lines are rows too: invoices.issuing.IssuedInvoice, IssuedLine). Any
    other invoice (an order, a tariff change) goes through apply_paid_invoice itself, so
    both stay one rule. Returns the reactivated ids.
    """
    if not invoices:
        return []
    today = clock.today()
    now = clock.now()
    by_invoice: dict[int | None, list[InvoiceLine | IssuedLine]] = {}
    for line in lines:
        by_invoice.setdefault(line.invoice_id, []).append(line)
    service_ids = {line.service_id for line in lines if line.service_id is not None}
    current: dict[int, tuple[str, dt.date | None, int]] = {}
    # The services whose module renews on the remote side too (registrars, CAs): they get a
    # renew task; the rest (nearly all) need no second look.
    renewing: set[int] = set()
    for pk, status, paid_until, months, module in Service.objects.filter(
        pk__among=service_ids
    ).values_list("pk", "status", "paid_until", "period_months", "provisioning_module"):
        current[pk] = (status, paid_until, months)
        if module_renews(module):
            renewing.add(pk)
    remote: list[tuple[int, dt.date | None, int]] = []
    extended: dict[int, tuple[dt.date, int]] = {}  # service id -> new (paid_until, months)
    periods: list[Row] = []  # as _PERIOD names them
    lapsed: list[int] = []  # extended while suspended or expired: to reactivate
    for invoice in invoices:
        own = by_invoice.get(invoice.pk, [])
        if not own or any(
            line.kind != LineKind.PERIOD
            or line.service_id is None
            or current[line.service_id][0] not in RENEWABLE
            for line in own
        ):
            if not isinstance(invoice, Invoice):  # pragma: no cover (renewals only, checked)
                raise TypeError(f"invoice {invoice.pk}: only renewals are paid as rows")
            apply_paid_invoice(invoice, actor=actor)
            continue
        for line in own:
            assert line.service_id is not None
            status, paid_until, months = current[line.service_id]
            months = line.period_months or months
            start, end = calculations.renewal_period(
                today=today,
                paid_until=paid_until,
                period_months=months,
                continuous=calculations.is_continuous(line.service_type_code),
            )
            extended[line.service_id] = (end, months)
            if status != ServiceStatus.ACTIVE:
                lapsed.append(line.service_id)
            if line.service_id in renewing:
                remote.append((line.service_id, paid_until, months))
            periods.append(
                (
                    line.service_id,
                    start,
                    end,
                    line.tariff_code,
                    months,
                    (end - start).days,
                    line.amount,
                    invoice.currency,
                    PeriodSource.RENEWAL,
                    invoice.pk,
                    now,
                )
            )
            # Read once: a service renewed twice in one call extends from its first new date.
            current[line.service_id] = (status, end, months)
    _extend_many(extended)
    if insert is not None:  # the billing run's row writer (COPY, executemany)
        insert.rows(PaidPeriod, _PERIOD, periods)
    else:
        PaidPeriod.objects.bulk_create(
            [PaidPeriod(**dict(zip(_PERIOD, row, strict=True))) for row in periods]
        )
    # A suspended service, or an expired domain, is reactivated at once (apply_paid_invoice);
    # the active ones (nearly all) need no second look.
    reactivated = lifecycle.reactivate_many(lapsed, actor=actor) if lapsed else []
    if remote:
        services = Service.objects.in_bulk([pk for pk, _before, _months in remote])
        lifecycle.renew_remote([(services[pk], before, m) for pk, before, m in remote])
    return reactivated


# A paid period's fields as apply_paid_renewals() gives them.
_PERIOD = (
    "service_id",
    "start",
    "end",
    "tariff_code",
    "period_months",
    "period_days",
    "amount",
    "currency",
    "source",
    "invoice_id",
    "created_at",
)


def _extend_many(extended: dict[int, tuple[dt.date, int]]) -> None:
    """Set each service's paid-until date and billing period: on PostgreSQL in one UPDATE
    from three array parameters, on SQLite one prepared UPDATE by primary key, executemany'd
    (in-process, a statement costs no round trip: cheaper than building one ORM UPDATE per
    (date, period) of a batch), elsewhere one UPDATE per (date, period)."""
    if not extended:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Service._meta.db_table)
        ids = list(extended)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS s SET paid_until = v.paid_until, period_months = v.months "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::date[], %s::integer[]) AS v(id, paid_until, months) "
                "WHERE s.id = v.id",
                [ids, [extended[pk][0] for pk in ids], [extended[pk][1] for pk in ids]],
            )
        return
    if connection.vendor == "sqlite":
        table = connection.ops.quote_name(Service._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET paid_until = %s, period_months = %s WHERE id = %s",  # noqa: S608
                [(until.isoformat(), months, pk) for pk, (until, months) in extended.items()],
            )
        return
    groups: dict[tuple[dt.date, int], list[int]] = defaultdict(list)
    for pk, until_months in extended.items():
        groups[until_months].append(pk)
    for (until, months), group in groups.items():
        Service.objects.filter(pk__among=group).update(paid_until=until, period_months=months)
