"""Stripe refunds (issue 11, finding 4): sent with the refund's own key in minor units,
outside any transaction, then concluded; the fake API of fake.py answers."""

from __future__ import annotations

import pytest
from django.utils import translation

from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry
from hutor.payments.models import RefundStatus
from hutor.payments.refunds import failure_text, open_refund, retry_refund, send_refund
from hutor.payments.tests.stripe_gateway.fake import (
    deliver,
    event,
)

pytestmark = pytest.mark.django_db


# --- refunds (finding 4) -------------------------------------------------------------------------

INTENT = "pi_3PqRsT2eZvKYlo2C0a1b2c3d"  # the payment intent of `event`'s session


@pytest.fixture
def credited(client, api, payment):
    api.intents[INTENT] = 70000
    assert deliver(client, event(payment)).status_code == 200
    payment.refresh_from_db()
    assert payment.gateway_transaction_id == INTENT
    return payment


def refund(payment, amount: str, token: str | None = None):
    """Open a refund (committed) and send it, as the desk's refund action does."""
    opened = open_refund(payment=payment, amount=Money(amount), token=token)
    return send_refund(opened)


def refund_requests(api) -> list[dict]:
    return [r for r in api.requests if r["path"] == "/v1/refunds"]


def test_a_refund_is_sent_with_its_own_key_in_minor_units(api, credited):
    done = refund(credited, "200.00")
    assert done.status == RefundStatus.SUCCEEDED and done.gateway_refund_id in api.refunds
    (request,) = refund_requests(api)
    assert request["form"] == {"payment_intent": INTENT, "amount": "20000"}
    assert request["key"] == done.idempotency_key == done.entry.idempotency_key
    assert ledger_queries.balance(credited.billing_account) == Money("500.00")


def test_two_equal_partial_refunds_are_two_refunds_at_stripe(api, credited):
    """Regression test for finding 4, on Stripe (which had no refunds before)."""
    first, second = refund(credited, "200.00"), refund(credited, "200.00")
    assert first.idempotency_key != second.idempotency_key
    assert len(api.refunds) == 2
    assert JournalEntry.objects.filter(kind="refund").count() == 2
    assert ledger_queries.balance(credited.billing_account) == Money("300.00")


def test_a_refund_stripe_does_not_answer_stays_pending_and_the_retry_refunds_once(api, credited):
    api.unavailable = True
    pending = refund(credited, "700.00")
    assert pending.status == RefundStatus.PENDING and not api.refunds
    assert ledger_queries.balance(credited.billing_account) == Money.zero()  # reserved
    api.unavailable = False
    done = retry_refund(pending)
    assert done.status == RefundStatus.SUCCEEDED and len(api.refunds) == 1
    assert {r["key"] for r in refund_requests(api)} == {pending.idempotency_key}
    assert JournalEntry.objects.filter(kind="refund").count() == 1


def test_a_refund_stripe_refuses_fails_and_gives_the_balance_back(api, credited):
    api.intents[INTENT] = 0  # already refunded in Stripe's dashboard
    failed = refund(credited, "100.00")
    assert failed.status == RefundStatus.FAILED
    assert failed.failure_code == "refused"
    assert failed.failure_params == {"status": "400", "code": "charge_already_refunded"}
    assert ledger_queries.balance(credited.billing_account) == Money("700.00")
    with translation.override("en"):
        assert "HTTP 400, charge_already_refunded" in failure_text(failed)


def test_a_refund_pending_at_stripe_is_looked_up_later(api, credited):
    api.refund_status = "pending"
    pending = refund(credited, "100.00")
    assert pending.status == RefundStatus.PENDING and pending.gateway_refund_id
    api.refunds[pending.gateway_refund_id]["status"] = "succeeded"
    assert retry_refund(pending).status == RefundStatus.SUCCEEDED
    assert api.requests[-1]["verb"] == "GET" and len(refund_requests(api)) == 1


def test_a_payment_credited_without_a_payment_intent_cannot_be_refunded(client, api, payment):
    assert deliver(client, event(payment, payment_intent=None)).status_code == 200
    payment.refresh_from_db()
    failed = refund(payment, "100.00")
    assert failed.status == RefundStatus.FAILED and failed.failure_code == "not_refundable"
    assert not refund_requests(api)
    assert ledger_queries.balance(payment.billing_account) == Money("700.00")
