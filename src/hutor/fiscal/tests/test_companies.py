"""Receipts per provider company: a receipt goes through the cash register of the company that
sold what was paid (payments.companies.company_of), with that company's login, group code, INN,
tax system and email; a refund receipt through its sale's register. The fake ATOL Online v5
(fake_atol.py, each answer citing the protocol's section) knows both companies' logins, and a
login's token is good for its own group code only («Получение токена авторизации»; error 20
«Код группы, указанный в запросе, не соответствует токену» otherwise)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from hutor.core.money import Money
from hutor.core.tests.companies import company_b
from hutor.fiscal.models import FiscalReceipt, Operation, ReceiptStatus
from hutor.fiscal.tests.conftest import make_register
from hutor.fiscal.tests.fake_atol import GROUP, TOKEN
from hutor.fiscal.tests.test_receipts import PAID, notify
from hutor.fiscal.tests.test_refunds_and_yookassa import accountant, desk_refund, method
from hutor.fiscal.tests.test_refunds_and_yookassa import yookassa as yookassa  # a fixture
from hutor.invoices.actions import LineDraft, issue_invoice
from hutor.invoices.models import InvoiceKind, LineKind
from hutor.payments.actions import start_top_up
from hutor.payments.tests.test_top_up_companies import demo_method_of
from hutor.taxes.models import TaxRegime, TaxRule

pytestmark = pytest.mark.django_db

B_LOGIN, B_PASSWORD, B_GROUP, B_TOKEN = "v5-second", "S3cond-pass", "v5-second_77", "b-token-77"


@pytest.fixture
def register_b(register, atol):
    """Company B (bills individuals; simplified, income, no VAT) with its own cash register."""
    company = company_b(kinds=["individual"])
    TaxRule.objects.create(
        provider=company, regime=TaxRegime.SIMPLIFIED, rate=None, effective_from=dt.date(2000, 1, 1)
    )
    atol.logins[B_LOGIN] = (B_PASSWORD, B_GROUP, B_TOKEN)
    return make_register(company, atol, (B_LOGIN, B_PASSWORD, B_GROUP), "second-hosting.ru")


def worker_until_registered(traveller):
    call_command("worker", once=True)
    traveller.shift(dt.timedelta(minutes=1))
    call_command("worker", once=True)


def paid(client, account, method, amount="700.00", invoice=None):
    payment = start_top_up(
        billing_account=account, method=method, amount=Money(amount), invoice=invoice
    )
    return notify(client, payment)


def test_two_companies_receipts_go_to_their_own_registers(
    client, account_factory, payment_methods, register, register_b, atol
):
    a_method = demo_method_of(register.provider)
    with time_machine.travel(PAID, tick=False) as traveller:
        # Individuals are company B's: a top-up through a method naming no company is B's.
        to_b = paid(client, account_factory(email="b@example.com"), payment_methods.demo)
        # The method names company A: A's, whatever the customer's kind.
        to_a = paid(client, account_factory(email="a@example.com"), a_method, "500.00")
        worker_until_registered(traveller)

    receipts = {r.payment_id: r for r in FiscalReceipt.objects.select_related("register")}
    assert receipts[to_b.pk].register == register_b and receipts[to_a.pk].register == register
    assert {r.status for r in receipts.values()} == {ReceiptStatus.REGISTERED}
    sells = {r["body"]["external_id"]: r for r in atol.sells()}
    b_sell, a_sell = sells[f"hutor-sell-{to_b.number}"], sells[f"hutor-sell-{to_a.number}"]
    assert b_sell["path"] == f"/possystem/v5/{B_GROUP}/sell" and b_sell["token"] == B_TOKEN
    assert b_sell["body"]["receipt"]["company"] == {
        "email": "kassa@second-hosting.ru",
        "sno": "usn_income",
        "inn": "7728168971",  # company B's INN
        "payment_address": "https://second-hosting.ru",
    }
    assert b_sell["body"]["receipt"]["items"][0]["vat"] == {"type": "none"}
    assert a_sell["path"] == f"/possystem/v5/{GROUP}/sell" and a_sell["token"] == TOKEN
    assert a_sell["body"]["receipt"]["company"]["inn"] == "7707083893"  # company A's
    assert a_sell["body"]["receipt"]["company"]["sno"] == "osn"
    assert a_sell["body"]["receipt"]["total"] == Decimal("500.00")
    # Each login asked for its own token; the reports were asked of each receipt's own group.
    reports = [r["path"] for r in atol.requests if "/report/" in r["path"]]
    assert sorted(p.split("/")[3] for p in reports) == sorted([GROUP, B_GROUP])


def test_an_invoices_payment_is_its_company_s_and_a_refund_goes_to_the_sale_s_register(
    client, yookassa, account_factory, register, register_b, atol
):
    """YooKassa refunds through its API (the fake of payments/tests/yookassa_gateway, citing
    yookassa.ru/developers); the demo payment service has no refunds."""
    from hutor.payments.tests.yookassa_gateway.fake import notify as yk_notify
    from hutor.payments.tests.yookassa_gateway.fake import started

    account = account_factory(email="ivanov@example.com")
    yk_method = method(yookassa, receipts=False)
    # The method names company A; the invoice's company (B) wins over it.
    yk_method.company = register.provider
    yk_method.save(update_fields=["company"])
    with time_machine.travel(PAID, tick=False) as traveller:
        invoice = issue_invoice(
            billing_account=account,
            kind=InvoiceKind.ORDER,
            lines=[
                LineDraft(
                    kind=LineKind.SETUP,
                    service_type_code="hosting",
                    description_ru="Хостинг",
                    description_en="Hosting",
                    amount=Money("900.00"),
                )
            ],
            notify=False,
        )
        assert invoice.provider["id"] == register_b.provider_id  # individuals are B's
        payment = start_top_up(
            billing_account=account, method=yk_method, amount=Money("1300.00"), invoice=invoice
        )
        payment_id = started(yookassa, payment)
        yookassa.succeed(payment_id)
        assert yk_notify(client, yookassa, payment_id).status_code == 200
        worker_until_registered(traveller)
        sale = FiscalReceipt.objects.get()
        assert sale.register == register_b and sale.status == ReceiptStatus.REGISTERED

        # Individuals move to company A; the refund still goes through B's register.
        company_a = register.provider
        register_b.provider.customer_kinds = []
        register_b.provider.save(update_fields=["customer_kinds"])
        company_a.customer_kinds = ["individual"]
        company_a.save(update_fields=["customer_kinds"])
        response = desk_refund(accountant(), payment, "400.00")
        assert response.status_code == 302 and payment.refunds.count() == 1
        worker_until_registered(traveller)

    refund = FiscalReceipt.objects.get(operation=Operation.SELL_REFUND)
    assert refund.register == register_b and refund.status == ReceiptStatus.REGISTERED
    (refund_post,) = [r for r in atol.sells() if r["path"].endswith("/sell_refund")]
    assert refund_post["path"] == f"/possystem/v5/{B_GROUP}/sell_refund"
    assert refund_post["token"] == B_TOKEN
    assert refund_post["body"]["receipt"]["company"]["inn"] == "7728168971"
    assert refund_post["body"]["receipt"]["total"] == Decimal("400.00")


def test_staff_see_each_receipt_s_company(
    client, account_factory, payment_methods, register, register_b, atol
):
    from hutor.backoffice.models import Role
    from hutor.fiscal.tests.test_desk import desk

    with time_machine.travel(PAID, tick=False) as traveller:
        payment = paid(client, account_factory(), payment_methods.demo)
        worker_until_registered(traveller)
        staff = desk(Role.SUPPORT)
        page = staff.get(f"/desk/payments/{payment.number}/", HTTP_ACCEPT_LANGUAGE="en")
        text = page.content.decode()
        assert "Provider company" in text and "Второй Хостинг" in text and "INN 7728168971" in text
        listing = staff.get("/desk/fiscal-receipts/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
        assert "Компания провайдера" in listing and "ИНН 7728168971" in listing
        assert B_GROUP in listing


def test_never_through_another_company_s_register(
    client, account_factory, payment_methods, register, atol
):
    """Company B bills individuals but has no cash register: no receipt is made (not one
    through A's register with B's sale); a register disabled after its receipt was made makes
    that receipt wait and retry, with the reason shown."""
    b = company_b(kinds=["individual"])
    with time_machine.travel(PAID, tick=False) as traveller:
        paid(client, account_factory(), payment_methods.demo)
        assert not FiscalReceipt.objects.exists()
        # B gets a register; a receipt is made, then the register is switched off.
        atol.logins[B_LOGIN] = (B_PASSWORD, B_GROUP, B_TOKEN)
        register_b = make_register(b, atol, (B_LOGIN, B_PASSWORD, B_GROUP), "second-hosting.ru")
        paid(client, account_factory(), payment_methods.demo)
        receipt = FiscalReceipt.objects.get()
        assert receipt.register == register_b
        register_b.is_enabled = False
        register_b.save(update_fields=["is_enabled"])
        worker_until_registered(traveller)
        receipt.refresh_from_db()
        assert receipt.status == ReceiptStatus.QUEUED and "disabled" in receipt.last_error
        assert atol.sells() == []
