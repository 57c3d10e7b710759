"""The domain and certificate pages a customer sees, in a real browser (Debian's Chromium), in
Russian and English at desktop and phone widths, nothing wider than the screen: a registered
domain's registry side (EPP test server), its transfer code page, an issued certificate with
its downloads and one waiting for validation (GoGetSSL's documented API answered by the fake),
and the domain search. With HUTOR_SCREENSHOTS set it saves panel-domain-registry-*,
panel-transfer-code-*, panel-certificate-*, panel-certificate-validation-* and
panel-domain-search-* ({ru,en}-{1280,phone}.png)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from playwright.sync_api import expect

from hutor.domains import registry as domain_registry
from hutor.panel.tests.test_browser_panel import DESKTOP, PHONE, WIDER_THAN_THE_SCREEN
from hutor.panel.tests.test_domain_registry import HOSTS, registered  # noqa: F401
from hutor.services import certificates
from hutor.services.actions import place_order
from hutor.services.provisioning.tests.test_gogetssl import gogetssl, ssl_tariff  # noqa: F401
from hutor.services.tasks import run_due_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def epp(tmp_path):
    from hutor.services.provisioning.tests.epp_fixtures import running

    folder = tmp_path / "epp"
    folder.mkdir()
    with running(folder) as server:
        yield server


def test_domain_and_certificate_pages_in_both_languages_and_widths(
    live_server,
    browser,
    epp,
    registered,  # noqa: F811
    ssl_tariff,  # noqa: F811
    gogetssl,  # noqa: F811
    top_up,
    screenshot,
):
    domain, _client = registered
    domain_registry.sync(service=domain)
    account = domain.billing_account
    price = ssl_tariff.prices.get(period_months=12)
    issued = place_order(billing_account=account, price=price, identifier="romashka.ru")
    waiting = place_order(billing_account=account, price=price, identifier="shop.romashka.ru")
    top_up(account, "1980.00")
    run_due_tasks()
    first = min(gogetssl.fake.orders.values(), key=lambda order: order.order_id)
    gogetssl.fake.complete_dcv(first.order_id)
    issued.refresh_from_db()
    assert certificates.refresh(service=issued) == "issued"

    client = Client()
    client.force_login(account.user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    errors: list[str] = []
    for language in ("ru", "en"):
        for width, viewport in (("1280", DESKTOP), ("phone", PHONE)):
            cache.clear()  # the per-service limits: a tour is not a flood
            context = browser.new_context(
                locale="ru-RU" if language == "ru" else "en-US", viewport=viewport
            )
            context.set_default_timeout(10_000)
            context.add_cookies(
                [
                    {"name": name, "value": value, "url": live_server.url}
                    for name, value in (
                        (django_settings.SESSION_COOKIE_NAME, session),
                        (django_settings.LANGUAGE_COOKIE_NAME, language),
                    )
                ]
            )
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))

            def shot(name: str, page=page, suffix=f"{language}-{width}") -> None:
                assert page.evaluate(WIDER_THAN_THE_SCREEN) == "", f"{name} {suffix}"
                screenshot(page, f"{name}-{suffix}")

            page.goto(f"{live_server.url}/panel/services/{domain.pk}/")
            expect(page.get_by_test_id("service-domain")).to_be_visible()
            expect(page.get_by_test_id("domain-nameservers")).to_be_visible()
            shot("panel-domain-registry")
            page.get_by_test_id("domain-transfer-code").click()
            expect(page.get_by_test_id("transfer-code")).to_be_visible()
            shot("panel-transfer-code")

            page.goto(f"{live_server.url}/panel/services/{issued.pk}/")
            expect(page.get_by_test_id("service-certificate")).to_be_visible()
            expect(page.get_by_test_id("download-key")).to_be_visible()
            shot("panel-certificate")

            page.goto(f"{live_server.url}/panel/services/{waiting.pk}/")
            expect(page.get_by_test_id("validation-step")).to_have_count(1)
            shot("panel-certificate-validation")

            page.goto(f"{live_server.url}/domains/?q=romashka")
            expect(page.get_by_test_id("domain-result")).to_have_count(2)
            shot("panel-domain-search")
            context.close()
    assert errors == []
    assert sorted(epp.registry.domains["romashka.ru"].hosts) == sorted(HOSTS)


def test_an_expired_domain_in_redemption_in_both_languages_and_widths(
    live_server,
    browser,
    epp,
    registered,  # noqa: F811
    catalog,
    screenshot,
):
    """The service page of a domain in its registry's redemption period: what a restore costs
    and until when, and its renewal invoice with the restore line. Saves
    panel-domain-redemption-{ru,en}-{1280,phone}.png."""
    import datetime as dt
    import io

    import time_machine
    from django.core.management import call_command

    from hutor.domains.tests.test_expiry import zone_with_redemption

    domain, _client = registered
    zone_with_redemption(catalog)
    day = domain.paid_until + dt.timedelta(days=35)
    errors: list[str] = []
    for run_day in (domain.paid_until, day):
        with time_machine.travel(dt.datetime.combine(run_day, dt.time(9), tzinfo=dt.UTC)):
            call_command("billing", "run", stdout=io.StringIO())
    with time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)):
        client = Client()
        client.force_login(domain.billing_account.user)
        session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        for language in ("ru", "en"):
            for width, viewport in (("1280", DESKTOP), ("phone", PHONE)):
                context = browser.new_context(
                    locale="ru-RU" if language == "ru" else "en-US", viewport=viewport
                )
                context.set_default_timeout(10_000)
                context.add_cookies(
                    [
                        {"name": name, "value": value, "url": live_server.url}
                        for name, value in (
                            (django_settings.SESSION_COOKIE_NAME, session),
                            (django_settings.LANGUAGE_COOKIE_NAME, language),
                        )
                    ]
                )
                page = context.new_page()
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.goto(f"{live_server.url}/panel/services/{domain.pk}/")
                expect(page.get_by_test_id("domain-expired")).to_be_visible()
                expect(page.get_by_test_id("domain-expired")).to_contain_text("1")
                assert page.evaluate(WIDER_THAN_THE_SCREEN) == "", f"{language} {width}"
                screenshot(page, f"panel-domain-redemption-{language}-{width}")
                context.close()
    assert errors == []
