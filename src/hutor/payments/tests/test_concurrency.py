"""Exactly-once crediting under real concurrency (PostgreSQL row locks)."""

import random
import threading

import pytest
from django.db import connection
from django.test import Client

from hutor.accounts.actions import open_billing_account
from hutor.core.money import Money
from hutor.ledger import checks
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry
from hutor.payments.actions import start_top_up
from hutor.payments.gateways import demo
from hutor.payments.models import Payment, PaymentStatus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8
PAYMENTS = 500
DELIVERIES = 3


@pytest.mark.slow  # a minute or more: `make test-slow`, and CI
def test_500_notifications_each_delivered_3_times_by_8_threads_credit_exactly_500(payment_methods):
    accounts = [
        open_billing_account(email=f"c{i}@example.com", name=f"C{i}", notify=False)
        for i in range(10)
    ]
    rng = random.Random(20261126)
    payments = []
    for n in range(PAYMENTS):
        amount = Money(f"{rng.randint(100, 5000)}.{rng.randint(0, 99):02d}")
        payments.append(
            start_top_up(
                billing_account=accounts[n % 10], method=payment_methods.demo, amount=amount
            )
        )
    bodies = []
    for payment in payments:
        data = {
            "payment": payment.number,
            "amount": f"{payment.amount:.2f}",
            "currency": payment.currency,
            "transaction": f"T{payment.number}",
            "status": "paid",
        }
        data["signature"] = demo.sign("demo-secret", data)
        bodies.extend([data] * DELIVERIES)
    rng.shuffle(bodies)
    chunks = [bodies[i::THREADS] for i in range(THREADS)]
    answers: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def deliver(chunk):
        client = Client()
        try:
            barrier.wait()
            for data in chunk:
                answers.append(client.post("/pay/demo/result/", data).status_code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(chunk,)) for chunk in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors
    assert (
        answers.count(200) == PAYMENTS * DELIVERIES
    )  # every delivery, replays included, answered OK
    assert JournalEntry.objects.filter(kind="top_up").count() == PAYMENTS
    assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == PAYMENTS
    for account in accounts:
        expected = sum(
            (p.money for p in payments if p.billing_account_id == account.pk), Money.zero()
        )
        assert ledger_queries.balance(account) == expected
        assert ledger_queries.total_credited(account) == expected
    assert checks.run().ok


def test_concurrent_refunds_of_one_payment_never_exceed_it(payment_methods):
    """Eight accountants refund 200.00 of one 700.00 payment at once: the payment's row lock
    makes the sum of pending refunds final, so three are opened and five refused."""
    from hutor.payments.actions import credit_payment
    from hutor.payments.refunds import RefundRefused, open_refund

    account = open_billing_account(email="r@example.com", name="R", notify=False)
    payment = start_top_up(
        billing_account=account, method=payment_methods.demo, amount=Money("700.00")
    )
    payment, _ = credit_payment(payment=payment, transaction_id="T-R", amount=payment.money)
    opened: list[int] = []
    refused: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def refund():
        try:
            barrier.wait()
            opened.append(open_refund(payment=payment, amount=Money("200.00")).pk)
        except RefundRefused as exc:
            refused.append(str(exc))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=refund) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors
    assert len(opened) == 3 and len(refused) == THREADS - 3
    assert JournalEntry.objects.filter(kind="refund").count() == 3
    assert ledger_queries.balance(account) == Money("100.00")
    assert checks.run().ok
