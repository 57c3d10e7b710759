"""The API's conventions over HTTP: Idempotency-Key, problem documents in the request's
language, cursor pagination, rate limits with Retry-After."""

import pytest

from hutor.backoffice.models import AuditEntry, Role
from hutor.ledger.models import JournalEntry

pytestmark = pytest.mark.django_db


def adjust_body(amount="15.00"):
    return {
        "amount": {"amount": amount, "currency": "RUB"},
        "direction": "credit",
        "reason": "Goodwill",
    }


def test_the_same_key_and_body_replays_the_first_answer(world, staff_api):
    api = staff_api(Role.ACCOUNTANT)
    path = f"/accounts/{world.account.number}/balance/adjustments"
    entries = JournalEntry.objects.count()
    first = api.post(path, adjust_body(), key="adj-1")
    assert first.status_code == 201, first.content
    again = api.post(path, adjust_body(), key="adj-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert JournalEntry.objects.count() == entries + 1
    assert AuditEntry.objects.filter(action="balance.adjust").count() == 1
    # Another body with the same key: refused, nothing done.
    other = api.post(path, adjust_body("16.00"), key="adj-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert JournalEntry.objects.count() == entries + 1
    # Keys are per token: another token's same key is its own request.
    assert staff_api(Role.ACCOUNTANT).post(path, adjust_body(), key="adj-1").status_code == 201
    assert JournalEntry.objects.count() == entries + 2


def test_a_refusal_is_replayed_too_and_a_post_without_a_key_is_refused(world, staff_api):
    api = staff_api(Role.ACCOUNTANT)
    path = f"/accounts/{world.account.number}/balance/adjustments"
    body = {**adjust_body("999999.00"), "direction": "debit"}
    first = api.post(path, body, key="debit-1")
    assert first.status_code == 422
    assert api.post(path, body, key="debit-1").json() == first.json()
    missing = api.post(path, adjust_body(), key=None)
    assert missing.status_code == 400 and missing.json()["code"] == "idempotency_key_required"
    assert not AuditEntry.objects.filter(action="balance.adjust").exists()


def test_problem_documents_have_rfc9457_members_and_the_requests_language(world, staff_api):
    english = staff_api(Role.SUPPORT, language="en")
    russian = staff_api(Role.SUPPORT, language="ru")
    path = f"/accounts/{world.account.number}/balance/adjustments"
    for api, word in ((english, "may not"), (russian, "не может")):
        answer = api.post(path, adjust_body())
        assert answer.status_code == 403
        assert answer["Content-Type"] == "application/problem+json"
        problem = answer.json()
        assert set(problem) >= {"type", "title", "status", "code", "detail", "instance"}
        assert problem["status"] == 403 and problem["code"] == "forbidden"
        assert problem["type"] == "/api/v1/problems/forbidden"
        assert word in problem["detail"], problem
    # No Accept-Language: Russian, the default.
    from django.test import Client

    answer = Client().get("/api/v1/accounts/1", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401 and "Токен API" in answer.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        "not json at all",
        "[]",
        '{"amount": {"amount": 1e999}, "direction": "credit"}',
        '{"amount": {"amount": "12.345"}, "direction": "credit", "reason": "x"}',
        '{"amount": {"amount": "1", "currency": "XXX"}, "direction": "credit", "reason": "x"}',
        '{"amount": {"amount": "1"}, "direction": "sideways", "reason": "x"}',
        '{"amount": "1", "direction": "credit", "reason": "x"}',
        '{"amount": {"amount": "1"}, "direction": "credit", "reason": "' + "x" * 5000 + '"}',
    ],
)
def test_bad_input_is_a_problem_never_a_500(body, world, staff_api):
    api = staff_api(Role.ADMIN)
    answer = api.client.post(
        f"/api/v1/accounts/{world.account.number}/balance/adjustments",
        body,
        content_type="application/json",
        headers={**api.headers(), "Idempotency-Key": f"bad-{hash(body)}"},
    )
    assert answer.status_code in (400, 422), answer.content
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] in ("validation_error", "bad_request", "refused")


def test_bad_query_parameters_and_cursors_are_problems(world, staff_api):
    api = staff_api(Role.SUPPORT)
    assert api.get("/accounts", limit="lots").status_code == 422
    assert api.get("/accounts", created_after="yesterday").status_code == 422
    answer = api.get("/accounts", cursor="!!not-a-cursor!!")
    assert answer.status_code == 400 and answer.json()["code"] == "bad_request"
    assert api.get("/services/notanumber").status_code == 422
    assert api.get("/nowhere").status_code == 404


def test_cursor_pagination_walks_every_row_once(staff_api, account_factory):
    for n in range(7):
        account_factory(email=f"page{n}@example.com")
    api = staff_api(Role.SUPPORT)
    seen: list[str] = []
    path: str | None = "/accounts"
    params: dict = {"limit": 3}
    pages = 0
    while path:
        page = api.get(path, **params).json()
        pages += 1
        seen += [a["number"] for a in page["items"]]
        path = page["next"].removeprefix("/api/v1") if page["next"] else None
        params = {}
    assert pages == 3 and len(seen) == len(set(seen)) == 7
    assert seen == sorted(seen, reverse=True)  # newest first


def test_rate_limit_per_token_answers_429_with_retry_after(world, staff_api, settings):
    settings.HUTOR_API_REQUESTS_PER_MINUTE = 3
    api = staff_api(Role.SUPPORT)
    other = staff_api(Role.SUPPORT)
    path = f"/accounts/{world.account.number}"
    answers = [api.get(path) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    limited = answers[3]
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert other.get(path).status_code == 200  # per token


def test_write_limit_counts_writes_only(world, staff_api, settings):
    settings.HUTOR_API_WRITES_PER_MINUTE = 1
    api = staff_api(Role.ACCOUNTANT)
    path = f"/accounts/{world.account.number}/balance/adjustments"
    assert api.post(path, adjust_body()).status_code == 201
    limited = api.post(path, adjust_body(), key="second")
    assert limited.status_code == 429
    assert api.get(f"/accounts/{world.account.number}").status_code == 200
    # A 429 keeps no key: the same key works once the window allows.
    settings.HUTOR_API_WRITES_PER_MINUTE = 0
    assert api.post(path, adjust_body(), key="second").status_code == 201


def test_a_nul_character_is_refused_before_it_reaches_the_database(world, staff_api):
    api = staff_api(Role.ADMIN)
    answer = api.get("/search", q="\x00romashka")
    assert answer.status_code == 400 and answer.json()["code"] == "bad_request"
    answer = api.post(
        f"/accounts/{world.account.number}/balance/adjustments",
        {**adjust_body(), "reason": "nul\u0000inside"},
    )
    assert answer.status_code == 400
