"""Canned answers at the desk: the list, writing one in both languages, and the options of a
ticket's reply form (each rendered for that ticket, in its language, into a data attribute the
desk's script inserts into the reply). Everyone in the desk reads; support writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.backoffice import roles
from hutor.backoffice.actions import tickets as desk
from hutor.backoffice.forms import ReasonForm
from hutor.backoffice.models import Role
from hutor.backoffice.views.common import action_page, render_desk, staff_of
from hutor.core.forms import IdChoiceField
from hutor.core.templatetags.money import format_money
from hutor.support import canned
from hutor.support import queries as support_queries
from hutor.support.actions import CANNED_FIELDS
from hutor.support.models import CannedAnswer, Department, Ticket

if TYPE_CHECKING:
    from hutor.accounts.models import User
    from hutor.backoffice.queries import AccountView


class CannedForm(ReasonForm):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=120)
    text_ru = forms.CharField(
        label=gettext_lazy("Text in Russian"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
    )
    text_en = forms.CharField(
        label=gettext_lazy("Text in English"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
    )
    department = IdChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.all(),
        required=False,
        empty_label=gettext_lazy("Every department"),
    )
    is_active = forms.BooleanField(label=gettext_lazy("Offered in replies"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = ", ".join("{" + name + "}" for name in canned.PLACEHOLDERS)
        hint = _("Placeholders, filled in for the ticket: %(names)s.") % {"names": names}
        self.fields["text_ru"].help_text = hint
        self.fields["text_en"].help_text = hint


@dataclass(frozen=True)
class Option:
    pk: int
    title: str
    text: str


def values_for(ticket: Ticket, view: AccountView | None, agent: User) -> dict[str, str]:
    """The placeholders' values for this ticket, money written in the ticket's language."""
    account = ticket.billing_account
    return {
        "ticket_number": ticket.number,
        "agent_name": agent.full_name or agent.email,
        "account_number": account.number if account else "",
        "customer_name": account.name if account else "",
        "balance": format_money(view.balance, ticket.language) if view else "",
        "unpaid_total": format_money(view.unpaid_total, ticket.language) if view else "",
    }


def canned_options(ticket: Ticket, view: AccountView | None, agent: User) -> list[Option]:
    values = values_for(ticket, view, agent)
    english = ticket.language.startswith("en")
    return [
        Option(
            pk=answer.pk,
            title=answer.title,
            text=canned.render(answer.text_en if english else answer.text_ru, values),
        )
        for answer in support_queries.canned_answers(ticket)
    ]


@roles.require_role(Role.SUPPORT)
def answers(request: HttpRequest) -> HttpResponse:
    rows = CannedAnswer.objects.select_related("department")
    return render_desk(request, "backoffice/tickets/canned.html", {"answers": rows})


@roles.require_action("canned.save")
def answer_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    answer = get_object_or_404(CannedAnswer, pk=pk) if pk else None
    initial: dict[str, Any] = (
        {name: getattr(answer, name) for name in CANNED_FIELDS} if answer else {"is_active": True}
    )
    form = CannedForm(request.POST if request.method == "POST" else None, initial=initial)

    def perform(data: dict[str, Any]) -> str:
        saved = desk.save_canned(
            staff=staff_of(request),
            answer=answer,
            values={name: data[name] for name in CANNED_FIELDS},
            reason=data["reason"],
        )
        return _("The canned answer «%(title)s» is saved.") % {"title": saved.title}

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:canned"),
        title=_("Change a canned answer") if answer else _("Write a canned answer"),
        subject=answer.title if answer else "",
        intro=_(
            "Support picks it in a ticket's reply form; the placeholders are filled in for the "
            "ticket, in its language, and the text can be changed before it is sent."
        ),
        button=_("Save"),
    )
