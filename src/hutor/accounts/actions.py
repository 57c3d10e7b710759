"""Use cases of billing accounts. Each runs in one transaction."""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils.translation import gettext as _

from hutor.accounts import numbers
from hutor.accounts.exceptions import AccountError, EmailAlreadyRegistered
from hutor.accounts.models import AccountKind, BillingAccount
from hutor.core import clock, events
from hutor.core.events import EventKind
from hutor.core.sequences import next_value
from hutor.notifications.actions import enqueue


def open_billing_account(
    *,
    email: str,
    name: str,
    kind: str = AccountKind.INDIVIDUAL,
    inn: str = "",
    kpp: str = "",
    address: str = "",
    phone: str = "",
    language: str = "ru",
    currency: str = "RUB",
    password: str | None = None,
    notify: bool = True,
) -> BillingAccount:
    """Open a billing account with a new number and its login (a user with that email).

    Requisites are validated before anything is written. Without a password the login has an
    unusable one: the owner sets it through the one-time link of the activation email, which is
    queued in the same transaction (unless `notify` is False).
    Raises EmailAlreadyRegistered if a login with this email exists.
    """
    User = get_user_model()
    email = User.objects.normalize_email(email).strip().lower()
    account = BillingAccount(
        contact_email=email,
        name=name.strip(),
        kind=kind,
        inn=inn,
        kpp=kpp,
        address=address.strip(),
        phone=phone.strip(),
        language=language,
        currency=currency,
    )
    account.clean()  # raises ValidationError with per-field messages; nothing written yet
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise EmailAlreadyRegistered(
                _("An account with this email already exists. Please log in to continue.")
            )
        account.user = User.objects.create_user(email=email, password=password, full_name=name)
        account.number = numbers.from_sequence(
            next_value(numbers.SEQUENCE_NAME, start=numbers.FIRST_SEQUENCE_VALUE)
        )
        account.created_at = clock.now()
        account.save()
        events.publish(
            EventKind.ACCOUNT_OPENED,
            billing_account=account,
            data={
                "account": account.number,
                "kind": account.kind,
                "email": account.contact_email,
                "name": account.name,
                "inn": account.inn,
                "language": account.language,
                "currency": account.currency,
                "created_at": account.created_at,
            },
        )
        if notify:
            enqueue(
                key=f"account-opened:{account.number}",
                template="account_opened",
                billing_account=account,
                params={"account_id": account.pk},
            )
    return account


def lock(billing_account: BillingAccount | int) -> None:
    """Lock the billing account's row (given as an instance or by its id) until the end of the
    transaction.

    Every operation on one customer's money or invoices takes this lock first, then the ledger
    accounts in primary-key order (a clearing account last, ledger.deferred); one fixed order
    for all, so they queue instead of deadlocking.
    (On SQLite the IMMEDIATE transaction already holds the database's write lock.)
    """
    if not connection.features.has_select_for_update:
        return  # SQLite: nothing to send (the ORM would send a plain SELECT)
    if connection.get_autocommit():  # as the ORM's select_for_update() refuses it
        raise TransactionManagementError("lock() runs inside a transaction")
    pk = billing_account if isinstance(billing_account, int) else billing_account.pk
    table = connection.ops.quote_name(BillingAccount._meta.db_table)
    with connection.cursor() as cursor:  # by hand: on hot paths the ORM's building was the cost
        cursor.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [pk])  # noqa: S608


class AccountRecord(NamedTuple):
    """A billing account as the billing run's batches read it (no model instance): what an
    invoice freezes of its payer (invoices.issuing.payer_snapshot), its currency, language
    and email, by a BillingAccount's attribute names, so the rules that read it take either."""

    pk: int
    number: str
    kind: str
    name: str
    inn: str
    kpp: str
    address: str
    contact_email: str
    phone: str
    currency: str
    language: str


# A payer as the shared rules take it: the panel's instance or a batch's record.
Payer = BillingAccount | AccountRecord


def lock_many(ids: Collection[int]) -> dict[int, AccountRecord]:
    """Lock the billing accounts `ids` in primary-key order (lock()'s rule, for a batch) and
    read them as records, in one statement; in the caller's transaction."""
    fields = ("pk", *AccountRecord._fields[1:])
    return {
        row[0]: AccountRecord(*row)
        for row in BillingAccount.objects.select_for_update()
        .filter(pk__among=set(ids))
        .order_by("pk")
        .values_list(*fields)
    }


def update_profile(
    *,
    account: BillingAccount,
    name: str,
    phone: str = "",
    address: str = "",
    inn: str = "",
    kpp: str = "",
    language: str = "ru",
) -> BillingAccount:
    """Change the customer's name, requisites and language. Issued invoices keep the requisites
    they were issued with; new documents use these. Raises ValidationError, writing nothing."""
    account.name = name.strip()
    account.phone = phone.strip()
    account.address = address.strip()
    account.inn = inn
    account.kpp = kpp
    account.language = language
    account.clean()
    with transaction.atomic():
        account.save(update_fields=["name", "phone", "address", "inn", "kpp", "language"])
        account.user.full_name = account.name
        account.user.save(update_fields=["full_name"])
    return account


def request_email_change(*, account: BillingAccount, new_email: str) -> str:
    """Ask the new address to confirm itself: a signed link goes there, nothing changes yet."""
    User = get_user_model()
    new_email = User.objects.normalize_email(new_email).strip().lower()
    if new_email == account.contact_email:
        raise AccountError(_("This is already your contact email."))
    if User.objects.filter(email__iexact=new_email).exclude(pk=account.user_id).exists():
        raise EmailAlreadyRegistered(_("Another account uses this email."))
    with transaction.atomic():
        enqueue(
            key=f"email-change:{account.number}:{new_email}:{clock.now().timestamp():.0f}",
            template="email_change",
            billing_account=account,
            to_email=new_email,
            params={"account_id": account.pk, "new_email": new_email},
        )
    return new_email


def confirm_email_change(*, account: BillingAccount, new_email: str) -> BillingAccount:
    """The new address proved itself: it becomes the contact email and the login."""
    User = get_user_model()
    with transaction.atomic():
        lock(account)
        if User.objects.filter(email__iexact=new_email).exclude(pk=account.user_id).exists():
            raise EmailAlreadyRegistered(_("Another account uses this email."))
        account.contact_email = new_email
        account.save(update_fields=["contact_email"])
        account.user.email = new_email
        account.user.save(update_fields=["email"])
    return account
