"""The desk's support pages: the ticket queue and one ticket beside its account's 360° panel,
with the forms support works it with (reply, internal note, assignee, status, priority).

Everyone in the desk reads; each action needs its role (roles.ACTIONS "ticket.*") and goes
through backoffice.actions.tickets, which audits it. A refused action comes back as a message
on the ticket page, never a 500.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hutor.accounts.models import User
from hutor.backoffice import queries, roles
from hutor.backoffice.actions import tickets as desk
from hutor.backoffice.exceptions import DeskError
from hutor.backoffice.models import Role
from hutor.backoffice.views.common import render_desk, staff_of
from hutor.invoices.models import InvoiceStatus
from hutor.support import files
from hutor.support import queries as support_queries
from hutor.support.forms import FilesField
from hutor.support.models import Attachment, Ticket, TicketPriority, TicketStatus

NOBODY = "-"


class MessageForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Message"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20000
    )
    attachments = FilesField(label=gettext_lazy("Files"))


class NoteForm(MessageForm):
    text = forms.CharField(
        label=gettext_lazy("Message"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20000
    )


def _ticket(number: str) -> Ticket:
    return get_object_or_404(
        Ticket.objects.select_related("department", "billing_account", "service", "assignee"),
        number=number,
    )


def _staff() -> list[User]:
    return list(User.objects.filter(is_staff=True, is_active=True).order_by("email"))


@roles.require_role(Role.SUPPORT)
def queue(request: HttpRequest) -> HttpResponse:
    result = support_queries.queue(
        staff_id=request.user.pk or 0,
        department_code=request.GET.get("department", ""),
        filter=request.GET.get("filter", "open"),
    )
    return render_desk(
        request,
        "backoffice/tickets/queue.html",
        {
            "queue": result,
            "departments": support_queries.departments(),
            "filters": [
                ("open", _("Open")),
                ("mine", _("Mine")),
                ("unassigned", _("Unassigned")),
                ("waiting", _("Waiting for staff")),
                ("overdue", _("Overdue")),
                ("closed", _("Closed")),
                ("all", _("All")),
            ],
        },
    )


@roles.require_role(Role.SUPPORT)
def ticket(request: HttpRequest, number: str) -> HttpResponse:
    item = _ticket(number)
    account = item.billing_account
    view = queries.account_view(account) if account is not None else None
    return render_desk(
        request,
        "backoffice/tickets/ticket.html",
        {
            "ticket": item,
            "overdue": support_queries.is_overdue(item),
            "thread": support_queries.thread(item, staff=True),
            "account": account,
            "view": view,
            "unpaid": [i for i in view.invoices if i.status == InvoiceStatus.UNPAID]
            if view
            else [],
            "reply_form": MessageForm(prefix="reply"),
            "note_form": NoteForm(prefix="note"),
            "staff": _staff(),
            "statuses": [s for s in TicketStatus.choices if s[0] != TicketStatus.NEW],
            "priorities": TicketPriority.choices,
        },
    )


def _message(request: HttpRequest, number: str, *, prefix: str) -> HttpResponse:
    item = _ticket(number)
    form = MessageForm(request.POST, request.FILES, prefix=prefix)
    if not form.is_valid():
        messages.error(request, _("Write the message."))
        return redirect("desk:ticket", number=item.number)
    try:
        incoming = files.from_uploads(form.cleaned_data.get("attachments") or [])
        perform = desk.reply if prefix == "reply" else desk.note
        perform(
            staff=staff_of(request),
            ticket=item,
            text=form.cleaned_data["text"],
            attachments=incoming,
        )
    except (DeskError, files.BadAttachment) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("The reply is sent to the customer.")
            if prefix == "reply"
            else _("The note is added."),
        )
    return redirect("desk:ticket", number=item.number)


@require_POST
@roles.require_action("ticket.reply")
def ticket_reply(request: HttpRequest, number: str) -> HttpResponse:
    return _message(request, number, prefix="reply")


@require_POST
@roles.require_action("ticket.note")
def ticket_note(request: HttpRequest, number: str) -> HttpResponse:
    return _message(request, number, prefix="note")


@require_POST
@roles.require_action("ticket.assign")
def ticket_assign(request: HttpRequest, number: str) -> HttpResponse:
    item = _ticket(number)
    choice = request.POST.get("assignee", "")
    if choice == NOBODY:
        assignee = None
    elif choice.isdigit():
        assignee = User.objects.filter(pk=int(choice), is_staff=True, is_active=True).first()
        if assignee is None:
            messages.error(request, _("Tickets are assigned to active staff members only."))
            return redirect("desk:ticket", number=item.number)
    else:
        messages.error(request, _("Choose a staff member."))
        return redirect("desk:ticket", number=item.number)
    try:
        desk.assign(staff=staff_of(request), ticket=item, assignee=assignee)
    except DeskError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The assignee is saved."))
    return redirect("desk:ticket", number=item.number)


@require_POST
@roles.require_action("ticket.status")
def ticket_status(request: HttpRequest, number: str) -> HttpResponse:
    item = _ticket(number)
    try:
        desk.set_status(staff=staff_of(request), ticket=item, status=request.POST.get("status", ""))
    except DeskError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The status is saved."))
    return redirect("desk:ticket", number=item.number)


@require_POST
@roles.require_action("ticket.priority")
def ticket_priority(request: HttpRequest, number: str) -> HttpResponse:
    item = _ticket(number)
    try:
        desk.set_priority(
            staff=staff_of(request), ticket=item, priority=request.POST.get("priority", "")
        )
    except DeskError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The priority is saved."))
    return redirect("desk:ticket", number=item.number)


@roles.require_role(Role.SUPPORT)
def ticket_file(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    attachment = Attachment.objects.filter(pk=pk, message__ticket__number=number).first()
    if attachment is None:
        raise Http404("no such file in this ticket")
    return files.download(attachment)
