"""Top-ups through the built-in demo payment service: verified, credited exactly once."""

import pytest

from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry
from hutor.notifications.models import OutboxEmail
from hutor.payments.actions import start_top_up
from hutor.payments.exceptions import InvalidTopUp
from hutor.payments.gateways import demo
from hutor.payments.models import PaymentStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(account_factory):
    return account_factory()


def notify(client, pay, secret="demo-secret", **changes):
    data = {
        "payment": pay.number,
        "amount": f"{pay.amount:.2f}",
        "currency": pay.currency,
        "transaction": "T-1",
        "status": "paid",
    } | changes
    data.setdefault("signature", demo.sign(secret, data))
    if "signature" in changes:
        data["signature"] = changes["signature"]
    return client.post(f"/pay/{pay.method.slug}/result/", data)


def test_a_top_up_creates_a_numbered_payment_and_no_invoice(account, payment_methods):
    payment = start_top_up(
        billing_account=account, method=payment_methods.demo, amount=Money("1500.00")
    )
    assert payment.number == "20000001" and payment.status == PaymentStatus.PENDING
    assert not account.invoices.exists()  # S5


@pytest.mark.parametrize("amount", ["99.99", "500000.01"])
def test_amounts_outside_the_limits_are_refused(account, payment_methods, amount):
    with pytest.raises(InvalidTopUp):
        start_top_up(billing_account=account, method=payment_methods.demo, amount=Money(amount))


def test_a_verified_notification_credits_once_and_a_replay_credits_nothing(
    client, account, payment_methods
):
    payment = start_top_up(
        billing_account=account, method=payment_methods.demo, amount=Money("700.00")
    )
    first = notify(client, payment)
    assert first.status_code == 200 and first.content == b"OK"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.gateway_transaction_id == "T-1"
    assert ledger_queries.balance(account) == Money("700.00")
    assert ledger_queries.total_credited(account) == Money("700.00")
    assert OutboxEmail.objects.filter(template="payment_credited").count() == 1
    replay = notify(client, payment)
    assert replay.status_code == 200
    assert ledger_queries.balance(account) == Money("700.00")
    assert JournalEntry.objects.filter(kind="top_up").count() == 1


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"signature": "0" * 64}, "bad signature"),
        ({"signature": ""}, "bad signature"),
        ({"currency": "USD"}, "amount"),
        ({"payment": "29999999"}, "unknown payment"),
        ({"amount": "abc"}, "malformed"),
    ],
)
def test_forged_or_mismatched_notifications_are_refused_and_credit_nothing(
    client, account, payment_methods, changes, reason
):
    payment = start_top_up(
        billing_account=account, method=payment_methods.demo, amount=Money("700.00")
    )
    response = notify(client, payment, **changes)
    assert response.status_code == 400 and reason in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert ledger_queries.balance(account) == Money.zero()


def test_a_notification_signed_with_another_secret_is_refused(client, account, payment_methods):
    payment = start_top_up(
        billing_account=account, method=payment_methods.demo, amount=Money("700.00")
    )
    assert notify(client, payment, secret="guess").status_code == 400
    assert ledger_queries.balance(account) == Money.zero()


def test_a_payment_of_another_method_is_refused(client, account, payment_methods):
    payment = start_top_up(
        billing_account=account, method=payment_methods.bank, amount=Money("700.00")
    )
    data = {
        "payment": payment.number,
        "amount": "700.00",
        "currency": "RUB",
        "transaction": "X",
        "status": "paid",
    }
    data["signature"] = demo.sign("demo-secret", data)
    response = client.post("/pay/demo/result/", data)
    assert response.status_code == 400 and "another method" in response.content.decode()


def test_a_declined_payment_fails_and_a_late_success_for_it_is_credited_and_flagged(
    client, account, payment_methods
):
    payment = start_top_up(
        billing_account=account, method=payment_methods.demo, amount=Money("700.00")
    )
    assert notify(client, payment, status="declined", transaction="T-0").status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert notify(client, payment).status_code == 200  # the money did arrive: never refused
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert [r["code"] for r in payment.review_reasons] == ["after_failure"]
    assert ledger_queries.balance(account) == Money("700.00")


def test_the_demo_service_is_refused_without_debug_unless_enabled(
    client, account, payment_methods, settings
):
    settings.DEBUG = False
    settings.HUTOR_DEMO_PAYMENTS = False
    payment = start_top_up(
        billing_account=account, method=payment_methods.demo, amount=Money("700.00")
    )
    response = notify(client, payment)
    assert response.status_code == 400 and "disabled" in response.content.decode()
    settings.HUTOR_DEMO_PAYMENTS = True
    assert notify(client, payment).status_code == 200


def test_a_browser_return_never_credits(client, account, payment_methods):
    payment = start_top_up(
        billing_account=account, method=payment_methods.demo, amount=Money("700.00")
    )
    client.get(f"/pay/demo/success/?payment={payment.number}")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert ledger_queries.balance(account) == Money.zero()


def test_a_credit_settles_open_invoices(client, catalog, account, payment_methods):
    from hutor.services.actions import order_invoice, place_order

    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="a.ru"
    )
    payment = start_top_up(
        billing_account=account, method=payment_methods.demo, amount=Money("200.00")
    )
    notify(client, payment)
    assert order_invoice(service).status == "paid"
    assert ledger_queries.balance(account) == Money("1.00")
