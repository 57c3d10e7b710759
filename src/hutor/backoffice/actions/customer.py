"""Support's and sales' actions: notes, emails, and what is done on the customer's behalf."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from hutor.accounts import actions as account_actions
from hutor.accounts.exceptions import AccountError
from hutor.backoffice.actions.common import positive_amount
from hutor.backoffice.audit import record, require_reason
from hutor.backoffice.exceptions import AlreadyDone, DeskError
from hutor.backoffice.models import Note
from hutor.core import clock
from hutor.core.money import Money
from hutor.invoices import actions as invoice_actions
from hutor.invoices import manual
from hutor.invoices.calculations import ManualLine
from hutor.invoices.exceptions import InvoiceError
from hutor.invoices.models import Invoice
from hutor.notifications import actions as notifications
from hutor.notifications.models import OutboxEmail
from hutor.payments import actions as payment_actions
from hutor.payments.exceptions import PaymentError
from hutor.payments.models import Payment, PaymentMethod
from hutor.services import actions as service_actions
from hutor.services.exceptions import ServiceError
from hutor.services.models import Service

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount, User
    from hutor.catalog.models import TariffPrice


# --- Notes and emails (support) ---------------------------------------------------------------


def add_note(*, staff: User, account: BillingAccount, text: str) -> Note:
    """A note on the account; the note is its own reason."""
    text = require_reason(text)
    with transaction.atomic():
        note = Note.objects.create(
            billing_account=account, author=staff, text=text, created_at=clock.now()
        )
        record(
            staff=staff,
            action="note.add",
            reason=text,
            billing_account=account,
            object_type="note",
            object_id=note.pk,
            changes={"note": note.pk},
        )
    return note


def resend_email(*, staff: User, email: OutboxEmail, reason: str) -> OutboxEmail:
    """Queue a fresh copy of an email (invoice, activation, any other) to the same address."""
    require_reason(reason)
    with transaction.atomic():
        copy = notifications.resend(email=email)
        record(
            staff=staff,
            action="email.resend",
            reason=reason,
            billing_account=email.billing_account,
            object_type="email",
            object_id=email.pk,
            changes={"template": email.template, "to": email.to_email, "copy": copy.pk},
        )
    return copy


def resend_activation(*, staff: User, account: BillingAccount, reason: str) -> OutboxEmail:
    """Queue the activation email (S2) again, with a new one-time link to set the password."""
    require_reason(reason)
    with transaction.atomic():
        email = notifications.enqueue(
            key=f"account-opened:{account.number}#desk-{uuid.uuid4().hex[:12]}",
            template="account_opened",
            billing_account=account,
            params={"account_id": account.pk},
        )
        record(
            staff=staff,
            action="account.resend_activation",
            reason=reason,
            billing_account=account,
            object_type="email",
            object_id=email.pk,
            changes={"template": "account_opened", "to": email.to_email},
        )
    return email


# --- On the customer's behalf (sales) ---------------------------------------------------------


def change_contact_email(
    *, staff: User, account: BillingAccount, new_email: str, reason: str
) -> BillingAccount:
    """Change the contact email and the login at once (the customer asked staff, who checked
    who they are): the confirmation link a customer would follow is skipped."""
    require_reason(reason)
    new_email = get_user_model().objects.normalize_email(new_email).strip().lower()
    try:
        validate_email(new_email)
    except ValidationError as exc:
        raise DeskError(_("Enter a valid email address.")) from exc
    old = account.contact_email
    if new_email == old:
        raise DeskError(_("This is already the contact email."))
    with transaction.atomic():
        try:
            account = account_actions.confirm_email_change(account=account, new_email=new_email)
        except AccountError as exc:
            raise DeskError(str(exc)) from exc
        record(
            staff=staff,
            action="account.change_email",
            reason=reason,
            billing_account=account,
            object_type="account",
            object_id=account.number,
            changes={"contact_email": {"from": old, "to": new_email}},
        )
    return account


def place_order(
    *,
    staff: User,
    account: BillingAccount,
    price: TariffPrice,
    identifier: str,
    reason: str,
    token: str | None = None,
    actor: str = "",
) -> Service:
    """Order a service for the customer: the same order (pending service, numbered invoice,
    email, settlement from the balance) as the customer's own order form makes."""
    require_reason(reason)
    order_token = uuid.UUID(token) if token else uuid.uuid4()
    with transaction.atomic():
        if Service.objects.filter(order_token=order_token).exists():
            raise AlreadyDone(_("This order was already placed."))
        try:
            service = service_actions.place_order(
                billing_account=account, price=price, identifier=identifier, order_token=order_token
            )
        except ServiceError as exc:
            raise DeskError(str(exc)) from exc
        invoice = service_actions.order_invoice(service)
        record(
            staff=staff,
            actor=actor,
            action="order.place",
            reason=reason,
            billing_account=account,
            object_type="service",
            object_id=service.pk,
            changes={
                "tariff": price.tariff.code,
                "period_months": price.period_months,
                "identifier": service.identifier,
                "invoice": invoice.number if invoice else None,
                "status": service.status,
            },
        )
    return service


def renew_service(
    *, staff: User, service: Service, price: TariffPrice, reason: str, actor: str = ""
) -> Invoice:
    """Issue the service's renewal invoice (or find the open one); paid from the balance at
    once when it covers it."""
    require_reason(reason)
    with transaction.atomic():
        try:
            invoice = service_actions.renew(service=service, price=price)
        except ServiceError as exc:
            raise DeskError(str(exc)) from exc
        record(
            staff=staff,
            actor=actor,
            action="service.renew",
            reason=reason,
            billing_account=service.billing_account,
            object_type="service",
            object_id=service.pk,
            changes={
                "invoice": invoice.number,
                "period_months": price.period_months,
                "invoice_status": invoice.status,
            },
        )
    return invoice


def cancel_invoice(*, staff: User, invoice: Invoice, reason: str, actor: str = "") -> Invoice:
    """Withdraw an unpaid invoice (its number stays used; an order's service is cancelled)."""
    require_reason(reason)
    with transaction.atomic():
        try:
            invoice = invoice_actions.cancel_invoice(invoice=invoice)
        except InvoiceError as exc:
            raise DeskError(str(exc)) from exc
        record(
            staff=staff,
            actor=actor,
            action="invoice.cancel",
            reason=reason,
            billing_account=invoice.billing_account,
            object_type="invoice",
            object_id=invoice.number,
            changes={"status": {"from": "unpaid", "to": invoice.status}},
        )
    return invoice


def issue_manual_invoice(
    *,
    staff: User,
    account: BillingAccount,
    lines: list[ManualLine],
    reason: str,
    due_date: dt.date | None = None,
    token: str | None = None,
    actor: str = "",
) -> Invoice:
    """Issue the customer an invoice of free lines (invoices.manual.issue_manual_invoice):
    numbered, emailed and paid from the balance at once when it covers it, like an order's.
    The form's one-time token is the invoice's issue key: a form sent twice issues one
    (AlreadyDone the second time)."""
    require_reason(reason)
    with transaction.atomic():
        try:
            invoice, created = manual.issue_manual_invoice(
                billing_account=account,
                lines=lines,
                due_date=due_date,
                issue_key=f"desk:{token}" if token else None,
            )
        except InvoiceError as exc:
            raise DeskError(str(exc)) from exc
        if not created:
            raise AlreadyDone(
                _("Invoice %(number)s was already issued.") % {"number": invoice.number}
            )
        record(
            staff=staff,
            actor=actor,
            action="invoice.create",
            reason=reason,
            billing_account=account,
            object_type="invoice",
            object_id=invoice.number,
            changes={
                "invoice": invoice.number,
                "amount": invoice.total_money,
                "lines": len(lines),
                "due_date": invoice.due_date,
                "status": invoice.status,
            },
        )
    return invoice


def create_payment_link(
    *,
    staff: User | None,
    account: BillingAccount,
    method: PaymentMethod,
    amount: Money,
    reason: str,
    actor: str = "",
) -> tuple[Payment, str]:
    """A top-up payment (S5: no invoice) and the link that lets the customer pay it. The desk
    passes the staff member; `hutor payments new` its `--user`, or the named system actor."""
    require_reason(reason)
    positive_amount(amount, account)
    with transaction.atomic():
        try:
            payment = payment_actions.start_top_up(
                billing_account=account, method=method, amount=amount
            )
        except PaymentError as exc:
            raise DeskError(str(exc)) from exc
        url = settings.HUTOR_BASE_URL + payment_actions.payment_link(payment)
        record(
            staff=staff,
            actor=actor,
            action="payment_link.create",
            reason=reason,
            billing_account=account,
            object_type="payment",
            object_id=payment.number,
            changes={"amount": amount, "method": method.slug, "payment": payment.number},
        )
    return payment, url
