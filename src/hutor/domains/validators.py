"""The checks a contact profile passes before any registry sees it.

Each takes what a person typed and returns it in its stored form, or raises ValidationError
with a message for that person (Russian or English) and a code for tests and the API. The INN
and KPP rules are the accounts app's (one place per rule: accounts.requisites).
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email as django_validate_email
from django.utils.translation import gettext as _

from hutor.accounts.requisites import validate_inn, validate_kpp
from hutor.domains.countries import COUNTRY_CODES, calling_code

__all__ = [
    "ADULT_AGE",
    "epp_phone",
    "normalize_phone",
    "validate_birth_date",
    "validate_country",
    "validate_email",
    "validate_inn",
    "validate_issue_date",
    "validate_kpp",
    "validate_latin",
    "validate_ogrn",
    "validate_passport_number",
    "validate_postcode",
]

# A registrant who is a person must be of age (the .ru/.рф rules: a person acting alone).
ADULT_AGE = 18

_LATIN_PERSON = re.compile(r"^[A-Za-z][A-Za-z .'\-]*$")
_LATIN_COMPANY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .,'\"&()\-]*$")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")


def _squeeze(value: str) -> str:
    return "".join(str(value).split())


def validate_ogrn(ogrn: str) -> str:
    """OGRN (13 digits, a company) or OGRNIP (15, a sole trader), with its check digit: the
    number without its last digit, modulo 11 (13 for OGRNIP), modulo 10."""
    ogrn = _squeeze(ogrn)
    if not (ogrn.isascii() and ogrn.isdigit()) or len(ogrn) not in (13, 15):
        raise ValidationError(
            _("An OGRN has 13 digits (an OGRNIP of a sole trader 15)."), code="ogrn_length"
        )
    modulus = 11 if len(ogrn) == 13 else 13
    if int(ogrn[:-1]) % modulus % 10 != int(ogrn[-1]):
        raise ValidationError(
            _("This OGRN fails its check digit: please check the digits."), code="ogrn_checksum"
        )
    return ogrn


def normalize_phone(phone: str) -> str:
    """A phone number in E.164 ("+79161234567"): given with its country code ("+7 916 123-45-67",
    "+44 20 7946 0958"), or a Russian number as dialled at home ("8 916 123-45-67")."""
    text = _PHONE_SEPARATORS.sub("", str(phone))
    if text.startswith("00"):
        text = "+" + text[2:]
    elif len(text) == 11 and text[0] == "8" and text.isdigit():
        text = "+7" + text[1:]
    digits = text[1:]
    if not (text.startswith("+") and digits.isascii() and digits.isdigit()):
        raise ValidationError(
            _("Enter the phone number with its country code, e.g. +7 916 123-45-67."),
            code="phone",
        )
    code = calling_code(digits)
    if (code == "7" and len(digits) != 11) or not 8 <= len(digits) <= 15 or digits[0] == "0":
        raise ValidationError(
            _("This phone number has a wrong number of digits for its country code."),
            code="phone_length",
        )
    return "+" + digits


def epp_phone(e164: str) -> str:
    """EPP's form of a phone number (RFC 5733 e164Type): "+7.9161234567"."""
    digits = e164.lstrip("+")
    code = calling_code(digits)
    return f"+{code}.{digits[len(code) :]}"


def validate_latin(value: str, *, company: bool = False) -> str:
    """A name in Latin letters (with spaces and the punctuation names use), as the registry
    publishes it; a company's may have digits too."""
    value = " ".join(str(value).split())
    pattern = _LATIN_COMPANY if company else _LATIN_PERSON
    if not pattern.match(value):
        raise ValidationError(
            _("Use Latin letters only (A–Z), e.g. Ivan I Ivanov.")
            if not company
            else _("Use Latin letters, digits and punctuation only, e.g. Romashka LLC."),
            code="latin",
        )
    return value


def validate_country(code: str) -> str:
    code = str(code).strip().upper()
    if code not in COUNTRY_CODES:
        raise ValidationError(
            _("Enter a two-letter country code (ISO 3166), e.g. RU."), code="country"
        )
    return code


def validate_email(email: str) -> str:
    email = str(email).strip()
    try:
        django_validate_email(email)
    except ValidationError:
        raise ValidationError(_("Enter a valid email address."), code="email") from None
    return email.lower()


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def validate_birth_date(born: dt.date, *, today: dt.date) -> dt.date:
    """A birth date in the past of a person at least ADULT_AGE years old on `today`."""
    if born >= today or born.year < 1900:
        raise ValidationError(_("Enter a real birth date."), code="birth_date")
    if _age(born, today) < ADULT_AGE:
        raise ValidationError(
            _("A domain's registrant must be at least %(age)d years old.") % {"age": ADULT_AGE},
            code="birth_date_minor",
        )
    return born


def validate_passport_number(number: str, *, country: str) -> str:
    """A Russian passport's series and number (4 and 6 digits: "4510 123456"); another
    country's passport number as given."""
    if country != "RU":
        number = " ".join(str(number).split())
        if not number:
            raise ValidationError(_("Enter the passport number."), code="passport")
        return number
    digits = _squeeze(number)
    if not (digits.isascii() and digits.isdigit() and len(digits) == 10):
        raise ValidationError(
            _("A Russian passport's series and number are 10 digits, e.g. 4510 123456."),
            code="passport",
        )
    return f"{digits[:4]} {digits[4:]}"


def validate_issue_date(issued: dt.date, *, born: dt.date | None, today: dt.date) -> dt.date:
    if issued > today or (born is not None and issued <= born):
        raise ValidationError(
            _("The passport's issue date must be after the birth date and not in the future."),
            code="passport_issued_on",
        )
    return issued


def validate_postcode(postcode: str, *, country: str) -> str:
    postcode = " ".join(str(postcode).split())
    if country == "RU" and not (postcode.isascii() and postcode.isdigit() and len(postcode) == 6):
        raise ValidationError(_("A Russian postcode has 6 digits."), code="postcode")
    if not postcode:
        raise ValidationError(_("Enter the postcode."), code="postcode")
    return postcode
