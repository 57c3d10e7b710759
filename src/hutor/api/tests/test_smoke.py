"""The API answers over HTTP: the catalog without a token, the OpenAPI document, the docs."""

import json

import pytest

pytestmark = pytest.mark.django_db


def test_catalog_is_public_with_prices_as_decimal_strings(anonymous_api, catalog):
    answer = anonymous_api.get("/catalog/service-types")
    assert answer.status_code == 200, answer.content
    types = {t["code"]: t for t in answer.json()}
    start = next(t for t in types["hosting"]["tariffs"] if t["code"] == "start")
    assert start["name"] == "Start"
    assert {
        "period_months": 1,
        "price": {"amount": "199.00", "currency": "RUB"},
        "setup_fee": {"amount": "0.00", "currency": "RUB"},
    } in start["prices"]
    answer = anonymous_api.get("/catalog/tariffs", service_type="vps")
    assert [t["code"] for t in answer.json()] == ["vps-1"]


def test_openapi_document_is_3_1_and_docs_are_served_from_our_static_files(anonymous_api):
    answer = anonymous_api.get("/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"].startswith("3.1")

    def no_repeats(pairs):  # a key twice is valid to Python's JSON, not to YAML parsers
        keys = [key for key, _value in pairs]
        assert len(keys) == len(set(keys)), keys
        return dict(pairs)

    json.loads(answer.content, object_pairs_hook=no_repeats)
    assert "/api/v1/accounts" in document["paths"]
    docs = anonymous_api.get("/docs")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page


def test_a_staff_token_reads_an_account(staff_api, account_factory):
    account = account_factory(email="anna@example.com")
    api = staff_api("support")
    answer = api.get(f"/accounts/{account.number}")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["number"] == account.number
    assert body["balance"] == {"amount": "0.00", "currency": "RUB"}
    assert body["created_at"].endswith("+03:00")
    assert answer["ETag"].startswith('"')
