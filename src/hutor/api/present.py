"""Rows to API documents (the schemas in schemas.py), in the request's language."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import get_language

from hutor.accounts.models import BillingAccount
from hutor.api import schemas as s
from hutor.catalog.models import ServiceType, Tariff
from hutor.core.money import Money
from hutor.invoices.models import Invoice
from hutor.ledger import queries as ledger_queries
from hutor.payments import refunds
from hutor.payments.models import Payment, Refund, RefundStatus
from hutor.services.models import Service


def tariff(row: Tariff) -> s.TariffOut:
    return s.TariffOut(
        code=row.code,
        service_type=row.service_type.code,
        name=row.name,
        description=row.description,
        domain_zone=row.domain_zone,
        prices=[
            s.PriceOut(
                period_months=price.period_months,
                price=s.MoneyOut.of(Money(price.price, price.currency)),
                setup_fee=s.MoneyOut.of(Money(price.setup_fee, price.currency)),
            )
            for price in row.prices.all()
            if price.is_active
        ],
    )


def service_type(row: ServiceType, tariffs: list[Tariff]) -> s.ServiceTypeOut:
    return s.ServiceTypeOut(
        code=row.code,
        name=row.name,
        description=row.description,
        identifier_kind=row.identifier_kind,
        billing_unit=row.billing_unit,
        tariffs=[tariff(t) for t in tariffs],
    )


def account(row: BillingAccount) -> s.AccountOut:
    return s.AccountOut(
        number=row.number,
        contact_email=row.contact_email,
        kind=row.kind,
        name=row.name,
        inn=row.inn,
        kpp=row.kpp,
        address=row.address,
        phone=row.phone,
        currency=row.currency,
        language=row.language,
        created_at=s.stamp(row.created_at) or "",
        balance=s.MoneyOut.of(ledger_queries.balance(row)),
    )


def service(row: Service) -> s.ServiceOut:
    return s.ServiceOut(
        id=row.pk,
        account=row.billing_account.number,
        service_type=row.service_type.code,
        tariff=row.tariff.code,
        period_months=row.period_months,
        identifier=row.identifier,
        status=row.status,
        paid_until=row.paid_until,
        auto_renew=row.auto_renew,
        created_at=s.stamp(row.created_at) or "",
    )


def invoice(row: Invoice) -> s.InvoiceOut:
    english = (get_language() or "ru").startswith("en")
    return s.InvoiceOut(
        number=row.number,
        account=row.billing_account.number,
        kind=row.kind,
        status=row.status,
        total=s.MoneyOut.of(row.total_money),
        issue_date=row.issue_date,
        due_date=row.due_date,
        issued_at=s.stamp(row.issued_at) or "",
        paid_at=s.stamp(row.paid_at),
        cancelled_at=s.stamp(row.cancelled_at),
        lines=[
            s.InvoiceLineOut(
                position=line.position,
                description=line.description_en if english else line.description_ru,
                service=line.service_id,
                tariff=line.tariff_code,
                period_start=line.period_start,
                period_end=line.period_end,
                quantity=f"{line.quantity.normalize():f}",
                unit_price=s.MoneyOut.of(Money(line.unit_price, row.currency))
                if line.unit_price is not None
                else None,
                amount=s.MoneyOut.of(Money(line.amount, row.currency)),
            )
            for line in row.lines.all()
        ],
        pdf=reverse("api:invoice_pdf", args=[row.number]),
    )


def payment(row: Payment) -> s.PaymentOut:
    return s.PaymentOut(
        number=row.number,
        account=row.billing_account.number,
        method=row.method.slug,
        amount=s.MoneyOut.of(row.money),
        status=row.status,
        created_at=s.stamp(row.created_at) or "",
        expires_at=s.stamp(row.expires_at) or "",
        completed_at=s.stamp(row.completed_at),
    )


def gateway_refund(row: Refund) -> s.GatewayRefundOut:
    return s.GatewayRefundOut(
        id=row.pk,
        payment=row.payment.number,
        amount=s.MoneyOut.of(row.money),
        status=row.status,
        refund_id=row.gateway_refund_id,
        failure=refunds.failure_text(row) if row.status == RefundStatus.FAILED else "",
        created_at=s.stamp(row.created_at) or "",
        finished_at=s.stamp(row.finished_at),
    )
