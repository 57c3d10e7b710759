"""The desk's form for a version of the public offer."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hutor.backoffice.forms import ReasonForm


class OfferForm(ReasonForm):
    number = forms.CharField(
        label=_("Number"),
        max_length=32,
        help_text=_("As documents will quote it: «договор-оферта № <number> от <date>»."),
    )
    effective_from = forms.DateField(
        label=_("In force from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    text_ru = forms.CharField(
        label=_("Text in Russian (the contract)"),
        widget=forms.Textarea(attrs={"rows": 18}),
        max_length=200_000,
        help_text=_("Plain text; a blank line starts a new paragraph."),
    )
    text_en = forms.CharField(
        label=_("Text in English (a translation, optional)"),
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=200_000,
        required=False,
    )
