"""Manual payments: money an accountant records by hand (cash, another bank, a lost statement)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

from django.db import IntegrityError, transaction
from django.utils import formats
from django.utils.translation import gettext as _

from hutor.accounts.models import BillingAccount
from hutor.core import clock
from hutor.core.money import Money
from hutor.core.templatetags.money import format_money
from hutor.payments.bank.actions import (  # the shared crediting path
    MANUAL_KIND,
    MAX_REFERENCE,
    SIMILAR_DAYS,
    BankActionRefused,
    ManualPaymentConflict,
    _credit,
    _mentions,
    _provider,
    _reference,
    _resolve,
    bank_method,
)

if TYPE_CHECKING:
    from hutor.accounts.models import User
from hutor.payments.models import (
    BankLineStatus,
    BankMatchRule,
    BankStatementLine,
    Gateway,
    Payment,
    PaymentStatus,
)

# `top_up=BY_AMOUNT`: settle the account's one waiting bank top-up of the same amount, if it
# has exactly one; otherwise record a payment of its own.
BY_AMOUNT: Literal["by-amount"] = "by-amount"
WAITING = (PaymentStatus.PENDING, PaymentStatus.EXPIRED)


def manual_key(reference: str) -> str:
    return "manual:" + " ".join(reference.split()).casefold()


def record_manual_payment(
    *,
    billing_account: BillingAccount,
    amount: Money,
    date: dt.date,
    reference: str,
    user: User | None = None,
    note: str = "",
    allow_similar: bool = False,
    top_up: Payment | Literal["by-amount"] | None = None,
) -> tuple[BankStatementLine, bool]:
    """Record a payment an accountant saw on the bank account (or in the cash desk) and credit
    it like a statement document. Returns (its line, recorded now).

    `top_up` is the customer's waiting bank top-up this money pays (the one whose document the
    customer printed): it is marked succeeded and carries the credit, instead of a new payment
    beside it that leaves it «waiting» for ever. It must be this account's, by bank transfer,
    pending or expired, and of this amount, else nothing is recorded. BY_AMOUNT picks the
    account's only waiting top-up of this amount, if there is exactly one.

    Idempotent on the document reference («п/п 123»): the same reference with the same account,
    amount and date returns the first record and credits nothing; with other values it is
    refused (ManualPaymentConflict), as is a payment that looks like a statement document
    already credited to this account (unless `allow_similar`).
    """
    reference = " ".join(reference.split())
    if not reference:
        raise BankActionRefused(_("give the payment document's reference, e.g. «п/п 123»"))
    if len(reference) > MAX_REFERENCE:
        raise BankActionRefused(
            _("a reference has at most %(count)s characters") % {"count": MAX_REFERENCE}
        )
    if amount.currency != billing_account.currency:
        raise BankActionRefused(
            _("billing account %(account)s keeps its balance in %(currency)s, not %(paid)s")
            % {
                "account": billing_account.number,
                "currency": billing_account.currency,
                "paid": amount.currency,
            }
        )
    if not amount.is_positive() or amount.rounded() != amount:
        raise BankActionRefused(_("the amount must be positive, with at most two decimals"))
    if date > clock.today():
        raise BankActionRefused(_("the payment's date is in the future"))
    key = manual_key(reference)
    with transaction.atomic():
        existing = BankStatementLine.objects.filter(idempotency_key=key).first()
        if existing is None:
            line = BankStatementLine(
                statement=None,
                document_kind=MANUAL_KIND,
                document_number=reference,
                document_date=date,
                amount=amount.amount,
                currency=amount.currency,
                purpose=note,
                status=BankLineStatus.UNMATCHED,
                idempotency_key=key,
                created_at=clock.now(),
            )
            try:
                with transaction.atomic():
                    line.save()
            except IntegrityError:  # the same reference, recorded at this moment by another
                existing = BankStatementLine.objects.get(idempotency_key=key)
        if existing is not None:
            if (
                existing.billing_account_id == billing_account.pk
                and existing.amount == amount.amount
                and existing.document_date == date
            ):
                return existing, False
            raise ManualPaymentConflict(
                _(
                    "«%(reference)s» is already recorded: %(amount)s to billing account "
                    "%(account)s on %(date)s. Nothing was recorded; if this is another payment, "
                    "give it a distinct reference (e.g. with the payer or date)."
                )
                % {
                    "reference": reference,
                    "amount": existing.money,
                    "account": existing.billing_account.number if existing.billing_account else "?",
                    "date": formats.date_format(existing.document_date, "SHORT_DATE_FORMAT")
                    if existing.document_date
                    else "?",
                }
            )
        if not allow_similar:
            similar = _similar_statement_line(billing_account, amount, date, reference)
            if similar is not None:
                raise BankActionRefused(
                    _(
                        "billing account %(account)s was already credited %(amount)s by the "
                        "bank statement's %(document)s (line #%(line)s); nothing was recorded. "
                        "Record it anyway only if it is another payment."
                    )
                    % {
                        "account": billing_account.number,
                        "amount": amount,
                        "document": _reference(similar),
                        "line": similar.pk,
                    }
                )
        payment, _note = _credit(
            billing_account=billing_account,
            money=amount,
            key=key,
            reference=reference,
            payer=billing_account.name,
            settlement_account=_provider().settlement_account,
            method=bank_method(amount.currency),
            quoted=_settled_top_up(billing_account, amount, top_up),
            user=user,
        )
        line.status = BankLineStatus.CREDITED
        line.billing_account = billing_account
        line.payment = payment
        line.match_rule = BankMatchRule.MANUAL
        _resolve(line, note or "manual payment", user)
        line.save(
            update_fields=[
                "status",
                "billing_account",
                "payment",
                "match_rule",
                "resolved_by",
                "resolved_at",
                "resolution_reason",
            ]
        )
    return line, True


def waiting_top_ups(billing_account: BillingAccount) -> list[Payment]:
    """The account's bank-transfer top-ups whose money has not arrived (pending, or expired: the
    money may come anyway), newest first: what a manual payment may settle."""
    return list(
        Payment.objects.filter(
            billing_account=billing_account,
            method__gateway=Gateway.BANK_TRANSFER,
            status__in=WAITING,
        )
        .select_related("method")
        .order_by("-created_at", "-pk")[:20]
    )


def _settled_top_up(
    billing_account: BillingAccount,
    amount: Money,
    top_up: Payment | Literal["by-amount"] | None,
) -> Payment | None:
    if top_up is None:
        return None
    if top_up == BY_AMOUNT:
        same = [p for p in waiting_top_ups(billing_account) if p.money == amount]
        return same[0] if len(same) == 1 else None
    assert isinstance(top_up, Payment)
    params = {"payment": top_up.number, "account": billing_account.number}
    if top_up.billing_account_id != billing_account.pk:
        raise BankActionRefused(
            _("payment %(payment)s is not billing account %(account)s's") % params
        )
    if top_up.method.gateway != Gateway.BANK_TRANSFER or top_up.status not in WAITING:
        raise BankActionRefused(
            _("payment %(payment)s is not a bank top-up waiting for its money") % params
        )
    if top_up.money != amount:
        raise BankActionRefused(
            _(
                "payment %(payment)s is for %(expected)s, not %(amount)s: record the money "
                "without settling it, or correct the amount"
            )
            % {**params, "expected": format_money(top_up.money), "amount": format_money(amount)}
        )
    return top_up


def _similar_statement_line(
    account: BillingAccount, amount: Money, date: dt.date, reference: str
) -> BankStatementLine | None:
    """A statement document credited to this account for this amount, dated close by, whose
    number the reference quotes."""
    for line in BankStatementLine.objects.filter(
        statement__isnull=False,
        billing_account=account,
        amount=amount.amount,
        status=BankLineStatus.CREDITED,
        document_date__range=(
            date - dt.timedelta(days=SIMILAR_DAYS),
            date + dt.timedelta(days=SIMILAR_DAYS),
        ),
    ):
        if _mentions(reference, line.document_number):
            return line
    return None


# --- Reports ------------------------------------------------------------------------------------
