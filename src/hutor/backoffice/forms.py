"""The desk's forms: they parse what staff type; the rules live in actions.py."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from hutor.backoffice.audit import action_label
from hutor.backoffice.models import Role
from hutor.catalog.models import TariffPrice
from hutor.core.forms import AmountField, IdChoiceField
from hutor.core.models import Provider
from hutor.core.templatetags.money import format_money
from hutor.invoices.calculations import ManualLine
from hutor.payments.models import Payment, PaymentMethod
from hutor.servers.models import ServerGroup
from hutor.services.provisioning import registry

# The dates a desk filter takes: wide enough for any record, narrow enough that a day before
# or after is still a date.
EARLIEST_DAY = dt.date(2000, 1, 1)
LATEST_DAY = dt.date(2999, 12, 31)


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "class": "mono",
                "pattern": "[0-9 ]*",
            }
        ),
    )

    def clean_code(self) -> str:
        return "".join(str(self.cleaned_data["code"]).split())


class ReasonForm(forms.Form):
    """Every action form ends with the reason, and carries a one-time token against repeats."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required. Kept in the audit log with your name."),
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["token"].initial = uuid.uuid4().hex
        # The reason comes last, whatever fields a subclass adds.
        self.order_fields([name for name in self.fields if name not in ("reason", "token")])

    def clean_token(self) -> str:
        """The token this form was shown with (a UUID, as hex): it becomes part of idempotency
        keys and an order's token, so anything else is refused rather than stored (as an error
        of the whole form: the field is hidden)."""
        text = self.cleaned_data.get("token") or ""
        if not text:
            return ""
        if len(text) <= 64:
            try:
                return uuid.UUID(text).hex
            except ValueError:
                pass
        self.add_error(None, _("This form is damaged; open the page again."))
        return ""


class AmountMixin:
    """A form with an `amount` (AmountField): `form.currency = ...` sets the currency it is
    read in (the billing account's or the payment's), before validation."""

    fields: dict[str, forms.Field]

    @property
    def currency(self) -> str:
        return self._amount_field().currency or settings.DEFAULT_CURRENCY

    @currency.setter
    def currency(self, value: str) -> None:
        self._amount_field().currency = value

    def _amount_field(self) -> AmountField:
        field = self.fields["amount"]
        assert isinstance(field, AmountField)
        return field


def _amount_field() -> AmountField:
    return AmountField(label=_("Amount"), widget=forms.TextInput(attrs={"class": "num"}))


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ManualPaymentForm(AmountMixin, ReasonForm):
    amount = _amount_field()
    document_number = forms.CharField(
        label=_("Bank document"),
        max_length=64,
        help_text=_("As the bank shows it, e.g. «п/п 517»; one document is credited once."),
    )
    document_date = forms.DateField(
        label=_("Bank document date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    top_up = forms.ChoiceField(
        label=_("The customer's bank top-up this money pays"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "A top-up whose bank document the customer printed waits for this money: settle it, "
            "and it is credited as that payment instead of a new one beside it."
        ),
    )

    def offer_top_ups(self, waiting: list[Payment]) -> None:
        """Offer the account's waiting bank top-ups (none: the field is left out). The default
        settles the one of the same amount, when there is exactly one."""
        if not waiting:
            del self.fields["top_up"]
            return
        field = self.fields["top_up"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("by-amount", _("The waiting top-up of the same amount, if there is exactly one")),
            *(
                (
                    p.number,
                    f"{p.number} · {format_money(p.money)} · {p.created_at:%d.%m.%Y}",
                )
                for p in waiting
            ),
            ("", _("None: record a payment of its own")),
        ]
        field.initial = "by-amount"


class AdjustForm(AmountMixin, ReasonForm):
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[
            ("credit", _("Credit: add to the balance")),
            ("debit", _("Debit: take from the balance")),
        ],
        widget=forms.RadioSelect,
        initial="credit",
    )
    amount = _amount_field()


class RefundBalanceForm(AmountMixin, ReasonForm):
    amount = _amount_field()
    reference = forms.CharField(
        label=_("Concerns (invoice or service)"),
        max_length=64,
        required=False,
        help_text=_("Optional: the invoice number the refund is for, shown in the statement."),
    )


class RefundGatewayForm(AmountMixin, ReasonForm):
    amount = _amount_field()


class EmailChangeForm(ReasonForm):
    new_email = forms.EmailField(label=_("New contact email"))


class PaymentLinkForm(AmountMixin, ReasonForm):
    method = IdChoiceField(
        label=_("Payment method"), queryset=PaymentMethod.objects.none(), empty_label=None
    )
    amount = _amount_field()

    def __init__(self, *args: Any, currency: str = "RUB", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        field = self.fields["method"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = PaymentMethod.objects.filter(is_enabled=True, currency=currency)


class PriceChoiceField(IdChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        price: TariffPrice = obj
        tariff = price.tariff
        return (
            f"{tariff.service_type.name} · {tariff.name} · {price.period_months} "
            f"{_('mo.')} · {price.price} {price.currency}"
        )


class OrderForm(ReasonForm):
    price = PriceChoiceField(label=_("Tariff and period"), queryset=TariffPrice.objects.none())
    identifier = forms.CharField(
        label=_("Domain or hostname"),
        max_length=253,
        required=False,
        help_text=_("For hosting, domains, certificates and servers."),
    )

    def __init__(self, *args: Any, currency: str = "RUB", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["price"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            TariffPrice.objects.filter(
                is_active=True,
                currency=currency,
                tariff__is_active=True,
                tariff__service_type__is_active=True,
            )
            .select_related("tariff__service_type")
            .order_by("tariff__service_type__position", "tariff__position", "period_months")
        )


class RenewForm(ReasonForm):
    price = PriceChoiceField(label=_("Period"), queryset=TariffPrice.objects.none())

    def __init__(
        self, *args: Any, tariff_id: int = 0, currency: str = "RUB", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["price"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            TariffPrice.objects.filter(tariff_id=tariff_id, is_active=True, currency=currency)
            .select_related("tariff__service_type")
            .order_by("period_months")
        )


# The rows a manual invoice form shows (an empty row is left out; the API takes up to
# invoices.calculations.MAX_LINES).
INVOICE_FORM_LINES = 5


def _decimal(text: str) -> Decimal | None:
    """A number as typed («1 500,5»), or None when it is not one."""
    cleaned = "".join(text.split()).replace(",", ".")
    # ASCII digits only: Decimal() would also take «١٢٣» and «1e9».
    if len(cleaned) > 32 or not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", cleaned):
        return None
    return Decimal(cleaned)


class ManualInvoiceForm(ReasonForm):
    """Free lines (description, quantity, unit price) and an optional due date; the lines'
    rules (positive, decimal places) are invoices.calculations', checked by the action."""

    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Optional; five days from today when left empty."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, INVOICE_FORM_LINES + 1):
            self.fields[f"line_{n}_description"] = forms.CharField(
                label=_("Line %(n)d: description") % {"n": n}, max_length=300, required=False
            )
            self.fields[f"line_{n}_quantity"] = forms.CharField(
                label=_("Line %(n)d: quantity") % {"n": n},
                max_length=32,
                required=False,
                widget=forms.TextInput(attrs={"class": "num", "inputmode": "decimal"}),
            )
            self.fields[f"line_{n}_price"] = forms.CharField(
                label=_("Line %(n)d: unit price") % {"n": n},
                max_length=32,
                required=False,
                widget=forms.TextInput(attrs={"class": "num", "inputmode": "decimal"}),
            )
        self.order_fields([name for name in self.fields if name.startswith("line_")] + ["due_date"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lines = []
        for n in range(1, INVOICE_FORM_LINES + 1):
            description = data.get(f"line_{n}_description", "")
            quantity_text = data.get(f"line_{n}_quantity", "")
            price_text = data.get(f"line_{n}_price", "")
            if not (description or quantity_text or price_text):
                continue
            quantity = _decimal(quantity_text) if quantity_text else Decimal(1)
            price = _decimal(price_text)
            if quantity is None:
                self.add_error(f"line_{n}_quantity", _("Enter a number."))
            if price is None:
                self.add_error(f"line_{n}_price", _("Enter a number."))
            if quantity is not None and price is not None:
                lines.append(ManualLine(description, quantity, price))
        data["lines"] = lines
        return data


class ExtendForm(ReasonForm):
    # The last paid day, as the desk shows "Paid through"; the view stores the day after.
    until = forms.DateField(
        label=_("New paid-through date (the last paid day)"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class StaffCreateForm(ReasonForm):
    email = forms.EmailField(label=_("Email"))
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    password = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Tell it to the colleague; the first desk login asks them to set up the "
            "authenticator app."
        ),
    )


class StaffUpdateForm(ReasonForm):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    is_active = forms.BooleanField(label=_("Login enabled"), required=False)


class ProviderForm(forms.ModelForm):
    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")
    reason = ReasonForm.base_fields["reason"]

    class Meta:
        model = Provider
        fields = [
            "legal_name",
            "short_name",
            "inn",
            "kpp",
            "ogrn",
            "address",
            "phone",
            "email",
            "website",
            "bank_name",
            "bik",
            "correspondent_account",
            "settlement_account",
            "director",
            "accountant",
        ]


class ServerForm(ReasonForm):
    """A server; the credential is write-only: never shown back, blank keeps the stored one."""

    name = forms.SlugField(label=_("Name"), max_length=64)
    group = IdChoiceField(label=_("Server group"), queryset=ServerGroup.objects.all())
    module = forms.ChoiceField(label=_("Module"), choices=())
    host = forms.CharField(label=_("Host"), max_length=253)
    port = forms.IntegerField(
        label=_("Port"),
        required=False,
        min_value=1,
        max_value=65535,
        help_text=_("Empty: the module's usual port."),
    )
    use_tls = forms.BooleanField(label=_("Connect over TLS"), required=False, initial=True)
    username = forms.CharField(label=_("Username"), max_length=200, required=False)
    password = forms.CharField(
        label=_("Password or API token"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
    )
    capacity = forms.IntegerField(
        label=_("Capacity, services"),
        min_value=1,
        initial=100,
        help_text=_("A full server takes no new services."),
    )
    enabled = forms.BooleanField(label=_("Takes new services"), required=False, initial=True)
    settings = forms.JSONField(
        label=_("Module settings"),
        required=False,
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 2, "class": "mono"}),
        help_text=_('Not secret, as JSON: {"nameservers": ["ns1.example.net"]}.'),
    )

    def __init__(self, *args: Any, stored_password: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        module = self.fields["module"]
        assert isinstance(module, forms.ChoiceField)
        module.choices = [(name, name) for name in sorted(registry())]
        if stored_password:
            self.fields["password"].help_text = _(
                "Stored: %(mask)s. Leave empty to keep it; type a new one to replace it."
            ) % {"mask": stored_password}

    def clean_settings(self) -> dict[str, Any]:
        value = self.cleaned_data.get("settings") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError(_('Enter a JSON object, like {"node": "pve1"}.'))
        return value


class ServerGroupForm(ReasonForm):
    code = forms.SlugField(
        label=_("Code"), max_length=32, help_text=_("Tariffs name the group by it; kept.")
    )
    name = forms.CharField(label=_("Name"), max_length=200)


class AuditFilterForm(forms.Form):
    staff = forms.CharField(label=_("Staff member"), required=False)
    account = forms.CharField(label=_("Billing account"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The log is searched by whole days (date_to + 1 day): keep to dates that can be.
        for name in ("date_from", "date_to"):
            day = data.get(name)
            if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
                self.add_error(name, _("Enter a date between 2000 and 2999."))
        return data

    def __init__(self, *args: Any, actions: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["action"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Any action"))] + [
            (code, action_label(code)) for code in actions or []
        ]


class MonthForm(ReasonForm):
    """A month to close again (YYYY-MM), said wrong or not yet ended on the form."""

    month = forms.CharField(label=_("Month"), max_length=7, help_text=_("YYYY-MM, e.g. 2026-01"))

    field_order = ["month", "reason", "token"]

    def clean_month(self) -> dt.date:
        from hutor.documents.actions import check_month
        from hutor.documents.calculations import MonthError, parse_month

        try:
            month = parse_month(self.cleaned_data["month"])
            check_month(month)
        except MonthError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return month
