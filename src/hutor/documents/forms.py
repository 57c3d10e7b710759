"""The period of a reconciliation statement, as the panel and the desk ask for it; the company
and quarter of a sales ledger, as the desk asks for it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hutor.core import clock
from hutor.core.forms import IdChoiceField
from hutor.core.models import Provider
from hutor.documents.reconciliation import PeriodError, check_period
from hutor.documents.sales_ledger import Quarter, QuarterError, parse_quarter


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        today = clock.today()
        # The year so far, the period accountants ask for most.
        kwargs.setdefault("initial", {"start": dt.date(today.year, 1, 1), "end": today})
        super().__init__(data, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end"):
            try:
                check_period(data["start"], data["end"])
            except PeriodError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return data


class SalesLedgerForm(forms.Form):
    """The company and quarter of a sales ledger (documents.sales_ledger)."""

    company: forms.ModelChoiceField[Provider] = IdChoiceField(
        label=_("Provider company"), queryset=Provider.objects.none(), empty_label=None
    )
    quarter = forms.CharField(
        label=_("Quarter"),
        max_length=10,
        help_text=_("YYYYQN, for example 2026Q1"),
        widget=forms.TextInput(attrs={"placeholder": "2026Q1", "size": 8}),
    )

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        today = clock.today()
        # The quarter that ended last, the one a return is filed for.
        year, number = today.year, (today.month - 1) // 3
        if number == 0:
            year, number = year - 1, 4
        companies = Provider.objects.order_by("-is_default", "pk")
        kwargs.setdefault("initial", {"company": companies.first(), "quarter": f"{year}Q{number}"})
        super().__init__(data, **kwargs)
        field = self.fields["company"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = companies

    def clean_quarter(self) -> Quarter:
        try:
            return parse_quarter(self.cleaned_data.get("quarter") or "")
        except QuarterError as exc:
            raise forms.ValidationError(str(exc)) from exc
