"""Ticket numbers never look like the other numbers customers quote, and are read forgivingly;
the SLA rule and its query agree."""

from __future__ import annotations

import datetime as dt

import pytest

from hutor.accounts import numbers as account_numbers
from hutor.invoices import numbers as invoice_numbers
from hutor.payments import numbers as payment_numbers
from hutor.support import calculations, numbers


def test_the_format_and_what_people_type():
    assert numbers.format_number(10001) == "T-10001"
    for typed in ("T-10042", "t10042", "Т-10042", "т 10042", " T-10042 "):
        assert numbers.parse(typed) == "T-10042", typed
    for typed in ("10042", "T-", "X-10042", "1000002", "26-000123"):
        assert numbers.parse(typed) is None, typed
    assert numbers.find("Re: [T-10042] Сайт не работает") == "T-10042"
    assert numbers.find("счёт 26-000123, аккаунт 1000002") is None
    with pytest.raises(ValueError):
        numbers.format_number(5)


def test_a_ticket_number_is_none_of_the_other_numbers():
    ticket = numbers.format_number(20000001)
    with pytest.raises(account_numbers.InvalidAccountNumber):
        account_numbers.parse(ticket)
    assert invoice_numbers.parse(ticket) is None
    assert not payment_numbers.IN_TEXT.fullmatch(ticket)


def test_overdue_by_first_reply_or_by_resolution():
    opened = dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC)
    first, resolution = calculations.due_times("normal", opened)
    assert (first - opened, resolution - opened) == (dt.timedelta(hours=8), dt.timedelta(hours=72))

    def overdue(at_hours: float, replied: bool = False, status: str = "new") -> bool:
        return calculations.is_overdue(
            status=status,
            first_replied_at=opened if replied else None,
            first_reply_due=first,
            resolution_due=resolution,
            now=opened + dt.timedelta(hours=at_hours),
        )

    assert not overdue(7) and overdue(9)
    assert not overdue(9, replied=True) and overdue(73, replied=True)
    assert not overdue(100, status="closed")
