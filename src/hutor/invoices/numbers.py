"""Invoice numbers, defined once: «26-000123», two digits of the year, a dash and a counter of
six digits that restarts every year (core.sequences, one sequence per year).

Everything that writes, reads or looks for an invoice number uses this module: numbering
(invoices.actions, billing.renewals through it), the desk's search box (backoffice.search) and
the bank statement matching (payments.bank.matching). People write the number with a slash,
a space or no separator at all («26/000123», «26 000123», «26000123»); `parse` accepts those
and returns the canonical form, which is what the database holds.
"""

from __future__ import annotations

import re

YEAR_DIGITS = 2
COUNTER_DIGITS = 6
SEPARATOR = "-"

# The separators people type between the year and the counter, and those banks print.
_TYPED_SEPARATORS = r"[-/‐–—.\s]"
# A whole string that is one invoice number (the search box, after its prefixes are cut).
_WHOLE = re.compile(rf"^(\d{{{YEAR_DIGITS}}})\s*{_TYPED_SEPARATORS}?\s*(\d{{{COUNTER_DIGITS}}})$")
# An invoice number inside a longer text (a purpose of payment): a dash or a slash is required,
# so a bare run of digits stays a payment or billing account number, and the number must not
# be a piece of a longer one (a date «20-11-2026», an account «40702-810...»).
IN_TEXT = re.compile(
    rf"(?<![\d/-])(\d{{{YEAR_DIGITS}}})\s?[-/]\s?(\d{{{COUNTER_DIGITS}}})(?![\d/-])"
)


def sequence_name(year: int) -> str:
    """The core.sequences counter of a year's invoices."""
    return f"invoice-{year}"


def format_number(year: int, value: int) -> str:
    """«26-000123»: two digits of the year and a counter that restarts every year."""
    return f"{year % 10**YEAR_DIGITS:0{YEAR_DIGITS}d}{SEPARATOR}{value:0{COUNTER_DIGITS}d}"


def parse(text: str) -> str | None:
    """The canonical number «26-000123» in what was typed ("26/000123", "26000123",
    "26 000123"), or None when it is not an invoice number."""
    match = _WHOLE.match(text.strip())
    return f"{match.group(1)}{SEPARATOR}{match.group(2)}" if match else None


def looks_like(text: str) -> bool:
    """Whether a whole string is an invoice number, however separated."""
    return parse(text) is not None


def find_all(text: str) -> list[tuple[str, re.Match[str]]]:
    """The invoice numbers quoted in a text, canonical, each with where it was found."""
    return [
        (f"{match.group(1)}{SEPARATOR}{match.group(2)}", match) for match in IN_TEXT.finditer(text)
    ]
