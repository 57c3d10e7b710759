"""The audit log stores codes and plain values and shows them in words, in the reader's
language: action names, field names, statuses, directions, dates and amounts."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from hutor.backoffice import actions, audit
from hutor.backoffice.models import AuditEntry, Role
from hutor.backoffice.tests.conftest import desk_session
from hutor.core.money import Money

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(world, staff_factory):
    staff = staff_factory(Role.ACCOUNTANT)
    actions.suspend_service(staff=staff, service=world.hosting, reason="Спам с сайта")
    actions.adjust_balance(
        staff=staff,
        account=world.account,
        amount=Money("1500.00"),
        credit=True,
        reason="Возврат ошибочного списания",
        token=uuid.uuid4().hex,
    )
    return staff


def table(client: Client, language: str) -> str:
    response = client.get(reverse("desk:audit"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    body = response.content.decode()
    rows = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rows)).split())  # the text a reader sees


def test_what_is_stored_stays_codes_and_plain_values(entries):
    suspend = AuditEntry.objects.get(action="service.suspend")
    assert suspend.changes["status"] == {"from": "active", "to": "suspended"}
    adjust = AuditEntry.objects.get(action="balance.adjust")
    assert adjust.changes["direction"] == "credit"
    assert adjust.changes["amount"] == "1500.00 RUB"


def test_the_audit_page_speaks_russian(entries, world):
    client = desk_session(Client(), entries)
    shown = table(client, "ru")
    assert "Услуга приостановлена" in shown and "Баланс скорректирован" in shown
    assert "статус: Активна → Приостановлена" in shown
    assert "направление: зачисление (на баланс)" in shown
    assert "сумма: 1 500,00 ₽" in shown
    assert "проводка " in shown  # the object acted on, in words
    # Nothing Latin but the staff member's email: no stored code or English word.
    latin = set(re.findall(r"[A-Za-z][A-Za-z_.]*", shown.replace(entries.email, "")))
    assert not latin, latin


def test_the_audit_page_speaks_english(entries, world):
    client = desk_session(Client(), entries)
    shown = table(client, "en")
    assert "Service suspended" in shown and "Balance adjusted" in shown
    assert "status: Active → Suspended" in shown
    assert "direction: credit (to the balance)" in shown
    assert not re.search(
        r"[А-Яа-яЁё]", shown.replace("Спам с сайта", "").replace("Возврат ошибочного списания", "")
    )  # only the reasons staff typed are Russian
    assert "journal entry:" in shown


def test_the_action_filter_names_actions_in_words(entries):
    client = desk_session(Client(), entries)
    page = client.get(reverse("desk:audit"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<option value="balance.adjust">Balance adjusted</option>' in page


def test_unknown_codes_and_keys_are_shown_readably():
    with translation.override("en"):
        assert audit.action_label("robot.dance") == "robot.dance"
        rows = audit.change_rows(
            {
                "mood_level": {"from": None, "to": 3},
                "paid_until": {"from": "2026-11-20", "to": "2026-12-20"},
                "invoices_paid": [],
                "is_enabled": {"from": False, "to": True},
                "invoice": "26-000123",
            },
            "service",
        )
    by_key = {row.key: row for row in rows}
    assert "invoices_paid" not in by_key  # an empty list says nothing
    assert by_key["mood_level"].label == "mood level"
    assert (by_key["mood_level"].before, by_key["mood_level"].after) == ("—", "3")
    assert by_key["paid_until"].label == "paid until"
    assert by_key["paid_until"].after not in ("2026-12-20", "")  # formatted as a date
    assert (by_key["is_enabled"].before, by_key["is_enabled"].after) == ("no", "yes")
    assert by_key["invoice"].url == reverse("desk:invoice", args=["26-000123"])
    with translation.override("ru"):
        assert audit.value_words("paid_until", "2026-12-20") == "20.12.2026"
        assert audit.value_words("status", "active", "invoice") == "active"
        assert audit.value_words("status", "paid", "invoice") == "Оплачен"


def test_every_desk_action_has_words_in_both_languages():
    from hutor.backoffice import roles

    for code in roles.ACTIONS:
        with translation.override("en"):
            english = audit.action_label(code)
        with translation.override("ru"):
            russian = audit.action_label(code)
        assert english != code, code
        assert re.fullmatch(r"[А-Яа-яЁё0-9 ,.«»()-]+", russian), (code, russian)
