"""The desk's bank forms: a statement file, and the billing account a queued payment goes to."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hutor.accounts import numbers
from hutor.accounts.models import BillingAccount
from hutor.backoffice.forms import ReasonForm
from hutor.payments.bank.statement import MAX_SIZE


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Statement file"),
        help_text=_(
            "The 1CClientBankExchange text file the bank's client gives (kl_to_1c.txt), in "
            "windows-1251 or UTF-8. A file imported again credits nothing twice."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_SIZE:
            raise forms.ValidationError(_("The file is too large for a bank statement."))
        return upload


def billing_account(text: str) -> BillingAccount:
    """The billing account a typed number names (its check digit verified), or a form error."""
    try:
        number = numbers.parse(text)
    except numbers.InvalidAccountNumber as exc:
        raise forms.ValidationError(str(exc)) from exc
    account = BillingAccount.objects.filter(number=number).first()
    if account is None:
        raise forms.ValidationError(
            gettext("There is no billing account %(number)s.") % {"number": number}
        )
    return account


class AssignForm(ReasonForm):
    account = forms.CharField(
        label=_("Billing account number"),
        max_length=20,
        widget=forms.TextInput(attrs={"class": "mono", "autocomplete": "off"}),
        help_text=_("The check digit is verified: a mistyped number is refused."),
    )

    def clean_account(self) -> BillingAccount:
        return billing_account(self.cleaned_data["account"])


class AccountLookupForm(forms.Form):
    """ "Enter a payment by hand": which customer's, before the payment form."""

    account = forms.CharField(
        label=_("Billing account number"),
        max_length=20,
        widget=forms.TextInput(attrs={"class": "mono", "autocomplete": "off"}),
    )

    def clean_account(self) -> BillingAccount:
        return billing_account(self.cleaned_data["account"])
