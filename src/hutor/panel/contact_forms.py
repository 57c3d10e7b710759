"""The contact profile form (a domain's owner, as the registry needs it) and its variant on
the order form of a new customer. Every rule is the domains app's (ContactProfile.clean through
its actions), which names the field at fault; these forms only carry what the customer typed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from hutor.accounts.models import AccountKind
from hutor.domains.models import ContactKind

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

    PERSON_FIELDS: tuple[str, ...] = ("name", "name_latin", "birth_date", "inn_person")
    PASSPORT_FIELDS: tuple[str, ...] = (
        "passport_number",
        "passport_issued_on",
        "passport_issued_by",
    )
    COMPANY_FIELDS: tuple[str, ...] = ("org", "org_latin", "inn", "kpp", "ogrn", "legal_address")
    ADDRESS_FIELDS: tuple[str, ...] = (
        "country",
        "postcode",
        "region",
        "city",
        "street",
        "email",
        "phone",
    )

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


# Said under the owner's name and email on a new customer's order form.
AS_IN_YOUR_DETAILS = gettext_lazy("Left empty: the same as in your details.")


class OrderOwnerForm(ContactProfileForm):
    """The domain's owner on the order form of a new customer, who has no contact profile yet:
    the profile form without what the order asks already (the kind follows "You are"; a
    company's name, INN, KPP and legal address are the order's requisites, and so is a sole
    trader's INN), so nothing is typed twice. The owner's name, email and phone left empty are
    the order's. Its fields are named "owner-…" beside the order's own."""

    prefix = "owner"
    FROM_ORDER: tuple[str, ...] = (
        "label",
        "kind",
        "org",
        "inn",
        "kpp",
        "legal_address",
        "inn_person",
    )
    PERSON_FIELDS = ("name", "name_latin", "birth_date")
    COMPANY_FIELDS = ("org_latin", "ogrn")
    # A profile's field that the order asks -> the order form's field its message is shown on.
    ON_ORDER = {
        "org": "name",
        "inn": "inn",
        "kpp": "kpp",
        "legal_address": "address",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.FROM_ORDER:
            del self.fields[name]
        self.fields["name"].help_text = AS_IN_YOUR_DETAILS
        self.fields["email"].help_text = AS_IN_YOUR_DETAILS
        self.fields["phone"].help_text = gettext_lazy(
            "With the country code: +7 916 123-45-67. Left empty: the one in your details."
        )

    def section(self, names: tuple[str, ...]) -> list[forms.BoundField]:
        return [self[name] for name in names]

    def person_fields(self) -> list[forms.BoundField]:
        return self.section(self.PERSON_FIELDS)

    def passport_fields(self) -> list[forms.BoundField]:
        return self.section(self.PASSPORT_FIELDS)

    def company_fields(self) -> list[forms.BoundField]:
        return self.section(self.COMPANY_FIELDS)

    def address_fields(self) -> list[forms.BoundField]:
        return self.section(self.ADDRESS_FIELDS)

    def owner_details(self, order: Mapping[str, Any]) -> dict[str, Any]:
        """The profile's details (as create_contact_profile takes them) from this form and the
        order form's cleaned data: a company's requisites and the contacts left empty are the
        order's; the label is the owner's name."""
        data = dict(self.cleaned_data)
        company = order.get("kind") == AccountKind.COMPANY
        for field in ("name", "email", "phone"):
            data[field] = data.get(field) or order.get(field) or ""
        data["kind"] = ContactKind.COMPANY if company else ContactKind.PERSON
        data["inn"] = order.get("inn") or ""
        if company:
            data["org"] = order.get("name") or ""
            data["kpp"] = order.get("kpp") or ""
            data["legal_address"] = order.get("address") or ""
        data["label"] = str(data["org"] if company else data["name"])[:100]
        return data

    def show_on(self, exc: ValidationError, order_form: forms.Form) -> None:
        """Put the domains app's messages on the fields they name: this form's, or the order
        form's for what the order asked (a company's name, INN, KPP and address)."""
        for field, errors in exc.message_dict.items():
            on_order = self.ON_ORDER.get(field, "")
            if on_order in order_form.fields:
                if not order_form.has_error(on_order):  # said there by the order's own rules
                    order_form.add_error(on_order, errors)
            else:
                self.add_error(field if field in self.fields else None, errors)
