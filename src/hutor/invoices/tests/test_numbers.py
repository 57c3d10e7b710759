"""Invoice and payment numbers are defined once (invoices/numbers.py, payments/numbers.py), and
everything that formats, parses or looks for them uses those definitions."""

from __future__ import annotations

import re
import types

from hypothesis import given
from hypothesis import strategies as st

from hutor.backoffice import search
from hutor.invoices import actions as invoice_actions
from hutor.invoices import numbers as invoice_numbers
from hutor.payments import numbers as payment_numbers
from hutor.payments.bank import matching

years = st.integers(min_value=2000, max_value=2199)
counters = st.integers(min_value=1, max_value=999_999)
payment_values = st.integers(min_value=payment_numbers.FIRST_NUMBER, max_value=29_999_999)


@given(years, counters)
def test_an_invoice_number_round_trips_however_it_is_typed(year, value):
    number = invoice_numbers.format_number(year, value)
    assert re.fullmatch(r"\d{2}-\d{6}", number)
    year_part, counter = number.split("-")
    for typed in (number, f"{year_part}/{counter}", f"{year_part}{counter}", f" {number} "):
        assert invoice_numbers.parse(typed) == number
        assert invoice_numbers.looks_like(typed)
    assert int(counter) == value and int(year_part) == year % 100


@given(years, counters)
def test_matching_and_search_find_the_invoice_numbers_numbering_writes(year, value):
    number = invoice_numbers.format_number(year, value)
    slashed = number.replace("-", "/")
    found = matching.extract(f"Оплата по счету № {slashed} за хостинг, без НДС")
    assert found.invoices == (number,)
    assert found.payments == ()
    assert search.invoice_number(number) == number
    assert search.invoice_number(number.replace("-", "")) == number


@given(payment_values)
def test_a_payment_number_round_trips_and_is_found_in_a_purpose(value):
    number = payment_numbers.format_number(value)
    assert payment_numbers.parse(number) == number
    assert payment_numbers.parse(f"№ {number}") == number
    assert payment_numbers.looks_like(number)
    found = matching.extract(f"Оплата платежа {number} НДС не облагается")
    assert found.payments == (number,)
    assert found.invoices == ()  # in a text an invoice number needs its dash or slash
    # Typed alone, "26000123" may be an invoice without its dash: the search tries both.
    assert invoice_numbers.find_all(number) == []


def test_numbers_that_are_not_invoices_or_payments():
    for text in ("2600012", "1000002", "26-00012", "26-0001234", "abc", ""):
        assert not invoice_numbers.looks_like(text), text
    for text in ("1000002", "10000020", "200000011", "2000000", "2000000a", ""):
        assert not payment_numbers.looks_like(text), text


def test_numbering_uses_the_one_definition():
    # invoices.actions re-exports the formatter; bank matching and the desk search keep no
    # pattern of their own for these numbers, so a change of format in numbers.py is a change
    # everywhere.
    assert invoice_actions.format_number is invoice_numbers.format_number
    for module in (matching, search):
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                assert not value.search("26-000123"), (module.__name__, name)
                assert not value.fullmatch("20000001"), (module.__name__, name)
    assert isinstance(matching.invoice_numbers, types.ModuleType)
    assert matching.invoice_numbers is invoice_numbers
    assert matching.payment_numbers is payment_numbers
    assert search.invoice_numbers is invoice_numbers
    assert search.payment_numbers is payment_numbers


def test_payments_are_numbered_by_the_one_definition():
    from hutor.payments import actions as payment_actions

    assert payment_actions.numbers is payment_numbers
