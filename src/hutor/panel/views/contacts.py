"""The customer's contact profiles: the registrants their domains are registered to.

Every profile is looked up through the logged-in customer's billing account (another
account's answers 404); the rules live in hutor.domains (the model's clean(), the actions),
and their messages are shown on the form's fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.accounts.models import BillingAccount
from hutor.domains import actions, queries, registry
from hutor.domains.exceptions import ContactProfileInUse
from hutor.domains.models import ContactKind, ContactProfile
from hutor.panel.views.common import customer_required

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # types only: a development dependency

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text(
    label: StrOrPromise, *, max_length: int = 300, help: StrOrPromise = "", **attrs: str
) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        help_text=help,
        widget=forms.TextInput(attrs=attrs) if attrs else None,
    )


class ContactProfileForm(forms.Form):
    """What the customer types; every rule is checked by the domains app's actions, which
    name the field at fault."""

    label = _text(gettext_lazy("Label"), max_length=100)
    kind = forms.ChoiceField(
        label=gettext_lazy("Registrant"),
        choices=ContactKind.choices,
        initial=ContactKind.PERSON,
        widget=forms.RadioSelect,
    )
    # A person.
    name = _text(gettext_lazy("Full name in Russian"), autocomplete="name")
    name_latin = _text(
        gettext_lazy("Full name in Latin letters"),
        help=gettext_lazy("As in a foreign passport: Ivan I Ivanov"),
        lang="en",
    )
    birth_date = forms.DateField(label=gettext_lazy("Birth date"), required=False, widget=DATE)
    passport_number = _text(
        gettext_lazy("Passport series and number"), max_length=40, autocomplete="off"
    )
    passport_issued_by = _text(gettext_lazy("Issued by"), autocomplete="off")
    passport_issued_on = forms.DateField(
        label=gettext_lazy("Issue date"), required=False, widget=DATE
    )
    # A person's INN (optional; a sole trader's, 12 digits): sent as `inn`, kept apart from a
    # company's so that both sections can be on the page at once.
    inn_person = _text(gettext_lazy("INN (optional)"), max_length=12, inputmode="numeric")
    # A company.
    org = _text(gettext_lazy("Company name in Russian"), autocomplete="organization")
    org_latin = _text(gettext_lazy("Company name in Latin letters"), lang="en")
    inn = _text(gettext_lazy("INN"), max_length=12, inputmode="numeric")
    kpp = _text(gettext_lazy("KPP"), max_length=9)
    ogrn = _text(gettext_lazy("OGRN (optional)"), max_length=15, inputmode="numeric")
    legal_address = _text(gettext_lazy("Legal address"), max_length=500)
    # Both.
    country = _text(
        gettext_lazy("Country code"),
        max_length=2,
        help=gettext_lazy("Two letters (ISO 3166): RU, KZ, BY"),
        autocomplete="country",
    )
    postcode = _text(gettext_lazy("Postcode"), max_length=20, autocomplete="postal-code")
    region = _text(gettext_lazy("Region"), max_length=200, autocomplete="address-level1")
    city = _text(gettext_lazy("City"), max_length=200, autocomplete="address-level2")
    street = _text(gettext_lazy("Street, house, flat or office"), autocomplete="street-address")
    email = _text(gettext_lazy("Email"), max_length=254, type="email", autocomplete="email")
    phone = _text(
        gettext_lazy("Phone"),
        max_length=40,
        help=gettext_lazy("With the country code: +7 916 123-45-67"),
        type="tel",
        autocomplete="tel",
    )

    PERSON_FIELDS = ("name", "name_latin", "birth_date", "inn_person")
    PASSPORT_FIELDS = ("passport_number", "passport_issued_on", "passport_issued_by")
    COMPANY_FIELDS = ("org", "org_latin", "inn", "kpp", "ogrn", "legal_address")
    ADDRESS_FIELDS = ("country", "postcode", "region", "city", "street", "email", "phone")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].initial = "RU"

    def is_person(self) -> bool:
        return self.cleaned_data.get("kind") == ContactKind.PERSON

    def details(self) -> dict[str, Any]:
        """The cleaned data as the actions take it (a person's INN as `inn`)."""
        data = dict(self.cleaned_data)
        person_inn = data.pop("inn_person", "")
        if self.is_person():
            data["inn"] = person_inn
        return data

    def show(self, exc: ValidationError) -> None:
        """Put an action's messages on the fields they name."""
        for field, errors in exc.message_dict.items():
            if field == "inn" and self.is_person():
                field = "inn_person"
            self.add_error(field if field in self.fields else None, errors)


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
