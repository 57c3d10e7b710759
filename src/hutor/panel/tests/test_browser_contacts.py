"""Contact profiles in a real browser (Debian's Chromium through Playwright).

1. A customer adds a company profile with a mistyped INN: the page names the field and keeps
   what was typed, nothing is saved; the corrected INN saves it. Only the chosen kind's section
   is shown (CSS :has(), no script).
2. The contact pages in Russian and English at 1280 px and on a 390 px phone: each answers 200,
   has no script error and does not scroll sideways. With HUTOR_SCREENSHOTS set
   (`HUTOR_SCREENSHOTS=docs/screenshots .venv/bin/pytest -k contacts_tour`) it saves the
   panel-contacts-*.png screenshots of the documentation.
"""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from hutor.domains import actions
from hutor.domains.models import ContactProfile
from hutor.domains.tests.data import COMPANY_INN, company, person
from hutor.panel.tests.test_browser_panel import DESKTOP, PHONE, new_page, visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logged_in(browser, live_server, account, *, language="ru", viewport=DESKTOP):
    client = Client()
    client.force_login(account.user)
    context, page = new_page(browser, viewport=viewport)
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {
                "name": django_settings.LANGUAGE_COOKIE_NAME,
                "value": language,
                "url": live_server.url,
            },
        ]
    )
    return context, page


def test_a_company_profile_with_a_bad_inn_then_fixed(
    live_server, browser, account_factory, screenshot
):
    account = account_factory(notify=False)
    context, page = logged_in(browser, live_server, account)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(live_server.url + "/panel/")
    page.locator(".panel-nav a[href='/panel/contacts/']").click()
    page.wait_for_url("**/panel/contacts/")
    page.get_by_test_id("new-contact").click()
    page.wait_for_url("**/panel/contacts/new/")
    expect(page.locator(".contact-person")).to_be_visible()  # a person is the default
    page.locator("input[name=kind][value=company]").check()
    expect(page.locator(".contact-person")).to_be_hidden()
    expect(page.locator(".contact-company")).to_be_visible()

    data = company(inn="7707083894")  # one digit off Sberbank's INN
    for name, value in data.items():
        if name != "kind":
            page.locator(f"input[name={name}]").fill(value)
    page.locator("form.contact-form button[type=submit]").click()
    page.wait_for_load_state()
    inn_field = page.locator(".field-inn")
    expect(inn_field.locator(".field-error")).to_contain_text("Контрольное число ИНН не сходится")
    expect(page.locator("input[name=inn]")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("input[name=org]")).to_have_value("ООО «Ромашка»")  # kept as typed
    expect(page.locator(".contact-person")).to_be_hidden()  # still a company
    assert not ContactProfile.objects.exists()
    screenshot(page, "panel-contacts-bad-inn-ru-desktop")

    page.locator("input[name=inn]").fill(COMPANY_INN)
    page.locator("form.contact-form button[type=submit]").click()
    page.wait_for_url(live_server.url + "/panel/contacts/")
    profile = ContactProfile.objects.get(billing_account=account)
    assert (profile.kind, profile.inn, profile.phone) == ("company", COMPANY_INN, "+74955005550")
    row = page.locator(f"tr[data-profile='{profile.pk}']")
    expect(row).to_contain_text("ООО «Ромашка»")
    expect(row).to_contain_text(COMPANY_INN)
    assert errors == []
    context.close()


def test_contacts_tour_in_both_languages_at_desktop_and_phone_widths(
    live_server, browser, account_factory, screenshot
):
    account = account_factory(notify=False, name="Ольга Смирнова")
    person_profile = actions.create_contact_profile(
        billing_account=account,
        **person(label="Личный", name="Смирнова Ольга Петровна", name_latin="Olga P Smirnova"),
    )
    actions.create_contact_profile(billing_account=account, **company())
    pages = [
        ("list", "/panel/contacts/"),
        ("new", "/panel/contacts/new/"),
        ("edit", f"/panel/contacts/{person_profile.pk}/"),
        ("delete", f"/panel/contacts/{person_profile.pk}/delete/"),
    ]
    errors: list[str] = []
    for language in ("ru", "en"):
        for device, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            context, page = logged_in(
                browser, live_server, account, language=language, viewport=viewport
            )
            page.on("pageerror", lambda error: errors.append(str(error)))
            for name, path in pages:
                visit(page, live_server.url + path, phone=device == "phone")
                expect(page.locator("html")).to_have_attribute("lang", language)
                expect(page.locator(".panel-nav a[href='/panel/contacts/']")).to_have_attribute(
                    "aria-current", "page"
                )
                screenshot(page, f"panel-contacts-{name}-{language}-{device}")
            context.close()
    assert errors == []
