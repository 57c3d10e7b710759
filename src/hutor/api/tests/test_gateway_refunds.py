"""POST /payments/{number}/refunds: the desk's refund through the payment service, from the
API. The refund is written pending with the balance's debit in the request's transaction; the
service is asked once it commits, outside it; GET /payments/{number}/refunds shows the end."""

import pytest

from hutor.backoffice.models import AuditEntry
from hutor.backoffice.tests.conftest import RefundingDemo
from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.payments.gateways import GATEWAYS
from hutor.payments.models import Refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def refunding(monkeypatch):
    monkeypatch.setitem(GATEWAYS, "demo", RefundingDemo)
    RefundingDemo.refunds = []
    RefundingDemo.status = "succeeded"
    return RefundingDemo


def _refund(api, payment, amount, key="auto", reason="Paid twice by card"):
    return api.post(
        f"/payments/{payment}/refunds",
        {"amount": {"amount": amount}, "reason": reason},
        key=key,
    )


def test_an_accountant_refunds_part_of_a_card_payment(
    staff_api, world, refunding, django_capture_on_commit_callbacks
):
    api = staff_api("accountant")
    payment = world.payment.number  # 500.00 by the demo service
    balance = ledger_queries.balance(world.account)
    with django_capture_on_commit_callbacks(execute=True) as sent:
        answer = _refund(api, payment, "200.00", key="refund-1")
    assert answer.status_code == 202, answer.content
    body = answer.json()
    assert body["status"] == "pending" and body["amount"] == {"amount": "200.00", "currency": "RUB"}
    assert answer["Location"] == f"/api/v1/payments/{payment}/refunds"
    assert len(sent) == 1  # the service is asked after the commit, not inside the request's
    assert refunding.refunds == [(payment, Money("200.00"))]
    assert ledger_queries.balance(world.account) == balance - Money("200.00")
    listed = api.get(f"/payments/{payment}/refunds").json()["items"]
    assert [(r["status"], r["refund_id"]) for r in listed] == [("succeeded", "R-1")]
    entry = AuditEntry.objects.get(action="refund.gateway")
    assert entry.staff == staff_api.admin and entry.actor == "api:accountant robot"
    assert entry.reason == "Paid twice by card" and entry.changes["amount"] == "200.00 RUB"
    # The same key: the first answer again, no second refund.
    with django_capture_on_commit_callbacks(execute=True):
        again = _refund(api, payment, "200.00", key="refund-1")
    assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert Refund.objects.count() == 1 and len(refunding.refunds) == 1
    # More than what is left of the payment (300.00): refused, nothing moves or is asked.
    with django_capture_on_commit_callbacks(execute=True):
        over = _refund(api, payment, "300.01")
    assert over.status_code == 422 and over.json()["code"] == "refused"
    assert Refund.objects.count() == 1 and len(refunding.refunds) == 1
    assert ledger_queries.balance(world.account) == balance - Money("200.00")


def test_refused_where_the_desk_refuses(
    staff_api, customer_api, world, refunding, django_capture_on_commit_callbacks
):
    payment = world.payment.number
    with django_capture_on_commit_callbacks(execute=True):
        assert _refund(staff_api("sales"), payment, "10.00").status_code == 403
        assert _refund(customer_api(world.account), payment, "10.00").status_code == 403
        assert _refund(customer_api(world.other), payment, "10.00").status_code == 404
        # A bank transfer cannot be refunded through a service; a pending payment either.
        bank = _refund(staff_api("accountant"), world.pending_payment.number, "10.00")
        assert bank.status_code == 422 and bank.json()["code"] == "refused"
        no_reason = _refund(staff_api("accountant"), payment, "10.00", reason="")
        assert no_reason.json()["code"] == "reason_required"
        bad = _refund(staff_api("accountant"), payment, "-1")
        assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
    assert not Refund.objects.exists() and refunding.refunds == []
    # The customer may see the refunds of their own payment, not another's.
    assert customer_api(world.account).get(f"/payments/{payment}/refunds").status_code == 200
    assert customer_api(world.other).get(f"/payments/{payment}/refunds").status_code == 404


def test_a_refund_the_service_refuses_gives_the_balance_back(
    staff_api, world, refunding, django_capture_on_commit_callbacks
):
    refunding.status = "failed"
    balance = ledger_queries.balance(world.account)
    api = staff_api("accountant")
    with django_capture_on_commit_callbacks(execute=True):
        answer = _refund(api, world.payment.number, "100.00")
    assert answer.status_code == 202
    [listed] = api.get(f"/payments/{world.payment.number}/refunds").json()["items"]
    assert listed["status"] == "failed" and listed["failure"]
    assert ledger_queries.balance(world.account) == balance
