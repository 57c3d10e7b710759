"""The corpus of hostile values posted to every form and every payment notification address
(panel/tests/test_hostile_input.py, backoffice/tests/test_hostile_input.py,
payments/tests/test_hostile_notifications.py), and what "nothing moved" means."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

# id -> value; bytes are sent as they are (percent-escaped in a form body), so b"\xff\xfe"
# is a field that is not UTF-8.
HOSTILE: dict[str, str | bytes] = {
    "huge-exponent": "9e999999",
    "exponent-30": "1e30",
    "exponent-plus-40": "1E+40",
    "nan": "NaN",
    "snan": "sNaN",
    "infinity": "Infinity",
    "minus-infinity": "-Infinity",
    "minus-zero": "-0",
    "negative": "-100",
    "arabic-indic-digits": "١٢٣",
    "fullwidth-digits": "１２",
    "huge-integer": "99999999999999999999",
    "too-many-decimals": "1.0000000000000000000000000001",
    "not-utf8": b"\xff\xfe",
    "nul": "1\x00",
    "megabyte": "9" * 1_000_000,
    "empty": "",
    "abc": "abc",
    "sql": "1'; DROP TABLE ledger_journalentry; --",
}
IDS = list(HOSTILE)


def form_body(fields: dict[str, Any]) -> bytes:
    """An application/x-www-form-urlencoded body; bytes values are escaped byte by byte."""
    return urlencode(fields).encode("ascii")


def snapshot() -> dict[str, Any]:
    """What must not change when bad input is refused: journal entries (every money movement),
    payments and their statuses, invoices, services and their states."""
    from hutor.invoices.models import Invoice
    from hutor.ledger.models import JournalEntry
    from hutor.payments.models import Payment
    from hutor.services.models import Service

    return {
        "journal_entries": JournalEntry.objects.count(),
        "payments": sorted(Payment.objects.values_list("id", "status", "amount")),
        "invoices": sorted(Invoice.objects.values_list("id", "status")),
        "services": sorted(Service.objects.values_list("id", "status", "tariff_id", "paid_until")),
    }
