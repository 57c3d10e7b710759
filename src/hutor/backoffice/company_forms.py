"""The desk's form for a provider company: requisites, the customer kinds it bills, whether its
prices include VAT, and up to three bank accounts (one primary)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hutor.accounts.models import AccountKind
from hutor.backoffice.forms import ReasonForm
from hutor.core.companies import BankAccountDraft
from hutor.core.models import Provider

# The requisites a company's form edits (its bank fields come from its primary account).
REQUISITES = (
    "legal_name",
    "short_name",
    "inn",
    "kpp",
    "ogrn",
    "address",
    "phone",
    "email",
    "website",
    "director",
    "accountant",
)
BANK_ROWS = 3


class CompanyForm(ReasonForm):
    legal_name = forms.CharField(label=_("Legal name"), max_length=300)
    short_name = forms.CharField(label=_("Short name"), max_length=200)
    inn = forms.RegexField(label=_("INN"), regex=r"^(\d{10}|\d{12})$")
    kpp = forms.RegexField(label=_("KPP"), regex=r"^\d{9}$", required=False)
    ogrn = forms.RegexField(label=_("OGRN"), regex=r"^(\d{13}|\d{15})$", required=False)
    address = forms.CharField(label=_("Address"), max_length=500)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    director = forms.CharField(label=_("Director"), max_length=200, required=False)
    accountant = forms.CharField(label=_("Chief accountant"), max_length=200, required=False)
    customer_kinds = forms.MultipleChoiceField(
        label=_("Bills these customers"),
        choices=AccountKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Services whose tariff names no company are sold to these customers by this "
            "company; the default company sells to the rest."
        ),
    )
    prices_include_vat = forms.BooleanField(
        label=_("Catalog prices include VAT"),
        required=False,
        initial=True,
        help_text=_("Off: VAT is added on top of the prices on this company's invoices."),
    )
    make_default = forms.BooleanField(
        label=_("Default company"),
        required=False,
        help_text=_("Documents not tied to a tariff's or a customer kind's company."),
    )
    primary = forms.ChoiceField(
        label=_("Primary bank account"),
        choices=[(str(n), str(n)) for n in range(1, BANK_ROWS + 1)],
        initial="1",
        widget=forms.RadioSelect,
    )

    field_order = [*REQUISITES, "customer_kinds", "prices_include_vat", "make_default"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, BANK_ROWS + 1):
            self.fields[f"bank_name_{n}"] = forms.CharField(
                label=_("Bank %(n)d") % {"n": n}, max_length=300, required=False
            )
            self.fields[f"bik_{n}"] = forms.CharField(label=_("BIK"), max_length=9, required=False)
            self.fields[f"account_{n}"] = forms.CharField(
                label=_("Settlement account"), max_length=20, required=False
            )
            self.fields[f"correspondent_account_{n}"] = forms.CharField(
                label=_("Correspondent account"), max_length=20, required=False
            )
        # The reason and the token stay last.
        self.order_fields([name for name in self.fields if name not in ("reason", "token")])

    def bank_accounts(self) -> list[BankAccountDraft]:
        """The rows filled in, the chosen one primary (core.companies checks the rest)."""
        data = self.cleaned_data
        drafts = []
        for n in range(1, BANK_ROWS + 1):
            bank_name, bik, account, correspondent = (
                (data.get(f"{name}_{n}") or "").strip()
                for name in ("bank_name", "bik", "account", "correspondent_account")
            )
            if bank_name or bik or account or correspondent:
                drafts.append(
                    BankAccountDraft(
                        bank_name=bank_name,
                        bik=bik,
                        account=account,
                        correspondent_account=correspondent,
                        is_primary=data.get("primary") == str(n),
                    )
                )
        return drafts


def initial_of(company: Provider) -> dict[str, Any]:
    initial: dict[str, Any] = {name: getattr(company, name) for name in REQUISITES}
    initial["customer_kinds"] = list(company.customer_kinds or [])
    initial["prices_include_vat"] = company.prices_include_vat
    initial["make_default"] = company.is_default
    for n, account in enumerate(company.bank_accounts.all()[:BANK_ROWS], start=1):
        initial[f"bank_name_{n}"] = account.bank_name
        initial[f"bik_{n}"] = account.bik
        initial[f"account_{n}"] = account.account
        initial[f"correspondent_account_{n}"] = account.correspondent_account
        if account.is_primary:
            initial["primary"] = str(n)
    if not company.bank_accounts.exists() and company.settlement_account:
        initial.update(
            bank_name_1=company.bank_name,
            bik_1=company.bik,
            account_1=company.settlement_account,
            correspondent_account_1=company.correspondent_account,
            primary="1",
        )
    return initial
