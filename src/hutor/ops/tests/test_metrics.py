"""/metrics: off unless a token or an address list is set; the figures come from the database
(parsed back with prometheus-client's own parser)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from hutor.billing.models import BillingRun, RunStatus
from hutor.core.money import Money
from hutor.notifications.models import OutboxEmail
from hutor.payments.actions import credit_payment, start_top_up

TOKEN = "scrape-me-0123456789"


def samples(response) -> dict:
    text = response.content.decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_are_off_without_a_token_or_an_address_list(client, db, settings):
    settings.HUTOR_METRICS_TOKEN = ""
    settings.HUTOR_METRICS_ALLOW = []
    assert client.get("/metrics").status_code == 404


def test_metrics_want_the_token(client, db, settings):
    settings.HUTOR_METRICS_TOKEN = TOKEN
    settings.HUTOR_METRICS_ALLOW = []
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


def test_the_address_list_reads_the_client_behind_the_proxy(client, db, settings):
    settings.HUTOR_METRICS_TOKEN = ""
    settings.HUTOR_METRICS_ALLOW = ["10.0.0.0/8", "192.0.2.7"]
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    # The proxy is on 127.0.0.1 (REMOTE_ADDR); what counts is the client it forwards.
    outside = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert outside.status_code == 403
    inside = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.2.3.4")
    assert inside.status_code == 200
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="192.0.2.7").status_code == 200


@pytest.fixture
def scrape(client, settings):
    settings.HUTOR_METRICS_TOKEN = TOKEN

    def get() -> dict:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        return samples(response)

    return get


def test_hutor_figures(scrape, account_factory, payment_methods):
    account = account_factory()
    for n, amount in enumerate(["100.00", "250.50"]):
        payment = start_top_up(
            billing_account=account,
            method=payment_methods.demo,
            amount=Money(Decimal(amount), account.currency),
        )
        credit_payment(
            payment=payment, transaction_id=f"tx{n}", amount=Money(Decimal(amount), "RUB")
        )
    start_top_up(
        billing_account=account, method=payment_methods.demo, amount=Money(Decimal("150"), "RUB")
    )
    now = timezone.now()
    OutboxEmail.objects.filter(status="pending").update(
        next_attempt_at=now - dt.timedelta(minutes=10)
    )
    pending = OutboxEmail.objects.filter(status="pending").count()
    BillingRun.objects.create(
        date=now.date(),
        status=RunStatus.DONE,
        started_at=now - dt.timedelta(seconds=75),
        finished_at=now,
        error_count=2,
        counts={"renewals": {"due": 5, "issued": 4}, "suspension": {"suspended": 1}},
    )
    call_command("worker", "--once")  # delivers the emails; its heartbeat
    got = scrape()
    slug = payment_methods.demo.slug
    assert got[("hutor_payments_credited_total", (("method", slug),))] == 2
    assert got[
        ("hutor_payments_credited_amount_total", (("currency", "RUB"), ("method", slug)))
    ] == pytest.approx(350.5)
    assert got[("hutor_billing_run_last_duration_seconds", ())] == pytest.approx(75)
    assert got[("hutor_billing_run_last_errors", ())] == 2
    assert got[("hutor_billing_run_last_status", (("status", "done"),))] == 1
    assert got[("hutor_billing_run_last_count", (("key", "issued"), ("step", "renewals")))] == 4
    assert got[("hutor_billing_run_running", ())] == 0
    assert got[("hutor_queue_jobs", (("queue", "email"), ("status", "sent")))] == pending
    assert got[("hutor_queue_jobs", (("queue", "provisioning"), ("status", "failed")))] == 0
    assert got[("hutor_queue_oldest_due_seconds", (("queue", "email"),))] == 0
    assert got[("hutor_workers_seen", ())] == 1
    assert got[("hutor_worker_last_seen_timestamp_seconds", ())] > now.timestamp() - 60
    assert ("process_cpu_seconds_total", ()) in got or ("python_info", ()) in got


def test_queue_age_counts_due_jobs_only(scrape, account_factory):
    account_factory()  # its activation email is queued
    now = timezone.now()
    OutboxEmail.objects.update(next_attempt_at=now - dt.timedelta(minutes=10))
    got = scrape()
    assert got[("hutor_queue_oldest_due_seconds", (("queue", "email"),))] >= 600
    assert got[("hutor_queue_jobs", (("queue", "email"), ("status", "pending")))] >= 1
    OutboxEmail.objects.update(next_attempt_at=now + dt.timedelta(minutes=10))
    assert scrape()[("hutor_queue_oldest_due_seconds", (("queue", "email"),))] == 0


def test_refused_notifications_are_counted_by_method_and_reason(
    scrape, client, account_factory, payment_methods
):
    from hutor.payments.gateways import demo

    account = account_factory()
    payment = start_top_up(
        billing_account=account, method=payment_methods.demo, amount=Money(Decimal("100"), "RUB")
    )
    data = {
        "payment": payment.number,
        "amount": "100.00",
        "currency": "RUB",
        "transaction": "tx-forged",
        "status": "paid",
    }
    key = (
        "hutor_payment_notifications_refused_total",
        (("method", "demo"), ("reason", "bad signature")),
    )
    assert key not in scrape()
    for expected in (1, 2):
        forged = client.post("/pay/demo/result/", {**data, "signature": "0" * 64})
        assert forged.status_code == 400
        assert scrape()[key] == expected
    # Another reason is another series; a genuine notification counts nothing.
    unknown = {**data, "payment": "99999999"}
    client.post("/pay/demo/result/", {**unknown, "signature": demo.sign("demo-secret", unknown)})
    got = scrape()
    assert got[key] == 2
    assert (
        got[
            (
                "hutor_payment_notifications_refused_total",
                (("method", "demo"), ("reason", "unknown payment")),
            )
        ]
        == 1
    )
    signed = {**data, "signature": demo.sign("demo-secret", data)}
    assert client.post("/pay/demo/result/", signed).status_code == 200
    assert (
        sum(v for (name, _l), v in scrape().items() if name.startswith("hutor_payment_notif")) == 3
    )
    payment.refresh_from_db()
    assert payment.status == "succeeded"
