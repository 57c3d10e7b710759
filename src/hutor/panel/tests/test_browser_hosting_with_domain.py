"""Issue 14's Must show: a hosting and its domain ordered together through the browser (Debian's
Chromium), one invoice with two lines; once it is paid, the worker registers the domain at the
registry (the EPP test server, which validates every command against the RFC schemas, holds it,
sponsored by us, registered to the owner chosen) and creates the hosting's zone on the real
PowerDNS. The same for a new visitor, who gives the owner's details on the order form and pays
with the demo payment service. With HUTOR_SCREENSHOTS set it saves
panel-order-with-domain-{ru-1280,en-phone}.png and panel-order-new-owner-{ru-1280,en-phone}.png."""

from __future__ import annotations

import io
import secrets

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import expect

from hutor.accounts.models import BillingAccount
from hutor.domains.actions import create_contact_profile
from hutor.domains.models import ContactProfile
from hutor.domains.tests.data import person
from hutor.invoices.models import Invoice
from hutor.services.provisioning.tests.epp_fixtures import CLID, add_registry, running
from hutor.services.provisioning.tests.test_powerdns_lifecycle import IP, dns_hosting  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def epp(tmp_path):
    with running(tmp_path) as server:
        yield server


def assert_registered_and_served(epp, pdns, domain: str, owner: ContactProfile) -> None:
    """After payment and the worker's run: the EPP test server holds the domain, sponsored by
    us and registered to the owner's contact, and PowerDNS serves the hosting's zone."""
    registered = epp.registry.domains[domain]
    assert registered.sponsor == CLID
    registrant = epp.registry.contacts[registered.registrant]
    sent = "".join("".join(node.itertext()) for node in registrant.details)
    assert owner.name in sent and owner.email in sent  # registered to this owner
    zone = pdns.client().get_zone(domain)
    assert zone is not None and IP in str(zone.rrsets)


def test_a_hosting_and_its_domain_ordered_in_the_browser_are_registered_and_served(
    live_server,
    browser,
    catalog,
    account_factory,
    top_up,
    epp,
    pdns,
    dns_hosting,  # noqa: F811
    screenshot,
):
    add_registry(epp, nameservers=["ns1.hoster.test", "ns2.hoster.test"])
    domain = f"romashka-{secrets.token_hex(3)}.ru"
    account = account_factory(email="olga@example.com", name="Ольга Смирнова")
    owner = create_contact_profile(billing_account=account, **person(label="Ольга"))
    client = Client()
    client.force_login(account.user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value

    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 1000})
    context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server.url + "/order/hosting/start/")
    page.get_by_label("Доменное имя").fill(domain)
    summary = page.locator("[data-domain-summary]")
    expect(summary).to_be_hidden()
    page.get_by_label("Зарегистрировать и этот домен").check()
    expect(summary).to_be_visible()  # the summary adds the zone's year
    expect(summary).to_contain_text("199,00")
    expect(page.get_by_label("Владелец домена")).to_have_value(str(owner.pk))
    page.locator("input[name=accept_offer]").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, "panel-order-with-domain-ru-1280")
    page.get_by_role("button", name="Оформить заказ").click()
    page.wait_for_url("**/order/done/**")

    invoice = Invoice.objects.get()
    assert invoice.number in page.content()
    lines = list(invoice.lines.order_by("position"))
    assert [(line.service.tariff.code, line.service.identifier) for line in lines] == [
        ("start", domain),
        ("ru", domain),
    ]
    page.goto(f"{live_server.url}/panel/invoices/{invoice.number}/")
    expect(page.locator("body")).to_contain_text(domain)
    context.close()

    top_up(account, str(invoice.total))  # paid: both services active, their creation queued
    call_command("worker", "--once", stdout=io.StringIO())
    assert_registered_and_served(epp, pdns, domain, owner)

    phone = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    phone.add_cookies(
        [
            {"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url},
            {"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url},
        ]
    )
    page = phone.new_page()
    page.goto(live_server.url + "/order/hosting/start/")
    page.get_by_label("Also register this domain name").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "panel-order-with-domain-en-phone")
    phone.close()
    pdns.client().delete_zone(domain)
    assert errors == []


def test_a_new_visitor_orders_a_hosting_and_its_domain_with_its_owner_and_pays(
    live_server,
    browser,
    catalog,
    payment_methods,
    settings,
    epp,
    pdns,
    dns_hosting,  # noqa: F811
    screenshot,
):
    """No login, no contact profile: the order form asks the owner's details (the order's own
    name, email and phone copied in as they are typed), the order makes the account and its
    profile, the invoice is paid with the demo payment service from the confirmation's link,
    and the domain is registered to that owner. With HUTOR_SCREENSHOTS set it saves
    panel-order-new-owner-{ru-1280,en-phone}.png."""
    settings.HUTOR_BASE_URL = live_server.url  # the invoice's link leads to the live server
    add_registry(epp, nameservers=["ns1.hoster.test", "ns2.hoster.test"])
    domain = f"romashka-{secrets.token_hex(3)}.ru"
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server.url + "/order/hosting/start/")
    owner = page.get_by_test_id("new-domain-owner")
    expect(owner).to_be_hidden()  # until a domain is registered with the hosting
    page.get_by_label("Доменное имя").fill(domain)
    page.get_by_label("Зарегистрировать и этот домен").check()
    expect(owner).to_be_visible()
    expect(page.locator("[data-domain-summary]")).to_contain_text("199,00")
    page.locator("input[name=email]").fill("olga@example.com")
    page.locator("input[name=name]").fill("Смирнова Ольга Сергеевна")
    page.locator("input[name=phone]").fill("+7 916 123-45-67")
    # Typed once: the owner's name, email and phone follow the order's.
    expect(page.locator("input[name=owner-name]")).to_have_value("Смирнова Ольга Сергеевна")
    expect(page.locator("input[name=owner-email]")).to_have_value("olga@example.com")
    expect(page.locator("input[name=owner-phone]")).to_have_value("+7 916 123-45-67")
    expect(owner.locator(".owner-company")).to_be_hidden()  # "You are": a private person
    page.locator("input[name=owner-name_latin]").fill("Olga S Smirnova")
    page.locator("input[name=owner-birth_date]").fill("1985-03-14")
    page.locator("input[name=owner-passport_number]").fill("4510 123456")
    page.locator("input[name=owner-passport_issued_by]").fill("ОВД «Тверской» г. Москвы")
    page.locator("input[name=owner-passport_issued_on]").fill("2010-02-01")
    page.locator("input[name=owner-postcode]").fill("101000")
    page.locator("input[name=owner-city]").fill("Москва")
    page.locator("input[name=owner-street]").fill("ул. Мясницкая, д. 1, кв. 2")
    page.locator("input[name=accept_offer]").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "panel-order-new-owner-ru-1280")
    page.get_by_role("button", name="Оформить заказ").click()
    page.wait_for_url("**/order/done/**")

    profile = ContactProfile.objects.get()
    assert profile.billing_account == BillingAccount.objects.get()
    invoice = Invoice.objects.get()
    assert invoice.lines.count() == 2
    page.get_by_role("link", name="Открыть счёт").click()
    page.get_by_test_id("invoice-pay").locator("button[data-method=demo]").click()
    page.wait_for_url("**/pay/demo/demo/*/")
    page.locator("button[name=outcome][value=pay]").click()
    expect(page.get_by_test_id("invoice-status")).to_have_text("Оплачен")
    context.close()

    call_command("worker", "--once", stdout=io.StringIO())
    assert_registered_and_served(epp, pdns, domain, profile)

    # A company on a phone, in English: only what its requisites do not give is asked.
    phone = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    phone.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page = phone.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server.url + "/order/hosting/start/")
    page.locator("input[name=identifier]").fill("romashka.ru")
    page.get_by_label("Also register this domain name").check()
    page.locator("select[name=kind]").select_option("company")
    owner = page.get_by_test_id("new-domain-owner")
    expect(owner.locator(".owner-person")).to_be_hidden()
    expect(owner.locator("input[name=owner-org_latin]")).to_be_visible()
    page.locator("input[name=email]").fill("domains@romashka.ru")
    page.locator("input[name=name]").fill("ООО «Ромашка»")
    page.locator("input[name=owner-org_latin]").fill("Romashka LLC")
    page.get_by_role("button", name="Place the order").click()  # nothing typed for the rest
    # Every message at once: the order's requisites and the owner's address.
    expect(page.locator("#id_kpp_error")).to_be_visible()
    expect(page.locator("#id_owner-city_error")).to_contain_text("Enter the city.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "panel-order-new-owner-en-phone")
    phone.close()
    assert ContactProfile.objects.count() == 1
    pdns.client().delete_zone(domain)
    assert errors == []


def test_without_javascript_the_owner_s_empty_contacts_are_the_order_s(
    live_server, browser, catalog
):
    """The page without script: the stylesheet alone shows the owner's section once the box is
    checked, and the owner's name, email and phone left empty are taken from the order."""
    context = browser.new_context(
        locale="ru-RU", viewport={"width": 1280, "height": 1000}, java_script_enabled=False
    )
    page = context.new_page()
    page.goto(live_server.url + "/order/hosting/start/")
    owner = page.get_by_test_id("new-domain-owner")
    expect(owner).to_be_hidden()
    page.locator("input[name=identifier]").fill("romashka.ru")
    page.locator("input[name=register_domain]").check()
    expect(owner).to_be_visible()
    page.locator("input[name=email]").fill("olga@example.com")
    page.locator("input[name=name]").fill("Смирнова Ольга Сергеевна")
    page.locator("input[name=phone]").fill("+7 916 123-45-67")
    expect(page.locator("input[name=owner-email]")).to_have_value("")
    for name, value in {
        "name_latin": "Olga S Smirnova",
        "birth_date": "1985-03-14",
        "passport_number": "4510 123456",
        "passport_issued_by": "ОВД «Тверской» г. Москвы",
        "passport_issued_on": "2010-02-01",
        "postcode": "101000",
        "city": "Москва",
        "street": "ул. Мясницкая, д. 1, кв. 2",
    }.items():
        page.locator(f"input[name=owner-{name}]").fill(value)
    page.locator("input[name=accept_offer]").check()
    page.get_by_role("button", name="Оформить заказ").click()
    page.wait_for_url("**/order/done/**")
    profile = ContactProfile.objects.get()
    assert (profile.name, profile.email, profile.phone) == (
        "Смирнова Ольга Сергеевна",
        "olga@example.com",
        "+79161234567",
    )
    assert Invoice.objects.get().lines.count() == 2
    context.close()
