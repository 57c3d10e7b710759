"""POST /accounts/{number}/invoices: a manual invoice of free lines, through the desk's own
action (audited as the token), paid from the balance when it covers it; bad input answered
with a problem document that moves nothing."""

import pytest

from hutor.backoffice.models import AuditEntry
from hutor.core.models import Event
from hutor.core.money import Money
from hutor.invoices.models import Invoice
from hutor.ledger import queries as ledger_queries

pytestmark = pytest.mark.django_db

BODY = {
    "lines": [
        {"description": "Перенос сайта", "unit_price": "700.00"},
        {"description": "Час администрирования", "quantity": "1.5", "unit_price": "200.00"},
    ],
    "reason": "Agreed by phone",
}


def test_a_manual_invoice_is_issued_paid_from_the_balance_and_audited(staff_api, world):
    api = staff_api("sales")
    number = world.account.number
    before = ledger_queries.balance(world.account)
    answer = api.post(f"/accounts/{number}/invoices", BODY, key="manual-1")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["kind"] == "manual" and body["total"] == {"amount": "1000.00", "currency": "RUB"}
    assert [
        (line["quantity"], line["unit_price"]["amount"], line["amount"]["amount"])
        for line in body["lines"]
    ] == [("1", "700.00", "700.00"), ("1.5", "200.00", "300.00")]
    assert answer["Location"] == f"/api/v1/invoices/{body['number']}"
    # The world's balance (1000 + 500 credited, the hosting paid) covers it, and the older
    # unpaid VPS order is paid first when the balance covers both.
    invoice = Invoice.objects.get(number=body["number"])
    spent = before - ledger_queries.balance(world.account)
    if invoice.status == "paid":
        assert body["status"] == "paid" and spent >= Money("1000.00")
    assert Event.objects.filter(kind="invoice.issued", data__invoice=invoice.number).exists()
    entry = AuditEntry.objects.get(action="invoice.create")
    assert entry.staff == staff_api.admin and entry.actor == "api:sales robot"
    assert entry.reason == "Agreed by phone" and entry.changes["invoice"] == invoice.number
    # The same key replays the answer; nothing is issued twice.
    again = api.post(f"/accounts/{number}/invoices", BODY, key="manual-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == body["number"]
    assert Invoice.objects.filter(kind="manual").count() == 1


def test_an_unpaid_manual_invoice_waits_then_a_credit_pays_it(staff_api, world):
    api = staff_api("admin")
    other = world.other.number  # an empty balance
    body = api.post(f"/accounts/{other}/invoices", BODY).json()
    assert body["status"] == "unpaid"
    credit = api.post(
        f"/accounts/{other}/balance/adjustments",
        {"amount": {"amount": "1000.00"}, "direction": "credit", "reason": "Paid in cash"},
    )
    assert credit.status_code == 201
    assert api.get(f"/invoices/{body['number']}").json()["status"] == "paid"
    assert ledger_queries.balance(world.other) == Money("0.00")


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"lines": []}, 422, "validation_error"),
        ({"lines": [{"description": "x", "unit_price": "-5.00"}]}, 422, "validation_error"),
        ({"lines": [{"description": "x", "unit_price": "10.005"}]}, 422, "validation_error"),
        ({"lines": [{"description": "x", "unit_price": "0"}]}, 422, "refused"),
        ({"lines": [{"description": " ", "unit_price": "10"}]}, 422, "refused"),
        (
            {"lines": [{"description": "x", "quantity": "0.0001", "unit_price": "1"}]},
            422,
            "validation_error",
        ),
        ({"currency": "USD"}, 422, "refused"),
        ({"due_date": "2001-01-01"}, 422, "refused"),
        ({"reason": ""}, 422, "reason_required"),
    ],
)
def test_bad_input_is_a_problem_in_the_readers_language_and_moves_nothing(
    staff_api, world, change, status, code
):
    api = staff_api("sales", language="ru")
    answer = api.post(f"/accounts/{world.account.number}/invoices", {**BODY, **change})
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"] == "application/problem+json"
    problem = answer.json()
    assert problem["code"] == code and problem["detail"]
    if code == "refused":
        assert any("а" <= ch <= "я" for ch in problem["detail"].lower())  # Russian
    assert not Invoice.objects.filter(kind="manual").exists()
    assert not AuditEntry.objects.filter(action="invoice.create").exists()


def test_support_and_customer_tokens_may_not_issue_one(staff_api, customer_api, world):
    number = world.account.number
    refused = staff_api("support").post(f"/accounts/{number}/invoices", BODY)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    mine = customer_api(world.account).post(f"/accounts/{number}/invoices", BODY)
    assert mine.status_code == 403
    assert not Invoice.objects.filter(kind="manual").exists()
