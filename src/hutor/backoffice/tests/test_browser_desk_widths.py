"""Every desk page fits a 1280 px and a 1440 px window in both languages, with the widest
header (an administrator's, who sees every link), and the header's last button stays in view
(issue 12, item 11: «Выйти» was cut off in Russian). With HUTOR_SCREENSHOTS set, saves
desk-home-ru-1280.png, desk-account-ru-1280.png and desk-tax-rules-{ru,en}-1280.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hutor.backoffice.models import Role
from hutor.backoffice.tests.test_browser_desk import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pages(world) -> dict[str, str]:
    return {
        "home": "/desk/",
        "account": f"/desk/accounts/{world.account.number}/",
        "invoice": f"/desk/invoices/{world.unpaid_invoice.number}/",
        "service": f"/desk/services/{world.hosting.pk}/",
        "payment": f"/desk/payments/{world.payment.number}/",
        "reports": "/desk/reports/",
        "needs-review": "/desk/payments-to-check/",
        "failures": "/desk/queue/",
        "audit": "/desk/audit/",
        "staff": "/desk/admin/staff/",
        "servers": "/desk/admin/servers/",
        "server-groups": "/desk/admin/server-groups/",
        "server-add": "/desk/admin/servers/new/",
        "webhooks": "/desk/admin/webhooks/",
        "webhook-add": "/desk/admin/webhooks/new/",
        "tax-rules": "/desk/taxes/",
    }


def tax_rules() -> None:
    """The provider's rules as a real one has them: 20 % since 2019, 22 % since 2026, and a
    move to the simplified regime scheduled for next year (the tax rules page's picture)."""
    import datetime as dt
    from decimal import Decimal

    from hutor.core import clock
    from hutor.core.models import Provider
    from hutor.taxes import actions as taxes

    provider = Provider.objects.get(pk=1)
    for regime, rate, day in (
        ("general", Decimal(20), dt.date(2019, 1, 1)),
        ("general", Decimal(22), dt.date(2026, 1, 1)),
        ("simplified_vat5", Decimal(5), dt.date(clock.today().year + 1, 1, 1)),
    ):
        taxes.add_rule(provider=provider, regime=regime, rate=rate, effective_from=day)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_desk_page_fits_1280_and_1440(
    live_server, browser, world, staff_factory, screenshot, language
):
    admin = staff_factory(Role.ADMIN)
    tax_rules()
    locale = "ru-RU" if language == "ru" else "en-US"
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, live_server.url, admin)
    for width in (1280, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages(world).items():
            response = page.goto(live_server.url + path)
            assert response is not None and response.status == 200, (name, path)
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= width, (language, width, name, overflow)
            logout = page.locator(".desk-header form[action$='/logout/'] button")
            expect(logout).to_be_visible()
            box = logout.bounding_box()
            assert box is not None and box["x"] + box["width"] <= width, (language, width, name)
            if width == 1280 and language == "ru" and name in ("home", "account"):
                screenshot(page, f"desk-{name}-ru-1280", full_page=False)
            if width == 1280 and name == "tax-rules":
                screenshot(page, f"desk-tax-rules-{language}-1280", full_page=False)
    context.close()
