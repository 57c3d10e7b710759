"""Ticket numbers, defined once: «T-10001», a Latin T, a hyphen, five or more digits.

The letter keeps a ticket number from ever looking like a billing account (seven digits with a
check digit, accounts.numbers), an invoice («26-000123», invoices.numbers) or a payment (eight
digits from 20000001, payments.numbers): a customer quoting "T-10042" is understood at once,
by staff and by the desk's search. The digits come from their own gap-free sequence
(core.sequences). What people type is forgiven: a Cyrillic «Т», a lowercase letter, no hyphen
or spaces around it.
"""

from __future__ import annotations

import re

SEQUENCE_NAME = "support-ticket"
FIRST_VALUE = 10001
PREFIX = "T-"

# In a subject or a text: [T-10042], T-10042, Т10042 (Cyrillic Т), not inside a longer word.
IN_TEXT = re.compile(r"(?<![\w-])[TТtт]-?\s?(\d{5,9})(?!\d)")
_WHOLE = re.compile(r"^[TТtт]-?\s?(\d{5,9})$")


def format_number(value: int) -> str:
    """The number of the ticket that got `value` from the ticket sequence."""
    if value < FIRST_VALUE:
        raise ValueError(f"ticket numbers start at {FIRST_VALUE}, not {value}")
    return f"{PREFIX}{value}"


def parse(text: str) -> str | None:
    """The ticket number `text` is (forgiving case, a Cyrillic Т, spaces), or None."""
    match = _WHOLE.match(str(text).strip())
    return f"{PREFIX}{int(match.group(1))}" if match else None


def find(text: str) -> str | None:
    """The first ticket number quoted in `text` (an email's subject), or None."""
    match = IN_TEXT.search(str(text))
    return f"{PREFIX}{int(match.group(1))}" if match else None
