"""The demo payment service's payer page acts only for the payment's owner (issue 11,
finding 11): the customer logged in to its billing account, or a visitor who came through the
payment's signed link. Anyone else gets a 404 and the payment stays as it was."""

from __future__ import annotations

import pytest
from django.test import Client

from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.payments.actions import link_token, start_top_up
from hutor.payments.models import PaymentStatus

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-2026"


@pytest.fixture
def payment(account_factory, payment_methods):
    owner = account_factory(password=PASSWORD)
    return start_top_up(billing_account=owner, method=payment_methods.demo, amount=Money("700"))


def page(payment) -> str:
    return f"/pay/demo/demo/{payment.number}/"


def logged_in(account) -> Client:
    client = Client()
    assert client.login(email=account.contact_email, password=PASSWORD)
    return client


@pytest.mark.parametrize("outcome", ["decline", "pay"])
def test_an_anonymous_visitor_can_neither_see_nor_decline_nor_pay(payment, outcome):
    """Regression test for finding 11: any visitor could decline (or pay) anyone's payment."""
    visitor = Client()
    assert visitor.get(page(payment)).status_code == 404
    assert visitor.post(page(payment), {"outcome": outcome}).status_code == 404
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert ledger_queries.balance(payment.billing_account) == Money.zero()


@pytest.mark.parametrize("outcome", ["decline", "pay"])
def test_another_customer_can_neither_see_nor_act(payment, account_factory, outcome):
    stranger = logged_in(account_factory(password=PASSWORD))
    assert stranger.get(page(payment)).status_code == 404
    assert stranger.post(page(payment), {"outcome": outcome}).status_code == 404
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_the_owner_logged_in_pays(payment):
    owner = logged_in(payment.billing_account)
    assert payment.number in owner.get(page(payment)).content.decode()
    response = owner.post(page(payment), {"outcome": "pay"})
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert ledger_queries.balance(payment.billing_account) == Money("700.00")


def test_the_owner_logged_in_declines(payment):
    owner = logged_in(payment.billing_account)
    assert owner.post(page(payment), {"outcome": "decline"}).status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED


def test_the_signed_link_lets_its_browser_pay_without_a_login(payment):
    payer = Client()
    link = f"/pay/link/{payment.number}/{link_token(payment)}/"
    response = payer.get(link)
    assert response.status_code == 302 and response["Location"] == page(payment)
    assert payer.get(page(payment)).status_code == 200
    assert payer.post(page(payment), {"outcome": "pay"}).status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    # The link of one payment opens that payment only.
    other = start_top_up(
        billing_account=payment.billing_account, method=payment.method, amount=Money("500")
    )
    assert payer.post(page(other), {"outcome": "decline"}).status_code == 404
    other.refresh_from_db()
    assert other.status == PaymentStatus.PENDING


def test_a_forged_link_opens_nothing(payment):
    visitor = Client()
    assert visitor.get(f"/pay/link/{payment.number}/forged-token/").status_code == 404
    assert visitor.post(page(payment), {"outcome": "decline"}).status_code == 404
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
