"""The rules around the desk's actions: a reason is required, a money form submitted twice
moves the money once, refunds are bounded, and the audit log is append-only and searchable.
(Every action's audit entry is in test_actions.py.)"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from hutor.backoffice import actions
from hutor.backoffice.exceptions import AlreadyDone, DeskError, ReasonRequired
from hutor.backoffice.models import AuditEntry, AuditLogImmutable, Role
from hutor.backoffice.tests.conftest import RefundingDemo, desk_session
from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import EntryKind, JournalEntry
from hutor.payments.gateways import GATEWAYS
from hutor.payments.models import PaymentStatus

pytestmark = pytest.mark.django_db


def test_an_action_without_a_reason_is_refused_and_changes_nothing(admin, world):
    client, _staff = admin
    response = client.post(
        reverse("desk:adjust", args=[world.account.number]),
        {"direction": "credit", "amount": "100", "reason": "  ", "token": uuid.uuid4().hex},
    )
    assert response.status_code == 200
    assert not JournalEntry.objects.filter(kind=EntryKind.ADJUSTMENT).exists()
    assert not AuditEntry.objects.exists()
    with pytest.raises(ReasonRequired):
        actions.suspend_service(staff=_staff, service=world.hosting, reason="")


def test_a_money_form_submitted_twice_moves_the_money_once(admin, world):
    client, staff = admin
    acc = world.account
    balance = ledger_queries.balance(acc)
    data = {"direction": "credit", "amount": "100", "reason": "Goodwill", "token": uuid.uuid4().hex}
    url = reverse("desk:adjust", args=[acc.number])
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # the reload: told it was done, no money
    assert ledger_queries.balance(acc) == balance + Money("100")
    assert AuditEntry.objects.filter(action="balance.adjust").count() == 1

    day = dt.date(2026, 3, 2)
    actions.record_manual_payment(
        staff=staff,
        account=acc,
        amount=Money("10"),
        document_number="9",
        document_date=day,
        reason="Bank",
    )
    with pytest.raises(AlreadyDone):
        actions.record_manual_payment(
            staff=staff,
            account=acc,
            amount=Money("10"),
            document_number=" 9 ",
            document_date=day,
            reason="Bank again",
        )
    assert AuditEntry.objects.filter(action="payment.manual").count() == 1


def test_refunds_are_bounded_and_need_a_refunding_service(admin, world, monkeypatch):
    _client, staff = admin
    with translation.override("en"), pytest.raises(DeskError, match="cannot refund"):
        actions.refund_to_gateway(
            staff=staff, payment=world.payment, amount=Money("10"), reason="Refund"
        )
    monkeypatch.setitem(GATEWAYS, "demo", RefundingDemo)
    RefundingDemo.refunds = []
    RefundingDemo.status = "succeeded"
    with translation.override("en"), pytest.raises(DeskError, match="At most"):
        actions.refund_to_gateway(
            staff=staff, payment=world.payment, amount=Money("500.01"), reason="Refund"
        )
    pending = world.pending_payment
    assert pending.status == PaymentStatus.PENDING
    with pytest.raises(DeskError):
        actions.refund_to_gateway(staff=staff, payment=pending, amount=Money("1"), reason="x")
    # A debit the balance does not cover is refused, whatever the payment was.
    with translation.override("en"), pytest.raises(DeskError, match="does not cover"):
        actions.adjust_balance(
            staff=staff, account=world.other, amount=Money("1"), credit=False, reason="Fix"
        )
    assert RefundingDemo.refunds == []
    assert not AuditEntry.objects.exists()


def test_the_audit_log_is_append_only(admin, world):
    _client, staff = admin
    actions.add_note(staff=staff, account=world.account, text="A note")
    entry = AuditEntry.objects.get()
    entry.reason = "rewritten"
    with pytest.raises(AuditLogImmutable):
        entry.save()
    with pytest.raises(AuditLogImmutable):
        entry.delete()
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.update(reason="x")
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().reason == "A note"


def test_the_audit_log_is_searchable_by_staff_account_and_action(world, staff_factory):
    anna, boris = staff_factory(Role.ACCOUNTANT), staff_factory(Role.ACCOUNTANT)
    actions.add_note(staff=anna, account=world.account, text="Anna's note")
    actions.add_note(staff=boris, account=world.other, text="Boris' note")
    actions.suspend_service(staff=boris, service=world.hosting, reason="Boris suspends")
    client = desk_session(Client(), anna)
    url = reverse("desk:audit")

    def shown(**params) -> str:
        return client.get(url, params).content.decode()

    assert "Anna&#x27;s note" in shown(staff=anna.email) and "Boris" not in shown(staff=anna.email)
    by_account = shown(account=world.other.number)
    assert "Boris&#x27; note" in by_account and "Boris suspends" not in by_account
    by_action = shown(action="service.suspend")
    assert "Boris suspends" in by_action and "note" not in by_action.split("<tbody>")[1]
