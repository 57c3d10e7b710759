"""Staff see a payment's receipts (status, fiscal number and sign, the last error) on its page
and in the desk's list of receipts, in both languages."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from hutor.fiscal.models import FiscalReceipt, ReceiptStatus
from hutor.fiscal.tests.test_receipts import PAID, pay

pytestmark = pytest.mark.django_db


def desk(role):
    from hutor.accounts.models import User
    from hutor.backoffice.models import StaffProfile
    from hutor.backoffice.tests.conftest import desk_session

    user = User.objects.create_user(
        email=f"{role}@staff.example", password="x-Pass-2026!", is_staff=True
    )
    StaffProfile.objects.create(user=user, role=role)
    return desk_session(Client(), user)


def test_the_payment_page_and_the_list_show_the_registered_receipt(
    client, account_factory, payment_methods, register, atol
):
    from hutor.backoffice.models import Role

    with time_machine.travel(PAID, tick=False) as traveller:
        payment = pay(client, account_factory(), payment_methods)
        call_command("worker", once=True)
        traveller.shift(dt.timedelta(minutes=1))
        call_command("worker", once=True)
        receipt = FiscalReceipt.objects.get()
        assert receipt.status == ReceiptStatus.REGISTERED
        staff = desk(Role.SUPPORT)
        page = staff.get(f"/desk/payments/{payment.number}/", HTTP_ACCEPT_LANGUAGE="en")
        text = page.content.decode()
        assert "Fiscal receipts" in text and "Registered" in text
        assert receipt.fiscal_document_number in text and "3449555941" in text
        assert "Retry now" not in text
        listing = staff.get("/desk/fiscal-receipts/?show=registered", HTTP_ACCEPT_LANGUAGE="ru")
        text = listing.content.decode()
        assert "Фискальные чеки" in text and "Зарегистрирован" in text and payment.number in text


def test_a_failed_receipt_shows_its_error_and_an_accountant_retries_it(
    client, account_factory, payment_methods, register, atol
):
    from hutor.backoffice.models import Role

    atol.fail_reports = True
    with time_machine.travel(PAID, tick=False) as traveller:
        payment = pay(client, account_factory(), payment_methods)
        call_command("worker", once=True)
        traveller.shift(dt.timedelta(minutes=1))
        call_command("worker", once=True)
        receipt = FiscalReceipt.objects.get()
        assert receipt.status == ReceiptStatus.FAILED
        support = desk(Role.SUPPORT)
        text = support.get(f"/desk/payments/{payment.number}/").content.decode()
        assert "Превышено время ожидания" in text and "Повторить сейчас" not in text
        accountant = desk(Role.ACCOUNTANT)
        text = accountant.get("/desk/fiscal-receipts/?show=failed").content.decode()
        assert "Повторить сейчас" in text
        answer = accountant.post(
            f"/desk/fiscal-receipts/{receipt.pk}/retry/", {"reason": "Оператор снова работает"}
        )
        assert answer.status_code == 302
        atol.fail_reports = False
        call_command("worker", once=True)
        traveller.shift(dt.timedelta(minutes=1))
        call_command("worker", once=True)
        receipt.refresh_from_db()
        assert receipt.status == ReceiptStatus.REGISTERED
        assert receipt.external_id.endswith("~2")
