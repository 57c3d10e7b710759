"""issue_invoices(): drafts in, numbered invoices out, the one writer of invoices for both a
single invoice (issue_invoice) and the billing run's batches."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction

from hutor.core.models import Sequence
from hutor.core.money import Money
from hutor.invoices.actions import InvoiceDraft, LineDraft, issue_invoice, issue_invoices
from hutor.invoices.models import Invoice, InvoiceKind, InvoiceStatus, LineKind
from hutor.invoices.signals import invoices_paid
from hutor.ledger import checks
from hutor.ledger.models import LedgerAccount
from hutor.notifications.models import OutboxEmail
from hutor.services.models import ProvisioningTask, Service, ServiceStatus

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


def _line(amount: str, service=None, code: str = "hosting") -> LineDraft:
    return LineDraft(
        kind=LineKind.PERIOD if service else LineKind.SETUP,
        service=service,
        service_type_code=code,
        description_ru="Строка",
        description_en="Line",
        amount=Money(amount),
    )


def _draft(account, *amounts: str) -> InvoiceDraft:
    return InvoiceDraft(
        billing_account=account, kind=InvoiceKind.ORDER, lines=[_line(a) for a in amounts]
    )


def test_numbers_follow_the_drafts_and_each_invoice_is_mailed(catalog, account_factory):
    a, b = account_factory(), account_factory(language="en")
    with time_machine.travel(NOON, tick=False):
        invoices = issue_invoices(drafts=[_draft(a, "10.005"), _draft(b, "1.00", "2.50")])
    assert [i.number for i in invoices] == ["27-000001", "27-000002"]
    assert [i.total for i in invoices] == [Money("10.01").amount, Money("3.50").amount]
    assert [i.due_date for i in invoices] == [dt.date(2027, 3, 6)] * 2
    assert [i.status for i in invoices] == [InvoiceStatus.UNPAID] * 2
    assert [[line.position for line in i.lines.order_by("position")] for i in invoices] == [
        [1],
        [1, 2],
    ]
    emails = (
        OutboxEmail.objects.filter(template="invoice_issued")
        .order_by("key")
        .values_list("key", "to_email", "language")
    )
    assert list(emails) == [
        ("invoice-issued:27-000001", a.contact_email, "ru"),
        ("invoice-issued:27-000002", b.contact_email, "en"),
    ]
    # issue_invoice is the one-draft case, numbered on from the same sequence.
    with time_machine.travel(NOON, tick=False):
        third = issue_invoice(billing_account=a, kind=InvoiceKind.ORDER, lines=[_line("5.00")])
    assert third.number == "27-000003"


@pytest.mark.parametrize(
    "bad",
    [
        LineDraft(LineKind.SETUP, "hosting", "Строка", "Line", Money("-1.00")),
        LineDraft(LineKind.SETUP, "hosting", "Строка", "Line", Money("1.00", "USD")),
    ],
)
def test_one_bad_draft_writes_nothing(catalog, account_factory, bad):
    a = account_factory()
    drafts = [_draft(a, "10.00"), InvoiceDraft(billing_account=a, kind="order", lines=[bad])]
    with pytest.raises(ValueError, match="positive amounts"):
        issue_invoices(drafts=drafts)
    with pytest.raises(ValueError, match="at least one line"):
        issue_invoices(drafts=[InvoiceDraft(billing_account=a, kind="order", lines=[])])
    assert not Invoice.objects.exists()
    assert not OutboxEmail.objects.filter(template="invoice_issued").exists()
    assert not Sequence.objects.filter(name__startswith="invoice-").exists()


def test_settle_pays_in_order_while_the_balance_covers_and_never_past_an_older_invoice(
    catalog, account_factory, top_up
):
    rich, short, behind, empty = (account_factory() for _ in range(4))
    top_up(rich, "100.00")
    top_up(short, "150.00")
    top_up(behind, "1000.00")
    older = issue_invoice(billing_account=behind, kind=InvoiceKind.ORDER, lines=[_line("5.00")])
    heard: list[list[Invoice]] = []

    def listener(sender, invoices, lines, **kwargs):
        heard.append(list(invoices))
        assert {line.invoice_id for line in lines} == {i.pk for i in invoices}
        assert all(i.status == InvoiceStatus.PAID and i.paid_at == NOON for i in invoices)

    invoices_paid.connect(listener, sender=Invoice, dispatch_uid="test-listener")
    try:
        with time_machine.travel(NOON, tick=False), transaction.atomic():
            invoices = issue_invoices(
                drafts=[
                    _draft(rich, "60.00", "40.00"),  # exactly the balance
                    _draft(short, "100.00"),
                    _draft(short, "100.00"),  # 50.00 left: unpaid
                    _draft(short, "10.00"),  # covered, but never past the unpaid one
                    _draft(behind, "10.00"),  # the older invoice comes first
                    _draft(empty, "10.00"),  # no ledger account at all
                ],
                settle=True,
            )
    finally:
        invoices_paid.disconnect(sender=Invoice, dispatch_uid="test-listener")
    paid = [i.status == InvoiceStatus.PAID for i in invoices]
    assert paid == [True, True, False, False, False, False]
    assert heard == [invoices[:2]]
    for invoice in invoices[:2]:
        entry = invoice.settlement_entry
        assert entry is not None
        assert entry.idempotency_key == f"invoice:{invoice.number}:settlement"
        assert invoice.paid_at == NOON
    balance = dict(LedgerAccount.objects.values_list("billing_account_id", "balance"))
    assert balance[rich.pk] == 0 and balance[short.pk] == Money("50.00").amount
    older.refresh_from_db()
    assert older.status == InvoiceStatus.UNPAID
    assert checks.run().ok


def test_a_paid_order_in_bulk_activates_its_pending_service(catalog, account_factory, top_up):
    """invoices_paid reaches services: an invoice that is not a plain renewal goes through
    apply_paid_invoice (here: a new service is activated and created)."""
    account = account_factory()
    top_up(account, "500.00")
    with time_machine.travel(NOON, tick=False):
        service = Service.objects.create(
            billing_account=account,
            service_type=catalog.hosting,
            tariff=catalog.start,
            period_months=1,
            identifier="new.ru",
            provisioning_module="log",
            created_at=NOON,
        )
        [invoice] = issue_invoices(
            drafts=[
                InvoiceDraft(
                    billing_account=account,
                    kind=InvoiceKind.ORDER,
                    lines=[_line("199.00", service=service)],
                )
            ],
            settle=True,
        )
    assert invoice.status == InvoiceStatus.PAID
    service.refresh_from_db()
    assert service.status == ServiceStatus.ACTIVE
    assert service.paid_until == dt.date(2027, 4, 1)
    assert ProvisioningTask.objects.filter(service=service, operation="create").exists()
