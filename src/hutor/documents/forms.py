"""The period of a reconciliation statement, as the panel and the desk ask for it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hutor.core import clock
from hutor.documents.reconciliation import PeriodError, check_period


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
