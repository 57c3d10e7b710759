"""An agent working the ticket queue in the desk, in a real browser (Debian's Chromium): the
queue narrowed to unassigned tickets of one department, a ticket opened beside the account's
panel, taken (assigned to oneself), answered; then it is under "mine", waiting for the
customer. Russian at 1280 px, English on a 390 px phone (no sideways scrolling), nothing
refused by the Content-Security-Policy (csp_clean). With HUTOR_SCREENSHOTS set it saves
support-desk-queue-{ru,en-phone}.png, support-desk-ticket-{en,ru-phone}.png and
support-report-{sla,tickets}-{ru,en-phone}.png."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import expect

from hutor.backoffice.models import Role, StaffProfile
from hutor.backoffice.tests.conftest import desk_session
from hutor.panel.tests.test_browser_panel import DESKTOP, PHONE, visit
from hutor.panel.tests.test_browser_support import browser_as
from hutor.services.actions import place_order
from hutor.support import actions
from hutor.support.models import TicketPriority, TicketStatus
from hutor.support.tests.data import department

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_filters_opens_takes_and_answers_a_ticket(
    live_server, browser, account_factory, catalog, top_up, django_user_model, screenshot
):
    department()
    olga = account_factory(notify=False, name="Ольга Смирнова", email="olga@example.com")
    top_up(olga, "1000.00")
    hosting = place_order(
        billing_account=olga, price=catalog.price(catalog.start, 1), identifier="romashka.ru"
    )
    ivan = account_factory(notify=False, name="Иван Петров", email="ivan@example.com")
    anna = django_user_model.objects.create_user(
        email="anna@staff.example", password="x", is_staff=True, full_name="Anna"
    )
    StaffProfile.objects.create(user=anna, role=Role.SUPPORT)
    boris = django_user_model.objects.create_user(
        email="boris@staff.example", password="x", is_staff=True, full_name="Boris"
    )
    StaffProfile.objects.create(user=boris, role=Role.SUPPORT)
    ours = actions.open_ticket(
        subject="Сайт отвечает ошибкой 502",
        text="С утра romashka.ru отвечает 502 Bad Gateway.",
        department=department("technical"),
        billing_account=olga,
        service=hosting,
        priority=TicketPriority.HIGH,
    )
    taken = actions.open_ticket(
        subject="Не проходит перенос домена",
        text="Код авторизации не подходит.",
        department=department("technical"),
        billing_account=ivan,
    )
    actions.assign(ticket=taken, assignee=boris)
    billing = actions.open_ticket(
        subject="Нужен акт сверки за квартал",
        text="Пришлите, пожалуйста.",
        department=department("billing"),
        billing_account=ivan,
    )

    context, desk, errors = browser_as(
        browser, live_server, desk_session(Client(), anna), language="ru", viewport=DESKTOP
    )
    desk.goto(live_server.url + "/desk/")
    desk.locator(".desk-nav a[href='/desk/tickets/']").click()
    desk.wait_for_url("**/desk/tickets/")
    rows = desk.get_by_test_id("ticket-table").locator("tbody tr[data-ticket]")
    expect(rows).to_have_count(3)
    # One department, then the unassigned tickets in it.
    desk.get_by_test_id("departments").get_by_role("link", name="Техническая поддержка").click()
    desk.wait_for_url("**department=technical**")
    expect(rows).to_have_count(2)
    desk.get_by_test_id("filters").locator("a[href*='filter=unassigned']").click()
    desk.wait_for_url("**filter=unassigned**")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-ticket", ours.number)
    expect(desk.get_by_test_id("ticket-table")).not_to_contain_text(billing.number)
    screenshot(desk, "support-desk-queue-ru")

    # Open it: the account's panel beside it; take it and answer.
    rows.first.locator("a").first.click()
    desk.wait_for_url(f"**/desk/tickets/{ours.number}/")
    expect(desk.get_by_test_id("account-panel")).to_contain_text(olga.number)
    desk.locator("#assignee").select_option(label="anna@staff.example")
    desk.locator("form[action$='/assign/'] button[type=submit]").click()
    desk.wait_for_url(f"**/desk/tickets/{ours.number}/")
    expect(desk.locator("#assignee")).to_have_value(str(anna.pk))
    desk.locator("textarea[name='reply-text']").fill(
        "Здравствуйте! Перезапустили веб-сервер, сайт снова открывается."
    )
    desk.get_by_test_id("reply-form").locator("button[type=submit]").click()
    desk.wait_for_url(f"**/desk/tickets/{ours.number}/")
    expect(desk.get_by_test_id("ticket-status")).to_have_text("Ждёт ответа клиента")
    ours.refresh_from_db()
    assert ours.assignee == anna and ours.status == TicketStatus.WAITING_CUSTOMER

    # Under "mine" now, and no longer among the unassigned.
    desk.goto(live_server.url + "/desk/tickets/?filter=mine")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-ticket", ours.number)
    desk.goto(live_server.url + "/desk/tickets/?filter=unassigned")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-ticket", billing.number)
    assert errors == []
    context.close()

    # The other language and width of each page: the queue, the ticket with the account panel.
    ticket_url = f"/desk/tickets/{ours.number}/"
    for language, viewport, url, testid, text, name in (
        ("en", PHONE, "/desk/tickets/?filter=open", "filters", "Unassigned", "queue-en-phone"),
        ("en", DESKTOP, ticket_url, "ticket-status", "Waiting for customer", "ticket-en"),
        ("ru", PHONE, ticket_url, "account-panel", olga.number, "ticket-ru-phone"),
    ):
        context, desk, errors = browser_as(
            browser,
            live_server,
            desk_session(Client(), anna),
            language=language,
            viewport=viewport,
        )
        visit(desk, live_server.url + url, phone=viewport == PHONE)
        expect(desk.get_by_test_id(testid)).to_contain_text(text)
        screenshot(desk, f"support-desk-{name}")
        assert errors == []
        context.close()


def test_the_support_reports_in_the_browser(
    live_server, browser, account_factory, django_user_model, screenshot
):
    """The SLA report and the tickets-per-day report as a support member sees them: the chart,
    the table, the CSV link; Russian at 1280 px, English on a phone."""
    department()
    account = account_factory(notify=False)
    anna = django_user_model.objects.create_user(
        email="anna@staff.example", password="x", is_staff=True, full_name="Anna"
    )
    StaffProfile.objects.create(user=anna, role=Role.SUPPORT)
    for code, priority in (("technical", TicketPriority.HIGH), ("billing", TicketPriority.NORMAL)):
        ticket = actions.open_ticket(
            subject="Вопрос",
            text="Текст",
            department=department(code),
            billing_account=account,
            priority=priority,
        )
        actions.assign(ticket=ticket, assignee=anna)
        actions.staff_reply(ticket=ticket, staff=anna, text="Ответ")
        actions.close(ticket=ticket)
    for language, viewport, suffix in (("ru", DESKTOP, "ru"), ("en", PHONE, "en-phone")):
        context, desk, errors = browser_as(
            browser,
            live_server,
            desk_session(Client(), anna),
            language=language,
            viewport=viewport,
        )
        for slug in ("tickets", "sla"):
            visit(desk, f"{live_server.url}/desk/reports/{slug}/", phone=viewport == PHONE)
            expect(desk.locator(".desk-chart svg")).to_be_visible()
            expect(desk.locator("a[href*='format=csv']")).to_be_visible()
            screenshot(desk, f"support-report-{slug}-{suffix}")
        expect(desk.locator("table")).to_contain_text("anna@staff.example")  # the SLA table
        assert errors == []
        context.close()
