"""Refund receipts, and YooKassa's own receipts: a refund through the payment service produces
a sell_refund receipt at ATOL (fake_atol.py); a YooKassa method with `receipts` on sends
YooKassa's receipt object instead (the fake YooKassa of payments/tests/yookassa_gateway, whose
answers cite yookassa.ru/developers) and gets no ATOL receipt."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal
from http.server import ThreadingHTTPServer

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from hutor.core.money import Money
from hutor.fiscal.models import FiscalReceipt, Operation, ReceiptStatus
from hutor.fiscal.tests.fake_atol import GROUP
from hutor.payments.actions import start_top_up
from hutor.payments.models import Gateway, PaymentMethod, PaymentStatus, RefundStatus
from hutor.payments.tests.yookassa_gateway.fake import (
    SECRET_KEY,
    SHOP_ID,
    FakeYooKassa,
    Handler,
    notify,
    started,
)

pytestmark = pytest.mark.django_db

PAID = dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def yookassa():
    fake = FakeYooKassa()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.fake = fake
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    fake.api_base = f"http://127.0.0.1:{server.server_port}/v3/"
    yield fake
    server.shutdown()
    server.server_close()
    thread.join()


def method(api, *, receipts: bool) -> PaymentMethod:
    return PaymentMethod.objects.create(
        slug="yookassa",
        gateway=Gateway.YOOKASSA,
        name_ru="ЮKassa",
        name_en="YooKassa",
        settings={
            "shop_id": SHOP_ID,
            "secret_key": SECRET_KEY,
            "api_base": api.api_base,
            "allowed_ips": ["185.71.76.0/27"],
            "receipts": receipts,
        },
    )


def paid(client, api, account, yk_method):
    payment = start_top_up(billing_account=account, method=yk_method, amount=Money("700.00"))
    payment_id = started(api, payment)
    api.succeed(payment_id)
    assert notify(client, api, payment_id).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    return payment


def accountant():
    """An accountant's desk session (opened at the travelled time: desk sessions expire)."""
    from hutor.accounts.models import User
    from hutor.backoffice.models import Role, StaffProfile
    from hutor.backoffice.tests.conftest import desk_session

    user = User.objects.create_user(
        email="accountant@staff.example", password="x-Pass-2026!", is_staff=True
    )
    StaffProfile.objects.create(user=user, role=Role.ACCOUNTANT)
    return desk_session(Client(), user)


def desk_refund(desk, payment, amount: str):
    return desk.post(
        f"/desk/payments/{payment.number}/refund/",
        {"amount": amount, "reason": "Customer asked", "token": uuid.uuid4().hex},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_a_refund_produces_a_refund_receipt(client, yookassa, account_factory, register, atol):
    with time_machine.travel(PAID, tick=False) as traveller:
        payment = paid(client, yookassa, account_factory(), method(yookassa, receipts=False))
        assert "receipt" not in yookassa.requests[0]["body"]  # ATOL makes this one
        call_command("worker", once=True)
        traveller.shift(dt.timedelta(minutes=1))
        call_command("worker", once=True)
        assert FiscalReceipt.objects.get().status == ReceiptStatus.REGISTERED

        response = desk_refund(accountant(), payment, "300.00")
        assert response.status_code in (200, 302), response.content[:500]
        refund = payment.refunds.get()
        assert refund.status == RefundStatus.SUCCEEDED
        receipt = FiscalReceipt.objects.get(operation=Operation.SELL_REFUND)
        assert receipt.refund == refund and receipt.amount == Decimal("300.00")
        call_command("worker", once=True)
        traveller.shift(dt.timedelta(minutes=1))
        call_command("worker", once=True)
        receipt.refresh_from_db()
        assert receipt.status == ReceiptStatus.REGISTERED

    refunds = [r for r in atol.sells() if r["path"].endswith("/sell_refund")]
    assert len(refunds) == 1 and refunds[0]["path"] == f"/possystem/v5/{GROUP}/sell_refund"
    check = refunds[0]["body"]["receipt"]
    assert check["total"] == Decimal("300.00")
    assert check["items"][0]["payment_method"] == "full_prepayment"
    assert check["items"][0]["vat"] == {"type": "vat122"}  # the sale's tag
    assert check["company"]["sno"] == "osn" and check["client"]["email"]
    assert len(atol.sells()) == 2  # one sale, one refund


def test_a_yookassa_method_with_its_own_receipts_gets_no_atol_receipt(
    client, yookassa, account_factory, register, atol
):
    account = account_factory(email="petrov@example.com")
    with time_machine.travel(PAID, tick=False):
        payment = paid(client, yookassa, account, method(yookassa, receipts=True))
        # POST /v3/payments with `receipt` (yookassa.ru/developers/api#create_payment,
        # codes from yookassa.ru/developers/54fz/parameters-values).
        assert yookassa.requests[0]["body"]["receipt"] == {
            "customer": {"email": "petrov@example.com"},
            "items": [
                {
                    "description": f"Пополнение баланса биллинг-аккаунта № {account.number}",
                    "quantity": "1.00",
                    "amount": {"value": "700.00", "currency": "RUB"},
                    "vat_code": 12,  # 22/122: a prepayment at 22 %
                    "payment_mode": "full_prepayment",
                    "payment_subject": "service",
                }
            ],
            "tax_system_code": 1,  # the general regime
        }
        assert not FiscalReceipt.objects.exists()
        desk_refund(accountant(), payment, "200.00")
        assert payment.refunds.get().status == RefundStatus.SUCCEEDED
    (refund_post,) = [r for r in yookassa.requests if r["path"] == "/v3/refunds"]
    assert refund_post["body"]["receipt"]["items"][0]["amount"]["value"] == "200.00"
    assert not FiscalReceipt.objects.exists()
    assert atol.requests == []
