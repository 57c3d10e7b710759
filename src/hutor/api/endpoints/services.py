"""Customers' services: list, get, order, cancel an unpaid order, renew, change tariff (quote,
then apply), suspend, unsuspend, terminate, and queue the provisioning create again.

Staff tokens act through the desk's own actions (hutor.backoffice.actions), audited as the
token; customer tokens through the same actions the panel calls, on their own services."""

from __future__ import annotations

import ipaddress
import uuid

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status

from hutor.api import pagination, present, security
from hutor.api import schemas as s
from hutor.api.endpoints.common import PROBLEMS, write
from hutor.api.problems import ApiProblem
from hutor.backoffice import actions as desk
from hutor.backoffice.audit import record
from hutor.backoffice.audit import require_reason as reason_of
from hutor.catalog.models import Tariff, TariffPrice
from hutor.offers import queries as offers
from hutor.offers.actions import accept as accept_offer
from hutor.panel import limits
from hutor.services import actions as service_actions
from hutor.services.models import Service, ServiceEvent

router = Router(tags=["services"])

SERVICES = Service.objects.select_related("billing_account", "tariff", "service_type")


def _service(request: HttpRequest, pk: int) -> Service:
    return security.get_visible(request, SERVICES, pk=pk)


def _price(tariff: Tariff, months: int) -> TariffPrice:
    price = tariff.prices.filter(period_months=months, is_active=True).first()
    if price is None:
        raise ApiProblem(
            "refused",
            _("The tariff %(tariff)s has no price for %(months)d months.")
            % {"tariff": tariff.code, "months": months},
        )
    return price


def _customer_audit(request: HttpRequest, action: str, service: Service, **changes: object) -> None:
    security.customer_audit(
        request, action, service.billing_account, "service", service.pk, **changes
    )


@router.get(
    "/accounts/{number}/services",
    response={200: s.ServicePage, **PROBLEMS},
    url_name="account_services",
)
def list_services(
    request: HttpRequest,
    number: str,
    status: str = "",
    cursor: str = "",
    limit: int = pagination.DEFAULT_LIMIT,
) -> s.ServicePage:
    """The account's services, newest first (optionally of one status)."""
    account = security.account(request, number)
    queryset = SERVICES.filter(billing_account=account)
    if status:
        queryset = queryset.filter(status=status)
    rows, next_url = pagination.page(request, queryset, cursor=cursor, limit=limit)
    return s.ServicePage(items=[present.service(r) for r in rows], next=next_url)


@router.get("/services/{pk}", response={200: s.ServiceOut, **PROBLEMS}, url_name="service")
def get_service(request: HttpRequest, pk: int) -> s.ServiceOut:
    return present.service(_service(request, pk))


@write(router, "/accounts/{number}/orders", {201: s.OrderOut}, "order_place", tags=["orders"])
def place_order(
    request: HttpRequest, response: HttpResponse, number: str, data: s.OrderIn
) -> Status[s.OrderOut]:
    """Order a service of a tariff for the account: a pending service and its numbered
    invoice (emailed), paid at once from the balance when it covers it."""
    account = security.account(request, number)
    security.require(request, "order.place", customer_may=True)
    tariffs = Tariff.objects.filter(code=data.tariff, is_active=True)
    if data.service_type:
        tariffs = tariffs.filter(service_type__code=data.service_type)
    found = list(tariffs[:2])
    if len(found) != 1:
        raise ApiProblem(
            "refused", _("No single tariff on sale has the code %(code)s.") % {"code": data.tariff}
        )
    price = _price(found[0], data.period_months)
    staff, actor = security.acting(request)
    if staff is not None:
        service = desk.place_order(
            staff=staff,
            account=account,
            price=price,
            identifier=data.identifier,
            reason=data.reason,
            actor=actor,
        )
    else:
        accepted = _accepted_offer(data)
        token = uuid.uuid4()
        with transaction.atomic():
            service = service_actions.place_order(
                billing_account=account, price=price, identifier=data.identifier, order_token=token
            )
            # The offer's acceptance, with the order, as the panel's order form records it.
            accept_offer(
                billing_account=account,
                offer_id=accepted,
                ip_address=data.customer_ip or limits.client_address(request),
                user_agent=data.customer_user_agent or request.headers.get("User-Agent", ""),
                order_token=token,
            )
            _customer_audit(request, "order.place", service, tariff=found[0].code)
    invoice = service_actions.order_invoice(service)
    response["Location"] = f"/api/v1/services/{service.pk}"
    return Status(
        201,
        s.OrderOut(
            service=present.service(service),
            invoice=present.invoice(invoice) if invoice is not None else None,
        ),
    )


def _accepted_offer(data: s.OrderIn) -> int | None:
    """The offer version the customer's order accepts (its id), checked before anything is
    written: the one in force, named by its number. None while no offer is published."""
    current = offers.in_force()
    if current is None:
        return None
    if data.offer != current.number:
        raise ApiProblem(
            "refused",
            _(
                "An order accepts the public offer in force: read offer № %(number)s "
                "(GET /api/v1/catalog/offer) and pass its number in `offer`."
            )
            % {"number": current.number},
        )
    if data.customer_ip:
        try:
            ipaddress.ip_address(data.customer_ip)
        except ValueError:
            raise ApiProblem("validation_error", _("customer_ip is not an IP address.")) from None
    return current.pk


@write(router, "/services/{pk}/cancel", {200: s.ServiceOut}, "order_cancel", tags=["orders"])
def cancel_order(request: HttpRequest, pk: int, data: s.ReasonIn) -> s.ServiceOut:
    """Cancel an order not paid yet: its invoice is cancelled (the number stays used)."""
    service = _service(request, pk)
    security.require(request, "invoice.cancel", customer_may=True)
    staff, actor = security.acting(request)
    with transaction.atomic():
        if staff is not None:
            reason = reason_of(data.reason)
            service = service_actions.cancel_order(
                service=service, actor=ServiceEvent.Actor.STAFF, user=staff
            )
            record(
                staff=staff,
                actor=actor,
                action="invoice.cancel",
                reason=reason,
                billing_account=service.billing_account,
                object_type="service",
                object_id=service.pk,
                changes={"status": service.status},
            )
        else:
            service = service_actions.cancel_order(service=service)
            _customer_audit(request, "invoice.cancel", service, status=service.status)
    return present.service(service)


@write(router, "/services/{pk}/renew", {201: s.InvoiceOut}, "service_renew")
def renew(request: HttpRequest, pk: int, data: s.RenewIn) -> Status[s.InvoiceOut]:
    """Issue the renewal invoice for one more period (or return the open one); paid at once
    from the balance when it covers it."""
    service = _service(request, pk)
    security.require(request, "service.renew", customer_may=True)
    price = _price(service.tariff, data.period_months)
    staff, actor = security.acting(request)
    if staff is not None:
        invoice = desk.renew_service(
            staff=staff, service=service, price=price, reason=data.reason, actor=actor
        )
    else:
        with transaction.atomic():
            invoice = service_actions.renew(service=service, price=price)
            _customer_audit(request, "service.renew", service, invoice=invoice.number)
    return Status(201, present.invoice(invoice))


def _target(service: Service, code: str) -> Tariff:
    tariff = Tariff.objects.filter(
        service_type=service.service_type, code=code, is_active=True
    ).first()
    if tariff is None:
        raise ApiProblem(
            "refused", _("No tariff %(code)s of this service's type.") % {"code": code}
        )
    return tariff


@router.get(
    "/services/{pk}/tariff-quote",
    response={200: s.QuoteOut, **PROBLEMS, 422: s.Problem},
    url_name="service_tariff_quote",
)
def tariff_quote(request: HttpRequest, pk: int, tariff: str) -> s.QuoteOut:
    """What changing to `tariff` today costs (> 0) or credits to the balance (< 0), valued on
    what was paid (docs/billing-rules.md)."""
    service = _service(request, pk)
    quote = service_actions.tariff_change_quote(
        service=service, new_tariff=_target(service, tariff)
    )
    return s.QuoteOut(
        service=service.pk,
        tariff=tariff,
        amount=s.MoneyOut.of(quote.amount),
        remaining_days=quote.remaining_days,
    )


@write(router, "/services/{pk}/tariff", {200: s.TariffChangeOut}, "service_tariff")
def change_tariff(request: HttpRequest, pk: int, data: s.TariffChangeIn) -> s.TariffChangeOut:
    """Apply a tariff change as quoted: an upgrade issues an invoice (applied when paid), a
    downgrade applies now and credits the difference."""
    service = _service(request, pk)
    security.require(request, "service.change_tariff", customer_may=True)
    new = _target(service, data.tariff)
    staff, actor = security.acting(request)
    reason = reason_of(data.reason) if staff is not None else "api"
    old = service.tariff.code
    with transaction.atomic():
        invoice = service_actions.change_tariff(
            service=service,
            new_tariff=new,
            actor=ServiceEvent.Actor.STAFF if staff else ServiceEvent.Actor.CUSTOMER,
            user=staff,
        )
        record(
            staff=staff,
            actor=actor,
            action="service.change_tariff",
            reason=reason,
            billing_account=service.billing_account,
            object_type="service",
            object_id=service.pk,
            changes={
                "tariff": {"from": old, "to": new.code},
                "invoice": invoice.number if invoice else None,
            },
        )
    service = SERVICES.get(pk=service.pk)
    return s.TariffChangeOut(
        service=present.service(service),
        invoice=present.invoice(invoice) if invoice is not None else None,
    )


def _staff_move(request: HttpRequest, pk: int, data: s.ReasonIn, code: str) -> s.ServiceOut:
    service = _service(request, pk)
    staff, actor = security.staff_acting(request, code)
    move = {
        "service.suspend": desk.suspend_service,
        "service.unsuspend": desk.unsuspend_service,
        "service.terminate": desk.terminate_service,
    }[code]
    service = move(staff=staff, service=service, reason=data.reason, actor=actor)
    return present.service(SERVICES.get(pk=service.pk))


@write(router, "/services/{pk}/suspend", {200: s.ServiceOut}, "service_suspend")
def suspend(request: HttpRequest, pk: int, data: s.ReasonIn) -> s.ServiceOut:
    """Suspend an active service now (abuse, an external signal); its data is kept."""
    return _staff_move(request, pk, data, "service.suspend")


@write(router, "/services/{pk}/unsuspend", {200: s.ServiceOut}, "service_unsuspend")
def unsuspend(request: HttpRequest, pk: int, data: s.ReasonIn) -> s.ServiceOut:
    """Reactivate a suspended service (paid-until unchanged)."""
    return _staff_move(request, pk, data, "service.unsuspend")


@write(router, "/services/{pk}/terminate", {200: s.ServiceOut}, "service_terminate")
def terminate(request: HttpRequest, pk: int, data: s.ReasonIn) -> s.ServiceOut:
    """Remove a service for good (its data too, through its provisioning module)."""
    return _staff_move(request, pk, data, "service.terminate")


class TaskOut(s.Schema):
    task: int
    operation: str
    module: str
    status: str


@write(router, "/services/{pk}/provisioning/rerun", {202: TaskOut}, "service_rerun")
def rerun_create(request: HttpRequest, pk: int, data: s.ReasonIn) -> Status[TaskOut]:
    """Queue the service's create again (after what made it fail was fixed); the worker
    performs it."""
    service = _service(request, pk)
    staff, actor = security.staff_acting(request, "service.rerun_create")
    task = desk.rerun_create(staff=staff, service=service, reason=data.reason, actor=actor)
    return Status(
        202, TaskOut(task=task.pk, operation=task.operation, module=task.module, status=task.status)
    )
