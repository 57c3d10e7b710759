"""Placing orders: a pending service per ordered item, one invoice with their lines (a hosting
and its domain are one order), settled at once from the balance when it covers it. The paid
invoice activates the services (services.actions.apply_paid_invoice)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.x509.oid import NameOID
from django.db import transaction
from django.utils.translation import gettext as _

from hutor.accounts.actions import lock as lock_billing_account
from hutor.catalog.models import IdentifierKind, TariffPrice
from hutor.core import clock
from hutor.core.money import Money
from hutor.invoices.actions import LineDraft, issue_split, settle_open_invoices
from hutor.invoices.models import Invoice, InvoiceKind, InvoiceLine, LineKind
from hutor.services import identifiers, placement
from hutor.services.calculations import add_months
from hutor.services.exceptions import InvalidIdentifier, ServiceError
from hutor.services.models import Service
from hutor.services.texts import period_line_texts, setup_text

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


@dataclass(frozen=True)
class OrderItem:
    """One service of an order: a tariff's price (its period) and the service's identifier."""

    price: TariffPrice
    identifier: str = ""
    # A certificate's CSR the customer brought (ca.py: then Hutor makes no key for it).
    csr_pem: str = ""


def place_order(
    *,
    billing_account: BillingAccount,
    price: TariffPrice,
    identifier: str = "",
    order_token: uuid.UUID | None = None,
) -> Service:
    """Order one service (place_orders with one item)."""
    return place_orders(
        billing_account=billing_account,
        items=[OrderItem(price, identifier)],
        order_token=order_token,
    )[0]


def place_orders(
    *,
    billing_account: BillingAccount,
    items: Sequence[OrderItem],
    order_token: uuid.UUID | None = None,
) -> list[Service]:
    """Order services together (a hosting and its domain): a pending service per item and one
    invoice with their lines per provider company selling them (numbered now, emailed),
    settled at once if the balance covers it.

    With an `order_token` (the order form's one-time token, kept on the first service) a
    repeated call returns the services the first call created: a double-clicked or resubmitted
    form orders once.
    """
    if not items:
        raise ServiceError(_("An order needs at least one service."))
    checked = []
    for item in items:
        tariff = item.price.tariff
        if not (item.price.is_active and tariff.is_active and tariff.service_type.is_active):
            raise ServiceError(_("This tariff or period is not available for ordering."))
        if item.price.currency != billing_account.currency:
            raise ServiceError(_("This price is not in the currency of your billing account."))
        identifier = validate_identifier(tariff, item.identifier)
        if item.csr_pem:
            validate_csr(item.csr_pem, identifier)
        checked.append(OrderItem(item.price, identifier, item.csr_pem.strip()))
    with transaction.atomic():
        lock_billing_account(billing_account)
        if order_token is not None:
            existing = Service.objects.filter(order_token=order_token).first()
            if existing is not None:
                if existing.billing_account_id != billing_account.pk:
                    raise ServiceError(_("This order form was already used."))
                return ordered_together(existing)
        today = clock.today()
        services: list[Service] = []
        lines: list[LineDraft] = []
        for position, item in enumerate(checked):
            service, service_lines = _new_service(
                billing_account, item, today, order_token if position == 0 else None
            )
            services.append(service)
            lines.extend(service_lines)
        # One invoice per provider company selling the items (mostly one).
        issue_split(billing_account=billing_account, kind=InvoiceKind.ORDER, lines=lines)
        settle_open_invoices(billing_account=billing_account)
    for service in services:
        service.refresh_from_db()
    return services


def ordered_together(service: Service) -> list[Service]:
    """The services of the order `service` was placed in (its order invoices', issued at the
    same moment, one per company), in order."""
    invoice = order_invoice(service)
    if invoice is None:
        return [service]
    together = Invoice.objects.filter(
        billing_account_id=invoice.billing_account_id,
        kind=InvoiceKind.ORDER,
        issued_at=invoice.issued_at,
    )
    ids = list(
        InvoiceLine.objects.filter(invoice__in=together, service__isnull=False)
        .order_by("invoice_id", "position")
        .values_list("service_id", flat=True)
    )
    found = Service.objects.in_bulk(ids)
    return [found[pk] for pk in dict.fromkeys(ids)]


def _new_service(
    billing_account: BillingAccount,
    item: OrderItem,
    today: dt.date,
    order_token: uuid.UUID | None,
) -> tuple[Service, list[LineDraft]]:
    """A pending service of the item, and its invoice lines (the period, a setup fee)."""
    price, identifier = item.price, item.identifier
    tariff = price.tariff
    service = Service.objects.create(
        billing_account=billing_account,
        service_type=tariff.service_type,
        tariff=tariff,
        period_months=price.period_months,
        identifier=identifier,
        provisioning_module=placement.module_for(tariff),
        created_at=clock.now(),
        order_token=order_token,
        access={"csr_pem": item.csr_pem} if item.csr_pem else {},
    )
    end = add_months(today, price.period_months)
    texts = period_line_texts(price, identifier, today, end)
    lines = [
        LineDraft(
            kind=LineKind.PERIOD,
            service=service,
            service_type_code=tariff.service_type.code,
            tariff_code=tariff.code,
            description_ru=texts["ru"],
            description_en=texts["en"],
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
                description_ru=setup_text(price, "ru"),
                description_en=setup_text(price, "en"),
                amount=Money(price.setup_fee, price.currency),
            )
        )
    return service, lines


def order_invoice(service: Service) -> Invoice | None:
    """The invoice that ordered the service (the first one with a line for it)."""
    return (
        Invoice.objects.filter(lines__service=service, kind=InvoiceKind.ORDER)
        .order_by("issued_at", "id")
        .first()
    )


def validate_csr(pem: str, identifier: str) -> None:
    """A customer's certificate signing request: PEM, signed by its key, naming the ordered
    domain (as its common name or among its alternative names); InvalidIdentifier otherwise."""
    try:
        request = x509.load_pem_x509_csr(pem.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise InvalidIdentifier(
            _("This is not a certificate signing request (a PEM block of a CSR).")
        ) from None
    if not request.is_signature_valid:
        raise InvalidIdentifier(_("The request's signature does not match its key."))
    names = [a.value for a in request.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    try:
        san = request.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names += san.value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        pass
    if identifiers.ascii_form(identifier) not in [str(n).lower() for n in names]:
        raise InvalidIdentifier(
            _("The request is not for %(domain)s: it names %(names)s.")
            % {"domain": identifier, "names": ", ".join(map(str, names)) or "-"}
        )
