"""The desk's action pages: a form with the reason, then the audited action (actions.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hutor.backoffice import actions, roles
from hutor.backoffice.exceptions import DeskError
from hutor.backoffice.forms import (
    AdjustForm,
    EmailChangeForm,
    ExtendForm,
    ManualInvoiceForm,
    ManualPaymentForm,
    NoteForm,
    OrderForm,
    PaymentLinkForm,
    ReasonForm,
    RefundBalanceForm,
    RefundGatewayForm,
    RenewForm,
)
from hutor.backoffice.views.common import account_or_404, action_page, staff_of
from hutor.backoffice.views.review import refund_message
from hutor.core.templatetags.money import format_money
from hutor.invoices.models import Invoice
from hutor.notifications.models import OutboxEmail
from hutor.payments.bank import actions as bank_actions
from hutor.payments.models import Payment
from hutor.services.models import Service


def _account_url(number: str) -> str:
    return reverse("desk:account", args=[number])


def _post(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


# --- Support ------------------------------------------------------------------------------------


@roles.require_action("note.add")
@require_POST
def note_add(request: HttpRequest, number: str) -> HttpResponse:
    account = account_or_404(number)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            actions.add_note(
                staff=staff_of(request), account=account, text=form.cleaned_data["text"]
            )
        except DeskError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The note is saved."))
    else:
        messages.error(request, _("Write the note first."))
    return redirect(_account_url(number) + "#notes")


@roles.require_action("email.resend")
def email_resend(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_object_or_404(OutboxEmail.objects.select_related("billing_account"), pk=pk)
    account = email.billing_account
    done = _account_url(account.number) + "#emails" if account else reverse("desk:home")

    def perform(data: dict[str, Any]) -> str:
        copy = actions.resend_email(staff=staff_of(request), email=email, reason=data["reason"])
        return _("A copy is queued to %(to)s.") % {"to": copy.to_email}

    return action_page(
        request,
        form=ReasonForm(_post(request)),
        perform=perform,
        done_url=done,
        title=_("Resend an email"),
        account=account,
        subject=f"{email.subject or email.template} → {email.to_email}",
        button=_("Resend"),
    )


@roles.require_action("account.resend_activation")
def resend_activation(request: HttpRequest, number: str) -> HttpResponse:
    account = account_or_404(number)

    def perform(data: dict[str, Any]) -> str:
        email = actions.resend_activation(
            staff=staff_of(request), account=account, reason=data["reason"]
        )
        return _("The activation email is queued to %(to)s.") % {"to": email.to_email}

    return action_page(
        request,
        form=ReasonForm(_post(request)),
        perform=perform,
        done_url=_account_url(number),
        title=_("Resend the activation email"),
        account=account,
        intro=_(
            "The email «Your billing account has been opened» goes to the contact email again, "
            "with a new one-time link to set the password."
        ),
        button=_("Resend"),
    )


# --- Sales --------------------------------------------------------------------------------------


@roles.require_action("account.change_email")
def change_email(request: HttpRequest, number: str) -> HttpResponse:
    account = account_or_404(number)

    def perform(data: dict[str, Any]) -> str:
        actions.change_contact_email(
            staff=staff_of(request),
            account=account,
            new_email=data["new_email"],
            reason=data["reason"],
        )
        return _("The contact email and the login are now %(email)s.") % {
            "email": account.contact_email
        }

    return action_page(
        request,
        form=EmailChangeForm(_post(request)),
        perform=perform,
        done_url=_account_url(number),
        title=_("Change the contact email"),
        account=account,
        intro=_(
            "The new address becomes the contact email and the login at once, without the "
            "confirmation link. Do it only once you are sure who asks."
        ),
        subject=account.contact_email,
    )


@roles.require_action("order.place")
def order(request: HttpRequest, number: str) -> HttpResponse:
    account = account_or_404(number)

    def perform(data: dict[str, Any]) -> str:
        service = actions.place_order(
            staff=staff_of(request),
            account=account,
            price=data["price"],
            identifier=data["identifier"],
            reason=data["reason"],
            token=data["token"],
        )
        return _("The order is placed: %(service)s.") % {"service": service}

    return action_page(
        request,
        form=OrderForm(_post(request), currency=account.currency),
        perform=perform,
        done_url=_account_url(number),
        title=_("Order a service for the customer"),
        account=account,
        intro=_(
            "The same order as the customer's own: a pending service and a numbered invoice, "
            "emailed to the customer and paid from the balance if it covers it."
        ),
        button=_("Place the order"),
    )


@roles.require_action("payment_link.create")
def payment_link(request: HttpRequest, number: str) -> HttpResponse:
    account = account_or_404(number)
    form = PaymentLinkForm(_post(request), currency=account.currency)
    form.currency = account.currency

    def perform(data: dict[str, Any]) -> tuple[str, str]:
        payment, _url = actions.create_payment_link(
            staff=staff_of(request),
            account=account,
            method=data["method"],
            amount=data["amount"],
            reason=data["reason"],
        )
        message = _("Payment %(number)s is created. Send the customer the link.") % {
            "number": payment.number
        }
        return message, reverse("desk:payment", args=[payment.number])

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=_account_url(number),
        title=_("Create a payment link"),
        account=account,
        intro=_("A top-up of the balance (no invoice): the customer follows the link to pay."),
        button=_("Create the link"),
    )


@roles.require_action("invoice.cancel")
def invoice_cancel(request: HttpRequest, number: str) -> HttpResponse:
    invoice = get_object_or_404(Invoice.objects.select_related("billing_account"), number=number)

    def perform(data: dict[str, Any]) -> str:
        actions.cancel_invoice(staff=staff_of(request), invoice=invoice, reason=data["reason"])
        return _("Invoice %(number)s is cancelled.") % {"number": invoice.number}

    return action_page(
        request,
        form=ReasonForm(_post(request)),
        perform=perform,
        done_url=reverse("desk:invoice", args=[number]),
        title=_("Cancel the invoice"),
        account=invoice.billing_account,
        subject=f"{invoice.number} · {format_money(invoice.total_money)}",
        intro=_(
            "The invoice is withdrawn; its number stays used. A new service's order is "
            "cancelled with it."
        ),
        button=_("Cancel the invoice"),
        danger=True,
    )


@roles.require_action("invoice.create")
def invoice_create(request: HttpRequest, number: str) -> HttpResponse:
    account = account_or_404(number)

    def perform(data: dict[str, Any]) -> tuple[str, str]:
        invoice = actions.issue_manual_invoice(
            staff=staff_of(request),
            account=account,
            lines=data["lines"],
            due_date=data["due_date"],
            reason=data["reason"],
            token=data["token"],
        )
        message = _("Invoice %(number)s for %(amount)s is issued and emailed.") % {
            "number": invoice.number,
            "amount": format_money(invoice.total_money),
        }
        return message, reverse("desk:invoice", args=[invoice.number])

    return action_page(
        request,
        form=ManualInvoiceForm(_post(request)),
        perform=perform,
        done_url=_account_url(number),
        title=_("Issue an invoice"),
        account=account,
        intro=_(
            "An invoice of free lines (quantity × unit price, in %(currency)s) for work or goods "
            "outside the catalog: numbered, emailed to the customer and paid from the balance at "
            "once if it covers it."
        )
        % {"currency": account.currency},
        button=_("Issue the invoice"),
    )


@roles.require_action("email.resend")
def invoice_resend(request: HttpRequest, number: str) -> HttpResponse:
    """Resend the invoice's email (the duplicate of the invoice, S7)."""
    invoice = get_object_or_404(Invoice.objects.select_related("billing_account"), number=number)
    email = (
        OutboxEmail.objects.filter(params__invoice=invoice.number, template="invoice_issued")
        .order_by("id")
        .first()
    )
    if email is None:
        messages.error(request, _("This invoice's email was never queued."))
        return redirect("desk:invoice", number)
    return email_resend(request, email.pk)


def _service(pk: int) -> Service:
    return get_object_or_404(Service.objects.select_related("billing_account", "tariff"), pk=pk)


def _service_action(
    request: HttpRequest,
    pk: int,
    *,
    run: Any,
    title: str,
    intro: str = "",
    danger: bool = False,
    form_class: Any = ReasonForm,
    form_kwargs: dict[str, Any] | None = None,
    done: str = "",
) -> HttpResponse:
    item = _service(pk)

    def perform(data: dict[str, Any]) -> str:
        return str(run(item, data))

    return action_page(
        request,
        form=form_class(_post(request), **(form_kwargs or {})),
        perform=perform,
        done_url=reverse("desk:service", args=[pk]),
        title=title,
        account=item.billing_account,
        subject=f"{item.tariff.name} {item.identifier}".strip(),
        intro=intro,
        danger=danger,
    )


@roles.require_action("service.renew")
def service_renew(request: HttpRequest, pk: int) -> HttpResponse:
    item = _service(pk)

    def run(service: Service, data: dict[str, Any]) -> str:
        invoice = actions.renew_service(
            staff=staff_of(request),
            service=service,
            price=data["price"],
            reason=data["reason"],
        )
        return _("Renewal invoice %(number)s (%(status)s).") % {
            "number": invoice.number,
            "status": invoice.get_status_display(),
        }

    return _service_action(
        request,
        pk,
        run=run,
        title=_("Issue a renewal invoice"),
        intro=_("Paid from the balance at once if it covers it; the service is then extended."),
        form_class=RenewForm,
        form_kwargs={"tariff_id": item.tariff_id, "currency": item.billing_account.currency},
    )


@roles.require_action("service.suspend")
def service_suspend(request: HttpRequest, pk: int) -> HttpResponse:
    def run(service: Service, data: dict[str, Any]) -> str:
        actions.suspend_service(staff=staff_of(request), service=service, reason=data["reason"])
        return _("The service is suspended.")

    return _service_action(
        request,
        pk,
        run=run,
        title=_("Suspend the service"),
        danger=True,
        intro=_("The service stops working; its data is kept."),
    )


@roles.require_action("service.unsuspend")
def service_unsuspend(request: HttpRequest, pk: int) -> HttpResponse:
    def run(service: Service, data: dict[str, Any]) -> str:
        actions.unsuspend_service(staff=staff_of(request), service=service, reason=data["reason"])
        return _("The service is active again.")

    return _service_action(request, pk, run=run, title=_("Unsuspend the service"))


@roles.require_action("service.terminate")
def service_terminate(request: HttpRequest, pk: int) -> HttpResponse:
    def run(service: Service, data: dict[str, Any]) -> str:
        actions.terminate_service(staff=staff_of(request), service=service, reason=data["reason"])
        return _("The service is terminated.")

    return _service_action(
        request,
        pk,
        run=run,
        title=_("Terminate the service"),
        danger=True,
        intro=_("The service and its data are removed for good. This cannot be undone."),
    )


@roles.require_action("service.extend")
def service_extend(request: HttpRequest, pk: int) -> HttpResponse:
    def run(service: Service, data: dict[str, Any]) -> str:
        # Staff enter the last paid day (what every screen shows); paid_until is the day after.
        actions.extend_service(
            staff=staff_of(request),
            service=service,
            until=data["until"] + dt.timedelta(days=1),
            reason=data["reason"],
        )
        return _("The service is paid through %(date)s.") % {
            "date": formats.date_format(data["until"], "SHORT_DATE_FORMAT")
        }

    return _service_action(
        request,
        pk,
        run=run,
        title=_("Extend without an invoice"),
        form_class=ExtendForm,
        intro=_("Moves paid-until later at no charge (goodwill, an outage's compensation)."),
    )


# --- Accountant ---------------------------------------------------------------------------------


@roles.require_action("payment.manual")
def manual_payment(request: HttpRequest, number: str) -> HttpResponse:
    account = account_or_404(number)
    form = ManualPaymentForm(_post(request))
    form.currency = account.currency
    waiting = bank_actions.waiting_top_ups(account)
    form.offer_top_ups(waiting)

    def perform(data: dict[str, Any]) -> tuple[str, str]:
        chosen = data.get("top_up") or None
        top_up = next((p for p in waiting if p.number == chosen), chosen)
        payment = actions.record_manual_payment(
            staff=staff_of(request),
            account=account,
            amount=data["amount"],
            document_number=data["document_number"],
            document_date=data["document_date"],
            reason=data["reason"],
            top_up=top_up,
        )
        message = _("%(amount)s is credited: payment %(number)s.") % {
            "amount": format_money(data["amount"]),
            "number": payment.number,
        }
        return message, reverse("desk:payment", args=[payment.number])

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=_account_url(number),
        title=_("Enter a bank payment"),
        account=account,
        intro=_(
            "Money that reached the provider's bank account for this customer. One bank "
            "document is credited once; open invoices are then paid from the balance."
        ),
        button=_("Credit the payment"),
    )


@roles.require_action("balance.adjust")
def adjust(request: HttpRequest, number: str) -> HttpResponse:
    account = account_or_404(number)
    form = AdjustForm(_post(request))
    form.currency = account.currency

    def perform(data: dict[str, Any]) -> str:
        entry = actions.adjust_balance(
            staff=staff_of(request),
            account=account,
            amount=data["amount"],
            credit=data["direction"] == "credit",
            reason=data["reason"],
            token=data["token"],
        )
        return _("The balance is adjusted (journal entry %(entry)s).") % {"entry": entry.pk}

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=_account_url(number),
        title=_("Adjust the balance"),
        account=account,
        intro=_("A correction between the adjustments account and the customer's balance."),
        button=_("Adjust"),
    )


@roles.require_action("refund.balance")
def refund_balance(request: HttpRequest, number: str) -> HttpResponse:
    account = account_or_404(number)
    form = RefundBalanceForm(_post(request))
    form.currency = account.currency

    def perform(data: dict[str, Any]) -> str:
        entry = actions.refund_to_balance(
            staff=staff_of(request),
            account=account,
            amount=data["amount"],
            reference=data["reference"],
            reason=data["reason"],
            token=data["token"],
        )
        return _("%(amount)s is refunded to the balance (journal entry %(entry)s).") % {
            "amount": format_money(data["amount"]),
            "entry": entry.pk,
        }

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=_account_url(number),
        title=_("Refund to the balance"),
        account=account,
        intro=_(
            "Money the provider owes the customer is credited to the balance, to be spent on "
            "services. To return a payment to the payer's card or wallet, open the payment."
        ),
        button=_("Refund"),
    )


@roles.require_action("refund.gateway")
def refund_gateway(request: HttpRequest, number: str) -> HttpResponse:
    payment = get_object_or_404(
        Payment.objects.select_related("billing_account", "method"), number=number
    )
    form = RefundGatewayForm(_post(request))
    form.currency = payment.currency

    def perform(data: dict[str, Any]) -> str:
        refund = actions.refund_to_gateway(
            staff=staff_of(request),
            payment=payment,
            amount=data["amount"],
            reason=data["reason"],
            token=data["token"],
        )
        return refund_message(refund)

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:payment", args=[number]),
        title=_("Refund to the payment service"),
        account=payment.billing_account,
        subject=f"{payment.number} · {format_money(payment.money)} · {payment.method.name}",
        intro=_(
            "The amount leaves the customer's balance and goes back to the payer through the "
            "payment service. At most %(left)s can still be refunded."
        )
        % {"left": format_money(actions.refundable(payment))},
        button=_("Refund"),
        danger=True,
    )
