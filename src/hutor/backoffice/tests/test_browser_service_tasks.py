"""The desk's service page with the service's provisioning tasks, and the failed tasks list, in a
real browser (Russian, 1280 px). A provider's script (hosting.py, the "script" module) refuses
to create a hosting whose domain is taken; staff free it and create the service again; the
page shows both tasks, the refusal's words, the server and the remote id. With
HUTOR_SCREENSHOTS set it saves desk-service-tasks-ru-1280.png and desk-queue-ru-1280.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hutor.backoffice import actions as desk
from hutor.backoffice.models import Role
from hutor.backoffice.tests.test_browser_desk import log_in
from hutor.panel.tests.test_service_access import script_hosting, worker
from hutor.services.actions import place_order
from hutor.services.models import Service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_service_page_shows_the_tasks_and_the_queue_the_failed_ones(
    live_server, browser, tmp_path, catalog, account_factory, top_up, staff_factory, screenshot
):
    folder = tmp_path / "scripts"
    script_hosting(folder, catalog)
    account = account_factory(email="olga@example.com", name="ООО «Ромашка»")
    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="taken.ru"
    )
    other = place_order(
        billing_account=account_factory(email="petr@example.com", name="Пётр Петров"),
        price=catalog.price(catalog.start, 1),
        identifier="taken.ru",
    )
    place_order(
        billing_account=account,
        price=catalog.price(catalog.vps1, 1),
        identifier="vps1.romashka.ru",
    )
    top_up(account, "199.00")
    top_up(other.billing_account, "199.00")
    top_up(account, "10000.00")  # pays the VPS: its create is a to-do for staff
    worker()  # both refused: the domain is hosted by another customer
    script = folder / "hosting.py"
    script.write_text(script.read_text().replace('"taken.ru"', '"nobody.example"'))
    sales = staff_factory(Role.SALES)
    desk.rerun_create(staff=sales, service=service, reason="Домен освобождён на сервере")
    worker()
    service = Service.objects.get(pk=service.pk)
    assert service.remote_id == f"u{service.pk}"
    desk.suspend_service(staff=sales, service=service, reason="Жалоба на спам 4471")
    worker()
    desk.unsuspend_service(staff=sales, service=service, reason="Спам удалён")
    worker()

    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server.url, sales)
    page.goto(f"{live_server.url}/desk/services/{service.pk}/")
    expect(page.get_by_test_id("module-state")).to_contain_text("Создана")
    rows = page.get_by_test_id("task-row")
    expect(rows).to_have_count(3)  # create (failed, then sent back and done), suspend, unsuspend
    expect(rows.nth(2)).to_contain_text("Создать")
    expect(rows.nth(2)).to_contain_text("Выполнено")
    expect(page.get_by_test_id("service-sync")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # Sync now: the server's answer as a message on the same page.
    page.get_by_test_id("service-sync").click()
    expect(page.locator(".messages, [role=status], .alert").first).to_contain_text("активен")
    screenshot(page, "desk-service-tasks-ru-1280")

    page.goto(f"{live_server.url}/desk/queue/")
    rows = page.locator("#tasks tbody tr")
    expect(rows).to_have_count(1)  # the other customer's refusal; the first one was sent back
    expect(rows).to_contain_text("hosted by another customer")
    todos = page.get_by_test_id("todo-row")
    expect(todos).to_have_count(1)  # the VPS, on no server group: the manual module's to-do
    expect(todos).to_contain_text("Создать: VPS «VPS-1»")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, "desk-queue-ru-1280")

    # The refusal was dealt with on the server by hand: marked done, with the reason.
    rows.get_by_role("link", name="Отметить выполненным").click()
    page.get_by_label("Причина").fill("Аккаунт создан вручную, заявка 1042")
    page.get_by_role("button", name="Отметить выполненным").click()
    expect(page.locator("#tasks")).to_contain_text("Невыполненных заданий нет.")
    todos.get_by_role("link", name="Отметить выполненным").click()
    page.get_by_label("Причина").fill("VPS собран вручную")
    page.get_by_role("button", name="Отметить выполненным").click()
    expect(page.get_by_test_id("todo-row")).to_have_count(0)
    context.close()

    phone = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server.url, staff_factory(Role.SUPPORT))  # a second code: another person
    page.goto(f"{live_server.url}/desk/queue/")
    expect(page.locator("#todos")).to_contain_text("Nothing to do.")
    screenshot(page, "desk-queue-en-phone")
    phone.close()
    assert errors == []
