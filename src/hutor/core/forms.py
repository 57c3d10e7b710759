"""Form fields and helpers that read numbers people (or forgers) send: amounts and ids.

Every money form of the panel and the desk uses `AmountField`, which is `parse_amount` (the one
reading of a typed amount, in core/money.py) with its message shown beside the field; every id
taken from a POST goes through `object_id`. Whatever the text, the answer is a form error or
"not found", never an exception.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from hutor.core.money import AmountInputError, Money, parse_amount

# Primary keys are 64-bit signed integers on every database Hutor runs on.
MAX_ID = 2**63 - 1
_ID_SHAPE = re.compile(r"[0-9]{1,19}", re.ASCII)


def object_id(value: object) -> int | None:
    """A positive database id written in ASCII digits, or None for anything else (so the
    caller answers "not found" or "choose one"): "abc", "-1", "0", "١٢٣" and
    99999999999999999999 are all None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not _ID_SHAPE.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


class IdChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose posted value is read by `object_id`: Django's own would take
    "١٢٣" (Arabic-Indic digits) as id 123, a choice the page never offered."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        model = self.queryset.model if self.queryset is not None else None
        if not (model and isinstance(value, model)) and object_id(str(value)) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class AmountField(forms.Field):
    """A typed amount of money, cleaned to `Money` by `parse_amount`.

    The currency is the form's to set (`field.currency = account.currency`) before the form is
    validated; it decides the decimal places allowed. Zero and negative amounts are refused
    unless allowed."""

    widget = forms.TextInput

    def __init__(
        self,
        *,
        currency: str | None = None,
        allow_zero: bool = False,
        allow_negative: bool = False,
        **kwargs: Any,
    ) -> None:
        self.currency = currency
        self.allow_zero = allow_zero
        self.allow_negative = allow_negative
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        # No maxlength: a pasted "1 500,00 ₽" with its spaces must still reach the parser,
        # which bounds the length itself.
        attrs.setdefault("inputmode", "decimal")
        attrs.setdefault("autocomplete", "off")
        return attrs

    def to_python(self, value: Any) -> Money | None:
        if value in self.empty_values:
            return None
        try:
            return parse_amount(
                value if isinstance(value, str) else str(value),
                self.currency or settings.DEFAULT_CURRENCY,
                allow_zero=self.allow_zero,
                allow_negative=self.allow_negative,
            )
        except AmountInputError as exc:
            raise ValidationError(str(exc), code=exc.code) from None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Money):
            return f"{value.rounded().amount}"
        return value
