"""Payment numbers, defined once: eight digits from 20000001 (20000003, 20000104...).

The number doubles as the payment service's order id. It starts at 2 followed by seven digits,
so it never looks like a billing account number (seven digits from 1000002, accounts.numbers)
or an invoice number («26-000123», invoices.numbers). Everything that reads or looks for a
payment number uses this module: the bank statement matching (payments.bank.matching), the
desk's search box (backoffice.search) and the numbering of payments recorded from the bank.
"""

from __future__ import annotations

import re

SEQUENCE_NAME = "payment"
FIRST_NUMBER = 20000001
DIGITS = len(str(FIRST_NUMBER))
_LEAD = str(FIRST_NUMBER)[0]

# A payment number inside a longer text (a purpose of payment), not a piece of a longer number.
IN_TEXT = re.compile(rf"(?<!\d)({_LEAD}\d{{{DIGITS - 1}}})(?!\d)")
_WHOLE = re.compile(rf"^{_LEAD}\d{{{DIGITS - 1}}}$")


def format_number(value: int) -> str:
    """The number of the payment that got `value` from the payment sequence."""
    if value < FIRST_NUMBER:
        raise ValueError(f"payment numbers start at {FIRST_NUMBER}, not {value}")
    return str(value)


def parse(text: str) -> str | None:
    """The payment number in what was typed (spaces and a «№» around it are dropped), or None
    when it is not one."""
    compact = "".join(text.split()).removeprefix("№")
    return compact if compact.isascii() and _WHOLE.match(compact) else None


def looks_like(text: str) -> bool:
    """Whether a whole string is a payment number."""
    return parse(text) is not None


def find_all(text: str) -> list[tuple[str, re.Match[str]]]:
    """The payment numbers quoted in a text, each with where it was found."""
    return [(match.group(1), match) for match in IN_TEXT.finditer(text)]
