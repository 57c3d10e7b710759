"""Accountants' actions: bank payments entered by hand, balance adjustments, refunds."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from hutor.accounts.actions import lock as lock_billing_account
from hutor.backoffice.actions.common import form_token, positive_amount
from hutor.backoffice.audit import record, require_reason
from hutor.backoffice.exceptions import AlreadyDone, DeskError
from hutor.core.money import Money
from hutor.invoices.actions import settle_open_invoices
from hutor.invoices.models import Invoice, InvoiceStatus
from hutor.ledger import actions as ledger
from hutor.ledger.exceptions import InsufficientFunds
from hutor.ledger.models import EntryKind, JournalEntry, LedgerAccountKind, Posting
from hutor.payments.bank import actions as bank_actions
from hutor.payments.exceptions import PaymentError
from hutor.payments.gateways import get_gateway
from hutor.payments.models import Payment, PaymentStatus

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount, User


# --- Money (accountant) -----------------------------------------------------------------------


def record_manual_payment(
    *,
    staff: User,
    account: BillingAccount,
    amount: Money,
    document_number: str,
    document_date: dt.date,
    reason: str,
) -> Payment:
    """Credit a payment that reached the provider's bank account and that the statement import
    did not match (or money brought to the office), through the bank module's own manual
    payment (hutor.payments.bank.actions.record_manual_payment): bank -> customer balance,
    kind TOP_UP, a succeeded bank-transfer Payment, keyed by the document reference, then open
    invoices are settled. A document entered twice credits once (AlreadyDone the second time);
    the same reference with another account, amount or date is refused."""
    require_reason(reason)
    positive_amount(amount, account)
    with transaction.atomic():
        unpaid = set(
            Invoice.objects.filter(
                billing_account=account, status=InvoiceStatus.UNPAID
            ).values_list("number", flat=True)
        )
        try:
            line, created = bank_actions.record_manual_payment(
                billing_account=account,
                amount=amount,
                date=document_date,
                reference=document_number,
                user=staff,
                note=reason,
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
    """What earlier refunds returned of this payment through its payment service."""
    total = Money.zero(payment.currency)
    for amount in Posting.objects.filter(
        entry__kind=EntryKind.REFUND,
        entry__reference=payment.number,
        account__kind=LedgerAccountKind.CLEARING,
    ).values_list("amount", flat=True):
        total += Money(amount, payment.currency)
    return total


def refundable(payment: Payment) -> Money:
    if payment.status != PaymentStatus.SUCCEEDED:
        return Money.zero(payment.currency)
    left = payment.money - refunded_amount(payment)
    return left if left.is_positive() else Money.zero(payment.currency)


def refund_to_gateway(
    *, staff: User, payment: Payment, amount: Money, reason: str, token: str | None = None
) -> JournalEntry:
    """Return part or all of a succeeded payment to the payer through its payment service.

    Under the account's lock the balance is debited first (customer -> clearing, kind REFUND;
    refused if it does not cover the amount), then the service is asked to refund; if it
    refuses or fails, the transaction rolls back and nothing moved. The service's refund id is
    kept in the audit entry.
    """
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
        lock_billing_account(account)
        payment = Payment.objects.select_related("method", "billing_account").get(pk=payment.pk)
        if payment.status != PaymentStatus.SUCCEEDED:
            raise DeskError(_("Only a credited payment can be refunded."))
        left = refundable(payment)
        if amount > left:
            raise DeskError(
                _("At most %(left)s of this payment can still be refunded.") % {"left": left}
            )
        try:
            entry, created = ledger.post(
                lines=[
                    (ledger.customer_account(account), -amount),
                    (ledger.clearing_account(method.slug, amount.currency), amount),
                ],
                kind=EntryKind.REFUND,
                memo=f"Refund of payment {payment.number} ({method.slug})",
                reference=payment.number,
                billing_account=account,
                idempotency_key=f"desk:refund-gateway:{form_token(token)}",
                created_by=staff,
            )
        except InsufficientFunds as exc:
            raise DeskError(
                _("The balance does not cover the refund: the money was already spent.")
            ) from exc
        if not created:
            raise AlreadyDone(_("This refund was already made."))
        try:
            refund_id = gateway.refund(payment, amount)
        except Exception as exc:
            raise DeskError(
                _("The payment service refused the refund: %(error)s") % {"error": exc}
            ) from exc
        record(
            staff=staff,
            action="refund.gateway",
            reason=reason,
            billing_account=account,
            object_type="payment",
            object_id=payment.number,
            changes={
                "amount": amount,
                "method": method.slug,
                "refund_id": refund_id,
                "entry": entry.pk,
                "refunded_before": payment.money - left,
            },
        )
    return entry
