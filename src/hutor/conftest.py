"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.db import connection
from hypothesis import HealthCheck, settings

# The real PowerDNS server fixture, for any app's tests (services, provisioning modules).
from hutor.testing_pdns import installed_version, pdns  # noqa: F401
from hutor.testing_pebble import installed_version as pebble_version
from hutor.testing_pebble import pebble  # noqa: F401

settings.register_profile(
    "hutor",
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("hutor")


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings as dj

    db = dj.DATABASES["default"]
    return [
        f"hutor database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or ''} {db['NAME']}",
        f"pdns_server: {installed_version() or 'not installed'}",
        f"pebble: {pebble_version() or 'not installed'}",
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings as dj

    on_postgres = dj.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if os.environ.get("HUTOR_REQUIRE_POSTGRES") and not on_postgres:
        raise pytest.UsageError("HUTOR_REQUIRE_POSTGRES is set but DATABASE_URL is not PostgreSQL")
    if not on_postgres:
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language (Russian). LocaleMiddleware activates a
    request's language for the whole thread and nothing resets it, so without this an English
    request in one test would leave the next one in English."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Every test starts with an empty cache: login throttling counts attempts there (per
    client address, and every test client is 127.0.0.1), so they must not carry over; nor may
    the guide's links a process keeps (from articles a rolled-back test had)."""
    from django.core.cache import cache

    from hutor.kb import guide

    cache.clear()
    guide.forget_links()
    yield
    cache.clear()
    guide.forget_links()


@pytest.fixture(autouse=True)
def _no_network_in_transaction() -> Iterator[None]:
    """Every test fails when the code under test opens a network connection while inside
    `transaction.atomic` (hutor.testing.network_in_transaction_guard): a remote call there
    holds the transaction's row locks for as long as the remote side takes."""
    from hutor.testing import network_in_transaction_guard

    with network_in_transaction_guard(strict=False) as guard:
        yield
    if guard.violations:
        pytest.fail(guard.report(), pytrace=False)


@pytest.fixture
def vendor() -> str:
    return connection.vendor


@pytest.fixture
def account_factory(db):
    """Open billing accounts through the real action; emails are unique per call."""
    from hutor.accounts.actions import open_billing_account

    counter = iter(range(1, 1_000_000))

    def make(**kwargs):
        n = next(counter)
        kwargs.setdefault("email", f"customer{n}@example.com")
        kwargs.setdefault("name", f"Customer {n}")
        return open_billing_account(**kwargs)

    return make


@pytest.fixture
def provider(db):
    """The provider's requisites (Sberbank's public requisites as a well-known valid set)."""
    from hutor.core.models import Provider

    return Provider.objects.create(
        pk=1,
        legal_name="ООО «Тестовый Хостинг»",
        short_name="Тестовый Хостинг",
        inn="7707083893",
        kpp="773601001",
        ogrn="1027700132195",
        address="117312, г. Москва, ул. Вавилова, д. 19",
        phone="+7 495 000-00-00",
        email="billing@test-hosting.ru",
        bank_name="ПАО Сбербанк",
        bik="044525225",
        correspondent_account="30101810400000000225",
        settlement_account="40702810938000000001",
        director="Иванов И. И.",
        accountant="Петрова А. А.",
    )


@pytest.fixture
def catalog(db, provider):
    """A small catalog: hosting, domains (.ru, .рф), VPS with a setup fee, administration."""
    from types import SimpleNamespace

    from hutor.catalog.models import BillingUnit, IdentifierKind, ServiceType, Tariff, TariffPrice

    def service_type(code, ru, en, ident, unit="month"):
        return ServiceType.objects.create(
            code=code, name_ru=ru, name_en=en, identifier_kind=ident, billing_unit=unit
        )

    def tariff(stype, code, ru, en, prices, setup="0", zone=""):
        t = Tariff.objects.create(
            service_type=stype, code=code, name_ru=ru, name_en=en, domain_zone=zone
        )
        for months, price in prices.items():
            TariffPrice.objects.create(
                tariff=t, period_months=months, price=price, setup_fee=setup if months == 1 else "0"
            )
        return t

    hosting = service_type("hosting", "Хостинг", "Hosting", IdentifierKind.DOMAIN)
    domain = service_type("domain", "Домены", "Domains", IdentifierKind.DOMAIN, BillingUnit.YEAR)
    vps = service_type("vps", "VPS", "VPS", IdentifierKind.HOSTNAME)
    admin = service_type("admin", "Администрирование", "Administration", IdentifierKind.NONE)
    ns = SimpleNamespace(
        hosting=hosting,
        domain=domain,
        vps=vps,
        admin=admin,
        start=tariff(hosting, "start", "Старт", "Start", {1: "199.00", 3: "549.00", 12: "1990.00"}),
        pro=tariff(hosting, "pro", "Профи", "Pro", {1: "499.00", 12: "4990.00"}),
        ru=tariff(domain, "ru", ".ru", ".ru", {12: "199.00", 24: "398.00"}, zone="ru"),
        rf=tariff(domain, "rf", ".рф", ".рф", {12: "199.00"}, zone="рф"),
        vps1=tariff(vps, "vps-1", "VPS-1", "VPS-1", {1: "990.00", 12: "9900.00"}, setup="500.00"),
        support=tariff(admin, "basic", "Базовое", "Basic", {1: "3000.00"}),
    )
    ns.price = lambda t, months: t.prices.get(period_months=months)
    return ns


@pytest.fixture
def top_up(db):
    """Credit a billing account's balance as a payment service would (then settle invoices)."""
    from hutor.core.money import Money
    from hutor.invoices.actions import settle_open_invoices
    from hutor.ledger.actions import clearing_account, customer_account, post
    from hutor.ledger.models import EntryKind

    counter = iter(range(1, 1_000_000))

    def credit(account, amount):
        money = Money(amount, account.currency)
        entry, _ = post(
            lines=[
                (clearing_account("test", account.currency), -money),
                (customer_account(account), money),
            ],
            kind=EntryKind.TOP_UP,
            reference=f"T{next(counter)}",
            billing_account=account,
        )
        settle_open_invoices(billing_account=account)
        return entry

    return credit


class WatchedBrowser:
    """The Playwright browser, each new context listening to its pages' consoles for what the
    Content-Security-Policy refused (an inline script or handler left in a template): the
    `csp_clean` check fails the test that loaded such a page."""

    def __init__(self, browser):
        self._browser = browser
        self.refused: list[str] = []

    def new_context(self, **options):
        context = self._browser.new_context(**options)

        def heard(message) -> None:
            if "Content Security Policy" in message.text:
                self.refused.append(message.text)

        context.on("console", heard)
        return context

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(autouse=True)
def csp_clean(request):
    """After a browser test: no page it opened had anything refused by the CSP."""
    if "browser" not in request.fixturenames:
        yield
        return
    watched = request.getfixturevalue("browser")
    watched.refused.clear()
    yield
    assert watched.refused == [], "refused by the Content-Security-Policy: " + "; ".join(
        watched.refused
    )


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (no browser download), watched for CSP
    refusals (WatchedBrowser)."""
    import shutil

    from playwright.sync_api import sync_playwright

    executable = os.environ.get("HUTOR_CHROMIUM") or shutil.which("chromium")
    if not executable:
        pytest.fail("browser tests need Debian's chromium: apt-get install chromium")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright runs an event loop
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield WatchedBrowser(browser)
        browser.close()


@pytest.fixture
def screenshot(request):
    """Save a page's screenshot under $HUTOR_SCREENSHOTS (e.g. docs/screenshots) when set."""
    from pathlib import Path

    folder = os.environ.get("HUTOR_SCREENSHOTS")

    def take(page, name: str, *, full_page: bool = True) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)

    return take


@pytest.fixture
def payment_methods(db, settings):
    """The demo payment service (secret "demo-secret", enabled) and bank transfer, in RUB."""
    from types import SimpleNamespace

    settings.HUTOR_DEMO_PAYMENTS = True

    from hutor.payments.models import Gateway, PaymentMethod

    return SimpleNamespace(
        demo=PaymentMethod.objects.create(
            slug="demo",
            gateway=Gateway.DEMO,
            name_ru="Демо",
            name_en="Demo",
            settings={"secret": "demo-secret"},
            is_test_mode=True,
            position=1,
        ),
        bank=PaymentMethod.objects.create(
            slug="bank", gateway=Gateway.BANK_TRANSFER, name_ru="Банк", name_en="Bank", position=2
        ),
    )


def open_desk_session(client, user):
    """Log `user` in as staff who passed the desk's second factor (for admin pages in tests)."""
    import time

    from hutor.backoffice.auth import DESK_SESSION

    client.force_login(user)
    session = client.session
    session[DESK_SESSION] = {"user": user.pk, "at": time.time(), "seen": time.time()}
    session.save()
    return client


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin client, with the desk session the admin requires."""
    return open_desk_session(client, admin_user)
