"""The guide's pictures, made in a real browser (Debian's Chromium) from the demo's customer:
each task of the guide walked through in Russian and English, on a 1280 px desktop and a
phone. `make guide-screenshots` runs this with HUTOR_GUIDE_SCREENSHOTS set to the folder the
help center serves (kb/static/hutor/guide/) and the images are committed; without it they go
to a temporary folder. Either way the test fails when an article shows an image this walk no
longer makes (kb.guide: `<key>-<step>-<lang>-<desktop|phone>.png`)."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image
from playwright.sync_api import Page, expect

from hutor.catalog.models import TariffPrice
from hutor.demo import data
from hutor.demo.kb import load_help
from hutor.invoices.models import Invoice, InvoiceStatus
from hutor.kb import guide
from hutor.services.actions import place_order
from hutor.support.tests.data import department

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DEVICES = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}


def demo_customer():
    """The demo's data (catalog, provider, payment methods, help, the customer with the
    demo's top-up) and, through the ordering use case, the services a customer of a few
    days has: hosting and a VPS paid from the balance, a larger VPS waiting for payment."""
    data.load_catalog()
    data.load_provider()
    data.load_payment_methods()
    load_help()
    department()
    account, _password = data.ensure_demo_customer()
    assert account is not None
    data.top_up_demo_customer(account)

    def price(tariff: str, months: int = 1) -> TariffPrice:
        return TariffPrice.objects.get(tariff__code=tariff, period_months=months)

    hosting = place_order(billing_account=account, price=price("start"), identifier="romashka.ru")
    vps = place_order(billing_account=account, price=price("vps-1"), identifier="vps.romashka.ru")
    place_order(billing_account=account, price=price("vps-4"), identifier="db.romashka.ru")
    unpaid = Invoice.objects.get(billing_account=account, status=InvoiceStatus.UNPAID)
    return account, hosting, vps, unpaid


def steps(hosting, vps, unpaid) -> list[tuple[str, str, str, Callable[[Page], None] | None]]:
    """(article key, step, address, what to do there before the picture)."""

    def top_up(page: Page) -> None:
        page.locator("input[name=amount]").fill("500")
        page.locator("input[name=method]").last.check()  # bank transfer
        page.locator("form.topup-page button[type=submit]").click()
        page.wait_for_url("**/panel/payments/*/")

    def pick_tariff(page: Page) -> None:
        page.locator("input[name=tariff]:not([disabled])").first.check()

    def type_subject(page: Page) -> None:
        russian = page.locator("html").get_attribute("lang") == "ru"
        words = "пополнить баланс" if russian else "top up"
        page.locator("input[name=subject]").press_sequentially(words, delay=20)
        expect(page.get_by_test_id("kb-suggestions")).to_be_visible()

    return [
        ("account-number", "home", "/panel/", None),
        ("home-page", "home", "/panel/", None),
        ("ordering", "storefront", "/", None),
        ("ordering", "form", "/order/hosting/start/", None),
        ("paying-an-invoice", "invoice", f"/panel/invoices/{unpaid.number}/", None),
        ("top-up", "form", "/panel/top-up/", None),
        ("top-up", "payment", "/panel/top-up/", top_up),
        ("renewing", "service", f"/panel/services/{hosting.pk}/", None),
        ("renewing", "renew", f"/panel/services/{hosting.pk}/renew/", None),
        ("changing-tariff", "form", f"/panel/services/{vps.pk}/tariff/", pick_tariff),
        ("auto-renewal", "service", f"/panel/services/{vps.pk}/", None),
        ("balance-history", "history", "/panel/balance/", None),
        ("documents", "invoices", "/panel/invoices/", None),
        ("documents", "reconciliation", "/panel/balance/reconciliation/", None),
        ("security", "profile", "/panel/profile/", None),
        ("support", "new-ticket", "/panel/support/new/", type_subject),
    ]


def test_the_guide_pictures_are_made_from_the_demo(live_server, browser, tmp_path):
    folder = Path(os.environ.get("HUTOR_GUIDE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    account, hosting, vps, unpaid = demo_customer()
    customer = Client()
    customer.force_login(account.user)
    session = customer.cookies[settings.SESSION_COOKIE_NAME].value
    made: set[str] = set()
    errors: list[str] = []
    for language in ("ru", "en"):
        for device, viewport in DEVICES.items():
            context = browser.new_context(
                locale="ru-RU" if language == "ru" else "en-US", viewport=viewport
            )
            context.set_default_timeout(10_000)
            cookies = {
                settings.SESSION_COOKIE_NAME: session,
                settings.LANGUAGE_COOKIE_NAME: language,
            }
            context.add_cookies(
                [{"name": n, "value": v, "url": live_server.url} for n, v in cookies.items()]
            )
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            for key, step, path, act in steps(hosting, vps, unpaid):
                answer = page.goto(live_server.url + path)
                assert answer is not None and answer.status == 200, (key, step, path)
                assert page.locator("html").get_attribute("lang") == language
                if act is not None:
                    act(page)
                name = f"{key}-{step}-{language}-{device}.png"
                # The desktop picture is the whole page (the storefront's first screen); the
                # phone's, its first screen. 256 colours: a third of the size, as sharp.
                whole = device == "desktop" and step != "storefront"
                image = Image.open(io.BytesIO(page.screenshot(full_page=whole)))
                image.convert("RGB").quantize(
                    colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
                ).save(folder / name, optimize=True)
                made.add(name)
            context.close()
    assert errors == []
    shown = set().union(*(spec.images() for spec in guide.shipped().values()))
    assert shown - made == set(), "articles show images the walk no longer makes"
