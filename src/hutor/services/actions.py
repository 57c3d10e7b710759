"""Use cases of customers' services: order, activation, cancellation, provisioning calls."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import formats, translation
from django.utils.translation import gettext as _

from hutor.accounts.actions import lock as lock_billing_account
from hutor.catalog.models import BillingUnit, IdentifierKind, TariffPrice
from hutor.core import clock
from hutor.core.money import Money
from hutor.invoices.actions import LineDraft, cancel_invoice, issue_invoice, settle_open_invoices
from hutor.invoices.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineKind
from hutor.ledger import actions as ledger
from hutor.ledger.models import EntryKind
from hutor.services import calculations, identifiers
from hutor.services.calculations import add_months
from hutor.services.exceptions import (
    InvalidIdentifier,
    RenewalNotAllowed,
    ServiceError,
    ServiceNotPending,
    TariffChangeNotAllowed,
)
from hutor.services.models import (
    ProvisioningStatus,
    ProvisioningTask,
    Service,
    ServiceStatus,
)
from hutor.services.provisioning import get_module, perform

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount
    from hutor.catalog.models import Tariff


def validate_identifier(tariff: Tariff, text: str) -> str:
    """The service's identifier in normal form, checked against what the tariff sells."""
    kind = tariff.service_type.identifier_kind
    if kind == IdentifierKind.NONE:
        return ""
    domain = identifiers.normalize_domain(text)
    if tariff.domain_zone and identifiers.zone_of(domain) != tariff.domain_zone:
        raise InvalidIdentifier(
            _("This tariff registers domains in .%(zone)s; %(domain)s is in another zone.")
            % {"zone": tariff.domain_zone, "domain": domain}
        )
    if kind == IdentifierKind.HOSTNAME and len(domain.split(".")) < 2:
        raise InvalidIdentifier(_("Enter a full hostname, like vps1.example.com."))
    return domain


def _period_text(price: TariffPrice, language: str) -> str:
    months = price.period_months
    with translation.override(language):
        if price.tariff.service_type.billing_unit == BillingUnit.YEAR and months % 12 == 0:
            years = months // 12
            return translation.ngettext("%(n)d year", "%(n)d years", years) % {"n": years}
        return translation.ngettext("%(n)d month", "%(n)d months", months) % {"n": months}


def _line_text(
    price: TariffPrice, identifier: str, start: dt.date, end: dt.date, language: str
) -> str:
    return line_text(line_prefix(price, language), identifier, line_dates(start, end, language))


def line_prefix(price: TariffPrice, language: str) -> str:
    """«Хостинг «Старт», 3 месяца»: the part of a period line's text fixed by its price."""
    tariff = price.tariff
    with translation.override(language):
        name = (
            f"{tariff.service_type.name} «{tariff.name}»"
            if language == "ru"
            else (f"{tariff.service_type.name} “{tariff.name}”")
        )
        return f"{name}, {_period_text(price, language)}"


def line_dates(start: dt.date, end: dt.date, language: str) -> str:
    with translation.override(language):
        short = "SHORT_DATE_FORMAT"
        return f"{formats.date_format(start, short)}–{formats.date_format(end, short)}"


def line_text(prefix: str, identifier: str, dates: str) -> str:
    """A period line's text from its parts (the billing run caches the parts per price and
    per period, and must produce exactly what an order or a renewal here writes)."""
    return prefix + (f", {identifier}" if identifier else "") + f" ({dates})"


def _setup_text(price: TariffPrice, language: str) -> str:
    with translation.override(language):
        return _("Setup fee: %(tariff)s") % {"tariff": price.tariff.name}


def place_order(
    *,
    billing_account: BillingAccount,
    price: TariffPrice,
    identifier: str = "",
    order_token: uuid.UUID | None = None,
) -> Service:
    """Order a service: a pending service and its invoice (numbered now, emailed), settled at
    once if the balance covers it.

    With an `order_token` (the order form's one-time token) a repeated call returns the service
    the first call created: a double-clicked or resubmitted form orders once.
    """
    tariff = price.tariff
    if not (price.is_active and tariff.is_active and tariff.service_type.is_active):
        raise ServiceError(_("This tariff or period is not available for ordering."))
    if price.currency != billing_account.currency:
        raise ServiceError(_("This price is not in the currency of your billing account."))
    identifier = validate_identifier(tariff, identifier)
    with transaction.atomic():
        lock_billing_account(billing_account)
        if order_token is not None:
            existing = Service.objects.filter(order_token=order_token).first()
            if existing is not None:
                if existing.billing_account_id != billing_account.pk:
                    raise ServiceError(_("This order form was already used."))
                return existing
        today = clock.today()
        service = Service.objects.create(
            billing_account=billing_account,
            service_type=tariff.service_type,
            tariff=tariff,
            period_months=price.period_months,
            identifier=identifier,
            created_at=clock.now(),
            order_token=order_token,
        )
        end = add_months(today, price.period_months)
        lines = [
            LineDraft(
                kind=LineKind.PERIOD,
                service=service,
                service_type_code=tariff.service_type.code,
                tariff_code=tariff.code,
                description_ru=_line_text(price, identifier, today, end, "ru"),
                description_en=_line_text(price, identifier, today, end, "en"),
                period_start=today,
                period_end=end,
                period_months=price.period_months,
                amount=Money(price.price, price.currency),
            )
        ]
        if price.setup_fee > 0:
            lines.append(
                LineDraft(
                    kind=LineKind.SETUP,
                    service=service,
                    service_type_code=tariff.service_type.code,
                    tariff_code=tariff.code,
                    description_ru=_setup_text(price, "ru"),
                    description_en=_setup_text(price, "en"),
                    amount=Money(price.setup_fee, price.currency),
                )
            )
        issue_invoice(billing_account=billing_account, kind=InvoiceKind.ORDER, lines=lines)
        settle_open_invoices(billing_account=billing_account)
    service.refresh_from_db()
    return service


def order_invoice(service: Service) -> Invoice | None:
    """The invoice that ordered the service (the first one with a line for it)."""
    return (
        Invoice.objects.filter(lines__service=service, kind=InvoiceKind.ORDER)
        .order_by("issued_at", "id")
        .first()
    )


def apply_paid_invoice(invoice: Invoice) -> None:
    """Activate, extend or unsuspend the services a just-paid invoice pays for.

    Runs inside the settlement's transaction (services/receivers.py). A new service starts on
    the day it is paid; a renewal extends from the paid-until date, or from today when the
    service has lapsed; a suspended service is reactivated.
    """
    today = clock.today()
    for line in invoice.lines.filter(kind=LineKind.PRORATION, service__isnull=False):
        assert line.service_id is not None
        service = (
            Service.objects.select_for_update().select_related("tariff").get(pk=line.service_id)
        )
        _apply_tariff(service, line.tariff_code)
    for line in invoice.lines.filter(kind=LineKind.PERIOD, service__isnull=False):
        assert line.service_id is not None
        service = Service.objects.select_for_update().get(pk=line.service_id)
        months = line.period_months or service.period_months
        if service.status == ServiceStatus.PENDING:
            service.status = ServiceStatus.ACTIVE
            service.activated_at = clock.now()
            service.paid_until = add_months(today, months)
            service.save(update_fields=["status", "activated_at", "paid_until"])
            provision(service=service, operation="create")
        elif service.status in RENEWABLE:
            start = (
                service.paid_until if service.paid_until and service.paid_until >= today else today
            )
            service.paid_until = add_months(start, months)
            # A suspended service, or an expired domain, is reactivated at once; for a domain
            # "unsuspend" asks the registrar to restore it from expiry.
            was_lapsed = service.status != ServiceStatus.ACTIVE
            service.status = ServiceStatus.ACTIVE
            service.lapsed_on = None
            service.save(update_fields=["status", "paid_until", "lapsed_on"])
            if was_lapsed:
                provision(service=service, operation="unsuspend")


def apply_cancelled_invoice(invoice: Invoice) -> None:
    """A withdrawn order invoice withdraws its pending services."""
    for line in invoice.lines.filter(service__isnull=False).select_related("service"):
        service = line.service
        if service is not None and service.status == ServiceStatus.PENDING:
            service.status = ServiceStatus.CANCELLED
            service.auto_renew = False
            service.save(update_fields=["status", "auto_renew"])


def cancel_order(*, service: Service) -> Service:
    """Cancel an unpaid order (customer or staff): its invoice is cancelled, number kept."""
    with transaction.atomic():
        lock_billing_account(service.billing_account)
        service = Service.objects.select_for_update().get(pk=service.pk)
        if service.status != ServiceStatus.PENDING:
            raise ServiceNotPending(_("Only an order that is not paid yet can be cancelled."))
        invoices = Invoice.objects.filter(lines__service=service, status=InvoiceStatus.UNPAID)
        for invoice in invoices.distinct():
            cancel_invoice(invoice=invoice)
        service.refresh_from_db()
        if service.status == ServiceStatus.PENDING:  # no invoice was open
            service.status = ServiceStatus.CANCELLED
            service.auto_renew = False
            service.save(update_fields=["status", "auto_renew"])
    return service


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


# --- Renewal and tariff change (S4, S6) -----------------------------------------------------

RENEWABLE = (ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED, ServiceStatus.EXPIRED)


def open_renewal(service: Service) -> Invoice | None:
    """The service's unpaid renewal invoice, if it has one."""
    return (
        Invoice.objects.filter(
            lines__service=service, kind=InvoiceKind.RENEWAL, status=InvoiceStatus.UNPAID
        )
        .order_by("issued_at", "id")
        .first()
    )


def renewal_start(service: Service) -> dt.date:
    """A renewal extends from the paid-until date, or from today when the service has lapsed."""
    today = clock.today()
    if service.paid_until is not None and service.paid_until >= today:
        return service.paid_until
    return today


def renew(*, service: Service, price: TariffPrice) -> Invoice:
    """Issue a renewal invoice for one more period of the service's tariff; it is settled at
    once when the balance covers it (and then extends the service, unsuspending it).

    A service has at most one open renewal invoice: asking again returns it.
    """
    if price.tariff_id != service.tariff_id or not price.is_active:
        raise RenewalNotAllowed(_("Choose one of the tariff's periods."))
    with transaction.atomic():
        lock_billing_account(service.billing_account)
        service = Service.objects.select_for_update().get(pk=service.pk)
        if service.status not in RENEWABLE:
            raise RenewalNotAllowed(_("Only an active or suspended service can be renewed."))
        existing = open_renewal(service)
        if existing is not None:
            return existing
        plan = calculations.renewal_plan(
            today=clock.today(),
            paid_until=service.paid_until,
            period_months=price.period_months,
            price=Money(price.price, price.currency),
        )
        start, end = plan.start, plan.end
        account = service.billing_account
        invoice = issue_invoice(
            billing_account=account,
            kind=InvoiceKind.RENEWAL,
            lines=[
                LineDraft(
                    kind=LineKind.PERIOD,
                    service=service,
                    service_type_code=service.service_type.code,
                    tariff_code=price.tariff.code,
                    description_ru=_line_text(price, service.identifier, start, end, "ru"),
                    description_en=_line_text(price, service.identifier, start, end, "en"),
                    period_start=start,
                    period_end=end,
                    period_months=plan.months,
                    amount=plan.amount,
                )
            ],
            due_date=plan.due_date,
        )
        if service.period_months != price.period_months:
            service.period_months = price.period_months
            service.save(update_fields=["period_months"])
        settle_open_invoices(billing_account=account)
    invoice.refresh_from_db()
    return invoice


def tariff_change_quote(*, service: Service, new_tariff: Tariff) -> calculations.TariffChangeQuote:
    """What changing the service to `new_tariff` costs (> 0) or credits (< 0) today."""
    if new_tariff.service_type_id != service.service_type_id:
        raise TariffChangeNotAllowed(_("A service can only move to a tariff of its own type."))
    if new_tariff.pk == service.tariff_id:
        raise TariffChangeNotAllowed(_("The service already has this tariff."))
    if not new_tariff.is_active:
        raise TariffChangeNotAllowed(_("This tariff is not available."))
    if service.status not in RENEWABLE:
        raise TariffChangeNotAllowed(_("Only an active or suspended service can change tariff."))
    months = service.period_months
    old = service.tariff.prices.filter(
        period_months=months, currency=service.billing_account.currency
    ).first()
    new = new_tariff.prices.filter(
        period_months=months, currency=service.billing_account.currency, is_active=True
    ).first()
    if old is None or new is None:
        raise TariffChangeNotAllowed(
            _("The tariff has no price for the service's %(n)d-month period.") % {"n": months}
        )
    return quote_paid_remainder(
        today=clock.today(),
        paid_until=service.paid_until,
        period_months=months,
        old_price=Money(old.price, old.currency),
        new_price=Money(new.price, new.currency),
    )


def quote_paid_remainder(
    *,
    today: dt.date,
    paid_until: dt.date | None,
    period_months: int,
    old_price: Money,
    new_price: Money,
) -> calculations.TariffChangeQuote:
    """The tariff-change rule over everything paid: a service renewed ahead has paid periods
    beyond the current one, and each is prorated by the same rule (whole future periods in
    full), so no paid day escapes the change."""
    quote = calculations.quote_tariff_change(
        today=today,
        paid_until=paid_until,
        period_months=period_months,
        old_price=old_price,
        new_price=new_price,
    )
    if paid_until is None:
        return quote
    amount, days, end = quote.amount, quote.remaining_days, quote.period_start
    while end > today:
        part = calculations.quote_tariff_change(
            today=today,
            paid_until=end,
            period_months=period_months,
            old_price=old_price,
            new_price=new_price,
        )
        amount, days, end = amount + part.amount, days + part.remaining_days, part.period_start
    return dataclasses.replace(quote, amount=amount, remaining_days=days)


def change_tariff(*, service: Service, new_tariff: Tariff) -> Invoice | None:
    """Move the service to another tariff of its type, prorated for the paid remainder.

    An upgrade issues an invoice for the difference (settled at once if the balance covers it);
    the new tariff applies when it is paid. A downgrade credits the difference to the balance
    and applies at once. Returns the upgrade's invoice, or None.
    """
    with transaction.atomic():
        lock_billing_account(service.billing_account)
        service = (
            Service.objects.select_for_update()
            .select_related("tariff", "billing_account")
            .get(pk=service.pk)
        )
        pending = Invoice.objects.filter(
            lines__service=service, kind=InvoiceKind.TARIFF_CHANGE, status=InvoiceStatus.UNPAID
        ).first()
        if pending is not None:
            raise TariffChangeNotAllowed(
                _("Pay or cancel the open tariff change invoice %(number)s first.")
                % {"number": pending.number}
            )
        if service.tariff_changed_on == clock.today():
            # Each change is rounded on its own; a cycle through three tariffs in one day could
            # otherwise gain a kopeck per round (docs/billing-rules.md).
            raise TariffChangeNotAllowed(_("A service's tariff can be changed once a day."))
        quote = tariff_change_quote(service=service, new_tariff=new_tariff)
        account = service.billing_account
        service.tariff_changed_on = clock.today()
        service.save(update_fields=["tariff_changed_on"])
        if quote.amount.is_positive():
            texts = {
                lang: _tariff_change_text(service, new_tariff, quote, lang) for lang in ("ru", "en")
            }
            invoice = issue_invoice(
                billing_account=account,
                kind=InvoiceKind.TARIFF_CHANGE,
                lines=[
                    LineDraft(
                        kind=LineKind.PRORATION,
                        service=service,
                        service_type_code=service.service_type.code,
                        tariff_code=new_tariff.code,
                        description_ru=texts["ru"],
                        description_en=texts["en"],
                        period_start=clock.today(),
                        period_end=service.paid_until,
                        amount=quote.amount,
                    )
                ],
            )
            settle_open_invoices(billing_account=account)
            invoice.refresh_from_db()
            return invoice
        if quote.amount.is_negative():
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
            )
        _apply_tariff(service, new_tariff.code)
        if quote.amount.is_negative():
            settle_open_invoices(billing_account=account)
    return None


def _apply_tariff(service: Service, tariff_code: str) -> None:
    old_code = service.tariff.code
    if old_code == tariff_code:
        return
    service.tariff = service.service_type.tariffs.get(code=tariff_code)
    service.save(update_fields=["tariff"])
    provision(service=service, operation="change_tariff", old_tariff_code=old_code)


def _tariff_change_text(
    service: Service, new_tariff: Tariff, quote: calculations.TariffChangeQuote, language: str
) -> str:
    with translation.override(language):
        return _("Tariff change %(old)s → %(new)s%(identifier)s for %(days)d paid days") % {
            "old": service.tariff.name,
            "new": new_tariff.name,
            "identifier": f", {service.identifier}" if service.identifier else "",
            "days": quote.remaining_days,
        }


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
    """Staff send a task that failed for good back to the worker, with a fresh set of tries."""
    with transaction.atomic():
        task = ProvisioningTask.objects.select_for_update().get(pk=task.pk)
        if task.status != ProvisioningStatus.FAILED:
            raise ServiceError(_("Only a failed task can be retried."))
        task.status = ProvisioningStatus.PENDING
        task.attempts = 0
        task.next_attempt_at = clock.now()
        task.save(update_fields=["status", "attempts", "next_attempt_at"])
    return task


# --- Paid invoices in bulk (the billing run) --------------------------------------------------


def apply_paid_renewals(*, invoices: list[Invoice], lines: list[InvoiceLine]) -> None:
    """The bulk twin of apply_paid_invoice: what just-paid invoices do to their services, for
    the billing run's batches (the `invoices_paid` signal, services/receivers.py).

    `lines` are the invoices' lines. Runs inside the settlement's transaction, whose caller
    holds the billing accounts' locks (every writer of a service takes its account's lock
    first). An invoice whose every line is a period line of an active, suspended or expired
    service extends each by the renewal rule (calculations.renewal_period, renewal_plan's
    dates, as apply_paid_invoice does), reactivating a lapsed one with an "unsuspend" task;
    services that reach the same new paid-until date take one UPDATE. Any other invoice (an
    order, a tariff change) goes through apply_paid_invoice itself, so both stay one rule.
    """
    if not invoices:
        return
    today = clock.today()
    by_invoice: dict[int, list[InvoiceLine]] = {}
    for line in lines:
        by_invoice.setdefault(line.invoice_id, []).append(line)
    service_ids = {line.service_id for line in lines if line.service_id is not None}
    current = {
        pk: (status, paid_until, months)
        for pk, status, paid_until, months in Service.objects.filter(
            pk__in=service_ids
        ).values_list("pk", "status", "paid_until", "period_months")
    }
    by_end: dict[dt.date, list[int]] = {}
    lapsed: list[int] = []
    for invoice in invoices:
        own = by_invoice.get(invoice.pk, [])
        if not own or any(
            line.kind != LineKind.PERIOD
            or line.service_id is None
            or current[line.service_id][0] not in RENEWABLE
            for line in own
        ):
            apply_paid_invoice(invoice)
            continue
        for line in own:
            assert line.service_id is not None
            status, paid_until, months = current[line.service_id]
            _start, end = calculations.renewal_period(
                today=today, paid_until=paid_until, period_months=line.period_months or months
            )
            by_end.setdefault(end, []).append(line.service_id)
            # Read once: a service renewed twice in one call extends from its first new date.
            current[line.service_id] = (ServiceStatus.ACTIVE, end, months)
            if status != ServiceStatus.ACTIVE:
                lapsed.append(line.service_id)
    for end, ids in by_end.items():
        Service.objects.filter(pk__in=ids).update(
            paid_until=end, status=ServiceStatus.ACTIVE, lapsed_on=None
        )
    # A suspended service, or an expired domain, is reactivated at once (apply_paid_invoice).
    for service in Service.objects.filter(pk__in=lapsed).order_by("pk"):
        provision(service=service, operation="unsuspend")
