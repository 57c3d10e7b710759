"""The desk's service page shows what was paid for each period and everything that happened to
the service, by whom, in the reader's language."""

import datetime as dt

import pytest
import time_machine

from hutor.backoffice.actions.services import suspend_service
from hutor.backoffice.roles import Role
from hutor.services.actions import change_tariff, place_order

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def test_paid_periods_and_history_on_the_service_page(
    desk_client, catalog, account_factory, top_up
):
    with time_machine.travel(NOON, tick=False):
        client, staff = desk_client(Role.SUPPORT)
        account = account_factory()
        top_up(account, "1000.00")
        service = place_order(
            billing_account=account, price=catalog.price(catalog.start, 1), identifier="h.ru"
        )
        change_tariff(service=service, new_tariff=catalog.pro)  # paid from the balance
        suspend_service(staff=staff, service=service, reason="Abuse report 12")

        page = client.get(f"/desk/services/{service.pk}/").content.decode()
        periods = page[page.index("Оплаченные периоды") : page.index("История")]
        # The month, repriced at once at Профи (30 of 30 days): 199.00 + 300.00 paid.
        assert "499,00" in periods and "199,00" not in periods and "pro" in periods
        assert "Активирована" in page and "Тариф изменён" in page and "Приостановлена" in page
        assert staff.email in page  # who suspended it

        client.cookies["django_language"] = "en"
        page = client.get(f"/desk/services/{service.pk}/", HTTP_ACCEPT_LANGUAGE="en").content
        assert b"Paid periods" in page and b"Suspended" in page
