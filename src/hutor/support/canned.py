"""Canned answers' placeholders: which there are, checking a text for unknown ones, and filling
them in for a ticket (pure functions; the values come from the caller, who reads the account).

A placeholder is a name in braces, `{account_number}`; any other name in braces is refused
when the answer is saved, so a typo never reaches a customer as "{acount_number}".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDERS = (
    "account_number",
    "customer_name",
    "balance",
    "unpaid_total",
    "ticket_number",
    "agent_name",
)

_BRACED = re.compile(r"\{([^{}\s]*)\}")


def unknown_placeholders(text: str) -> list[str]:
    """The names in braces that are not placeholders, in order of appearance, each once."""
    found: list[str] = []
    for name in _BRACED.findall(text or ""):
        if name not in PLACEHOLDERS and name not in found:
            found.append(name)
    return found


def render(text: str, values: Mapping[str, str]) -> str:
    """`text` with each known placeholder replaced by its value ("—" where there is none, as for
    the account's placeholders of a ticket without an account)."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            return match.group(0)
        return values.get(name) or "—"

    return _BRACED.sub(fill, text or "")
