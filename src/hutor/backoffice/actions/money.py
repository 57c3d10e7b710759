"""Accountants' actions: bank payments entered by hand, balance adjustments, refunds."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

from django.db import transaction
from django.utils.translation import gettext as _

from hutor.backoffice.actions.common import form_token, positive_amount
from hutor.backoffice.audit import record, require_reason
from hutor.backoffice.exceptions import AlreadyDone, DeskError
from hutor.core.money import Money
from hutor.invoices.actions import settle_open_invoices
from hutor.invoices.models import Invoice, InvoiceStatus
from hutor.ledger import actions as ledger
from hutor.ledger.exceptions import InsufficientFunds
from hutor.ledger.models import EntryKind, JournalEntry
from hutor.payments import actions as payment_actions
from hutor.payments import refunds
from hutor.payments.bank import actions as bank_actions
from hutor.payments.exceptions import PaymentError
from hutor.payments.gateways import get_gateway
from hutor.payments.models import Payment, Refund, RefundStatus

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount, User


# --- Money (accountant) -----------------------------------------------------------------------


def record_manual_payment(
    *,
    staff: User | None,
    account: BillingAccount,
    amount: Money,
    document_number: str,
    document_date: dt.date,
    reason: str,
    top_up: Payment | Literal["by-amount"] | None = None,
    allow_similar: bool = False,
    actor: str = "",
) -> Payment:
    """Credit a payment that reached the provider's bank account and that the statement import
    did not match (or money brought to the office), through the bank module's own manual
    payment (hutor.payments.bank.actions.record_manual_payment): bank -> customer balance,
    kind TOP_UP, a succeeded bank-transfer Payment, keyed by the document reference, then open
    invoices are settled. A document entered twice credits once (AlreadyDone the second time);
    the same reference with another account, amount or date is refused.

    `top_up`, the customer's waiting bank top-up this money pays, becomes that payment (see the
    bank action). The desk passes the staff member; `hutor payments record` passes its `--user`,
    or no staff and the named system actor (audit.command_actor)."""
    require_reason(reason)
    positive_amount(amount, account)
    with transaction.atomic():
        unpaid = set(
            Invoice.objects.filter(
                billing_account=account, status=InvoiceStatus.UNPAID
            ).values_list("number", flat=True)
        )
        waiting = {p.number for p in bank_actions.waiting_top_ups(account)}
        try:
            line, created = bank_actions.record_manual_payment(
                billing_account=account,
                amount=amount,
                date=document_date,
                reference=document_number,
                user=staff,
                note=reason,
                allow_similar=allow_similar,
                top_up=top_up,
            )
        except PaymentError as exc:
            raise DeskError(str(exc)) from exc
        payment = line.payment
        if not created or payment is None:
            raise AlreadyDone(
                _("This bank document was already credited (payment %(number)s).")
                % {"number": payment.number if payment else "?"}
            )
        still_unpaid = set(
            Invoice.objects.filter(number__in=unpaid, status=InvoiceStatus.UNPAID).values_list(
                "number", flat=True
            )
        )
        record(
            staff=staff,
            actor=actor,
            action="payment.manual",
            reason=reason,
            billing_account=account,
            object_type="payment",
            object_id=payment.number,
            changes={
                "amount": amount,
                "document": line.document_number,
                "document_date": document_date,
                "payment": payment.number,
                "top_up_settled": payment.number in waiting,
                "entry": payment.credit_entry_id,
                "invoices_paid": sorted(unpaid - still_unpaid),
            },
        )
    return payment


def adjust_balance(
    *,
    staff: User,
    account: BillingAccount,
    amount: Money,
    credit: bool,
    reason: str,
    token: str | None = None,
    actor: str = "",
) -> JournalEntry:
    """Correct the balance: a credit (adjustments -> customer) or a debit (customer ->
    adjustments; refused if the balance does not cover it), kind ADJUSTMENT."""
    require_reason(reason)
    positive_amount(amount, account)
    signed = amount if credit else -amount
    with transaction.atomic():
        try:
            entry, created = ledger.post(
                lines=[
                    (ledger.adjustments_account(amount.currency), -signed),
                    (ledger.customer_account(account), signed),
                ],
                kind=EntryKind.ADJUSTMENT,
                memo=reason[:300],
                reference=account.number,
                billing_account=account,
                idempotency_key=f"desk:adjust:{form_token(token)}",
                created_by=staff,
            )
        except InsufficientFunds as exc:
            raise DeskError(_("The balance does not cover this debit.")) from exc
        if not created:
            raise AlreadyDone(_("This adjustment was already made."))
        paid = settle_open_invoices(billing_account=account) if credit else []
        record(
            staff=staff,
            actor=actor,
            action="balance.adjust",
            reason=reason,
            billing_account=account,
            object_type="entry",
            object_id=entry.pk,
            changes={
                "direction": "credit" if credit else "debit",
                "amount": amount,
                "entry": entry.pk,
                "invoices_paid": [invoice.number for invoice in paid],
            },
        )
    return entry


def refund_to_balance(
    *,
    staff: User,
    account: BillingAccount,
    amount: Money,
    reason: str,
    reference: str = "",
    token: str | None = None,
    actor: str = "",
) -> JournalEntry:
    """Credit money the provider owes the customer to the balance (see the module's docstring):
    adjustments -> customer balance, kind REFUND; open invoices are then settled."""
    require_reason(reason)
    positive_amount(amount, account)
    with transaction.atomic():
        entry, created = ledger.post(
            lines=[
                (ledger.adjustments_account(amount.currency), -amount),
                (ledger.customer_account(account), amount),
            ],
            kind=EntryKind.REFUND,
            memo=reason[:300],
            reference=reference.strip() or account.number,
            billing_account=account,
            idempotency_key=f"desk:refund-balance:{form_token(token)}",
            created_by=staff,
        )
        if not created:
            raise AlreadyDone(_("This refund was already made."))
        paid = settle_open_invoices(billing_account=account)
        record(
            staff=staff,
            actor=actor,
            action="refund.balance",
            reason=reason,
            billing_account=account,
            object_type="entry",
            object_id=entry.pk,
            changes={
                "amount": amount,
                "reference": entry.reference,
                "entry": entry.pk,
                "invoices_paid": [invoice.number for invoice in paid],
            },
        )
    return entry


def refunded_amount(payment: Payment) -> Money:
    """What pending and succeeded refunds take of this payment through its payment service."""
    return refunds.reserved(payment)


def refundable(payment: Payment) -> Money:
    return refunds.refundable(payment)


def refund_to_gateway(
    *, staff: User, payment: Payment, amount: Money, reason: str, token: str | None = None
) -> Refund:
    """Return part or all of a succeeded payment to the payer through its payment service.

    open_gateway_refund() writes the refund PENDING with the debit of the balance (refused if
    it does not cover the amount, or if refunds would exceed the payment) and its audit entry,
    and commits; only then is the service asked, outside any transaction, with the refund's
    own idempotency key (payments.refunds). The refund comes back succeeded, failed (the
    balance given back) or still pending (asked again by the worker or the desk's button).
    The form's one-time token is the refund's key: a form submitted twice is one refund.
    """
    refund = open_gateway_refund(
        staff=staff, payment=payment, amount=amount, reason=reason, token=token
    )
    return refunds.send_refund(refund)


def open_gateway_refund(
    *,
    staff: User,
    payment: Payment,
    amount: Money,
    reason: str,
    token: str | None = None,
    actor: str = "",
) -> Refund:
    """refund_to_gateway()'s first step, in the caller's transaction (one of its own if there
    is none): the refund written PENDING with the balance's debit, audited. The caller asks the
    service once this has committed (payments.refunds.send_refund; the API does it on commit),
    and the worker asks again about a refund still pending."""
    require_reason(reason)
    account = payment.billing_account
    positive_amount(amount, account)
    method = payment.method
    gateway = get_gateway(method.gateway)
    if not gateway.supports_refunds:
        raise DeskError(
            _("%(method)s cannot refund through the payment service; refund to the balance.")
            % {"method": method.name}
        )
    with transaction.atomic():
        before = refunds.reserved(payment)
        try:
            refund = refunds.open_refund(
                payment=payment, amount=amount, staff=staff, token=form_token(token)
            )
        except refunds.AlreadyRequested as exc:
            raise AlreadyDone(str(exc)) from exc
        except refunds.RefundRefused as exc:
            raise DeskError(str(exc)) from exc
        record(
            staff=staff,
            actor=actor,
            action="refund.gateway",
            reason=reason,
            billing_account=account,
            object_type="payment",
            object_id=payment.number,
            changes={
                "amount": amount,
                "method": method.slug,
                "refund": refund.pk,
                "entry": refund.entry_id,
                "refunded_before": before,
            },
        )
    return refund


def retry_refund(*, staff: User, refund: Refund, reason: str) -> Refund:
    """Ask the payment service again about a pending refund, with the same key (so it is never
    refunded twice); audited. The answer concludes it, or it stays pending."""
    require_reason(reason)
    payment = refund.payment
    if not refunds.can_retry(refund):
        if refund.status != RefundStatus.PENDING:
            raise AlreadyDone(_("This refund was already made."))
        raise DeskError(
            _(
                "This refund is too old to be asked again safely; check it in the payment "
                "service's dashboard."
            )
        )
    with transaction.atomic():
        record(
            staff=staff,
            action="refund.retry",
            reason=reason,
            billing_account=payment.billing_account,
            object_type="payment",
            object_id=payment.number,
            changes={"refund": refund.pk, "amount": refund.money},
        )
    try:
        return refunds.retry_refund(refund)
    except refunds.RefundRefused as exc:
        raise DeskError(str(exc)) from exc


def review_payment(*, staff: User, payment: Payment, reason: str) -> Payment:
    """Take a flagged payment (money credited after it expired or failed, or another amount)
    off the desk's "needs a look" list, saying what was found; audited. Moves no money."""
    require_reason(reason)
    with transaction.atomic():
        payment, marked = payment_actions.mark_reviewed(payment=payment, user=staff)
        if not marked:
            raise AlreadyDone(_("Payment %(number)s needs no look.") % {"number": payment.number})
        record(
            staff=staff,
            action="payment.review",
            reason=reason,
            billing_account=payment.billing_account,
            object_type="payment",
            object_id=payment.number,
            changes={
                "amount": payment.money,
                "reasons": [item.get("code") for item in payment.review_reasons],
            },
        )
    return payment


def resolve_refund(
    *, staff: User, refund: Refund, refunded: bool, gateway_refund_id: str, reason: str
) -> Refund:
    """Conclude a refund too old to be asked again as staff found it in the payment service's
    dashboard (payments.refunds.resolve_stale_refund); audited."""
    require_reason(reason)
    payment = refund.payment
    try:
        with transaction.atomic():
            refund = refunds.resolve_stale_refund(
                refund=refund, refunded=refunded, gateway_refund_id=gateway_refund_id
            )
            record(
                staff=staff,
                action="refund.resolve",
                reason=reason,
                billing_account=payment.billing_account,
                object_type="payment",
                object_id=payment.number,
                changes={
                    "refund": refund.pk,
                    "amount": refund.money,
                    "status": refund.status,
                    "refund_id": refund.gateway_refund_id,
                },
            )
    except refunds.RefundRefused as exc:
        raise DeskError(str(exc)) from exc
    return refund
