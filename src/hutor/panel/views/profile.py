from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hutor.accounts import actions
from hutor.accounts.emails import read_email_change_token
from hutor.accounts.exceptions import AccountError
from hutor.accounts.models import AccountKind, BillingAccount
from hutor.offers import queries as offers
from hutor.panel import limits
from hutor.panel.views.common import customer_required


class ProfileForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Full name or legal name"), max_length=300)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=50, required=False)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=500, required=False)
    inn = forms.CharField(label=gettext_lazy("INN"), max_length=12, required=False)
    kpp = forms.CharField(label=gettext_lazy("KPP"), max_length=9, required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)


class EmailForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("New contact email"))


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _initial(account: BillingAccount) -> dict[str, Any]:
    return {
        "name": account.name,
        "phone": account.phone,
        "address": account.address,
        "inn": account.inn,
        "kpp": account.kpp,
        "language": account.language,
    }


@customer_required
def profile(request: HttpRequest) -> HttpResponse:
    account: BillingAccount = request.account  # type: ignore[attr-defined]
    form = ProfileForm(request.POST or None, initial=_initial(account))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_profile(account=account, **form.cleaned_data)
        except ValidationError as exc:
            account.refresh_from_db()
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Your details are saved."))
            response = redirect("panel:profile")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, account.language)
            return response
    return render(
        request,
        "panel/profile.html",
        {
            "account": account,
            "form": form,
            "email_form": EmailForm(),
            "needs_kpp": account.kind == AccountKind.COMPANY,
            "password_url": _url("account_change_password"),
            "mfa_url": _url("mfa_index"),
            "contract": offers.contract_of(account.pk),
            "acceptances": offers.acceptances(account.pk)[:10],
        },
    )


@customer_required
@require_POST
def profile_email(request: HttpRequest) -> HttpResponse:
    account: BillingAccount = request.account  # type: ignore[attr-defined]
    form = EmailForm(request.POST)
    if form.is_valid() and not limits.take_email_change(request):
        messages.error(
            request,
            _("Too many email change requests right now. Please try again in an hour."),
        )
    elif form.is_valid():
        try:
            new = actions.request_email_change(
                account=account, new_email=form.cleaned_data["email"]
            )
        except AccountError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("We sent a confirmation link to %(email)s; the email changes when you follow it.")
                % {"email": new},
            )
    else:
        messages.error(request, _("Enter a valid email address."))
    return redirect("panel:profile")


@customer_required
def profile_email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    account: BillingAccount = request.account  # type: ignore[attr-defined]
    data = read_email_change_token(token)
    if data is None or data[0] != account.pk or data[2] != account.contact_email:
        raise Http404("this link is not valid (any more)")
    try:
        actions.confirm_email_change(account=account, new_email=data[1])
    except AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Your contact email and login are now %(email)s.") % {"email": data[1]}
        )
    return redirect("panel:profile")
