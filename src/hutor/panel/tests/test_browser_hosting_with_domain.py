"""Issue 14's Must show: a hosting and its domain ordered together through the browser (Debian's
Chromium), one invoice with two lines; once it is paid, the worker registers the domain at the
registry (the EPP test server, which validates every command against the RFC schemas, holds it,
sponsored by us, registered to the owner chosen) and creates the hosting's zone on the real
PowerDNS. With HUTOR_SCREENSHOTS set it saves panel-order-with-domain-{ru-1280,en-phone}.png."""

from __future__ import annotations

import io
import secrets

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import expect

from hutor.domains.actions import create_contact_profile
from hutor.domains.tests.data import person
from hutor.invoices.models import Invoice
from hutor.services.provisioning.tests.epp_fixtures import CLID, add_registry, running
from hutor.services.provisioning.tests.test_powerdns_lifecycle import IP, dns_hosting  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def epp(tmp_path):
    with running(tmp_path) as server:
        yield server


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

    registered = epp.registry.domains[domain]
    assert registered.sponsor == CLID
    registrant = epp.registry.contacts[registered.registrant]
    sent = "".join("".join(node.itertext()) for node in registrant.details)
    assert owner.name_latin in sent or owner.name in sent  # registered to the owner chosen
    zone = pdns.client().get_zone(domain)
    assert zone is not None and IP in str(zone.rrsets)

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
