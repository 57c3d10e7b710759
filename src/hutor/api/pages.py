"""The pages where tokens are made: the desk's (staff tokens, administrators only, audited
like every desk action) and the panel's (a customer's own tokens, in the profile).

A new token's secret is shown once, in the answer to the POST that made it, and never put in
a session, a message or a log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hutor.api import tokens
from hutor.api.models import ApiToken, TokenKind
from hutor.backoffice import roles
from hutor.backoffice.audit import action_label
from hutor.backoffice.exceptions import DeskError
from hutor.backoffice.forms import ReasonForm
from hutor.backoffice.models import Role
from hutor.backoffice.views.common import action_page, render_desk, staff_of
from hutor.core import clock
from hutor.panel.views.common import customer_required


def _expiry(days: int | None) -> dt.datetime | None:
    return clock.now() + dt.timedelta(days=days) if days else None


class StaffTokenForm(ReasonForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Only these actions"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: everything the role may do."),
    )
    expires_days = forms.IntegerField(
        label=gettext_lazy("Expires in, days"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=gettext_lazy("Empty: never expires (revoke it when it is no longer needed)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scopes = self.fields["scopes"]
        assert isinstance(scopes, forms.MultipleChoiceField)
        scopes.choices = [
            (code, f"{action_label(code)} ({code})") for code in sorted(roles.ACTIONS)
        ]


@roles.require_action("api_token.create")
def staff_tokens(request: HttpRequest) -> HttpResponse:
    """The staff tokens, and the form that makes one (its secret shown once, in this answer)."""
    form = StaffTokenForm(request.POST if request.method == "POST" else None)
    issued = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = tokens.create_staff_token(
                staff=staff_of(request),
                name=data["name"],
                role=data["role"],
                scopes=data["scopes"],
                expires_at=_expiry(data["expires_days"]),
                reason=data["reason"],
            )
        except DeskError as exc:
            form.add_error(None, str(exc))
        else:
            form = StaffTokenForm()
    rows = ApiToken.objects.filter(kind=TokenKind.STAFF).select_related("created_by")
    return render_desk(
        request,
        "api/desk_tokens.html",
        {"rows": rows, "form": form, "issued": issued, "now": clock.now()},
        status=201 if issued else 200,
    )


@roles.require_action("api_token.revoke")
def staff_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, kind=TokenKind.STAFF)

    def perform(data: dict[str, Any]) -> str:
        tokens.revoke_staff_token(staff=staff_of(request), token=token, reason=data["reason"])
        return _("The token %(name)s is revoked.") % {"name": token.name}

    return action_page(
        request,
        form=ReasonForm(request.POST if request.method == "POST" else None),
        perform=perform,
        done_url=reverse("api_pages:desk_tokens"),
        title=_("Revoke an API token"),
        subject=f"{token.name} · {token.prefix}",
        button=_("Revoke"),
        danger=True,
    )


# --- The panel: a customer's own tokens --------------------------------------------------------


class CustomerTokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    expires_days = forms.IntegerField(
        label=gettext_lazy("Expires in, days"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=gettext_lazy("Empty: never expires."),
    )


@customer_required
def customer_tokens(request: HttpRequest) -> HttpResponse:
    account = request.account  # type: ignore[attr-defined]
    form = CustomerTokenForm(request.POST if request.method == "POST" else None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = tokens.create_customer_token(
                account=account,
                name=form.cleaned_data["name"],
                expires_at=_expiry(form.cleaned_data["expires_days"]),
            )
        except DeskError as exc:
            form.add_error(None, str(exc))
        else:
            form = CustomerTokenForm()
    return render(
        request,
        "api/panel_tokens.html",
        {
            "account": account,
            "form": form,
            "issued": issued,
            "rows": ApiToken.objects.filter(billing_account=account),
            "now": clock.now(),
        },
        status=201 if issued else 200,
    )


@customer_required
@require_POST
def customer_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    account = request.account  # type: ignore[attr-defined]
    token = tokens.revoke_customer_token(account=account, token_id=pk)
    if token is None:  # another customer's token, or one already revoked: as the panel does
        raise Http404("no such token")
    messages.success(request, _("The token %(name)s is revoked.") % {"name": token.name})
    return redirect("api_pages:panel_tokens")
