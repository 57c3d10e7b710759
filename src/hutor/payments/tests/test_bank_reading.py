"""Bank statements read and matched, without a database: the 1C exchange format parsed into
typed documents (encodings, amounts) and the pure matching rules (account, invoice and payment
numbers however written, the check digit, INN as the last resort). The import itself, with its
crediting, is in test_bank_statement.py."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from hutor.payments.bank import matching, statement

DATA = Path(__file__).parent / "data"
FIRST = DATA / "statement-2026-11-20.txt"


@pytest.fixture(autouse=True)
def english():
    """The reasons below are read in English (stored as codes, rendered at reading time)."""
    with translation.override("en"):
        yield


# --- Parsing ------------------------------------------------------------------------------------


def test_the_parser_reads_a_windows_1251_statement_into_typed_documents():
    parsed = statement.parse(FIRST.read_bytes())
    assert parsed.encoding == "cp1251" and parsed.declared_encoding == "Windows"
    assert parsed.accounts == ("40702810938000000001",)
    assert parsed.period_start == parsed.period_end == dt.date(2026, 11, 20)
    assert len(parsed.sections) == 10 and not parsed.warnings
    first = parsed.sections[0].document
    assert first is not None
    assert (first.kind, first.number, first.date, first.amount) == (
        "Платежное поручение",
        "1",
        dt.date(2026, 11, 20),
        Decimal("1500.00"),
    )
    assert first.payer_name == "Иванов Иван Иванович"
    assert first.recipient_account == "40702810938000000001"
    assert "платёж № 20000001" in first.purpose
    assert first.key == "bank:20261120:1:40817810099910004312:1500.00"
    assert first.reference == "п/п № 1 от 20.11.2026"
    order = parsed.sections[7]
    assert order.kind == "Банковский ордер" and order.document is not None
    assert order.document.reference == "б/о № 5512 от 20.11.2026"


def test_a_utf8_file_that_says_windows_is_still_read_right_with_a_warning():
    text = FIRST.read_bytes().decode("cp1251")
    parsed = statement.parse(text.encode("utf-8"))
    assert parsed.encoding == "utf-8"
    assert parsed.warnings[0].code == "encoding_wrong"
    assert "Кодировка=Windows" in str(parsed.warnings[0]) and "utf-8" in str(parsed.warnings[0])
    assert parsed.sections[0].document.payer_name == "Иванов Иван Иванович"
    declared = text.replace("Кодировка=Windows", "Кодировка=UTF-8").encode("utf-8")
    assert statement.parse(declared).warnings == ()
    with_bom = statement.parse(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert with_bom.encoding == "utf-8" and len(with_bom.sections) == 10
    undeclared = statement.parse(text.replace("Кодировка=Windows\r\n", "").encode("cp1251"))
    assert undeclared.encoding == "cp1251" and "no Кодировка" in str(undeclared.warnings[0])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0.00", "is zero"),
        ("-100.00", "is negative"),
        ("100.005", "more than two decimal places"),
        ("100.000", "more than two decimal places"),
        ("1 500.00", "is not an amount"),
        ("abc", "is not an amount"),
        ("", "is missing"),
        ("1000000000000.00", "too large"),
    ],
)
def test_bad_amounts_are_refused_with_the_reason(text, problem):
    with pytest.raises(ValueError, match=problem):
        statement.parse_amount(text)


def test_good_amounts():
    assert statement.parse_amount("1500") == Decimal("1500.00")
    assert statement.parse_amount("1500,5") == Decimal("1500.50")
    assert statement.parse_amount("0.01") == Decimal("0.01")


# --- Matching (pure) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "purpose",
    [
        "л/с 1000015",
        "Оплата по л/сч 1000015 за хостинг",
        "№1000015",
        "биллинг-аккаунт 1000015",
        "Пополнение баланса биллинг-аккаунта № 1000015. Без НДС",
        "лицевой счет 1000015",
        "Оплата на лицевой счёт № 1000015",
        "лиц. сч. 1000015",
        "по договору 1000015",
        "Договор N1000015",
        "ЛС1000015",
        "Оплата 1000015 хостинг",
    ],
)
def test_account_numbers_however_written(purpose):
    found = matching.extract(purpose)
    assert [ref.number for ref in found.accounts] == ["1000015"]
    decision = matching.decide(found, payments={}, invoices={}, accounts={"1000015"})
    assert decision == matching.Match("1000015", "account")


@pytest.mark.parametrize(
    "purpose",
    ["Оплата по счету 26-000123", "сч. № 26-000123 от 01.11.2026", "счет 26/000123", "26-000123"],
)
def test_invoice_numbers_however_written(purpose):
    found = matching.extract(purpose)
    assert found.invoices == ("26-000123",) and not found.accounts
    decision = matching.decide(found, payments={}, invoices={"26-000123": "1000028"}, accounts=())
    assert decision == matching.Match("1000028", "invoice")


@pytest.mark.parametrize(
    "purpose",
    [
        "Оплата. Тел. 1000015",
        "Сумма 1000015.00",
        "1000015-00 руб",
        "ИНН 7707329152 КПП 770701001",
        "счёт 40817810099910004312",
        "от 20.11.2026",
    ],
)
def test_numbers_that_are_not_account_numbers(purpose):
    assert not matching.extract(purpose).accounts


def test_a_wrong_check_digit_is_never_guessed_even_when_a_neighbour_exists():
    found = matching.extract("Оплата за хостинг л/с 1000016")
    decision = matching.decide(
        found,
        payments={},
        invoices={},
        accounts={"1000015", "1000066"},
        payer_inn="7707329152",
        inn_accounts=["1000015"],
    )
    assert isinstance(decision, matching.NoMatch)
    assert decision.reasons[0].code == "bad_check_digit"
    assert "1000016" in decision.reason and "check digit" in decision.reason


def test_several_accounts_or_a_contradicting_number_are_not_matched():
    found = matching.extract("л/с 1000015, счёт 26-000123")
    decision = matching.decide(
        found, payments={}, invoices={"26-000123": "1000028"}, accounts={"1000015"}
    )
    assert isinstance(decision, matching.NoMatch) and "several" in decision.reason
    found = matching.extract("счёт 26-000123, л/с 1000099")  # 1000099: valid, no such account
    decision = matching.decide(found, payments={}, invoices={"26-000123": "1000028"}, accounts=())
    assert isinstance(decision, matching.NoMatch) and "1000099" in decision.reason
    # A typo of the very account the invoice names does not block the invoice.
    found = matching.extract("счёт 26-000123, л/с 1000082")
    decision = matching.decide(found, payments={}, invoices={"26-000123": "1000028"}, accounts=())
    assert isinstance(decision, matching.Match) and decision.account == "1000028"


def test_inn_is_the_last_resort_and_must_be_unique():
    found = matching.extract("Оплата за услуги по договору-оферте")
    assert matching.decide(
        found,
        payments={},
        invoices={},
        accounts=(),
        payer_inn="500100732259",
        inn_accounts=["1000031"],
    ) == matching.Match("1000031", "inn")
    several = matching.decide(
        found,
        payments={},
        invoices={},
        accounts=(),
        payer_inn="7707329152",
        inn_accounts=["1000015", "1000099"],
    )
    assert isinstance(several, matching.NoMatch) and "2 billing accounts" in several.reason
    none = matching.decide(found, payments={}, invoices={}, accounts=(), payer_inn="0")
    assert isinstance(none, matching.NoMatch) and "no INN" in none.reason
