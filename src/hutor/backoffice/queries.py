"""Read models of the desk's pages: everything about one billing account on one page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count

from hutor.accounts.models import BillingAccount
from hutor.backoffice.models import AuditEntry, Note
from hutor.core.money import Money
from hutor.documents import queries as closing_queries
from hutor.documents.models import AdvanceInvoice, ClosingDocument
from hutor.invoices.models import Invoice, InvoiceStatus
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import Posting
from hutor.notifications.models import OutboxEmail
from hutor.offers import queries as offer_queries
from hutor.offers.models import Acceptance
from hutor.payments.models import Payment, PaymentMethod
from hutor.services.models import Service, ServiceStatus
from hutor.support import queries as support_queries
from hutor.support.models import Ticket

# How many rows of each history the account page shows (the newest); "all" links go further.
RECENT = 50


@dataclass
class AccountView:
    account: BillingAccount
    balance: Money
    total_credited: Money
    unpaid_total: Money
    services: list[Service]
    invoices: list[Invoice]
    invoice_count: int
    payments: list[Payment]
    payment_count: int
    statement: list[Posting]
    statement_count: int
    emails: list[OutboxEmail]
    notes: list[Note]
    audit: list[AuditEntry]
    tickets: list[Ticket]
    offer_acceptances: list[Acceptance]
    closing_documents: list[ClosingDocument]
    advance_invoices: list[AdvanceInvoice]


def account_view(account: BillingAccount, *, full: bool = False) -> AccountView:
    limit = None if full else RECENT
    invoices = Invoice.objects.filter(billing_account=account).order_by("-issued_at", "-id")
    payments = (
        Payment.objects.filter(billing_account=account)
        .select_related("method")
        .order_by("-created_at", "-id")
    )
    statement = ledger_queries.statement(account).order_by("-entry_id", "-id")
    unpaid = Money.zero(account.currency)
    for total in invoices.filter(status=InvoiceStatus.UNPAID).values_list("total", flat=True):
        unpaid += Money(total, account.currency)
    return AccountView(
        account=account,
        balance=ledger_queries.balance(account),
        total_credited=ledger_queries.total_credited(account),
        unpaid_total=unpaid,
        services=list(
            Service.objects.filter(billing_account=account)
            .select_related("tariff", "service_type")
            .order_by("status", "paid_until", "-id")
        ),
        invoices=list(invoices[:limit]),
        invoice_count=invoices.count(),
        payments=list(payments[:limit]),
        payment_count=payments.count(),
        statement=list(statement.select_related("entry__created_by")[:limit]),
        statement_count=statement.count(),
        emails=list(OutboxEmail.objects.filter(billing_account=account)[:limit]),
        notes=list(Note.objects.filter(billing_account=account).select_related("author")),
        audit=list(
            AuditEntry.objects.filter(billing_account=account).select_related("staff")[:limit]
        ),
        tickets=support_queries.account_tickets(account, limit=limit or 1000),
        offer_acceptances=list(offer_queries.acceptances(account.pk)[:limit]),
        closing_documents=list(closing_queries.of_account(account.pk)[:limit]),
        advance_invoices=list(closing_queries.advances_of_account(account.pk)[:limit]),
    )


def service_counts(account: BillingAccount) -> dict[str, int]:
    rows = (
        Service.objects.filter(billing_account=account)
        .values_list("status")
        .annotate(n=Count("id"))
    )
    return {str(status): int(n) for status, n in rows}


def customer_home(account: BillingAccount) -> dict[str, Any]:
    """The context of the customer's panel home (hutor.panel.views.home) for this account: the
    desk's "see as the customer" renders the customer's own template with it."""
    services = list(
        Service.objects.filter(
            billing_account=account,
            status__in=[ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED, ServiceStatus.PENDING],
        )
        .select_related("tariff", "service_type")
        .order_by("paid_until", "id")
    )
    return {
        "account": account,
        "balance": ledger_queries.balance(account),
        "total_credited": ledger_queries.total_credited(account),
        "services": services,
        "methods": PaymentMethod.objects.filter(is_enabled=True, currency=account.currency),
    }
