"""The check digit catches every single-digit typo and adjacent transposition (exhaustively)."""

import pytest
from django.utils import translation

from hutor.accounts import numbers
from hutor.accounts.numbers import InvalidAccountNumber

# Every number the first 50,000 accounts get, and a slice of 8-digit ones.
RANGES = [range(100000, 150000), range(1000000, 1010000)]


def single_digit_errors(number: str):
    for i, char in enumerate(number):
        for digit in "0123456789":
            if digit != char:
                yield number[:i] + digit + number[i + 1 :]


def adjacent_transpositions(number: str):
    for i in range(len(number) - 1):
        if number[i] != number[i + 1]:
            yield number[:i] + number[i + 1] + number[i] + number[i + 2 :]


@pytest.mark.parametrize("values", RANGES, ids=["7-digit", "8-digit"])
def test_every_single_digit_error_and_adjacent_transposition_is_rejected(values):
    checked = 0
    for value in values:
        number = numbers.from_sequence(value)
        assert numbers.is_valid(number)
        for wrong in single_digit_errors(number):
            assert not numbers.is_valid(wrong), (number, wrong)
            checked += 1
        for wrong in adjacent_transpositions(number):
            assert not numbers.is_valid(wrong), (number, wrong)
            checked += 1
    assert checked > len(values) * 60  # ~63 wrong variants per 7-digit number


def test_the_first_numbers():
    assert numbers.from_sequence(numbers.FIRST_SEQUENCE_VALUE) == "1000002"
    assert numbers.from_sequence(100001) == "1000015"


@pytest.mark.parametrize("text", ["1000015", " 1 000 015 ", "100-0015", "1000015\n"])
def test_parse_accepts_how_people_write_a_number(text):
    assert numbers.parse(text) == "1000015"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter a billing account number"),
        ("10000l5", "digits only"),
        ("12345", "7 to 12 digits"),
        ("1000016", "mistyped"),  # last digit wrong
        ("1000051", "mistyped"),  # two digits swapped
    ],
)
def test_parse_rejects_with_a_clear_message(text, message):
    with translation.override("en"), pytest.raises(InvalidAccountNumber, match=message):
        numbers.parse(text)


def test_typo_neighbours_offer_the_intended_number():
    intended = numbers.from_sequence(123456)
    typo = intended[:3] + str((int(intended[3]) + 1) % 10) + intended[4:]
    assert not numbers.is_valid(typo)
    assert intended in numbers.typo_neighbours(typo)
    assert all(numbers.is_valid(n) for n in numbers.typo_neighbours(typo))
