"""Russian taxpayer requisites: INN (with its checksum) and KPP."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11_WEIGHTS = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_KPP = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")


def _control(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_is_valid(inn: str) -> bool:
    if not (inn.isascii() and inn.isdigit()):
        return False
    if len(inn) == 10:
        return _control(inn, _INN10_WEIGHTS) == int(inn[9])
    if len(inn) == 12:
        return _control(inn, _INN11_WEIGHTS) == int(inn[10]) and _control(
            inn, _INN12_WEIGHTS
        ) == int(inn[11])
    return False


def validate_inn(inn: str, *, length: int | None = None) -> str:
    """Return the INN stripped of spaces, or raise ValidationError saying what is wrong."""
    inn = "".join(str(inn).split())
    if not (inn.isascii() and inn.isdigit()):
        raise ValidationError(_("An INN contains digits only."), code="inn_digits")
    expected = (length,) if length else (10, 12)
    if len(inn) not in expected:
        if length == 10:
            message = _("A company's INN has 10 digits.")
        elif length == 12:
            message = _("An individual's or sole proprietor's INN has 12 digits.")
        else:
            message = _("An INN has 10 digits (company) or 12 digits (individual).")
        raise ValidationError(message, code="inn_length")
    if not inn_is_valid(inn):
        raise ValidationError(
            _("This INN fails its checksum: please check the digits."), code="inn_checksum"
        )
    return inn


def validate_kpp(kpp: str) -> str:
    kpp = "".join(str(kpp).split()).upper()
    if not _KPP.match(kpp):
        raise ValidationError(
            _("A KPP has 9 characters: 4 digits, 2 digits or letters, 3 digits."), code="kpp"
        )
    return kpp
