"""A customer's order through the API accepts the public offer as the panel's order form does:
it names the version in force, and the acceptance is recorded with the order (version, time,
the visitor's address and browser when the provider's website passes them)."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.test import Client

from hutor.core import clock
from hutor.offers import actions
from hutor.offers.models import Acceptance
from hutor.services.models import Service

pytestmark = pytest.mark.django_db

ORDER = {"tariff": "pro", "period_months": 12, "identifier": "shop.ru"}


@pytest.fixture
def offer():
    draft, _ = actions.save_draft(
        offer=None,
        values={
            "number": "2026/1",
            "effective_from": clock.today(),
            "text_ru": "Текст оферты.",
            "text_en": "",
        },
    )
    actions.publish(offer=draft)
    return draft


def test_the_offer_in_force_is_public(anonymous_api, offer):
    answer = anonymous_api.get("/catalog/offer")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["number"] == "2026/1"
    assert body["effective_from"] == clock.today().isoformat()
    assert body["url"].endswith("/offer/2026/1/")
    # A number with a slash (as many providers number contracts) is still one page.
    page = Client().get(urlsplit(body["url"]).path)
    assert page.status_code == 200 and "2026/1" in page.content.decode()


def test_without_a_published_offer_there_is_none_to_read(anonymous_api, db):
    answer = anonymous_api.get("/catalog/offer")
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"


def test_a_customer_order_without_the_offer_is_refused_and_nothing_is_ordered(
    customer_api, world, offer
):
    api = customer_api(world.account, language="ru")
    before = Service.objects.count()
    answer = api.post(f"/accounts/{world.account.number}/orders", ORDER)
    assert answer.status_code == 422 and answer.json()["code"] == "refused"
    assert "№ 2026/1" in answer.json()["detail"] and "оферт" in answer.json()["detail"]
    stale = api.post(f"/accounts/{world.account.number}/orders", ORDER | {"offer": "2025/9"})
    assert stale.status_code == 422
    assert Service.objects.count() == before and not Acceptance.objects.exists()


def test_a_customer_order_records_the_acceptance_with_the_visitor(customer_api, world, offer):
    api = customer_api(world.account)
    answer = api.post(
        f"/accounts/{world.account.number}/orders",
        ORDER
        | {
            "offer": "2026/1",
            "customer_ip": "203.0.113.7",
            "customer_user_agent": "Mozilla/5.0 (the provider's order page)",
        },
    )
    assert answer.status_code == 201, answer.content
    service = Service.objects.get(pk=answer.json()["service"]["id"])
    acceptance = Acceptance.objects.get()
    assert acceptance.offer == offer and acceptance.billing_account == world.account
    assert acceptance.order_token == service.order_token
    assert acceptance.ip_address == "203.0.113.7"
    assert acceptance.user_agent == "Mozilla/5.0 (the provider's order page)"
    assert abs(acceptance.accepted_at - clock.now()) < dt.timedelta(minutes=1)


def test_without_the_visitor_the_api_client_is_recorded(customer_api, world, offer):
    api = customer_api(world.account)
    answer = api.post(
        f"/accounts/{world.account.number}/orders",
        ORDER | {"offer": "2026/1"},
        headers={"User-Agent": "billing-script/1.0"},
    )
    assert answer.status_code == 201, answer.content
    acceptance = Acceptance.objects.get()
    assert acceptance.ip_address == "127.0.0.1" and acceptance.user_agent == "billing-script/1.0"


def test_a_visitor_address_that_is_not_one_is_refused(customer_api, world, offer):
    api = customer_api(world.account)
    answer = api.post(
        f"/accounts/{world.account.number}/orders",
        ORDER | {"offer": "2026/1", "customer_ip": "not-an-address"},
    )
    assert answer.status_code == 422 and answer.json()["code"] == "validation_error"
    assert not Acceptance.objects.exists()


def test_staff_orders_record_no_acceptance(staff_api, world, offer):
    answer = staff_api("sales").post(
        f"/accounts/{world.account.number}/orders", ORDER | {"reason": "Order by phone"}
    )
    assert answer.status_code == 201, answer.content
    assert not Acceptance.objects.exists()
