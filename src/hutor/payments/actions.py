"""Top-ups: starting a payment, and crediting it exactly once when its service confirms it."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from django.core import signing
from django.db import connection, transaction
from django.db.models import Field
from django.urls import reverse
from django.utils.translation import gettext as _

from hutor.accounts.actions import lock as lock_billing_account
from hutor.core import clock, statements
from hutor.core.money import InvalidAmount, Money, storable
from hutor.core.sequences import next_value
from hutor.core.templatetags.money import format_money
from hutor.invoices import queries as invoice_queries
from hutor.invoices.actions import settle_open_invoices
from hutor.invoices.models import Invoice
from hutor.invoices.queries import Due
from hutor.ledger import actions as ledger
from hutor.ledger.deferred import clearing_last
from hutor.ledger.models import EntryKind
from hutor.ledger.posting import post_one
from hutor.notifications.actions import EmailDraft, enqueue_many
from hutor.payments import events as payment_events
from hutor.payments import numbers
from hutor.payments.exceptions import InvalidTopUp, NotificationRejected
from hutor.payments.gateways import Incoming, Notification, get_gateway
from hutor.payments.models import Payment, PaymentMethod, PaymentStatus, ReviewReason

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount, User

log = logging.getLogger("hutor.payments")

# Payment numbers: eight digits from 20000001, so they never look like a billing account number
# (seven digits, from 1000002) or an invoice number (26-000123).
# How long a started payment waits: online services answer in minutes; a bank transfer in days.
LIFETIME_ONLINE = dt.timedelta(days=1)
LIFETIME_BANK = dt.timedelta(days=14)


def start_top_up(
    *,
    billing_account: BillingAccount,
    method: PaymentMethod,
    amount: Money,
    invoice: Invoice | None = None,
) -> Payment:
    """Create a pending top-up payment with its number. No invoice is created (S5); `invoice`
    only records which invoice's page started it (start_invoice_payment)."""
    if not method.is_enabled:
        raise InvalidTopUp(_("This payment method is not available."))
    if amount.currency != method.currency or amount.currency != billing_account.currency:
        raise InvalidTopUp(_("This payment method does not take this currency."))
    if amount.rounded() != amount:
        raise InvalidTopUp(_("An amount has at most two digits after the decimal point."))
    low, high = Money(method.min_amount, method.currency), Money(method.max_amount, method.currency)
    if not low <= amount <= high:
        raise InvalidTopUp(
            _("Enter an amount from %(min)s to %(max)s.") % {"min": low, "max": high}
        )
    gateway = get_gateway(method.gateway)
    now = clock.now()
    with transaction.atomic():
        return Payment.objects.create(
            number=numbers.format_number(
                next_value(numbers.SEQUENCE_NAME, start=numbers.FIRST_NUMBER)
            ),
            billing_account=billing_account,
            method=method,
            amount=amount.amount,
            currency=amount.currency,
            created_at=now,
            expires_at=now + (LIFETIME_ONLINE if gateway.online else LIFETIME_BANK),
            invoice=invoice,
        )


def invoice_payment_amount(due: Due, method: PaymentMethod) -> Money:
    """What a top-up for an invoice asks: what the balance lacks for it and every older open
    invoice, raised to the method's minimum top-up (the rest stays on the balance)."""
    return max(due.lacking, Money(method.min_amount, method.currency))


def start_invoice_payment(*, invoice: Invoice, method: PaymentMethod) -> Payment | None:
    """A top-up that pays `invoice` once credited, started from the invoice's public page.

    Returns None when the balance already covers the invoice (it is then settled now). The
    same invoice, method and amount reuse a pending payment that has not expired, so opening
    or refreshing the page never makes a second payment. Refused (InvalidTopUp) for an invoice
    that is no longer open, or an amount the method does not take.
    """
    account = invoice.billing_account
    with transaction.atomic():
        lock_billing_account(account)
        invoice = Invoice.objects.get(pk=invoice.pk)
        if not invoice.is_open:
            raise InvalidTopUp(_("This invoice is no longer awaiting payment."))
        due = invoice_queries.due_for(invoice)
        if not due.lacking.is_positive():
            settle_open_invoices(billing_account=account)
            return None
        amount = invoice_payment_amount(due, method)
        pending = (
            Payment.objects.filter(
                invoice=invoice,
                method=method,
                amount=amount.amount,
                status=PaymentStatus.PENDING,
                expires_at__gt=clock.now(),
            )
            .order_by("-created_at", "-id")
            .first()
        )
        if pending is not None:
            return pending
        return start_top_up(billing_account=account, method=method, amount=amount, invoice=invoice)


def credit_payment(*, payment: Payment, transaction_id: str, amount: Money) -> tuple[Payment, bool]:
    """Credit a confirmed payment to the balance: one journal entry (the method's clearing
    account -> the customer's balance) keyed by (method, the service's transaction id), then
    open invoices are settled and the customer is told. Returns (payment, credited now).

    `amount` is what the service verifiably took from the payer, and that is what is credited:
    money that arrived is never refused. When it is not what the payment expected (another
    amount; a payment that had expired or failed), the payment is credited all the same and
    flagged for staff (`review_reasons`, the desk's "needs a look" list); its `amount` becomes
    the amount credited. A replay of the same confirmation credits nothing and returns False.
    Refused: another currency (no balance to put it on), a payment already credited by another
    transaction, a transaction already credited to another payment.

    The statements are the few the work needs, each written by hand in the app that owns its
    table, as the ORM's building of them cost more than running them (docs/performance.md,
    "Payment notifications"): the billing account's lock, the payment with its billing account
    read under the payment's lock, ledger.posting.post_one (the customer's ledger account
    locked, the entry keyed by the transaction with its postings and the customer's balance;
    no savepoint), the payment's row, the event (core.events) with its receivers' look-ups
    (the webhooks' enabled endpoints, fiscal's cash registers), the open invoices (settled by
    invoices.actions only when there are any), the email's row (notifications), and last the
    method's clearing account's balance (ledger.deferred.clearing_last: the one row every
    credit of the method writes is held only from there to the commit).
    """
    if not storable(amount) or amount.rounded() != amount:
        raise NotificationRejected("malformed amount")
    method = payment.method
    with clearing_last():
        lock_billing_account(payment.billing_account_id)
        payment = _locked(payment.pk, method)
        if amount.currency != payment.currency:
            raise NotificationRejected("the amount or currency differs from the payment's")
        account = payment.billing_account
        if payment.status == PaymentStatus.SUCCEEDED:
            if payment.gateway_transaction_id == transaction_id:
                return payment, False
            raise NotificationRejected("the payment was already credited by another transaction")
        now = clock.now()
        reasons = review_reasons(payment, amount, now=now)
        customer = ledger.customer_spec(account)
        posted = post_one(
            lines=[
                (ledger.clearing_spec(method.slug, payment.currency), -amount),
                (customer, amount),
            ],
            kind=EntryKind.TOP_UP,
            memo=f"Payment {payment.number} ({method.slug})",
            reference=payment.number,
            billing_account=account,
            idempotency_key=f"payment:{method.slug}:{transaction_id}",
            billing_account_locked=True,  # first of all, above
        )
        if (
            not posted.created
        ):  # the key is posted, yet this payment is not credited: another one is
            raise NotificationRejected("the transaction was already credited to another payment")
        payment.status = PaymentStatus.SUCCEEDED
        payment.amount = amount.amount
        payment.gateway_transaction_id = transaction_id
        payment.credit_entry_id = posted.entry_id
        payment.completed_at = now
        payment.review_reasons = reasons
        _write(payment, CREDITED_FIELDS)
        payment_events.credited(payment)
        settled = settle_open_invoices(
            billing_account=account, customer=posted.accounts[customer.code, customer.currency]
        )
        enqueue_many(
            emails=[
                EmailDraft(
                    key=f"payment-credited:{payment.number}",
                    template="payment_credited",
                    billing_account=account,
                    language=account.language,
                    # What the money did: the invoices it paid (each gets its "invoice paid"
                    # email too).
                    params={"payment": payment.number, "invoices": [i.number for i in settled]},
                )
            ]
        )
    if reasons:
        log.warning(
            "payment %s credited and flagged for staff: %s",
            payment.number,
            ", ".join(reason["code"] for reason in reasons),
        )
    log.info("payment %s credited: %s", payment.number, payment.money)
    return payment, True


# What crediting writes on the payment's row.
CREDITED_FIELDS = (
    "status",
    "amount",
    "gateway_transaction_id",
    "credit_entry",
    "completed_at",
    "review_reasons",
)


def _locked(pk: int, method: PaymentMethod) -> Payment:
    """The payment with its billing account (select_related's instances), read under the
    payment's row lock in one statement: what decides a credit (its status, the transaction it
    was credited by) is what the lock holds. The billing account's lock is taken before
    (accounts.actions.lock: the customer's lock first, always). `method` is the caller's
    instance of the payment's method (the view's, kept per process)."""
    loaded = statements.joined(Payment, "billing_account")
    quote = connection.ops.quote_name
    lock = f" FOR UPDATE OF {loaded.table}" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {loaded.sql} FROM {loaded.source} "  # noqa: S608
            f"WHERE {loaded.table}.{quote('id')} = %s{lock}",
            [pk],
        )
        row = cursor.fetchone()
    if row is None:  # pragma: no cover - payments are never deleted
        raise Payment.DoesNotExist(pk)
    payment = cast(Payment, loaded.build(row))
    if payment.method_id == method.pk:
        payment.method = method
    return payment


def _write(payment: Payment, names: tuple[str, ...]) -> None:
    """save(update_fields=names) as one UPDATE, the values converted by their fields."""
    fields = [f for f in map(Payment._meta.get_field, names) if isinstance(f, Field)]
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(Payment._meta.db_table)} SET "  # noqa: S608
        + ", ".join(f"{quote(field.column)} = %s" for field in fields)
        + " WHERE id = %s"
    )
    params = [
        field.get_db_prep_save(getattr(payment, field.attname), connection) for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, payment.pk])


def review_reasons(payment: Payment, amount: Money, *, now: dt.datetime) -> list[dict[str, Any]]:
    """Why crediting `amount` to `payment` needs a look from staff (codes + parameters): it
    had expired (or outlived its lifetime unmarked), it had failed, another amount arrived."""
    reasons: list[dict[str, Any]] = []
    if payment.status == PaymentStatus.FAILED:
        reasons.append(
            {"code": ReviewReason.AFTER_FAILURE, "params": {"failure": payment.failure_reason}}
        )
    elif payment.status == PaymentStatus.EXPIRED or payment.expires_at <= now:
        reasons.append(
            {"code": ReviewReason.LATE, "params": {"expired_at": payment.expires_at.isoformat()}}
        )
    if amount != payment.money:
        reasons.append(
            {
                "code": ReviewReason.AMOUNT_DIFFERS,
                "params": {
                    "expected": str(payment.money.rounded().amount),
                    "received": str(amount.rounded().amount),
                },
            }
        )
    return reasons


def describe_review(reason: Mapping[str, Any], currency: str) -> str:
    """One review reason in the active language."""
    code = reason.get("code")
    params = reason.get("params") or {}
    if code == ReviewReason.LATE:
        return _("Paid after the payment expired.")
    if code == ReviewReason.AFTER_FAILURE:
        return _("Paid after the payment had failed.")
    if code == ReviewReason.AMOUNT_DIFFERS:
        try:
            expected = format_money(Money(str(params.get("expected")), currency))
            received = format_money(Money(str(params.get("received")), currency))
        except (InvalidAmount, ValueError):
            return _("Another amount arrived than the payment expected.")
        message = _("%(received)s arrived instead of %(expected)s; what arrived is credited.")
        return message % {"received": received, "expected": expected}
    return str(code)


def mark_reviewed(*, payment: Payment, user: User) -> tuple[Payment, bool]:
    """Take a flagged payment off the "needs a look" list. Returns (payment, marked now);
    False when it was not flagged or was already reviewed. The desk audits it."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if not payment.needs_review:
            return payment, False
        payment.reviewed_at = clock.now()
        payment.reviewed_by = user
        payment.save(update_fields=["reviewed_at", "reviewed_by"])
    return payment, True


def fail_payment(*, payment: Payment, reason: str) -> Payment:
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != PaymentStatus.PENDING:
            return payment
        payment.status = PaymentStatus.FAILED
        payment.failure_reason = reason[:300]
        payment.completed_at = clock.now()
        payment.save(update_fields=["status", "failure_reason", "completed_at"])
        payment_events.failed(payment)
    return payment


@dataclass(frozen=True)
class Handled:
    payment: Payment
    credited: bool  # credited now (False: a replay, or a failure report)
    notification: Notification


def handle_notification(*, method: PaymentMethod, incoming: Incoming) -> Handled:
    """Verify a payment service's notification and act on it; raise NotificationRejected with
    a short, secret-free reason for anything that does not check out (nothing is credited)."""
    notification = get_gateway(method.gateway).verify(method, incoming)
    if notification.test_mode and not method.is_test_mode:
        raise NotificationRejected("a test-mode notification for a live method")
    # The one read of a replay: what decides it, the transaction the payment was credited by
    # (unique per method, like the ledger's key `payment:<method>:<transaction>`), by hand.
    state = _state(notification.payment_number)
    if state is None:
        raise NotificationRejected("unknown payment")
    if state.method_id != method.pk:
        raise NotificationRejected("the payment belongs to another method")
    if (
        notification.paid
        and state.status == PaymentStatus.SUCCEEDED
        and state.gateway_transaction_id == notification.transaction_id
    ):
        # Committed, so final: answered without a lock, a transaction or the rest of the row.
        return Handled(state, False, notification)
    if not notification.paid:
        payment = _load(state.pk)
        payment.method = method
        failed = fail_payment(payment=payment, reason="declined by the payment service")
        return Handled(failed, False, notification)
    # Verified and paid: credited whatever the payment's state or amount (credit_payment flags
    # what staff should look at); the money has left the payer and must reach a balance. The
    # state read above is enough to start: credit_payment reads the payment under its lock.
    state.method = method
    payment, credited = credit_payment(
        payment=state, transaction_id=notification.transaction_id, amount=notification.amount
    )
    return Handled(payment, credited, notification)


# A replay's read: what decides it, and the payment's number for the answer and the log (and
# for a credit, the billing account whose lock comes first).
STATE_FIELDS = frozenset(
    {"id", "number", "billing_account_id", "method_id", "status", "gateway_transaction_id"}
)


@cache
def _state_sql() -> tuple[str, tuple[str, ...]]:
    # In the model's field order, the order Model.from_db takes the values in.
    names = tuple(f.attname for f in Payment._meta.concrete_fields if f.attname in STATE_FIELDS)
    table = connection.ops.quote_name(Payment._meta.db_table)
    return f"SELECT {', '.join(names)} FROM {table} WHERE number = %s", names  # noqa: S608


def _state(number: str) -> Payment | None:
    """The payment with this number, only its STATE_FIELDS read (the others load on access),
    in a statement written by hand: a replay is two thirds of a notification's deliveries."""
    sql, names = _state_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [number])
        row = cursor.fetchone()
    return None if row is None else Payment.from_db(connection.alias, names, row)


def _load(pk: int) -> Payment:
    """The payment with its billing account (select_related's instances), by hand: read once
    per credit, and the ORM's building of the query cost more than running it."""
    loaded = statements.joined(Payment, "billing_account")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {loaded.sql} FROM {loaded.source} WHERE {loaded.table}.{quote('id')} = %s",  # noqa: S608
            [pk],
        )
        row = cursor.fetchone()
    if row is None:  # pragma: no cover - payments are never deleted
        raise Payment.DoesNotExist(pk)
    return cast(Payment, loaded.build(row))


def payment_link(payment: Payment) -> str:
    """The path a customer follows to pay a payment someone made for them (sales' links)."""
    return reverse("payments:pay", args=[payment.number, link_token(payment)])


def link_token(payment: Payment) -> str:
    return signing.Signer(salt="hutor.payments.link").sign(payment.number).rsplit(":", 1)[1]


def expire_payments(*, now: dt.datetime | None = None) -> int:
    """Mark pending payments past their lifetime expired. A verified notification that arrives
    later is still credited, and flagged for staff (credit_payment)."""
    moment = now or clock.now()
    return Payment.objects.filter(status=PaymentStatus.PENDING, expires_at__lt=moment).update(
        status=PaymentStatus.EXPIRED, completed_at=moment
    )
