from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hutor.accounts.models import AccountKind
from hutor.accounts.requisites import validate_inn, validate_kpp
from hutor.catalog.models import BillingUnit, IdentifierKind, Tariff, TariffPrice
from hutor.core.money import Money
from hutor.core.templatetags.money import format_money
from hutor.services.actions import validate_identifier
from hutor.services.exceptions import InvalidIdentifier


class PriceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        price: TariffPrice = obj
        months = price.period_months
        if price.tariff.service_type.billing_unit == BillingUnit.YEAR and months % 12 == 0:
            period = ngettext("%(n)d year", "%(n)d years", months // 12) % {"n": months // 12}
        else:
            period = ngettext("%(n)d month", "%(n)d months", months) % {"n": months}
        label = f"{period} — {format_money(Money(price.price, price.currency))}"
        if price.setup_fee:
            fee = format_money(Money(price.setup_fee, price.currency))
            label += " + " + str(_("setup fee %(amount)s") % {"amount": fee})
        return label


class OrderForm(forms.Form):
    """The order form. Prices and tariffs come from the catalog, never from the form: a price
    of another tariff is simply not a valid choice."""

    price = PriceChoiceField(
        label=_("Period"),
        queryset=TariffPrice.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    identifier = forms.CharField(label=_("Domain name"), max_length=253, required=False)
    email = forms.EmailField(label=_("Contact email"))
    name = forms.CharField(label=_("Full name or legal name"), max_length=300)
    kind = forms.ChoiceField(
        label=_("You are"), choices=AccountKind.choices, initial=AccountKind.INDIVIDUAL
    )
    inn = forms.CharField(label=_("INN"), max_length=12, required=False)
    kpp = forms.CharField(label=_("KPP"), max_length=9, required=False)
    address = forms.CharField(label=_("Address"), max_length=500, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    accept_offer = forms.BooleanField(
        label=_("I accept the public offer and the terms of service"),
        error_messages={"required": _("Please accept the offer to place an order.")},
    )
    order_token = forms.UUIDField(widget=forms.HiddenInput)

    CUSTOMER_FIELDS = ("email", "name", "kind", "inn", "kpp", "address", "phone")

    def __init__(self, *args: Any, tariff: Tariff, logged_in: bool, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("order_token", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.tariff = tariff
        prices = tariff.prices.filter(is_active=True).order_by("period_months")
        price_field = self.fields["price"]
        assert isinstance(price_field, forms.ModelChoiceField)
        price_field.queryset = prices
        first = prices.first()
        if first is not None:
            self.fields["price"].initial = first.pk
        kind = tariff.service_type.identifier_kind
        if kind == IdentifierKind.NONE:
            del self.fields["identifier"]
        else:
            self.fields["identifier"].required = True
            if kind == IdentifierKind.HOSTNAME:
                self.fields["identifier"].label = _("Hostname")
                self.fields["identifier"].widget.attrs["placeholder"] = "vps1.example.com"
            else:
                zone = tariff.domain_zone or "ru"
                self.fields["identifier"].widget.attrs["placeholder"] = (
                    "пример.рф" if zone == "рф" else f"example.{zone}"
                )
        if logged_in:
            for name in self.CUSTOMER_FIELDS:
                del self.fields[name]

    def clean_identifier(self) -> str:
        try:
            return validate_identifier(self.tariff, self.cleaned_data.get("identifier", ""))
        except InvalidIdentifier as exc:
            raise ValidationError(str(exc)) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "kind" not in self.fields:
            return data
        kind = data.get("kind")
        inn, kpp = data.get("inn", ""), data.get("kpp", "")
        try:
            if kind == AccountKind.COMPANY:
                data["inn"] = validate_inn(inn, length=10)
            elif kind == AccountKind.SOLE_PROPRIETOR or inn:
                data["inn"] = validate_inn(inn, length=12)
        except ValidationError as exc:
            self.add_error("inn", exc)
        if kind == AccountKind.COMPANY:
            try:
                data["kpp"] = validate_kpp(kpp)
            except ValidationError as exc:
                self.add_error("kpp", exc)
            if not data.get("address"):
                self.add_error("address", _("A company's legal address is required."))
        elif kpp:
            self.add_error("kpp", _("Only a company has a KPP."))
        return data
