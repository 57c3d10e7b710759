"""Column types shared by every app, sized from one settings constant."""

from typing import Any

from django.conf import settings
from django.db import models


class AmountField(models.DecimalField):
    """An amount of money; its currency lives in a sibling `currency` column."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", settings.MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", settings.MONEY_DECIMAL_PLACES)
        super().__init__(*args, **kwargs)


class CurrencyField(models.CharField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("default", settings.DEFAULT_CURRENCY)
        super().__init__(*args, **kwargs)
