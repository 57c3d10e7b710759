"""Billing account numbers: a sequence value followed by a Damm check digit.

Why Damm: like Verhoeff (and unlike Luhn, which misses the 09<->90 transposition) it detects
every single-digit substitution and every transposition of two adjacent digits, but it needs
one 10x10 table instead of three, has no non-digit check character (ISBN's "X"), and a number
is valid exactly when running it through the table ends at 0. Numbers are dictated by phone,
so these are precisely the errors that happen. The suite proves it exhaustively over a range.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

# The totally anti-symmetric quasigroup of order 10 from H. Michael Damm's thesis (2004).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

# The first account is 100000 + its check digit: seven digits, short enough to dictate.
FIRST_SEQUENCE_VALUE = 100000
MIN_LENGTH = 7
MAX_LENGTH = 12
SEQUENCE_NAME = "billing-account"


class InvalidAccountNumber(ValueError):
    """What a person typed is not a valid billing account number; the message says why."""


def _interim(digits: str) -> int:
    interim = 0
    for char in digits:
        interim = _DAMM[interim][int(char)]
    return interim


def check_digit(digits: str) -> str:
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(f"{digits!r} is not a string of digits")
    return str(_interim(digits))


def is_valid(number: str) -> bool:
    return number.isascii() and number.isdigit() and len(number) >= 2 and _interim(number) == 0


def from_sequence(value: int) -> str:
    body = str(value)
    return body + check_digit(body)


def normalize(text: str) -> str:
    """Strip what people put around numbers when they dictate or paste them."""
    return "".join(ch for ch in str(text) if not ch.isspace() and ch not in "-_.")


def parse(text: str) -> str:
    """Return the account number in `text` or raise InvalidAccountNumber with a clear reason."""
    number = normalize(text)
    if not number:
        raise InvalidAccountNumber(_("Enter a billing account number."))
    if not (number.isascii() and number.isdigit()):
        raise InvalidAccountNumber(_("A billing account number contains digits only."))
    if not MIN_LENGTH <= len(number) <= MAX_LENGTH:
        raise InvalidAccountNumber(
            _("A billing account number has %(min)d to %(max)d digits; this one has %(n)d.")
            % {"min": MIN_LENGTH, "max": MAX_LENGTH, "n": len(number)}
        )
    if _interim(number) != 0:
        raise InvalidAccountNumber(
            _(
                "%(number)s is not a valid billing account number: its last digit does not "
                "match the others, so one digit was probably mistyped or two were swapped."
            )
            % {"number": number}
        )
    return number


def typo_neighbours(number: str) -> list[str]:
    """Valid numbers one keystroke away from `number`: a digit replaced or two adjacent swapped.

    Staff search offers these for a mistyped number; it never opens one by itself.
    """
    number = normalize(number)
    if not number.isdigit():
        return []
    candidates: set[str] = set()
    for i, char in enumerate(number):
        for digit in "0123456789":
            if digit != char:
                candidates.add(number[:i] + digit + number[i + 1 :])
    for i in range(len(number) - 1):
        if number[i] != number[i + 1]:
            candidates.add(number[:i] + number[i + 1] + number[i] + number[i + 2 :])
    return sorted(c for c in candidates if c[0] != "0" and is_valid(c))
