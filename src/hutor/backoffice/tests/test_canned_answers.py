"""Canned answers: written at the desk (unknown placeholders refused with the list of those
there are; audited), offered in a ticket's reply form rendered for that ticket in its language
(the desk's script inserts the option's text), by department, only while active."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from hutor.backoffice.models import AuditEntry, Role
from hutor.backoffice.queries import account_view
from hutor.backoffice.tests.conftest import desk_session
from hutor.core.templatetags.money import format_money
from hutor.support import actions, canned
from hutor.support.models import CannedAnswer
from hutor.support.tests.data import department

pytestmark = pytest.mark.django_db

TEXT_RU = (
    "{customer_name}, по аккаунту {account_number} баланс {balance}, к оплате {unpaid_total}. "
    "Обращение {ticket_number}. {agent_name}"
)
TEXT_EN = "Dear {customer_name}: account {account_number}, balance {balance}. {agent_name}"


def test_placeholders_are_checked_and_filled_in():
    assert canned.unknown_placeholders("{balance} {acount} {x y} {acount} {}") == ["acount", ""]
    assert canned.render("{balance}, {ticket_number}, {other}", {"balance": "5 ₽"}) == (
        "5 ₽, —, {other}"
    )


def test_support_writes_an_answer_and_a_typo_in_a_placeholder_is_refused(staff_factory):
    staff = staff_factory(Role.SUPPORT)
    desk = desk_session(Client(), staff)
    form = {"title": "Баланс", "text_ru": TEXT_RU, "is_active": "on", "reason": "Частый вопрос"}
    response = desk.post("/desk/canned/new/", form | {"text_en": "Balance {acount_number}"})
    page = html.unescape(response.content.decode())
    assert response.status_code == 200 and "{acount_number}" in page and "{balance}" in page
    assert not CannedAnswer.objects.exists() and not AuditEntry.objects.exists()

    response = desk.post("/desk/canned/new/", form | {"text_en": TEXT_EN})
    assert response.status_code == 302
    answer = CannedAnswer.objects.get()
    assert answer.text_en == TEXT_EN and answer.is_active and answer.department is None
    entry = AuditEntry.objects.get(action="canned.save")
    assert entry.staff == staff and entry.reason == "Частый вопрос"
    assert entry.changes["title"] == {"from": None, "to": "Баланс"}
    listing = desk.get("/desk/canned/").content.decode()
    assert "Баланс" in listing and f"/desk/canned/{answer.pk}/" in listing

    # Changed: only what changed is recorded; an answer taken out of use.
    edit = {**form, "text_en": TEXT_EN, "reason": "Не нужен", "department": ""}
    del edit["is_active"]
    assert desk.post(f"/desk/canned/{answer.pk}/", edit).status_code == 302
    entry = AuditEntry.objects.filter(action="canned.save").latest("id")
    assert set(entry.changes) == {"is_active"}


def test_the_reply_form_offers_answers_rendered_for_the_ticket(
    world, account_factory, staff_factory
):
    technical, billing = department("technical"), department("billing")
    values = {"text_ru": TEXT_RU, "text_en": TEXT_EN, "is_active": True, "department": None}
    actions.save_canned(answer=None, values={"title": "Баланс", **values})
    actions.save_canned(answer=None, values={**values, "title": "Про счета", "department": billing})
    actions.save_canned(answer=None, values={**values, "title": "Старый", "is_active": False})
    acc = world.account
    ticket = actions.open_ticket(
        subject="Вопрос", text="Сколько на счёте?", department=technical, billing_account=acc
    )
    staff = staff_factory(Role.SUPPORT)
    staff.full_name = "Анна Смирнова"
    staff.save(update_fields=["full_name"])
    desk = desk_session(Client(), staff)
    page = html.unescape(desk.get(f"/desk/tickets/{ticket.number}/").content.decode())
    view = account_view(acc)
    expected = canned.render(
        TEXT_RU,
        {
            "customer_name": acc.name,
            "account_number": acc.number,
            "balance": format_money(view.balance, "ru"),
            "unpaid_total": format_money(view.unpaid_total, "ru"),
            "ticket_number": ticket.number,
            "agent_name": "Анна Смирнова",
        },
    )
    assert 'data-canned-for="id_reply-text"' in page and f'data-text="{expected}"' in page
    assert acc.number in expected and ticket.number in expected and "₽" in expected
    assert "Про счета" not in page and "Старый" not in page  # another department; inactive
    assert 'src="/static/hutor/desk.js"' in page or "desk.js" in page

    # An English customer's ticket gets the English text, money written the English way.
    english = account_factory(email="john@example.com", name="John Smith", language="en")
    other = actions.open_ticket(
        subject="Hi", text="Balance?", department=billing, billing_account=english
    )
    page = html.unescape(desk.get(f"/desk/tickets/{other.number}/").content.decode())
    assert "Dear John Smith: account " + english.number in page and "Про счета" in page
    # Without an account the account's placeholders read "—".
    stranger = actions.open_ticket(
        subject="?", text="?", department=technical, billing_account=None, email="x@y.org"
    )
    page = html.unescape(desk.get(f"/desk/tickets/{stranger.number}/").content.decode())
    assert "—, по аккаунту — баланс —" in page
