"""The fiscal app's writers of FiscalReceipt (besides the worker's queues in fiscal.tasks).

Receipts are made by listening, not by being called: a credited payment's event
(core.events.published, `payment.credited`) and a refund that succeeded
(payments.events.refund_succeeded) both arrive inside the transaction that moved the money, so
the receipt commits with it or not at all. Which payments get one: a billing account of an
individual, paid through a payment service (any gateway but bank transfer), when the company
the payment is for (payments.companies.company_of) has an enabled cash register (the receipt
goes through that register, with that company's INN and tax system), and not through a YooKassa
method that makes its own receipts (its setting `receipts`, docs/payments.md). A refund gets
one when its payment had one, through the sale's register.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hutor.accounts.models import AccountKind
from hutor.core import clock, statements
from hutor.core.companies import Companies
from hutor.core.companies import load as load_companies
from hutor.core.events import EventKind, PublishedRow
from hutor.core.models import Event
from hutor.fiscal.calculations import receipt_body
from hutor.fiscal.models import CashRegister, FiscalReceipt, Operation, ReceiptStatus
from hutor.payments.companies import company_of
from hutor.payments.models import Gateway, Payment, Refund
from hutor.taxes.queries import terms_on

if TYPE_CHECKING:
    import datetime as dt

log = logging.getLogger("hutor.fiscal")


class ReceiptError(Exception):
    """A receipt action refused; the message is for staff."""


def registers() -> dict[int, CashRegister]:
    """The enabled cash registers by their company's id, their companies loaded: one query on
    every call (a payment's credit asks), written by hand; the registers are built again
    (passwords decrypted) only when the rows differ from the last ones read, so an edit, a key
    rotation or disabling in any process counts from its commit on (core.statements.Kept).
    Shared by the requests of this process: callers read them and never change them."""
    enabled = statements.joined(CashRegister, "provider")
    quote = connection.ops.quote_name
    return _registers.read(
        f"SELECT {enabled.sql} FROM {enabled.source}"  # noqa: S608
        f" WHERE {enabled.table}.{quote('is_enabled')} ORDER BY {enabled.table}.{quote('id')}"
    )


def _made(rows: list[tuple[Any, ...]]) -> dict[int, CashRegister]:
    built = statements.joined(CashRegister, "provider").build
    return {register.provider_id: register for register in map(built, rows)}


_registers = statements.Kept(_made)


def register_for(
    payment: Payment, enabled: dict[int, CashRegister], companies: Companies | None = None
) -> CashRegister | None:
    """The cash register of the company the payment is for (payments.companies.company_of),
    or None: that company registers no receipts here (no register, or a disabled one). Never
    another company's: a receipt carries its seller's INN, which only its register may use."""
    company = company_of(payment, companies)
    return enabled.get(company.pk) if company is not None else None


def makes_own_receipts(payment: Payment) -> bool:
    """A YooKassa method with `receipts` on sends YooKassa's own receipt with the payment."""
    return payment.method.gateway == Gateway.YOOKASSA and bool(
        (payment.method.settings or {}).get("receipts")
    )


def needs_receipt(payment: Payment) -> bool:
    return (
        payment.billing_account.kind == AccountKind.INDIVIDUAL
        and payment.method.gateway != Gateway.BANK_TRANSFER
        and not makes_own_receipts(payment)
    )


def item_name(payment: Payment) -> str:
    # The receipt is Russian (the tax service reads it), as bank documents are.
    return f"Пополнение баланса биллинг-аккаунта № {payment.billing_account.number}"


def _body(
    register: CashRegister,
    payment: Payment,
    *,
    external_id: str,
    moment: dt.datetime,
    amount: Any,
) -> dict[str, Any]:
    provider = register.provider
    # The rule in force on the day the money was received (a prepayment is taxed then).
    terms = terms_on(provider.pk, timezone.localdate(moment))
    return receipt_body(
        external_id=external_id,
        moment=moment,
        email=payment.billing_account.contact_email,
        company_email=register.company_email or provider.email,
        inn=provider.inn,
        payment_address=register.payment_address,
        terms=terms,
        simplified_sno=register.simplified_sno,
        item_name=item_name(payment),
        amount=amount,
    )


def receipt_for_payment(payment: Payment, register: CashRegister) -> None:
    """Queue the sale receipt of a credited payment (its method and account loaded), in the
    caller's (crediting) transaction, when it needs one. Idempotent: one per payment (a unique
    constraint)."""
    if not needs_receipt(payment):
        return
    moment = payment.completed_at or clock.now()
    external_id = f"hutor-sell-{payment.number}"
    receipt = FiscalReceipt(
        operation=Operation.SELL,
        payment=payment,
        register=register,
        amount=payment.amount,
        currency=payment.currency,
        external_id=external_id,
        payload=_body(
            register, payment, external_id=external_id, moment=moment, amount=payment.amount
        ),
        created_at=clock.now(),
        next_attempt_at=clock.now(),
    )
    FiscalReceipt.objects.bulk_create([receipt], ignore_conflicts=True)


def receipt_for_refund(refund: Refund) -> FiscalReceipt | None:
    """Queue the refund receipt (sell_refund) of a refund that succeeded, when its payment had
    a sale receipt; its tags are the sale's (the same prepayment, returned)."""
    sale = FiscalReceipt.objects.filter(
        payment_id=refund.payment_id, operation=Operation.SELL
    ).first()
    if sale is None:
        return None
    register = sale.register  # the sale's company's, whatever the method or the kind now
    payment = Payment.objects.select_related("method", "billing_account").get(pk=refund.payment_id)
    external_id = f"hutor-refund-{refund.idempotency_key.rsplit(':', 1)[-1]}"
    body = _body(
        register, payment, external_id=external_id, moment=clock.now(), amount=refund.amount
    )
    # The sale's VAT tag and tax system: the refund returns that prepayment.
    sold = sale.payload.get("receipt", {})
    body["receipt"]["company"]["sno"] = sold.get("company", {}).get(
        "sno", body["receipt"]["company"]["sno"]
    )
    for item, sold_item in zip(body["receipt"]["items"], sold.get("items", []), strict=False):
        item["vat"] = sold_item.get("vat", item["vat"])
    receipt = FiscalReceipt(
        operation=Operation.SELL_REFUND,
        payment=payment,
        refund=refund,
        register=register,
        amount=refund.amount,
        currency=refund.currency,
        external_id=external_id,
        payload=body,
        created_at=clock.now(),
        next_attempt_at=clock.now(),
    )
    FiscalReceipt.objects.bulk_create([receipt], ignore_conflicts=True)
    return FiscalReceipt.objects.filter(external_id=external_id).first()


def on_published(
    sender: type[Event], events: Sequence[Event | PublishedRow], **kwargs: Any
) -> None:
    """core.events.published's receiver: a sale receipt for each payment credited."""
    numbers = [e.data.get("payment") for e in events if e.kind == EventKind.PAYMENT_CREDITED]
    if not numbers:
        return
    enabled = registers()  # none configured: no receipts, and no more queries
    if not enabled:
        return
    payments = Payment.objects.select_related("method", "billing_account", "invoice", "bank_line")
    companies = load_companies()
    for payment in payments.filter(number__in=numbers):
        if not needs_receipt(payment):
            continue
        register = register_for(payment, enabled, companies)
        if register is None:
            log.warning("payment %s: its company has no enabled cash register", payment.number)
            continue
        receipt_for_payment(payment, register)


def on_refund_succeeded(sender: Any, refund: Refund, **kwargs: Any) -> None:
    """payments.events.refund_succeeded's receiver."""
    receipt_for_refund(refund)


def retry_now(*, receipt: FiscalReceipt) -> FiscalReceipt:
    """Send a failed receipt back to the worker at once (the desk's audited "retry now").

    Never a second registration: a receipt the operator itself failed (its report said `fail`:
    not registered) goes again under a new external_id, the old one being spent there; one the
    operator accepted but whose report the worker gave up asking for is asked about again
    (status sent, same uuid); one given up before the operator had it keeps its external_id."""
    with transaction.atomic():
        receipt = FiscalReceipt.objects.select_for_update().get(pk=receipt.pk)
        if receipt.status != ReceiptStatus.FAILED:
            raise ReceiptError(_("Only a failed receipt can be sent again."))
        fields = ["status", "attempts", "next_attempt_at"]
        receipt.status = ReceiptStatus.QUEUED
        if receipt.operator_failed:
            base, _sep, tried = receipt.external_id.partition("~")
            receipt.external_id = f"{base}~{int(tried or 1) + 1}"
            receipt.payload = {**receipt.payload, "external_id": receipt.external_id}
            receipt.operator_uuid = ""
            receipt.operator_failed = False
            fields += ["external_id", "payload", "operator_uuid", "operator_failed"]
        elif receipt.operator_uuid:
            receipt.status = ReceiptStatus.SENT
        receipt.attempts = 0
        receipt.next_attempt_at = clock.now()
        receipt.save(update_fields=fields)
    return receipt
