"""Finding 5: money that arrived is never refused. A verified notification for a payment that
had expired or failed, or for another amount, is credited (what arrived) and listed on the
desk's "Needs a look" page until an accountant marks it reviewed; an unverified one is still
refused. Through HTTP: /pay/<slug>/result/ (the demo payment service, signed as it signs) and
the desk."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from hutor.backoffice.models import AuditEntry, Role
from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry
from hutor.payments.actions import expire_payments, start_top_up
from hutor.payments.gateways import demo
from hutor.payments.models import Payment, PaymentStatus

pytestmark = pytest.mark.django_db

LIST = "/desk/payments-to-check/"


def notify(client, payment, *, secret="demo-secret", **changes):
    data = {
        "payment": payment.number,
        "amount": "700.00",
        "currency": payment.currency,
        "transaction": "T-late-1",
        "status": "paid",
    } | changes
    data["signature"] = demo.sign(secret, data)
    return client.post(f"/pay/{payment.method.slug}/result/", data)


@pytest.fixture
def customer(account_factory):
    return account_factory()


@pytest.fixture
def expired(customer, payment_methods, time_machine):
    """A demo payment started two days ago, marked expired by the billing run's expiry."""
    payment = start_top_up(
        billing_account=customer, method=payment_methods.demo, amount=Money("700.00")
    )
    time_machine.move_to(payment.created_at + dt.timedelta(days=2))
    assert expire_payments() == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED
    return payment


def test_a_verified_notification_for_an_expired_payment_is_credited_once_and_flagged(
    client, expired, customer, desk_client
):
    assert notify(client, expired).status_code == 200
    assert notify(client, expired).status_code == 200  # a replay credits nothing
    expired.refresh_from_db()
    assert expired.status == PaymentStatus.SUCCEEDED
    assert ledger_queries.balance(customer) == Money("700.00")
    assert JournalEntry.objects.filter(kind="top_up").count() == 1
    assert expired.needs_review and [r["code"] for r in expired.review_reasons] == ["late"]

    support, _ = desk_client(Role.SUPPORT)  # every role that sees payments sees the list
    page = support.get(LIST, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert customer.number in page and expired.number in page and "700,00" in page
    assert "Оплачен после истечения срока платежа." in page
    assert f'href="{LIST}"' in page  # the desk's navigation links to it
    assert reverse("desk:payment_review", args=[expired.number]) not in page  # no button
    english = support.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Paid after the payment expired." in english and "Needs a look" in english
    url = reverse("desk:payment_review", args=[expired.number])
    assert support.post(url, {"reason": "x"}).status_code == 403

    accountant, staff = desk_client(Role.ACCOUNTANT)
    assert url in accountant.get(LIST).content.decode()
    response = accountant.post(url, {"reason": "Customer paid late; keeps the money"})
    assert response.status_code == 302 and response["Location"] == LIST
    expired.refresh_from_db()
    assert expired.reviewed_by == staff and not expired.needs_review
    audit = AuditEntry.objects.get(action="payment.review")
    assert audit.staff == staff and audit.billing_account == customer
    assert audit.object_id == expired.number and audit.changes["reasons"] == ["late"]
    listed = accountant.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()  # shows the message
    assert "Nothing needs a look." in listed and "needs-review" not in listed
    # Reviewed twice: said so, nothing recorded again.
    again = accountant.post(url, {"reason": "again"}, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 302
    assert AuditEntry.objects.filter(action="payment.review").count() == 1


def test_another_verified_amount_is_credited_as_it_arrived_and_flagged(
    client, customer, payment_methods, desk_client
):
    payment = start_top_up(
        billing_account=customer, method=payment_methods.demo, amount=Money("700.00")
    )
    assert notify(client, payment, amount="750.00").status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.money == Money("750.00")
    assert ledger_queries.balance(customer) == Money("750.00")
    assert payment.review_reasons == [
        {"code": "amount_differs", "params": {"expected": "700.00", "received": "750.00"}}
    ]
    accountant, _ = desk_client(Role.ACCOUNTANT)
    page = accountant.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert payment.number in page
    assert "arrived instead of" in page and "750.00" in page and "700.00" in page
    detail = accountant.get(reverse("desk:payment", args=[payment.number])).content.decode()
    assert "Пришло" in detail and "Отметить проверенным" in detail


def test_a_late_notification_for_a_failed_payment_is_flagged_with_both_reasons(
    client, customer, payment_methods
):
    payment = start_top_up(
        billing_account=customer, method=payment_methods.demo, amount=Money("700.00")
    )
    assert notify(client, payment, status="declined", transaction="T-0").status_code == 200
    assert notify(client, payment, amount="650.00").status_code == 200
    payment.refresh_from_db()
    assert [r["code"] for r in payment.review_reasons] == ["after_failure", "amount_differs"]
    assert ledger_queries.balance(customer) == Money("650.00")


@pytest.mark.parametrize("secret", ["guess", ""])
def test_an_unverified_notification_for_an_expired_payment_is_refused(
    client, expired, customer, desk_client, secret
):
    response = notify(client, expired, secret=secret)
    assert response.status_code == 400 and b"bad signature" in response.content
    expired.refresh_from_db()
    assert expired.status == PaymentStatus.EXPIRED and expired.review_reasons == []
    assert ledger_queries.balance(customer) == Money.zero()
    assert not JournalEntry.objects.exists()
    accountant, _ = desk_client(Role.ACCOUNTANT)
    assert expired.number not in accountant.get(LIST).content.decode()


def test_another_currency_is_still_refused(client, customer, payment_methods):
    payment = start_top_up(
        billing_account=customer, method=payment_methods.demo, amount=Money("700.00")
    )
    response = notify(client, payment, currency="USD")
    assert response.status_code == 400
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING
    assert ledger_queries.balance(customer) == Money.zero()
