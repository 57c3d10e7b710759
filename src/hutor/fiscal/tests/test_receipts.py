"""54-ФЗ receipts through the fake ATOL Online v5 (fake_atol.py; each answer there cites the
section of the operator's protocol it follows): a top-up by an individual registers one
receipt with the right tags, exactly once, whatever the operator does meanwhile."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from hutor.accounts.models import AccountKind
from hutor.core.money import Money
from hutor.fiscal import actions
from hutor.fiscal.models import FiscalReceipt, Operation, ReceiptStatus
from hutor.fiscal.tasks import run_due
from hutor.fiscal.tests.fake_atol import FN_NUMBER, GROUP, TOKEN
from hutor.payments.actions import start_top_up
from hutor.payments.gateways import demo

pytestmark = pytest.mark.django_db

PAID = dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)  # 10:00 in Moscow


def notify(client, payment):
    """The demo payment service's signed notification that `payment` was paid."""
    data = {
        "payment": payment.number,
        "amount": f"{payment.amount:.2f}",
        "currency": "RUB",
        "transaction": f"T-{payment.number}",
        "status": "paid",
    }
    data["signature"] = demo.sign("demo-secret", data)
    assert client.post(f"/pay/{payment.method.slug}/result/", data).status_code == 200
    payment.refresh_from_db()
    return payment


def pay(client, account, methods, amount="700.00"):
    """A top-up paid through the demo payment service."""
    payment = start_top_up(billing_account=account, method=methods.demo, amount=Money(amount))
    return notify(client, payment)


def worker(traveller, minutes=0.0):
    traveller.shift(dt.timedelta(minutes=minutes))
    call_command("worker", once=True)


def test_a_top_up_by_an_individual_registers_one_receipt_with_the_right_tags(
    client, account_factory, payment_methods, register, atol
):
    account = account_factory(email="ivanov@example.com")
    with time_machine.travel(PAID, tick=False) as traveller:
        payment = pay(client, account, payment_methods)
        receipt = FiscalReceipt.objects.get()
        assert receipt.status == ReceiptStatus.QUEUED and receipt.operation == Operation.SELL
        assert receipt.payment == payment and receipt.amount == Decimal("700.00")
        # A replay of the notification credits nothing and makes no second receipt.
        notify(client, payment)
        assert FiscalReceipt.objects.count() == 1

        worker(traveller)
        sells = atol.sells()
        assert len(sells) == 1
        assert sells[0]["path"] == f"/possystem/v5/{GROUP}/sell" and sells[0]["token"] == TOKEN
        body = sells[0]["body"]
        assert body["external_id"] == f"hutor-sell-{payment.number}"
        assert body["timestamp"] == "01.12.2026 10:00:00"  # the provider's time (Moscow)
        check = body["receipt"]
        assert check["client"] == {"email": "ivanov@example.com"}
        assert check["company"] == {
            "email": "kassa@test-hosting.ru",
            "sno": "osn",  # the general regime
            "inn": "7707083893",  # the provider's INN
            "payment_address": "https://test-hosting.ru",
        }
        assert check["items"] == [
            {
                "name": f"Пополнение баланса биллинг-аккаунта № {account.number}",
                "price": Decimal("700.00"),  # JSON numbers, written from Decimal
                "quantity": 1,
                "sum": Decimal("700.00"),
                "measure": 0,
                "payment_method": "full_prepayment",  # a top-up is a 100 % prepayment
                "payment_object": 4,  # a service (v5's numeric code)
                "vat": {"type": "vat122"},  # 22/122: a prepayment under 22 % (2026)
            }
        ]
        assert check["payments"] == [{"type": 1, "sum": Decimal("700.00")}]
        assert check["total"] == Decimal("700.00")
        receipt.refresh_from_db()
        assert receipt.status == ReceiptStatus.SENT and receipt.operator_uuid

        worker(traveller, minutes=1)  # the report, asked 10 s after sending
        receipt.refresh_from_db()
        assert receipt.status == ReceiptStatus.REGISTERED
        assert receipt.fiscal_document_number == "101"
        assert receipt.fiscal_document_attribute == "3449555941"
        assert receipt.fn_number == FN_NUMBER and receipt.registered_at is not None
        worker(traveller, minutes=60)
        assert len(atol.sells()) == 1


def test_a_payment_in_december_2025_carries_20_120(
    client, account_factory, payment_methods, register, atol
):
    with time_machine.travel(dt.datetime(2025, 12, 31, 20, 0, tzinfo=dt.UTC), tick=False):
        pay(client, account_factory(), payment_methods)  # 23:00 in Moscow, still 2025
    assert FiscalReceipt.objects.get().payload["receipt"]["items"][0]["vat"] == {"type": "vat120"}


def test_the_operator_down_for_an_hour_gets_the_receipt_once_when_it_is_back(
    client, account_factory, payment_methods, register, atol
):
    with time_machine.travel(PAID, tick=False) as traveller:
        pay(client, account_factory(), payment_methods)
        atol.down = True
        for _ in range(12):  # an hour of polls, five minutes apart
            worker(traveller, minutes=5)
            receipt = FiscalReceipt.objects.get()
            assert receipt.status == ReceiptStatus.QUEUED
        assert "503" in receipt.last_error and receipt.attempts >= 3  # visible to staff
        assert not atol.receipts
        atol.down = False
        worker(traveller, minutes=90)  # the next try after the backoff
        worker(traveller, minutes=1)
        receipt.refresh_from_db()
        assert receipt.status == ReceiptStatus.REGISTERED
        accepted = [r for r in atol.sells() if not atol.down]
        assert len(atol.receipts) == 1 and len(accepted) >= 1


def test_a_lost_answer_is_sent_again_and_the_duplicate_answer_asks_the_report(
    client, account_factory, payment_methods, register, atol
):
    """The operator registered the receipt but its answer was lost (503): the retry with the
    same external_id gets error 33 with the first uuid, and the report of that one is used."""
    with time_machine.travel(PAID, tick=False) as traveller:
        pay(client, account_factory(), payment_methods)
        atol.lost_answers = 1
        worker(traveller)
        receipt = FiscalReceipt.objects.get()
        assert receipt.status == ReceiptStatus.QUEUED and len(atol.receipts) == 1
        worker(traveller, minutes=2)
        receipt.refresh_from_db()
        (first,) = atol.receipts
        assert receipt.status == ReceiptStatus.SENT and receipt.operator_uuid == first
        worker(traveller, minutes=1)
        receipt.refresh_from_db()
        assert receipt.status == ReceiptStatus.REGISTERED
        assert len(atol.sells()) == 2 and len(atol.receipts) == 1  # registered once


def test_a_report_that_waits_is_asked_again(
    client, account_factory, payment_methods, register, atol
):
    atol.waits = 2
    with time_machine.travel(PAID, tick=False) as traveller:
        pay(client, account_factory(), payment_methods)
        worker(traveller)
        worker(traveller, minutes=0.25)
        receipt = FiscalReceipt.objects.get()
        assert receipt.status == ReceiptStatus.SENT and "wait" in receipt.last_error
        worker(traveller, minutes=1)
        worker(traveller, minutes=2)
        receipt.refresh_from_db()
        assert receipt.status == ReceiptStatus.REGISTERED


def test_a_receipt_the_operator_failed_is_visible_and_retried_under_a_new_external_id(
    client, account_factory, payment_methods, register, atol
):
    atol.fail_reports = True
    with time_machine.travel(PAID, tick=False) as traveller:
        payment = pay(client, account_factory(), payment_methods)
        worker(traveller)
        worker(traveller, minutes=1)
        receipt = FiscalReceipt.objects.get()
        assert receipt.status == ReceiptStatus.FAILED
        assert receipt.error_code == "1" and "Превышено время ожидания" in receipt.last_error
        atol.fail_reports = False
        receipt = actions.retry_now(receipt=receipt)
        assert receipt.external_id == f"hutor-sell-{payment.number}~2"
        worker(traveller)
        worker(traveller, minutes=1)
        receipt.refresh_from_db()
        assert receipt.status == ReceiptStatus.REGISTERED
        assert atol.sells()[-1]["body"]["external_id"] == receipt.external_id
        with pytest.raises(actions.ReceiptError):
            actions.retry_now(receipt=receipt)


def test_a_company_payment_and_a_bank_transfer_make_no_receipt(
    client, account_factory, payment_methods, register, atol
):
    company = account_factory(
        kind=AccountKind.COMPANY,
        name="ООО «Ромашка»",
        inn="7707083893",
        kpp="773601001",
        address="г. Москва, ул. Ленина, д. 1",
    )
    pay(client, company, payment_methods)
    person = account_factory()
    call_command(
        "payments",
        "record",
        "--account",
        person.number,
        "--amount",
        "500.00",
        "--date",
        "2026-11-20",
        "--reference",
        "п/п 123",
    )
    assert person.payments.get().status == "succeeded"
    assert not FiscalReceipt.objects.exists()
    assert not run_due()
    assert atol.requests == []


def test_without_a_cash_register_no_receipt_is_made(client, account_factory, payment_methods):
    pay(client, account_factory(), payment_methods)
    assert not FiscalReceipt.objects.exists()


def test_a_register_or_company_edited_or_disabled_between_payments_is_read_again(
    client, account_factory, payment_methods, register, provider, atol
):
    """fiscal.actions.registers() keeps the registers per process, never staler than the rows:
    what the next payment's receipt carries is what the rows say at its credit."""
    account = account_factory()

    def company_of_receipt(payment):
        return FiscalReceipt.objects.get(payment=payment).payload["receipt"]["company"]

    assert company_of_receipt(pay(client, account, payment_methods))["email"] == (
        "kassa@test-hosting.ru"
    )
    register.company_email = "cash@test-hosting.ru"
    register.save(update_fields=["company_email"])
    assert company_of_receipt(pay(client, account, payment_methods))["email"] == (
        "cash@test-hosting.ru"
    )
    provider.inn = "7736207543"
    provider.save(update_fields=["inn"])
    assert company_of_receipt(pay(client, account, payment_methods))["inn"] == "7736207543"
    register.is_enabled = False
    register.save(update_fields=["is_enabled"])
    payment = pay(client, account, payment_methods)
    assert payment.status == "succeeded"
    assert not FiscalReceipt.objects.filter(payment=payment).exists()
    assert FiscalReceipt.objects.count() == 3


def test_a_receipt_whose_report_never_came_is_asked_about_again_not_sent_again(
    client, account_factory, payment_methods, register, atol
):
    """The operator accepted it, but its report kept saying `wait` until the worker gave up:
    "retry now" asks for the report again under the same uuid, and never sends it twice."""
    atol.waits = 100
    with time_machine.travel(PAID, tick=False) as traveller:
        pay(client, account_factory(), payment_methods)
        worker(traveller)
        for _ in range(10):
            worker(traveller, minutes=13 * 60)
        receipt = FiscalReceipt.objects.get()
        assert receipt.status == ReceiptStatus.FAILED and not receipt.operator_failed
        uuid = receipt.operator_uuid
        atol.receipts[uuid]["waits"] = 0
        receipt = actions.retry_now(receipt=receipt)
        assert receipt.status == ReceiptStatus.SENT and receipt.operator_uuid == uuid
        worker(traveller)
        receipt.refresh_from_db()
        assert receipt.status == ReceiptStatus.REGISTERED
        assert receipt.external_id == f"hutor-sell-{receipt.payment.number}"
        assert len(atol.sells()) == 1
