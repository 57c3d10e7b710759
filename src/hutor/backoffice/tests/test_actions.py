"""Every desk action, performed through its page, leaves an audit entry saying who did it, why,
and what changed; and the money actions move exactly what they say, once."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from hutor.accounts.models import User
from hutor.backoffice import actions, roles
from hutor.backoffice.models import Note, Role, StaffProfile
from hutor.backoffice.tests.audited import (
    bank_actions_audited,
    check,
    last_entry,
    other_actions_audited,
    webhook_actions_audited,
)
from hutor.backoffice.tests.conftest import RefundingDemo
from hutor.backoffice.tests.test_service_provisioning import scripted_service, worker
from hutor.core.models import Provider
from hutor.core.money import Money
from hutor.invoices.models import InvoiceStatus
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import EntryKind, JournalEntry
from hutor.notifications.models import OutboxEmail
from hutor.payments.actions import credit_payment, start_top_up
from hutor.payments.gateways import GATEWAYS
from hutor.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from hutor.servers.models import ServerGroup
from hutor.services.actions import provision
from hutor.services.models import ProvisioningTask, ServiceStatus

pytestmark = pytest.mark.django_db


def test_every_action_is_audited_with_who_why_and_what_changed(
    admin, world, monkeypatch, fail_for_good, tmp_path, receiver
):
    client, staff = admin
    monkeypatch.setitem(GATEWAYS, "demo", RefundingDemo)
    RefundingDemo.refunds = []
    RefundingDemo.status = "succeeded"
    acc = world.account
    done: set[str] = set()

    def post(name, args, data, *, expect=302):
        response = client.post(reverse(f"desk:{name}", args=args), data)
        assert response.status_code == expect, response.content.decode()[:3000]
        return last_entry()

    # Support: a note, an email resent, the activation resent.
    entry = post("note_add", [acc.number], {"text": "Called: pays on Friday"})
    note = Note.objects.get()
    assert note.author == staff and note.text == "Called: pays on Friday"
    check(entry, action="note.add", staff=staff, reason=note.text, account=acc, note=note.pk)
    done.add(entry.action)

    email = OutboxEmail.objects.filter(billing_account=acc, template="invoice_issued").first()
    entry = post("email_resend", [email.pk], {"reason": "Customer lost the invoice"})
    copy = OutboxEmail.objects.get(key=f"{email.key}#resend-1")
    check(
        entry,
        action="email.resend",
        staff=staff,
        reason="Customer lost the invoice",
        account=acc,
        template="invoice_issued",
        to=acc.contact_email,
        copy=copy.pk,
    )
    done.add(entry.action)

    entry = post("resend_activation", [acc.number], {"reason": "Activation link expired"})
    assert OutboxEmail.objects.filter(template="account_opened", billing_account=acc).count() == 2
    check(
        entry,
        action="account.resend_activation",
        staff=staff,
        reason="Activation link expired",
        account=acc,
        template="account_opened",
    )
    done.add(entry.action)

    # Sales: orders, renewals, invoices, payment links, email, suspension.
    price = world.catalog.price(world.catalog.pro, 1)
    entry = post(
        "order",
        [acc.number],
        {
            "price": price.pk,
            "identifier": "new-site.ru",
            "reason": "Ordered by phone",
            "token": uuid.uuid4().hex,
        },
    )
    service = acc.services.get(identifier="new-site.ru")
    check(
        entry,
        action="order.place",
        staff=staff,
        reason="Ordered by phone",
        account=acc,
        tariff="pro",
        identifier="new-site.ru",
        period_months=1,
    )
    assert entry.object_type == "service" and entry.object_id == str(service.pk)
    assert entry.changes["invoice"].startswith("26-") or "-" in entry.changes["invoice"]
    done.add(entry.action)

    order_invoice = service.invoice_lines.get().invoice
    entry = post("invoice_cancel", [order_invoice.number], {"reason": "Customer changed mind"})
    order_invoice.refresh_from_db()
    service.refresh_from_db()
    assert order_invoice.status == InvoiceStatus.CANCELLED
    assert service.status == ServiceStatus.CANCELLED
    check(
        entry,
        action="invoice.cancel",
        staff=staff,
        reason="Customer changed mind",
        account=acc,
        status={"from": "unpaid", "to": "cancelled"},
    )
    done.add(entry.action)

    hosting = world.hosting
    entry = post(
        "service_renew",
        [hosting.pk],
        {"price": world.catalog.price(world.catalog.start, 3).pk, "reason": "Renew for a quarter"},
    )
    check(
        entry,
        action="service.renew",
        staff=staff,
        reason="Renew for a quarter",
        account=acc,
        period_months=3,
    )
    done.add(entry.action)

    response = client.post(
        reverse("desk:payment_link", args=[acc.number]),
        {"method": world.methods.demo.pk, "amount": "700", "reason": "Asked for a card link"},
    )
    link_payment = Payment.objects.get(amount=Decimal("700.00"))
    assert response["Location"] == reverse("desk:payment", args=[link_payment.number])
    entry = last_entry()
    check(
        entry,
        action="payment_link.create",
        staff=staff,
        reason="Asked for a card link",
        account=acc,
        amount="700.00 RUB",
        method="demo",
        payment=link_payment.number,
    )
    page = client.get(response["Location"]).content.decode()
    assert f"/pay/{link_payment.number}/" in page or link_payment.number in page
    done.add(entry.action)

    entry = post(
        "change_email", [acc.number], {"new_email": "New@Example.com", "reason": "ID checked"}
    )
    acc.refresh_from_db()
    assert acc.contact_email == acc.user.email == "new@example.com"
    check(
        entry,
        action="account.change_email",
        staff=staff,
        reason="ID checked",
        account=acc,
        contact_email={"from": "olga@example.com", "to": "new@example.com"},
    )
    done.add(entry.action)

    entry = post("service_suspend", [hosting.pk], {"reason": "Spam from the site"})
    hosting.refresh_from_db()
    assert hosting.status == ServiceStatus.SUSPENDED
    task = ProvisioningTask.objects.filter(service=hosting, operation="suspend").get()
    check(
        entry,
        action="service.suspend",
        staff=staff,
        reason="Spam from the site",
        account=acc,
        status={"from": "active", "to": "suspended"},
        provisioning_task=task.pk,
    )
    done.add(entry.action)

    entry = post("service_unsuspend", [hosting.pk], {"reason": "Spam removed"})
    hosting.refresh_from_db()
    assert hosting.status == ServiceStatus.ACTIVE
    check(
        entry,
        action="service.unsuspend",
        staff=staff,
        reason="Spam removed",
        account=acc,
        status={"from": "suspended", "to": "active"},
    )
    done.add(entry.action)

    # Accountant: money.
    balance = ledger_queries.balance(acc)
    entry = post(
        "manual_payment",
        [acc.number],
        {
            "amount": "2 000,00",
            "document_number": "п/п  517",
            "document_date": "2026-03-02",
            "reason": "Payment order not matched by the import",
        },
    )
    vps_invoice = world.unpaid_invoice
    vps_invoice.refresh_from_db()
    renewal = acc.invoices.get(kind="renewal")
    # The older unpaid invoices are paid from the new balance, oldest first.
    assert vps_invoice.status == InvoiceStatus.PAID
    assert renewal.status == InvoiceStatus.PAID
    bank_payment = Payment.objects.get(method=world.methods.bank, status=PaymentStatus.SUCCEEDED)
    credit = bank_payment.credit_entry
    assert credit.kind == EntryKind.TOP_UP and credit.created_by == staff
    expected = balance + Money("2000") - vps_invoice.total_money - renewal.total_money
    assert ledger_queries.balance(acc) == expected
    check(
        entry,
        action="payment.manual",
        staff=staff,
        reason="Payment order not matched by the import",
        account=acc,
        amount="2000.00 RUB",
        document="п/п 517",
        document_date="2026-03-02",
        payment=bank_payment.number,
        entry=credit.pk,
        invoices_paid=[vps_invoice.number, renewal.number],
    )
    done.add(entry.action)

    done |= bank_actions_audited(post, staff, acc)

    balance = ledger_queries.balance(acc)
    entry = post(
        "adjust",
        [acc.number],
        {
            "direction": "debit",
            "amount": "100",
            "reason": "Double credit by mistake",
            "token": uuid.uuid4().hex,
        },
    )
    assert ledger_queries.balance(acc) == balance - Money("100")
    adjustment = JournalEntry.objects.filter(kind=EntryKind.ADJUSTMENT).get()
    assert adjustment.created_by == staff
    check(
        entry,
        action="balance.adjust",
        staff=staff,
        reason="Double credit by mistake",
        account=acc,
        direction="debit",
        amount="100.00 RUB",
        entry=adjustment.pk,
    )
    done.add(entry.action)

    entry = post(
        "refund_balance",
        [acc.number],
        {
            "amount": "50",
            "reference": world.paid_invoice.number,
            "reason": "Outage on 1 March",
            "token": uuid.uuid4().hex,
        },
    )
    refund = JournalEntry.objects.filter(kind=EntryKind.REFUND).get()
    assert refund.reference == world.paid_invoice.number
    check(
        entry,
        action="refund.balance",
        staff=staff,
        reason="Outage on 1 March",
        account=acc,
        amount="50.00 RUB",
        entry=refund.pk,
        reference=world.paid_invoice.number,
    )
    done.add(entry.action)

    balance = ledger_queries.balance(acc)
    entry = post(
        "refund_gateway",
        [world.payment.number],
        {"amount": "200", "reason": "Paid twice by card", "token": uuid.uuid4().hex},
    )
    assert RefundingDemo.refunds == [(world.payment.number, Money("200"))]
    assert ledger_queries.balance(acc) == balance - Money("200")
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.SUCCEEDED and refund.gateway_refund_id == "R-1"
    check(
        entry,
        action="refund.gateway",
        staff=staff,
        reason="Paid twice by card",
        account=acc,
        amount="200.00 RUB",
        method="demo",
        refund=refund.pk,
        entry=refund.entry_id,
        refunded_before="0.00 RUB",
    )
    assert actions.refundable(world.payment) == Money("300")
    done.add(entry.action)

    RefundingDemo.status = "pending"  # the service is still at it: asked again from the desk
    post(
        "refund_gateway",
        [world.payment.number],
        {"amount": "100", "reason": "Second card charge", "token": uuid.uuid4().hex},
    )
    pending = Refund.objects.get(status=RefundStatus.PENDING)
    RefundingDemo.status = "succeeded"
    entry = post("refund_retry", [world.payment.number, pending.pk], {"reason": "Asked again"})
    pending.refresh_from_db()
    assert pending.status == RefundStatus.SUCCEEDED
    check(
        entry,
        action="refund.retry",
        staff=staff,
        reason="Asked again",
        account=acc,
        refund=pending.pk,
        amount="100.00 RUB",
    )
    done.add(entry.action)

    RefundingDemo.status = "pending"  # left pending for more than a day: concluded by hand
    post(
        "refund_gateway",
        [world.payment.number],
        {"amount": "50", "reason": "Third charge", "token": uuid.uuid4().hex},
    )
    stale = Refund.objects.get(status=RefundStatus.PENDING)
    RefundingDemo.status = "succeeded"
    Refund.objects.filter(pk=stale.pk).update(created_at=stale.created_at - dt.timedelta(days=1))
    before = ledger_queries.balance(acc)
    entry = post(
        "refund_resolve",
        [world.payment.number, stale.pk],
        {"outcome": "not_refunded", "refund_id": "", "reason": "Not in the dashboard"},
    )
    stale.refresh_from_db()
    assert stale.status == RefundStatus.FAILED and stale.failure_code == "not_found_at_service"
    assert ledger_queries.balance(acc) == before + Money("50")
    check(
        entry,
        action="refund.resolve",
        staff=staff,
        reason="Not in the dashboard",
        account=acc,
        refund=stale.pk,
        status="failed",
    )
    done.add(entry.action)

    late = start_top_up(billing_account=acc, method=world.methods.demo, amount=Money("150.00"))
    Payment.objects.filter(pk=late.pk).update(status=PaymentStatus.EXPIRED)
    credit_payment(payment=late, transaction_id="demo-late", amount=Money("150.00"))
    entry = post("payment_review", [late.number], {"reason": "Customer confirmed"})
    late.refresh_from_db()
    assert late.reviewed_by == staff and not late.needs_review
    check(
        entry,
        action="payment.review",
        staff=staff,
        reason="Customer confirmed",
        account=acc,
        reasons=["late"],
    )
    done.add(entry.action)

    hosting.refresh_from_db()
    until = hosting.paid_until + dt.timedelta(days=30)
    last_day = until - dt.timedelta(days=1)  # staff enter the last paid day, as shown
    entry = post(
        "service_extend", [hosting.pk], {"until": last_day.isoformat(), "reason": "Goodwill"}
    )
    check(entry, action="service.extend", staff=staff, reason="Goodwill", account=acc)
    assert entry.changes["paid_until"]["to"] == until.isoformat()
    done.add(entry.action)

    entry = post("service_terminate", [hosting.pk], {"reason": "Customer asked to delete"})
    hosting.refresh_from_db()
    assert hosting.status == ServiceStatus.TERMINATED and not hosting.auto_renew
    check(
        entry,
        action="service.terminate",
        staff=staff,
        reason="Customer asked to delete",
        account=acc,
        status={"from": "active", "to": "terminated"},
    )
    done.add(entry.action)

    # Admin: staff, catalog, payment methods, requisites.
    entry = post(
        "staff_create",
        [],
        {
            "email": "Anna@Staff.example",
            "full_name": "Anna",
            "role": "sales",
            "password": "a-Long-pass-2026",
            "reason": "New sales manager",
        },
    )
    anna = User.objects.get(email="anna@staff.example")
    assert anna.is_staff and roles.role_of(anna) == Role.SALES
    check(
        entry,
        action="staff.create",
        staff=staff,
        reason="New sales manager",
        email="anna@staff.example",
        role="sales",
    )
    done.add(entry.action)

    entry = post(
        "staff_update", [anna.pk], {"role": "accountant", "is_active": "on", "reason": "Promoted"}
    )
    assert StaffProfile.objects.get(user=anna).role == Role.ACCOUNTANT
    check(
        entry,
        action="staff.update",
        staff=staff,
        reason="Promoted",
        role={"from": "sales", "to": "accountant"},
    )
    done.add(entry.action)

    Authenticator.objects.create(user=anna, type=Authenticator.Type.TOTP, data={"secret": "X"})
    entry = post("staff_reset_totp", [anna.pk], {"reason": "Lost her phone"})
    assert not Authenticator.objects.filter(user=anna).exists()
    check(
        entry,
        action="staff.reset_totp",
        staff=staff,
        reason="Lost her phone",
        authenticators_removed=1,
    )
    done.add(entry.action)

    tariff = world.catalog.start
    entry = post("tariff_toggle", [tariff.pk], {"reason": "Tariff retired"})
    tariff.refresh_from_db()
    assert not tariff.is_active
    check(
        entry,
        action="catalog.toggle",
        staff=staff,
        reason="Tariff retired",
        tariff="start",
        is_active={"from": True, "to": False},
    )
    done.add(entry.action)

    method = world.methods.bank
    entry = post("payment_method_toggle", [method.pk], {"reason": "Bank account closed"})
    method.refresh_from_db()
    assert not method.is_enabled
    check(
        entry,
        action="payment_method.toggle",
        staff=staff,
        reason="Bank account closed",
        is_enabled={"from": True, "to": False},
    )
    done.add(entry.action)

    failed_email, failed_task, _panel = fail_for_good()
    entry = post("queue_retry", ["email", failed_email.pk], {"reason": "Mail server fixed"})
    check(
        entry,
        action="queue.retry",
        staff=staff,
        reason="Mail server fixed",
        account=acc,
        status={"from": "failed", "to": "pending"},
    )
    entry = post("queue_retry", ["task", failed_task.pk], {"reason": "Panel is back"})
    check(entry, action="queue.retry", staff=staff, reason="Panel is back", account=acc)
    assert ProvisioningTask.objects.get(pk=failed_task.pk).status == "pending"
    done.add(entry.action)
    todo = provision(service=world.hosting, operation="unsuspend")
    ProvisioningTask.objects.filter(pk=todo.pk).update(status="todo")
    entry = post("queue_complete", [todo.pk], {"reason": "Unsuspended by hand"})
    check(
        entry,
        action="queue.complete",
        staff=staff,
        reason="Unsuspended by hand",
        account=acc,
        status={"from": "todo", "to": "done"},
    )
    done.add(entry.action)

    provider = Provider.current()
    data = {name: getattr(provider, name) or "" for name in actions.PROVIDER_FIELDS}
    data.update(phone="+7 495 111-22-33", reason="New phone number")
    entry = post("provider", [], data)
    assert Provider.current().phone == "+7 495 111-22-33"
    check(
        entry,
        action="provider.update",
        staff=staff,
        reason="New phone number",
        phone={"from": "+7 495 000-00-00", "to": "+7 495 111-22-33"},
    )
    done.add(entry.action)

    entry = post(
        "server_group_add", [], {"code": "hosting-1", "name": "Hosting", "reason": "New rack"}
    )
    check(entry, action="server_group.save", staff=staff, reason="New rack", code="hosting-1")
    done.add(entry.action)
    group = ServerGroup.objects.get(code="hosting-1")
    entry = post(
        "server_add",
        [],
        {
            "name": "web1",
            "group": group.pk,
            "module": "log",
            "host": "web1.example.net",
            "use_tls": "on",
            "password": "s3cret-token",
            "capacity": "200",
            "enabled": "on",
            "settings": "{}",
            "reason": "New server",
        },
    )
    check(entry, action="server.save", staff=staff, reason="New server", password="set")
    assert "s3cret-token" not in json.dumps(entry.changes)
    done.add(entry.action)

    done |= webhook_actions_audited(post, staff, acc, receiver)

    # Provisioning: a service's create queued again; its control panel opened as the customer
    # (the "script" module with a real provider's script, which makes single sign-on links).
    scripted = scripted_service(world, tmp_path)
    entry = post("service_rerun_create", [scripted.pk], {"reason": "Account lost"})
    task = scripted.provisioning.order_by("-pk")[0]
    assert task.operation == "create"
    check(entry, action="service.rerun_create", staff=staff, reason="Account lost", account=acc)
    assert entry.changes["provisioning_task"] == task.pk
    done.add(entry.action)
    worker()
    entry = post("service_control_panel", [scripted.pk], {"reason": "Ticket 5521"})
    check(entry, action="service.control_panel", staff=staff, reason="Ticket 5521", account=acc)
    done.add(entry.action)

    # Tickets, invoices, help articles, the offer, tax rules, receipts, closing documents.
    done |= other_actions_audited(post, staff, acc, world)
    # Every action the desk knows was performed, each with its entry (those only the JSON API
    # and its token page perform are proven in hutor/api/tests).
    api_only = {"account.open", "account.update", "service.change_tariff"}
    api_only |= {"api_token.create", "api_token.revoke"}
    assert done == set(roles.ACTIONS) - api_only
    # The account page and the audit log show them.
    page = client.get(reverse("desk:account", args=[acc.number])).content.decode()
    assert "Paid twice by card" in page and "Called: pays on Friday" in page
    log = client.get(reverse("desk:audit"), {"action": "refund.gateway"}).content.decode()
    assert "Paid twice by card" in log and "Spam removed" not in log
