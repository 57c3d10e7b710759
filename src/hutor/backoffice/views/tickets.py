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

from hutor.accounts import numbers as account_numbers
from hutor.accounts.models import BillingAccount, User
from hutor.backoffice import queries, roles
from hutor.backoffice.actions import tickets as desk
from hutor.backoffice.exceptions import DeskError
from hutor.backoffice.models import Role
from hutor.backoffice.search import Quoted, accounts_in_text
from hutor.backoffice.views.canned import canned_options
from hutor.backoffice.views.common import render_desk, staff_of
from hutor.invoices.models import InvoiceStatus
from hutor.support import files
from hutor.support import numbers as support_numbers
from hutor.support import queries as support_queries
from hutor.support.forms import FilesField
from hutor.support.models import (
    Attachment,
    MessageKind,
    Ticket,
    TicketMessage,
    TicketPriority,
    TicketStatus,
)

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
    """The ticket by number; a merged ticket's number leads to the ticket it was merged into."""
    found = get_object_or_404(
        Ticket.objects.select_related("department", "billing_account", "service", "assignee"),
        number=number,
    )
    if found.merged_into_id is None:
        return found
    return _ticket(support_queries.merged_target(found).number)


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
    if item.number != number:
        messages.info(
            request,
            _("%(number)s is merged into %(target)s.") % {"number": number, "target": item.number},
        )
        return redirect("desk:ticket", number=item.number)
    account = item.billing_account
    view = queries.account_view(account) if account is not None else None
    thread = support_queries.thread(item, staff=True)
    return render_desk(
        request,
        "backoffice/tickets/ticket.html",
        {
            "ticket": item,
            "overdue": support_queries.is_overdue(item),
            "thread": thread,
            "quoted": _quoted(item, thread) if item.needs_account_check else [],
            "canned": canned_options(item, view, staff_of(request)),
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


def _quoted(item: Ticket, thread: list[TicketMessage]) -> list[Quoted]:
    """The accounts the numbers in the ticket's subject and the customer's messages point to,
    other than the one the ticket is already on."""
    text = "\n".join([item.subject, *(m.text for m in thread if m.kind == MessageKind.CUSTOMER)])
    return [q for q in accounts_in_text(text) if q.account.pk != item.billing_account_id]


def _confirmed(request: HttpRequest) -> bool:
    if request.POST.get("confirm") == "yes":
        return True
    messages.error(request, _("Tick the box to confirm."))
    return False


@require_POST
@roles.require_action("ticket.attach")
def ticket_attach(request: HttpRequest, number: str) -> HttpResponse:
    item = _ticket(number)
    typed = account_numbers.normalize(request.POST.get("account", ""))
    digits = typed.isascii() and typed.isdigit()  # nothing else is an account number
    account = BillingAccount.objects.filter(number=typed).first() if digits else None
    if account is None:
        messages.error(request, _("No billing account has this number."))
    elif _confirmed(request):
        try:
            desk.attach(staff=staff_of(request), ticket=item, account=account)
        except DeskError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("The ticket is attached to account %(number)s.") % {"number": account.number},
            )
    return redirect("desk:ticket", number=item.number)


@require_POST
@roles.require_action("ticket.verify")
def ticket_verify(request: HttpRequest, number: str) -> HttpResponse:
    item = _ticket(number)
    if _confirmed(request):
        try:
            desk.verify(staff=staff_of(request), ticket=item)
        except DeskError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The sender is marked verified."))
    return redirect("desk:ticket", number=item.number)


@require_POST
@roles.require_action("ticket.merge")
def ticket_merge(request: HttpRequest, number: str) -> HttpResponse:
    item = get_object_or_404(Ticket, number=number)
    typed = support_numbers.parse(request.POST.get("into", ""))
    into = Ticket.objects.filter(number=typed).first() if typed else None
    if into is None:
        messages.error(request, _("No ticket has this number."))
    elif _confirmed(request):
        try:
            target = desk.merge(staff=staff_of(request), ticket=item, into=into)
        except DeskError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("%(number)s is merged into %(target)s.")
                % {"number": item.number, "target": target.number},
            )
            return redirect("desk:ticket", number=target.number)
    return redirect("desk:ticket", number=item.number)


@roles.require_role(Role.SUPPORT)
def ticket_file(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    attachment = Attachment.objects.filter(pk=pk, message__ticket__number=number).first()
    if attachment is None:
        raise Http404("no such file in this ticket")
    return files.download(attachment)
