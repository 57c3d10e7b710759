"""YooKassa refunds (issue 11, finding 4): a refund written pending, sent outside any
transaction with its own key, then concluded; the fake API of fake.py answers."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from hutor.core.money import Money
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry
from hutor.payments.gateways import get_gateway
from hutor.payments.models import (
    PaymentStatus,
    Refund,
    RefundStatus,
)
from hutor.payments.tests.yookassa_gateway.fake import (
    notify,
    started,
)

pytestmark = pytest.mark.django_db


# --- refunds (finding 4) -------------------------------------------------------------------------
# A refund is a payments.Refund written pending with the debit of the balance, committed, then
# sent to YooKassa outside any transaction with the refund's own key as the Idempotence-Key,
# then concluded. The root conftest's guard fails any test that reaches YooKassa inside a
# transaction (hutor.testing.network_in_transaction_guard).


@pytest.fixture
def credited(client, api, payment):
    """The 700.00 payment, paid at YooKassa and credited to the balance."""
    payment_id = started(api, payment)
    api.succeed(payment_id)
    assert notify(client, api, payment_id).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    return payment


@pytest.fixture
def accountant(db):
    from django.test import Client

    from hutor.accounts.models import User
    from hutor.backoffice.models import Role, StaffProfile
    from hutor.backoffice.tests.conftest import desk_session

    user = User.objects.create_user(
        email="accountant@staff.example", password="x-Pass-2026!", is_staff=True
    )
    StaffProfile.objects.create(user=user, role=Role.ACCOUNTANT)
    return desk_session(Client(), user)


def desk_refund(desk, payment, amount: str, token: str | None = None, language: str = "en"):
    return desk.post(
        f"/desk/payments/{payment.number}/refund/",
        {"amount": amount, "reason": "Customer asked", "token": token or uuid.uuid4().hex},
        HTTP_ACCEPT_LANGUAGE=language,
    )


def refund_posts(api) -> list[dict]:
    return [r for r in api.requests if r["verb"] == "POST" and r["path"] == "/v3/refunds"]


def test_two_equal_partial_refunds_made_on_purpose_are_two_refunds_at_yookassa(
    api, credited, accountant
):
    """Regression test for finding 4: the key was built from payment + amount, so the second
    equal refund within 24 hours got the first one's answer back (one real refund, two REFUND
    journal entries, the customer's balance debited twice)."""
    for _ in range(2):
        response = desk_refund(accountant, credited, "200.00")
        assert response.status_code == 302, response.content.decode()[:2000]
    assert len(api.refunds) == 2  # two real refunds
    refunds = list(Refund.objects.order_by("pk"))
    assert [r.status for r in refunds] == [RefundStatus.SUCCEEDED] * 2
    assert {r.gateway_refund_id for r in refunds} == set(api.refunds)
    entries = JournalEntry.objects.filter(kind="refund").order_by("pk")
    assert entries.count() == 2
    # One key per refund: the journal entry's and the Idempotence-Key YooKassa saw.
    assert [e.idempotency_key for e in entries] == [r.idempotency_key for r in refunds]
    assert [p["key"] for p in refund_posts(api)] == [r.idempotency_key for r in refunds]
    assert ledger_queries.balance(credited.billing_account) == Money("300.00")


def test_a_double_submitted_refund_form_is_one_refund(api, credited, accountant):
    token = uuid.uuid4().hex
    assert desk_refund(accountant, credited, "200.00", token).status_code == 302
    again = desk_refund(accountant, credited, "200.00", token)
    assert again.status_code == 302
    assert Refund.objects.count() == 1 and len(api.refunds) == 1
    assert len(refund_posts(api)) == 1
    assert JournalEntry.objects.filter(kind="refund").count() == 1
    assert ledger_queries.balance(credited.billing_account) == Money("500.00")


def test_pending_and_succeeded_refunds_never_exceed_the_payment(api, credited, accountant):
    api.down = True  # the first refund gets no answer: it stays pending, its money reserved
    assert desk_refund(accountant, credited, "500.00").status_code == 302
    (pending,) = Refund.objects.all()
    assert pending.status == RefundStatus.PENDING
    assert ledger_queries.balance(credited.billing_account) == Money("200.00")
    response = desk_refund(accountant, credited, "300.00")
    assert response.status_code == 200
    assert "At most 200.00" in response.content.decode().replace("\xa0", " ")
    assert Refund.objects.count() == 1
    assert JournalEntry.objects.filter(kind="refund").count() == 1


def test_a_refund_the_balance_does_not_cover_is_refused_and_yookassa_is_not_asked(
    api, credited, accountant
):
    from hutor.backoffice.actions import adjust_balance

    adjust_balance(
        staff=accountant_user(),
        account=credited.billing_account,
        amount=Money("600.00"),
        credit=False,
        reason="Spent",
    )
    response = desk_refund(accountant, credited, "200.00")
    assert response.status_code == 200 and "already spent" in response.content.decode()
    assert not Refund.objects.exists() and not refund_posts(api)


def accountant_user():
    from hutor.accounts.models import User

    return User.objects.get(email="accountant@staff.example")


def test_a_refund_whose_answer_was_lost_stays_pending_and_the_retry_uses_the_same_key(
    api, credited, accountant, time_machine
):
    from hutor.payments.refunds import retry_pending_refunds

    api.lost_answers = 1  # YooKassa refunds, but its answer never reaches Hutor
    assert desk_refund(accountant, credited, "700.00").status_code == 302
    (refund,) = Refund.objects.all()
    assert refund.status == RefundStatus.PENDING and refund.attempts == 1
    assert ledger_queries.balance(credited.billing_account) == Money.zero()  # reserved
    time_machine.move_to(refund.created_at + dt.timedelta(minutes=2))
    assert retry_pending_refunds() == 1  # what `hutor worker` runs
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED and refund.gateway_refund_id in api.refunds
    assert len(api.refunds) == 1  # refunded once
    assert [p["key"] for p in refund_posts(api)] == [refund.idempotency_key] * 2
    assert JournalEntry.objects.filter(kind="refund").count() == 1
    assert ledger_queries.balance(credited.billing_account) == Money.zero()


def test_a_refund_pending_at_yookassa_is_looked_up_from_the_desk_and_confirmed(
    api, credited, accountant
):
    api.refund_status = "pending"
    assert desk_refund(accountant, credited, "300.00").status_code == 302
    (refund,) = Refund.objects.all()
    assert refund.status == RefundStatus.PENDING and refund.gateway_refund_id in api.refunds
    page = accountant.get(f"/desk/payments/{credited.number}/").content.decode()
    retry_url = f"/desk/payments/{credited.number}/refunds/{refund.pk}/retry/"
    assert retry_url in page
    api.refunds[refund.gateway_refund_id]["status"] = "succeeded"
    response = accountant.post(retry_url, {"reason": "Customer says the money is not there"})
    assert response.status_code == 302
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert api.requests[-1]["verb"] == "GET"  # GET /refunds/{id}, no second refund
    assert len(api.refunds) == 1 and len(refund_posts(api)) == 1
    assert ledger_queries.balance(credited.billing_account) == Money("400.00")


def test_a_refund_yookassa_cancels_fails_and_gives_the_balance_back(api, credited, accountant):
    api.refund_status = "canceled"
    assert desk_refund(accountant, credited, "700.00").status_code == 302
    (refund,) = Refund.objects.all()
    assert refund.status == RefundStatus.FAILED
    assert refund.failure_code == "canceled"
    assert refund.failure_params == {"code": "rejected_by_payee"}
    assert refund.reversal_entry is not None
    assert ledger_queries.balance(credited.billing_account) == Money("700.00")
    url = f"/desk/payments/{credited.number}/"
    page = accountant.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Платёжный сервис отменил возврат (rejected_by_payee)." in page
    page = accountant.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The payment service canceled the refund (rejected_by_payee)." in page
    # Failed refunds reserve nothing: the whole payment can be refunded again.
    api.refund_status = "succeeded"
    assert desk_refund(accountant, credited, "700.00").status_code == 302
    assert Refund.objects.filter(status=RefundStatus.SUCCEEDED).count() == 1


def test_a_refund_yookassa_refuses_fails_with_its_error_code(api, credited, accountant):
    api.payments[credited.gateway_transaction_id]["status"] = "canceled"  # nothing to refund
    assert desk_refund(accountant, credited, "100.00").status_code == 302
    (refund,) = Refund.objects.all()
    assert refund.status == RefundStatus.FAILED
    assert refund.failure_params == {"status": "400", "code": "invalid_request"}
    assert ledger_queries.balance(credited.billing_account) == Money("700.00")


def test_the_guard_catches_a_refund_asked_inside_a_transaction(api, credited):
    """The old ordering (the gateway called inside the transaction that debited the balance)
    is what the root conftest's guard fails a test for."""
    from django.db import transaction

    from hutor.payments.refunds import open_refund
    from hutor.testing import NetworkInTransaction, network_in_transaction_guard

    refund = open_refund(payment=credited, amount=Money("100.00"))
    with pytest.raises(NetworkInTransaction, match=r"inside transaction\.atomic"):  # noqa: SIM117
        with network_in_transaction_guard():
            with transaction.atomic():
                get_gateway("yookassa").refund(refund)
    with network_in_transaction_guard() as guard:  # the same call outside: allowed
        get_gateway("yookassa").refund(refund)
    assert guard.violations == []


def test_hutor_worker_concludes_a_refund_left_pending(api, credited, accountant, time_machine):
    from io import StringIO

    from django.core.management import call_command

    api.down = True
    assert desk_refund(accountant, credited, "100.00").status_code == 302
    api.down = False
    (refund,) = Refund.objects.all()
    out = StringIO()
    call_command("worker", "--once", stdout=out)  # too fresh: left to the desk's own request
    assert "refunds: 0 concluded" in out.getvalue()
    time_machine.move_to(refund.created_at + dt.timedelta(minutes=5))
    call_command("worker", "--once", stdout=out)
    assert "refunds: 1 concluded" in out.getvalue()
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED and len(api.refunds) == 1
    # After a day the service may have forgotten the key: no more automatic asks.
    api.refund_status = "pending"
    late = desk_refund(accountant, credited, "50.00")
    assert late.status_code == 302
    stuck = Refund.objects.get(status=RefundStatus.PENDING)
    time_machine.move_to(stuck.created_at + dt.timedelta(hours=23, minutes=1))
    asked = len(api.requests)
    call_command("worker", "--once", stdout=out)
    assert len(api.requests) == asked
    from hutor.backoffice.tests.conftest import desk_session

    desk_session(accountant, accountant_user())  # a day later: logged in again
    response = accountant.post(
        f"/desk/payments/{credited.number}/refunds/{stuck.pk}/retry/",
        {"reason": "Customer calls"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200 and "too old" in response.content.decode()
    assert len(api.requests) == asked
    # Staff look it up in YooKassa's dashboard and conclude it by hand, asking nothing.
    page = accountant.get(f"/desk/payments/{credited.number}/").content.decode()
    resolve_url = f"/desk/payments/{credited.number}/refunds/{stuck.pk}/resolve/"
    assert resolve_url in page
    response = accountant.post(
        resolve_url,
        {"outcome": "refunded", "refund_id": stuck.gateway_refund_id, "reason": "In dashboard"},
    )
    assert response.status_code == 302
    stuck.refresh_from_db()
    assert stuck.status == RefundStatus.SUCCEEDED and len(api.requests) == asked
    assert ledger_queries.balance(credited.billing_account) == Money("550.00")


def test_a_method_without_keys_fails_the_refund_and_gives_the_balance_back(
    api, method, credited, accountant
):
    method.settings["secret_key"] = ""
    method.save()
    response = desk_refund(accountant, credited, "100.00")
    assert response.status_code == 302
    (refund,) = Refund.objects.all()
    assert refund.status == RefundStatus.FAILED and refund.failure_code == "not_configured"
    assert not refund_posts(api)
    assert ledger_queries.balance(credited.billing_account) == Money("700.00")


def test_refunds_are_listed_read_only_in_the_admin(api, credited, accountant, admin_client):
    assert desk_refund(accountant, credited, "100.00").status_code == 302
    (refund,) = Refund.objects.all()
    listing = admin_client.get("/admin/payments/refund/")
    assert listing.status_code == 200 and credited.number in listing.content.decode()
    assert admin_client.get(f"/admin/payments/refund/{refund.pk}/change/").status_code == 200
    assert admin_client.get("/admin/payments/refund/add/").status_code == 403
