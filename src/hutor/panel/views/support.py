"""The customer's support tickets: the list, opening one, the conversation, replying, closing,
and the attached files.

Every ticket is looked up through the logged-in customer's billing account (another
account's ticket answers 404), internal notes are never shown, and a file is served only when
its message is one the customer may read. The rules are hutor.support's actions; a refusal is
shown on the form, never a 500.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hutor.accounts.models import BillingAccount
from hutor.core.forms import IdChoiceField
from hutor.panel import submissions
from hutor.panel.models import FormAction
from hutor.panel.submissions import FormTokenError
from hutor.panel.views.common import customer_required
from hutor.services.models import Service, ServiceStatus
from hutor.support import actions, files, queries
from hutor.support.exceptions import SupportError
from hutor.support.forms import FilesField
from hutor.support.models import Attachment, MessageKind, Ticket


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Message"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20000
    )
    attachments = FilesField(label=gettext_lazy("Files"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = _(
            "Screenshots, documents, logs: up to %(n)s files, %(mb)s MB each."
        ) % {"n": settings.HUTOR_SUPPORT_MAX_FILES, "mb": settings.HUTOR_SUPPORT_MAX_FILE_MB}


class TicketForm(ReplyForm):
    subject = forms.CharField(
        label=gettext_lazy("Subject"),
        max_length=200,
        # suggest.js offers help articles under the field as the customer types.
        widget=forms.TextInput(
            attrs={
                "data-suggest-url": reverse_lazy("kb:suggest"),
                "data-suggest-target": "subject-suggestions",
                "autocomplete": "off",
            }
        ),
    )
    department = IdChoiceField(
        label=gettext_lazy("Department"), queryset=queries.departments(), empty_label=None
    )
    service = IdChoiceField(
        label=gettext_lazy("Service"),
        queryset=Service.objects.none(),
        required=False,
        empty_label=gettext_lazy("Not about one service"),
    )
    field_order = ["subject", "department", "service", "text", "attachments"]

    def __init__(self, *args: Any, account: BillingAccount, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the customer's own services can be chosen (and so named in a ticket).
        self.fields["service"].queryset = (  # type: ignore[attr-defined]
            Service.objects.filter(billing_account=account)
            .exclude(status=ServiceStatus.TERMINATED)
            .select_related("tariff")
            .order_by("-id")
        )
        self.fields["service"].label_from_instance = _service_label  # type: ignore[attr-defined]


def _service_label(service: Service) -> str:
    return f"{service.identifier or service.tariff} ({service.tariff})"


def _ticket(request: HttpRequest, number: str) -> Ticket:
    ticket = queries.customer_ticket(request.account, number)  # type: ignore[attr-defined]
    if ticket is None:
        raise Http404("no such ticket in this billing account")
    return ticket


def _incoming(form: ReplyForm) -> list[files.Incoming]:
    return files.from_uploads(form.cleaned_data.get("attachments") or [])


@customer_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    tickets = queries.customer_tickets(request.account)  # type: ignore[attr-defined]
    return render(request, "panel/support/list.html", {"tickets": tickets})


@customer_required
def ticket_create(request: HttpRequest) -> HttpResponse:
    account: BillingAccount = request.account  # type: ignore[attr-defined]
    initial = {"service": request.GET.get("service")} if request.GET.get("service") else None
    form = TicketForm(request.POST or None, request.FILES or None, account=account, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def open_ticket() -> str:
            ticket = actions.open_ticket(
                subject=data["subject"],
                text=data["text"],
                department=data["department"],
                service=data["service"],
                billing_account=account,
                author=request.user,  # type: ignore[arg-type]
                attachments=_incoming(form),
            )
            return f"ticket:{ticket.number}"

        try:
            # The form's one-time token: a double click or a resubmitted form opens one ticket.
            token = submissions.read(request, account, FormAction.OPEN_TICKET)
            claim = submissions.submit(
                token=token,
                billing_account=account,
                action=FormAction.OPEN_TICKET,
                perform=open_ticket,
            )
        except FormTokenError as exc:
            form.add_error(None, exc.message)
        except SupportError as exc:
            form.add_error(None, str(exc))
        else:
            if claim.first:
                message = _("Ticket %(number)s is open. We will answer here and by email.")
            else:
                message = _("This form was already sent: ticket %(number)s is open.")
            messages.success(request, message % {"number": claim.result_key})
            return redirect("panel:ticket_detail", number=claim.result_key)
    return render(request, "panel/support/new.html", {"form": form})


@customer_required
def ticket_detail(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket(request, number)
    if ticket.merged_into_id is not None:
        # A merged ticket's number leads to the one it was merged into (the same account's).
        target = queries.merged_target(ticket)
        if target.billing_account_id == ticket.billing_account_id:
            return redirect("panel:ticket_detail", number=target.number)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.customer_reply(
                ticket=ticket,
                text=form.cleaned_data["text"],
                author=request.user,  # type: ignore[arg-type]
                attachments=_incoming(form),
            )
        except SupportError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your message is sent."))
            return redirect("panel:ticket_detail", number=ticket.number)
    return render(
        request,
        "panel/support/detail.html",
        {"ticket": ticket, "thread": queries.thread(ticket, staff=False), "form": form},
    )


@require_POST
@customer_required
def ticket_close(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket(request, number)
    try:
        actions.close(ticket=ticket)
    except SupportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Ticket %(number)s is closed.") % {"number": ticket.number})
    return redirect("panel:ticket_detail", number=ticket.number)


@customer_required
def ticket_file(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    """A file of the customer's own ticket, never one of an internal note."""
    ticket = _ticket(request, number)
    attachment = (
        Attachment.objects.filter(pk=pk, message__ticket=ticket)
        .exclude(message__kind=MessageKind.NOTE)
        .first()
    )
    if attachment is None:
        raise Http404("no such file in this ticket")
    return files.download(attachment)
