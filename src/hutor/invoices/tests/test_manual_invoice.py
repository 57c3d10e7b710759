"""issue_manual_invoice(): free lines (quantity × unit price, no service), numbered, emailed,
announced and paid like every invoice; bad lines refused before anything is written."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from hutor.core.models import Event
from hutor.core.money import Money
from hutor.invoices import documents
from hutor.invoices.calculations import ManualLine, line_amount
from hutor.invoices.exceptions import ManualInvoiceRefused
from hutor.invoices.manual import issue_manual_invoice
from hutor.invoices.models import Invoice, InvoiceKind, InvoiceStatus
from hutor.ledger import checks
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import EntryKind, Posting
from hutor.notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db

LINES = [
    ManualLine("Перенос сайта", Decimal("1"), Decimal("1500.00")),
    ManualLine("Час администрирования", Decimal("2.5"), Decimal("999.99")),
]


def test_trailing_zeros_are_not_digits_after_the_point():
    from hutor.invoices.calculations import checked_lines

    [(_line, amount)] = checked_lines([ManualLine("x", Decimal("1.50000"), Decimal("10.500"))])
    assert amount == Decimal("15.75")


def test_line_amounts_round_half_up_to_kopecks():
    assert line_amount(Decimal("2.5"), Decimal("999.99")) == Decimal("2499.98")  # 2499.975
    assert line_amount(Decimal("0.333"), Decimal("0.05")) == Decimal("0.02")  # 0.01665
    assert line_amount(Decimal("3"), Decimal("0.01")) == Decimal("0.03")


def test_unpaid_when_the_balance_is_short_then_paid_by_a_top_up(provider, account_factory, top_up):
    account = account_factory()
    invoice, created = issue_manual_invoice(
        billing_account=account, lines=LINES, due_date=dt.date.today() + dt.timedelta(days=10)
    )
    assert created and invoice.kind == InvoiceKind.MANUAL
    assert invoice.status == InvoiceStatus.UNPAID and invoice.total == Decimal("3999.98")
    assert invoice.due_date == dt.date.today() + dt.timedelta(days=10)
    assert [
        (line.kind, line.service_id, line.quantity, line.unit_price, line.amount)
        for line in invoice.lines.all()
    ] == [
        ("item", None, Decimal("1"), Decimal("1500.00"), Decimal("1500.00")),
        ("item", None, Decimal("2.5"), Decimal("999.99"), Decimal("2499.98")),
    ]
    assert invoice.payer["number"] == account.number and invoice.provider["inn"]
    assert OutboxEmail.objects.filter(key=f"invoice-issued:{invoice.number}").exists()
    issued = Event.objects.get(kind="invoice.issued", data__invoice=invoice.number)
    assert issued.data["kind"] == "manual" and issued.data["amount"] == "3999.98"
    # The document shows the quantity and the unit price.
    html = documents.render_html(invoice)
    assert "Час администрирования" in html and "2,5" in html and "999,99" in html

    top_up(account, "4000.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    entry = invoice.settlement_entry
    assert entry is not None and entry.kind == EntryKind.SETTLEMENT
    postings = Posting.objects.filter(entry=entry).select_related("account")
    assert {(p.account.code, p.amount) for p in postings} == {
        (f"customer:{account.number}", Decimal("-3999.98")),
        ("revenue:other", Decimal("3999.98")),
    }
    assert ledger_queries.balance(account) == Money("0.02")
    assert Event.objects.filter(kind="invoice.paid", data__invoice=invoice.number).exists()
    assert checks.run().ok


def test_paid_at_once_from_the_balance_and_announced_once_as_paid(
    provider, account_factory, top_up
):
    account = account_factory()
    top_up(account, "5000.00")
    invoice, _created = issue_manual_invoice(billing_account=account, lines=LINES)
    assert invoice.status == InvoiceStatus.PAID and invoice.settlement_entry_id is not None
    assert invoice.due_date == dt.date.today() + dt.timedelta(days=5)
    assert ledger_queries.balance(account) == Money("1000.02")
    keys = set(OutboxEmail.objects.values_list("key", flat=True))
    assert f"invoice-paid:{invoice.number}" in keys
    assert f"invoice-issued:{invoice.number}" not in keys  # withdrawn: paid before it went out
    assert checks.run().ok


def test_the_same_issue_key_issues_one_invoice(provider, account_factory):
    account = account_factory()
    first, created = issue_manual_invoice(billing_account=account, lines=LINES, issue_key="k1")
    again, created_again = issue_manual_invoice(
        billing_account=account, lines=LINES, issue_key="k1"
    )
    assert created and not created_again and again.pk == first.pk
    assert Invoice.objects.count() == 1
    with pytest.raises(ManualInvoiceRefused):
        issue_manual_invoice(billing_account=account_factory(), lines=LINES, issue_key="k1")


@pytest.mark.parametrize(
    ("lines", "due_days", "message"),
    [
        ([], None, "at least one line"),
        ([ManualLine("x", Decimal(1), Decimal("-5"))], None, "unit price must be positive"),
        ([ManualLine("x", Decimal(1), Decimal("0"))], None, "unit price must be positive"),
        ([ManualLine("x", Decimal(1), Decimal("10.005"))], None, "two digits"),
        ([ManualLine("x", Decimal("1.0001"), Decimal("10"))], None, "three digits"),
        (
            [ManualLine("x", Decimal("1.0000000000000000000000000001"), Decimal("10"))],
            None,
            "three digits",
        ),
        ([ManualLine("x", Decimal(1), Decimal("10.0000000000000000000000000001"))], None, "two"),
        ([ManualLine("x", Decimal("-1"), Decimal("10"))], None, "quantity must be positive"),
        ([ManualLine("x", Decimal("NaN"), Decimal("10"))], None, "quantity must be positive"),
        ([ManualLine("x", Decimal("0.001"), Decimal("0.01"))], None, "out of range"),
        ([ManualLine("x", Decimal("999999"), Decimal("999999999999"))], None, "out of range"),
        ([ManualLine("  ", Decimal(1), Decimal("10"))], None, "Line 1: write what it is for"),
        ([ManualLine("a\x00", Decimal(1), Decimal("10"))], None, "write what it is for"),
        ([ManualLine("x" * 301, Decimal(1), Decimal("10"))], None, "longer than 300"),
        ([ManualLine("x", Decimal(1), Decimal("10"))] * 51, None, "at most 50 lines"),
        ([ManualLine("x", Decimal(1), Decimal("10"))], -1, "due date"),
        ([ManualLine("x", Decimal(1), Decimal("10"))], 400, "due date"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(
    provider, account_factory, lines, due_days, message
):
    account = account_factory()
    due = dt.date.today() + dt.timedelta(days=due_days) if due_days is not None else None
    emails = OutboxEmail.objects.count()
    with translation.override("en"), pytest.raises(ManualInvoiceRefused, match=message):
        issue_manual_invoice(billing_account=account, lines=lines, due_date=due)
    assert not Invoice.objects.exists() and OutboxEmail.objects.count() == emails
    assert not Event.objects.filter(kind__startswith="invoice.").exists()
