"""Bank statement reasons are stored as a code and parameters and rendered in the reader's
language: every code has English and Russian words, and old English sentences are converted
to codes by migration 0004 where their shape is known."""

from __future__ import annotations

import importlib
import re

import pytest
from django.utils import translation

from hutor.payments.bank import matching
from hutor.payments.bank.reasons import TEXTS, Reason, pack, render, render_reason

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def sample_params(text: str) -> dict[str, object]:
    return {name: "1" for name in PLACEHOLDER.findall(text)}


@pytest.mark.parametrize("code", sorted(TEXTS))
def test_every_code_has_russian_words_with_the_same_parameters(code):
    params = sample_params(TEXTS[code])
    if "named" in params:
        params["named"] = [["1000015", [["invoice", "26-000123"]]]]
    if "errors" in params:
        params["errors"] = [{"code": "amount_zero", "params": {"value": "0.00"}}]
    with translation.override("en"):
        english = render_reason(code, params)
    with translation.override("ru"):
        russian = render_reason(code, params)
    if code != "refused":  # a message already in the reader's language, passed through
        assert russian != english, code
        assert re.search(r"[А-Яа-яЁё]", russian), code
    assert "%(" not in russian and "%(" not in english


def test_a_reason_with_notes_reads_as_one_sentence_in_either_language():
    found = matching.extract("Оплата по счету 26-000999, л/с 1000016")
    decision = matching.decide(found, payments={}, invoices={}, accounts=())
    assert isinstance(decision, matching.NoMatch)
    code, params = pack(decision.reasons)
    assert code == "no_invoice" and params["notes"][0]["code"] == "bad_check_digit"
    with translation.override("en"):
        assert render_reason(code, params).startswith("no invoice 26-000999; 1000016 is not")
    with translation.override("ru"):
        text = render_reason(code, params)
    assert text.startswith("нет счёта 26-000999; 1000016 — неверный номер")
    assert not re.search(r"[A-Za-z]", text)


def test_statuses_and_rules_are_words_not_codes():
    waiting = Reason("payment_not_waiting", {"payment": "20000001", "status": "succeeded"})
    several = Reason("several_accounts", {"named": [["1000015", [["account", "1000015"]]]]})
    with translation.override("en"):
        assert "is credited already" in str(waiting)  # PaymentStatus.SUCCEEDED's label
        assert "1000015 (billing account 1000015)" in str(several)
    with translation.override("ru"):
        assert "succeeded" not in str(waiting) and "account" not in str(several)


def test_an_unknown_code_or_an_old_sentence_is_still_shown():
    assert render_reason("from_the_future", {"n": 3}) == "from_the_future n=3"
    assert render("an old English sentence") == "an old English sentence"


def test_the_migration_turns_known_old_sentences_into_codes():
    migration = importlib.import_module("hutor.payments.migrations.0006_bank_reason_codes")
    assert migration.to_code("a transfer between our own accounts") == ("own_transfer", {})
    assert migration.to_code("outgoing payment from our account 40702810938000000001") == (
        "outgoing",
        {"account": "40702810938000000001"},
    )
    assert migration.to_code(
        "the same bank document was seen before: line #3 of statement #1 (credited)"
    ) == ("duplicate_of_statement", {"line": "3", "statement": "1", "status": "credited"})
    assert migration.to_code("no invoice 26-000123") == ("no_invoice", {"number": "26-000123"})
    assert migration.to_code("document 2 (line 9): Сумма=0.00 is zero") is None


@pytest.mark.django_db
def test_the_desk_shows_a_rejected_file_in_the_readers_language(client, django_user_model):
    from hutor.conftest import open_desk_session
    from hutor.payments.bank import actions

    statement = actions.import_statement(content=b"", file_name="empty.txt")
    assert statement.rejected_code == "file_empty" and statement.rejected_reason == ""
    admin = django_user_model.objects.create_superuser(
        email="admin@test-hosting.ru", password="Admin-pass-2026"
    )
    open_desk_session(client, admin)
    url = f"/desk/bank/statements/{statement.pk}/"
    russian = client.get(url).content.decode()
    assert "файл пуст" in russian and "the file is empty" not in russian
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "the file is empty" in english
