"""Refunds through a payment service: the actions for `payments.Refund` (see docs/payments.md).

A refund is three steps, never one transaction around a network call:

1. `open_refund` (one transaction): under the billing account's and the payment's row locks,
   checks that pending and succeeded refunds plus this one stay within the payment's amount,
   debits the balance (customer -> the method's clearing account, kind REFUND, keyed by the
   refund's idempotency key; refused if the balance does not cover it) and writes the Refund
   PENDING. Committed before the service hears of it: the money is reserved, so neither a
   second refund nor an invoice can spend it while the service is asked.
2. `send_refund` asks the service, outside any transaction, with the refund's key as the
   service's idempotency key.
3. The answer, in a second transaction (`_conclude`): SUCCEEDED (nothing more moves: the
   balance was debited in step 1), FAILED (a REVERSAL entry gives the balance back, the reason
   kept as a code), or still PENDING (no answer, or the service is still at it): asked again
   with the same key by `retry_pending_refunds` (the worker) or the desk's "ask again".
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from hutor.accounts.actions import lock as lock_billing_account
from hutor.core import clock
from hutor.core.money import Money
from hutor.invoices.actions import settle_open_invoices
from hutor.ledger import actions as ledger
from hutor.ledger.deferred import clearing_last
from hutor.ledger.exceptions import InsufficientFunds
from hutor.ledger.models import EntryKind
from hutor.payments import events as payment_events
from hutor.payments.exceptions import PaymentError, RefundUnanswered
from hutor.payments.gateways import RefundResult, get_gateway
from hutor.payments.models import Payment, PaymentStatus, Refund, RefundStatus

if TYPE_CHECKING:
    from hutor.accounts.models import User

log = logging.getLogger("hutor.payments")

KEY_NAMESPACE = uuid.UUID("3c1d6f4e-2b0a-4f7e-9a51-8d2e6c0b7f13")
# Services keep an idempotency key for 24 hours (YooKassa, Stripe); after that the same key
# could refund a second time, so a refund still pending then is asked no more: staff check it
# in the service's dashboard and conclude it (resolve_stale_refund; docs/payments.md).
RETRY_WINDOW = dt.timedelta(hours=23)
# The worker leaves a fresh refund to the request that opened it.
RETRY_AFTER = dt.timedelta(minutes=1)


class RefundRefused(PaymentError):
    """The refund cannot be opened (amount, balance, state); the message is for staff."""


class AlreadyRequested(RefundRefused):
    """The same request (the same one-time token) already opened this refund."""

    def __init__(self, refund: Refund) -> None:
        self.refund = refund
        super().__init__(_("This refund was already made."))


def refund_key(token: str | None) -> str:
    """The refund's idempotency key: the journal entry's and the service's. From the desk
    form's one-time token, so a form submitted twice is one refund; fresh without one. At most
    64 characters (YooKassa's limit)."""
    seed = token or uuid.uuid4().hex
    return f"refund:{uuid.uuid5(KEY_NAMESPACE, seed).hex}"


def reserved(payment: Payment) -> Money:
    """What pending and succeeded refunds take of the payment."""
    total = Refund.objects.filter(
        payment=payment, status__in=[RefundStatus.PENDING, RefundStatus.SUCCEEDED]
    ).aggregate(total=Sum("amount"))["total"]
    return Money(total or Decimal(0), payment.currency)


def refundable(payment: Payment) -> Money:
    """What can still be refunded of the payment: nothing unless it was credited."""
    if payment.status != PaymentStatus.SUCCEEDED:
        return Money.zero(payment.currency)
    left = payment.money - reserved(payment)
    return left if left.is_positive() else Money.zero(payment.currency)


def open_refund(
    *, payment: Payment, amount: Money, staff: User | None = None, token: str | None = None
) -> Refund:
    """Step 1: reserve the money and write the refund PENDING (see the module's docstring).
    Call it inside the caller's transaction (the desk adds its audit entry), then
    `send_refund` after that transaction commits. Raises RefundRefused (AlreadyRequested for
    the same token again)."""
    key = refund_key(token)
    with clearing_last():  # the refund's clearing account written last (ledger.deferred)
        account = payment.billing_account
        lock_billing_account(account)
        # The payment's row lock serialises refunds of one payment: the sum below is final.
        payment = (
            Payment.objects.select_for_update()
            .select_related("method", "billing_account")
            .get(pk=payment.pk)
        )
        existing = Refund.objects.filter(idempotency_key=key).first()
        if existing is not None:
            raise AlreadyRequested(existing)
        if payment.status != PaymentStatus.SUCCEEDED:
            raise RefundRefused(_("Only a credited payment can be refunded."))
        if amount.currency != payment.currency or not amount.is_positive():
            raise RefundRefused(_("A refund is at most the payment's amount, in its currency."))
        left = refundable(payment)
        if amount > left:
            raise RefundRefused(
                _("At most %(left)s of this payment can still be refunded.") % {"left": left}
            )
        method = payment.method
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
                idempotency_key=key,
                created_by=staff,
            )
        except InsufficientFunds as exc:
            raise RefundRefused(
                _("The balance does not cover the refund: the money was already spent.")
            ) from exc
        if not created:  # pragma: no cover (the Refund with this key was checked above)
            raise RefundRefused(_("This refund was already made."))
        return Refund.objects.create(
            payment=payment,
            amount=amount.amount,
            currency=amount.currency,
            idempotency_key=key,
            entry=entry,
            staff=staff,
            created_at=clock.now(),
        )


def send_refund(refund: Refund) -> Refund:
    """Step 2 and 3: ask the payment service, outside any transaction, then record its answer.
    Returns the refund as it stands now (succeeded, failed, or still pending)."""
    # durable: Django raises RuntimeError if the caller holds a transaction. A refund call
    # takes up to the service's timeout; inside a transaction it would hold the billing
    # account's and the clearing account's locks all that time.
    with transaction.atomic(durable=True):
        refund = Refund.objects.select_related("payment__method", "payment__billing_account").get(
            pk=refund.pk
        )
    if refund.status != RefundStatus.PENDING:
        return refund
    try:
        result = get_gateway(refund.payment.method.gateway).refund(refund)
    except RefundUnanswered as exc:
        log.warning("refund %s of payment %s: no answer (%s)", refund.pk, refund.payment_id, exc)
        result = RefundResult(status="pending")
    except Exception:
        # Not knowing whether the service refunded, the refund stays pending (its money
        # reserved) and is asked again with the same key, which cannot refund twice.
        log.exception("refund %s of payment %s: the gateway failed", refund.pk, refund.payment_id)
        result = RefundResult(status="pending")
    return _conclude(refund, result)


def _conclude(refund: Refund, result: RefundResult, *, durable: bool = True) -> Refund:
    """Record the service's answer (or staff's finding) in one transaction; `durable` after a
    network call, so that a caller holding a transaction is an error, not a held lock."""
    payment = refund.payment
    # The reversal's clearing account written last, after the settlement's ledger accounts
    # (ledger.deferred: the lock order every credit keeps).
    with clearing_last(durable=durable):
        lock_billing_account(payment.billing_account)
        refund = (
            Refund.objects.select_for_update().select_related("payment__method").get(pk=refund.pk)
        )
        if refund.status != RefundStatus.PENDING:
            return refund  # concluded meanwhile (the worker and the desk asked at once)
        now = clock.now()
        refund.attempts += 1
        refund.attempted_at = now
        fields = ["attempts", "attempted_at"]
        if result.refund_id:
            refund.gateway_refund_id = result.refund_id[:100]
            fields.append("gateway_refund_id")
        if result.status == "succeeded":
            refund.status = RefundStatus.SUCCEEDED
            refund.finished_at = now
            fields += ["status", "finished_at"]
        elif result.status == "failed":
            money = refund.money
            method = refund.payment.method
            reversal, _created = ledger.post(
                lines=[
                    (ledger.clearing_account(method.slug, money.currency), -money),
                    (ledger.customer_account(payment.billing_account), money),
                ],
                kind=EntryKind.REVERSAL,
                memo=f"Refund of payment {payment.number} failed ({method.slug})",
                reference=payment.number,
                billing_account=payment.billing_account,
                idempotency_key=f"{refund.idempotency_key}:reversal",
            )
            refund.status = RefundStatus.FAILED
            refund.finished_at = now
            refund.reversal_entry = reversal
            refund.failure_code = result.failure_code or "refused"
            refund.failure_params = dict(result.failure_params)
            fields += ["status", "finished_at", "reversal_entry", "failure_code", "failure_params"]
        refund.save(update_fields=fields)
        if refund.status == RefundStatus.SUCCEEDED:
            payment_events.refund_succeeded.send(sender=Refund, refund=refund)
        if refund.status == RefundStatus.FAILED:
            # The balance is back: open invoices may be paid from it again.
            settle_open_invoices(billing_account=payment.billing_account)
    log.info("refund %s of payment %s: %s", refund.pk, payment.number, refund.status)
    return refund


def can_retry(refund: Refund, *, now: dt.datetime | None = None) -> bool:
    """Whether asking the service again with the same key is still safe (RETRY_WINDOW)."""
    moment = now or clock.now()
    return refund.status == RefundStatus.PENDING and moment - refund.created_at < RETRY_WINDOW


def retry_refund(refund: Refund) -> Refund:
    """Ask the service again about a pending refund, with the same key (the desk's button)."""
    if not can_retry(refund):
        raise RefundRefused(
            _(
                "This refund is too old to be asked again safely; check it in the payment "
                "service's dashboard."
            )
        )
    return send_refund(refund)


def resolve_stale_refund(*, refund: Refund, refunded: bool, gateway_refund_id: str = "") -> Refund:
    """Conclude a refund too old to be asked again (RETRY_WINDOW) as staff found it in the
    payment service's dashboard: refunded (succeeded; nothing more moves) or not (failed with
    `not_found_at_service`; the balance is given back). Only after the window, when no retry
    can race it. May run inside the caller's transaction (the desk's audit)."""
    if refund.status != RefundStatus.PENDING or can_retry(refund):
        raise RefundRefused(
            _("Only a pending refund too old to be asked again can be concluded by hand.")
        )
    if refunded:
        result = RefundResult(status="succeeded", refund_id=gateway_refund_id.strip())
    else:
        result = RefundResult(status="failed", failure_code="not_found_at_service")
    return _conclude(refund, result, durable=False)  # no network here: joins the caller's


def retry_pending_refunds(*, now: dt.datetime | None = None, limit: int = 50) -> int:
    """The worker's part: ask again about refunds left pending (no answer, or the service was
    still at it), oldest first, within RETRY_WINDOW. Returns how many were concluded."""
    moment = now or clock.now()
    due = Refund.objects.filter(
        Q(attempted_at__isnull=True) | Q(attempted_at__lt=moment - RETRY_AFTER),
        status=RefundStatus.PENDING,
        created_at__gt=moment - RETRY_WINDOW,
        created_at__lt=moment - RETRY_AFTER,
    ).order_by("created_at", "pk")[:limit]
    concluded = 0
    for refund in list(due):
        if send_refund(refund).status != RefundStatus.PENDING:
            concluded += 1
    return concluded


def failure_text(refund: Refund) -> str:
    """Why the refund failed, in the active language."""
    params = {"status": "", "code": ""} | {k: str(v) for k, v in refund.failure_params.items()}
    if refund.failure_code == "refused":
        return _("The payment service refused the refund (HTTP %(status)s, %(code)s).") % params
    if refund.failure_code == "canceled":
        return _("The payment service canceled the refund (%(code)s).") % params
    if refund.failure_code == "not_refundable":
        return _("The payment service has no refundable transaction for this payment.")
    if refund.failure_code == "not_found_at_service":
        return _("Staff found no such refund at the payment service.")
    if refund.failure_code == "not_configured":
        return _("The payment method is not configured for refunds.")
    return refund.failure_code
