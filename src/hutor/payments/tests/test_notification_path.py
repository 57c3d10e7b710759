"""payments.middleware.NotificationMiddleware: a payment service's notification reaches its
view ahead of the browsers' middleware (no session, CSRF, login, frame or CSP headers), with
the host still checked; every other request goes down the whole chain."""

import pytest
from django.test import Client

from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.payments.actions import start_top_up
from hutor.payments.models import PaymentStatus
from hutor.payments.tests.test_notification_queries import notify

pytestmark = pytest.mark.django_db

BROWSER_HEADERS = ("Set-Cookie", "X-Frame-Options", "Content-Security-Policy", "Vary")


@pytest.fixture
def payment(account_factory, payment_methods):
    account = account_factory()
    return start_top_up(billing_account=account, method=payment_methods.demo, amount=Money("300"))


def test_a_notification_is_credited_without_the_browsers_middleware(client, payment):
    answer = notify(client, payment)
    assert answer.status_code == 200 and answer.content == b"OK"
    assert not [h for h in BROWSER_HEADERS if h in answer.headers], answer.headers
    assert answer.headers["X-Request-ID"]  # the log lines' request id is still set
    assert not hasattr(answer.wsgi_request, "session")
    assert not hasattr(answer.wsgi_request, "user")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert ledger_queries.balance(payment.billing_account) == Money("300.00")
    replay = notify(client, payment)
    assert (replay.status_code, replay.content) == (200, b"OK")
    assert ledger_queries.balance(payment.billing_account) == Money("300.00")


def test_a_forged_notification_gets_the_gateways_refusal_on_the_short_path(client, payment):
    data = {"payment": payment.number, "amount": "300.00", "currency": "RUB"}
    data |= {"transaction": "T-1", "status": "paid", "signature": "0" * 64}
    answer = client.post(f"/pay/{payment.method.slug}/result/", data)
    assert answer.status_code == 400
    assert "Set-Cookie" not in answer.headers
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_a_host_not_allowed_is_refused_and_credits_nothing(client, payment, settings):
    settings.ALLOWED_HOSTS = ["billing.example.ru"]
    data = {"payment": payment.number}
    answer = client.post(f"/pay/{payment.method.slug}/result/", data, HTTP_HOST="evil.example")
    assert answer.status_code == 400
    assert notify(client, payment).status_code == 400  # the test client's host: not allowed
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_an_unknown_method_is_the_sites_404_page(client, payment):
    answer = client.post("/pay/no-such-method/result/", {"payment": payment.number})
    assert answer.status_code == 404
    assert "X-Frame-Options" in answer.headers  # rendered by the whole chain


def test_other_requests_still_go_down_the_whole_chain(client, payment):
    assert client.get(f"/pay/{payment.method.slug}/result/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    refused = strict.post("/login/", {"login": "a@example.ru", "password": "x"})
    assert refused.status_code == 403  # no CSRF token: the CSRF middleware ran
    back = client.post(f"/pay/{payment.method.slug}/success/", {"payment": payment.number})
    assert back.status_code == 302 and "X-Frame-Options" in back.headers


def test_a_method_edited_or_disabled_between_notifications_is_read_again(
    client, account_factory, payment_methods
):
    """The view keeps the method per process, but never one staler than its row."""
    method = payment_methods.demo
    account = account_factory()
    first, second, third = (
        start_top_up(billing_account=account, method=method, amount=Money("300")) for _ in range(3)
    )
    assert notify(client, first).status_code == 200
    method.settings = {**method.settings, "secret": "a-new-secret"}
    method.save(update_fields=["settings"])
    assert notify(client, second).status_code == 400  # signed with the old secret: refused
    method.is_enabled = False
    method.save(update_fields=["is_enabled"])
    assert notify(client, third).status_code == 404
    for payment in (second, third):
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.PENDING
