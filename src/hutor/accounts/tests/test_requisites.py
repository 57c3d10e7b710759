import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from hutor.accounts.requisites import inn_is_valid, validate_inn, validate_kpp

# Real, published INNs (the Federal Tax Service and Sberbank) and a valid 12-digit one.
VALID = ["7707329152", "7707083893", "500100732259"]


@pytest.mark.parametrize("inn", VALID)
def test_valid_inns(inn):
    assert inn_is_valid(inn)
    assert validate_inn(f" {inn} ") == inn


@pytest.mark.parametrize("inn", ["7707329153", "500100732258", "123", "77073291520", "77O7329152"])
def test_invalid_inns(inn):
    assert not inn_is_valid(inn)
    with pytest.raises(ValidationError):
        validate_inn(inn)


def test_every_single_digit_change_of_a_10_digit_inn_is_caught_in_its_check_digit():
    inn = "7707083893"
    for digit in "0123456789":
        if digit != inn[-1]:
            assert not inn_is_valid(inn[:-1] + digit)


def test_inn_length_by_kind():
    with translation.override("en"):
        with pytest.raises(ValidationError, match="10 digits"):
            validate_inn("500100732259", length=10)
        with pytest.raises(ValidationError, match="12 digits"):
            validate_inn("7707083893", length=12)
    with translation.override("ru"), pytest.raises(ValidationError, match="из 10 цифр"):
        validate_inn("500100732259", length=10)


def test_kpp():
    assert validate_kpp("773601001") == "773601001"
    assert validate_kpp("7736ab001") == "7736AB001"
    with pytest.raises(ValidationError):
        validate_kpp("77360100")
