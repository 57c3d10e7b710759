"""The desk's form for a provider company's tax rule."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hutor.backoffice.forms import ReasonForm
from hutor.taxes.calculations import FIXED_RATES
from hutor.taxes.models import TaxRegime


class TaxRuleForm(ReasonForm):
    regime = forms.ChoiceField(label=_("Tax regime"), choices=TaxRegime.choices)
    rate = forms.DecimalField(
        label=_("VAT rate, %"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        help_text=_(
            "General regime: 22 (from 2026), 20, 10 or 0. Simplified with VAT: 5 or 7. "
            "Empty for the simplified regime without VAT."
        ),
    )
    effective_from = forms.DateField(
        label=_("Effective from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Documents dated from this day on (the provider's local date) carry it."),
    )

    def clean(self) -> dict[str, Any]:
        """A regime with one fixed rate (5 %, 7 %) needs none typed; a wrong one is refused by
        the taxes app's own check, with its message."""
        data = super().clean() or {}
        if data.get("rate") is None and data.get("regime") in FIXED_RATES:
            data["rate"] = FIXED_RATES[data["regime"]]
        return data
