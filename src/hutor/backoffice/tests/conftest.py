"""Fixtures of the desk's tests: staff members by role, logged-in desk clients, TOTP codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.test import Client

from hutor.backoffice.auth import DESK_SESSION
from hutor.backoffice.models import Role
from hutor.backoffice.tests import fixtures
from hutor.core.money import Money
from hutor.payments.gateways.base import RefundResult
from hutor.payments.gateways.demo import DemoGateway

# Shared with the API's tests (hutor/api/tests/conftest.py): one world, one way to make staff.
PASSWORD = fixtures.PASSWORD
staff_factory = fixtures.staff_factory
world = fixtures.world


def totp(secret: str, at: float | None = None, *, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 (TOTP, HMAC-SHA1), written here independently of allauth's implementation."""
    key = base64.b32decode(secret, casefold=True)
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{value:0{digits}d}"


def stored_secret(user) -> str:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return decrypt(authenticator.data["secret"])


def desk_session(client: Client, user) -> Client:
    """Log `user` in to the desk as the two login steps would (password and code passed)."""
    client.force_login(user)
    session = client.session
    now = time.time()
    session[DESK_SESSION] = {"user": user.pk, "at": now, "seen": now}
    session.save()
    return client


def queued_bank_line(number: str, amount: str = "700.00"):
    """An incoming payment waiting in the unmatched queue (as a statement import leaves one)."""
    from hutor.core import clock
    from hutor.payments.models import BankLineStatus, BankStatementLine

    return BankStatementLine.objects.create(
        document_kind="Платежное поручение",
        document_number=number,
        document_date=clock.today(),
        amount=amount,
        currency="RUB",
        payer_name="ООО «Неизвестно»",
        purpose="Оплата по счёту",
        status=BankLineStatus.UNMATCHED,
        idempotency_key=f"test:unmatched:{number}",
        created_at=clock.now(),
    )


@pytest.fixture
def desk_client(staff_factory):
    """desk_client(role) -> (a test client logged in to the desk, its staff user)."""

    def make(role: str):
        user = staff_factory(role)
        return desk_session(Client(), user), user

    return make


@pytest.fixture
def fail_for_good(world, monkeypatch):
    """fail_for_good(): an activation email and a suspend task of the world's hosting, driven
    by the real worker through every retry until the queue gives up on them (a mail server that
    refuses, a control panel that is down; the world's own emails are delivered first).
    Returns the failed email, the failed task, and the module class (`working = True` brings
    the control panel back)."""
    import datetime as dt
    from unittest import mock

    import time_machine

    from hutor.core import clock
    from hutor.core.queue import RETRY_DELAYS
    from hutor.notifications.actions import deliver_due, enqueue
    from hutor.notifications.models import OutboxEmail
    from hutor.services import provisioning
    from hutor.services.actions import provision
    from hutor.services.models import ProvisioningTask
    from hutor.services.provisioning.log import LogModule
    from hutor.services.tasks import run_due_tasks

    class DownPanel(LogModule):
        name = "down"
        working = False

        def suspend(self, service):
            if not DownPanel.working:
                raise ConnectionError("control panel unreachable")
            return super().suspend(service)

    monkeypatch.setitem(provisioning.MODULES, "down", DownPanel)

    def make():
        service = world.hosting
        service.provisioning_module = "down"
        service.save(update_fields=["provisioning_module"])
        deliver_due()  # the world's own emails go out while the mail server works
        email = enqueue(
            key=f"account-opened:{world.account.number}#failing",
            template="account_opened",
            billing_account=world.account,
            params={"account_id": world.account.pk},
        )
        task = provision(service=service, operation="suspend")
        refused = OSError("550 mailbox unavailable")
        moment = clock.now()
        with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=refused):
            for _ in range(len(RETRY_DELAYS) + 1):
                with time_machine.travel(moment, tick=False):
                    deliver_due()
                    run_due_tasks()
                moment += RETRY_DELAYS[-1] + dt.timedelta(minutes=1)
        email = OutboxEmail.objects.get(pk=email.pk)
        assert email.status == "failed"
        task = ProvisioningTask.objects.get(pk=task.pk)
        assert task.status == "failed"
        return email, task, DownPanel

    return make


class RefundingDemo(DemoGateway):
    """The demo payment service, able to refund (as YooKassa or Stripe are)."""

    supports_refunds = True
    refunds: list[tuple[str, Money]] = []
    status = "succeeded"  # what the service answers

    def refund(self, refund):
        self.refunds.append((refund.payment.number, refund.money))
        return RefundResult(status=self.status, refund_id=f"R-{len(self.refunds)}")


@pytest.fixture
def admin(world, staff_factory):
    """(a desk client, its user): an administrator, who may do every desk action."""
    user = staff_factory(Role.ADMIN)
    return desk_session(Client(), user), user


# A webhook receiver on 127.0.0.1 (the desk's webhook pages send to it).
from hutor.webhooks.tests.receiver import receiver  # noqa: E402, F401
