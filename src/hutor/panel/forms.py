from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hutor.accounts.models import AccountKind, BillingAccount
from hutor.accounts.requisites import validate_inn, validate_kpp
from hutor.catalog.models import BillingUnit, IdentifierKind, Tariff, TariffPrice
from hutor.core.forms import IdChoiceField
from hutor.core.money import Money
from hutor.core.templatetags.money import format_money
from hutor.domains.models import ContactProfile
from hutor.domains.queries import profiles_of
from hutor.offers.queries import in_force as offer_in_force
from hutor.services.actions import validate_identifier
from hutor.services.exceptions import InvalidIdentifier
from hutor.services.identifiers import zone_of
from hutor.services.orders import validate_csr
from hutor.services.placement import is_certificate_tariff


class PriceChoiceField(IdChoiceField):
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


def domain_zones() -> dict[str, TariffPrice]:
    """{zone: the price of a year's registration} for every zone the catalog sells."""
    prices = (
        TariffPrice.objects.filter(
            is_active=True,
            tariff__is_active=True,
            tariff__service_type__is_active=True,
            period_months=12,
        )
        .exclude(tariff__domain_zone="")
        .select_related("tariff__service_type")
        .order_by("tariff__domain_zone", "pk")
    )
    zones: dict[str, TariffPrice] = {}
    for price in prices:
        zones.setdefault(price.tariff.domain_zone, price)
    return zones


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
    register_domain = forms.BooleanField(
        label=_("Also register this domain name"),
        required=False,
        help_text=_("One order and one invoice: the domain is registered once it is paid."),
    )
    csr = forms.CharField(
        label=_("Your certificate signing request (CSR), if you have one"),
        required=False,
        max_length=10000,
        help_text=_(
            "Leave empty and we make the key and the request for you (the key is kept "
            "encrypted, downloadable by you only). With your own CSR the key stays with you."
        ),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "mono"}),
    )
    auth_code = forms.CharField(
        label=_("Transfer code (auth code)"),
        max_length=64,
        required=False,
        help_text=_(
            "Transferring a domain you own from another registrar: the code it gave you. "
            "Leave empty to register a new domain."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    contact_profile = IdChoiceField(
        label=_("Domain owner"),
        queryset=ContactProfile.objects.none(),
        required=False,
        empty_label=None,
        help_text=_("The person or company the domain is registered to (your contact profiles)."),
    )
    accept_offer = forms.BooleanField(
        label=_("I accept the public offer and the terms of service"),
        error_messages={"required": _("Please accept the offer to place an order.")},
    )
    order_token = forms.UUIDField(widget=forms.HiddenInput)
    # The version of the public offer the visitor was shown (offers.queries.in_force): the one
    # the order records as accepted, refused if another came into force meanwhile.
    offer = forms.IntegerField(widget=forms.HiddenInput, required=False)

    CUSTOMER_FIELDS = ("email", "name", "kind", "inn", "kpp", "address", "phone")

    def __init__(
        self,
        *args: Any,
        tariff: Tariff,
        logged_in: bool,
        account: BillingAccount | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {}).setdefault("order_token", uuid.uuid4())
        self.public_offer = offer_in_force()
        kwargs["initial"].setdefault("offer", self.public_offer.pk if self.public_offer else None)
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
        # A hosting's domain may be registered in the same order, where the catalog sells its zone.
        self.domain_price: TariffPrice | None = None
        self.domain_zones = domain_zones() if kind == IdentifierKind.DOMAIN else {}
        certificate = is_certificate_tariff(tariff)
        if tariff.domain_zone or not self.domain_zones or certificate:
            del self.fields["register_domain"]
        self.contact_profiles = profiles_of(account) if account is not None else []
        if not certificate:
            del self.fields["csr"]
        self.is_domain = bool(tariff.domain_zone)
        if not self.is_domain:
            del self.fields["auth_code"]
        # A new customer (or one without a contact profile yet) gives the owner's details here
        # (panel.contact_forms.OrderOwnerForm) and the order makes the profile.
        self.account = account
        self.logged_in = logged_in
        self.asks_owner = (not logged_in or not self.contact_profiles) and (
            "register_domain" in self.fields or self.is_domain
        )
        # The owner's profile details, once checked (create_contact_profile's arguments).
        self.owner: dict[str, Any] | None = None
        owned = "register_domain" in self.fields or (self.is_domain and logged_in)
        if owned and self.contact_profiles:
            profile_field = self.fields["contact_profile"]
            assert isinstance(profile_field, forms.ModelChoiceField)
            profile_field.queryset = ContactProfile.objects.filter(billing_account=account)
        else:
            del self.fields["contact_profile"]

    def needs_owner(self) -> bool:
        """Whether this order of a new customer registers a domain, whose owner's details it
        then asks: "also register this domain", or a domain's own order that is no transfer (a
        transfer keeps the owner the registry has; the EPP module's transfer_in sends only the
        code). Known from a form with errors too, so that all the messages come at once."""
        if not self.asks_owner:
            return False
        data = getattr(self, "cleaned_data", {})
        transfer = bool((data.get("auth_code") or "").strip())
        return bool(data.get("register_domain")) or (self.is_domain and not transfer)

    def clean_identifier(self) -> str:
        try:
            return validate_identifier(self.tariff, self.cleaned_data.get("identifier", ""))
        except InvalidIdentifier as exc:
            raise ValidationError(str(exc)) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        csr = (data.get("csr") or "").strip()
        if csr and data.get("identifier"):
            try:
                validate_csr(csr, data["identifier"])
            except InvalidIdentifier as exc:
                self.add_error("csr", str(exc))
        if data.get("register_domain") and data.get("identifier"):
            zone = zone_of(data["identifier"])
            self.domain_price = self.domain_zones.get(zone)
            if self.domain_price is None:
                self.add_error(
                    "register_domain",
                    _("We do not register domains in .%(zone)s.") % {"zone": zone},
                )
            elif "contact_profile" not in self.fields and not self.asks_owner:
                # A domain is registered to an owner whose details the registry needs.
                self.add_error(
                    "register_domain",
                    _(
                        "A domain is registered to its owner, whose details the registry "
                        "needs: add a contact profile (Contacts in the billing panel) first."
                    ),
                )
            elif "contact_profile" in self.fields and data.get("contact_profile") is None:
                self.add_error("contact_profile", _("Choose the domain's owner."))
        transfer = bool((data.get("auth_code") or "").strip())
        if (
            self.is_domain
            and not transfer  # a transfer keeps the owner the registry has
            and "contact_profile" in self.fields
            and not data.get("contact_profile")
        ):
            self.add_error("contact_profile", _("Choose the domain's owner."))
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
