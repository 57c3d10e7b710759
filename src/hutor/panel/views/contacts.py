"""The customer's contact profiles: the registrants their domains are registered to.

Every profile is looked up through the logged-in customer's billing account (another
account's answers 404); the rules live in hutor.domains (the model's clean(), the actions),
and their messages are shown on the form's fields.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from hutor.accounts.models import BillingAccount
from hutor.domains import actions, queries, registry
from hutor.domains.exceptions import ContactProfileInUse
from hutor.domains.models import ContactKind, ContactProfile
from hutor.panel.contact_forms import ContactProfileForm
from hutor.panel.views.common import customer_required


def _initial(profile: ContactProfile) -> dict[str, Any]:
    initial = {field: getattr(profile, field) for field in actions.PROFILE_FIELDS}
    if profile.kind == ContactKind.PERSON:
        initial["inn_person"], initial["inn"] = profile.inn, ""
    for field in ("passport_number", "passport_issued_by", "passport_issued_on"):
        initial[field] = ""  # never shown back: left empty, the stored passport is kept
    return initial


def _context(form: ContactProfileForm, profile: ContactProfile | None) -> dict[str, Any]:
    return {
        "form": form,
        "profile": profile,
        "passport_on_file": profile is not None and profile.has_passport,
        "person_fields": [form[name] for name in ContactProfileForm.PERSON_FIELDS],
        "passport_fields": [form[name] for name in ContactProfileForm.PASSPORT_FIELDS],
        "company_fields": [form[name] for name in ContactProfileForm.COMPANY_FIELDS],
        "address_fields": [form[name] for name in ContactProfileForm.ADDRESS_FIELDS],
    }


def _profile(account: BillingAccount, pk: int) -> ContactProfile:
    profile = queries.profile_of(account, pk)
    if profile is None:
        raise Http404("no such contact profile in this billing account")
    return profile


@customer_required
def contact_list(request: HttpRequest) -> HttpResponse:
    account: BillingAccount = request.account  # type: ignore[attr-defined]
    return render(
        request,
        "panel/contacts/list.html",
        {"account": account, "profiles": queries.profiles_of(account)},
    )


@customer_required
def contact_create(request: HttpRequest) -> HttpResponse:
    account: BillingAccount = request.account  # type: ignore[attr-defined]
    form = ContactProfileForm(request.POST or None, initial={"country": "RU"})
    if request.method == "POST" and form.is_valid():
        try:
            profile = actions.create_contact_profile(billing_account=account, **form.details())
        except ValidationError as exc:
            form.show(exc)
        else:
            messages.success(
                request, _("Contact profile «%(label)s» is saved.") % {"label": profile.label}
            )
            return redirect("panel:contacts")
    return render(request, "panel/contacts/form.html", _context(form, None))


@customer_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account: BillingAccount = request.account  # type: ignore[attr-defined]
    profile = _profile(account, pk)
    form = ContactProfileForm(request.POST or None, initial=_initial(profile))
    if request.method == "POST" and form.is_valid():
        try:
            saved = actions.update_contact_profile(profile=profile, **form.details())
        except ValidationError as exc:
            form.show(exc)
        else:
            messages.success(
                request, _("Contact profile «%(label)s» is saved.") % {"label": saved.label}
            )
            updated, failed = registry.push_contacts(profile=saved)
            if updated:
                messages.success(
                    request,
                    _("The owner's details are updated at the registry for: %(names)s.")
                    % {"names": ", ".join(updated)},
                )
            if failed:
                messages.error(
                    request,
                    _(
                        "The registry could not be told for: %(names)s. Save the profile "
                        "again later, or ask support."
                    )
                    % {"names": ", ".join(failed)},
                )
            return redirect("panel:contacts")
    return render(request, "panel/contacts/form.html", _context(form, profile))


@customer_required
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    account: BillingAccount = request.account  # type: ignore[attr-defined]
    profile = _profile(account, pk)
    in_use = actions.live_domains(profile)
    if request.method == "POST":
        try:
            actions.delete_contact_profile(profile=profile)
        except ContactProfileInUse as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("Contact profile «%(label)s» is deleted.") % {"label": profile.label}
            )
        return redirect("panel:contacts")
    return render(request, "panel/contacts/delete.html", {"profile": profile, "in_use": in_use})
