"""Invoices of free lines staff write by hand (the desk, the API): the one writer is still
invoices.actions (numbering, freezing, settling); this module checks the lines and the due date
and issues them through it."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from hutor.accounts.actions import lock as lock_billing_account
from hutor.accounts.models import BillingAccount
from hutor.core import clock
from hutor.core.money import Money
from hutor.invoices.actions import InvoiceDraft, LineDraft, issue_invoices, settle_open_invoices
from hutor.invoices.calculations import ManualLine, checked_lines
from hutor.invoices.exceptions import ManualInvoiceRefused
from hutor.invoices.models import Invoice, InvoiceKind, LineKind

# The revenue account (ledger `revenue:<code>`) of manual invoices' lines, which pay for no
# service of the catalog (docs/billing-rules.md).
MANUAL_SERVICE_TYPE = "other"
MAX_DUE_DAYS = 366


def issue_manual_invoice(
    *,
    billing_account: BillingAccount,
    lines: list[ManualLine],
    due_date: dt.date | None = None,
    issue_key: str | None = None,
) -> tuple[Invoice, bool]:
    """Issue an invoice of free lines (quantity × unit price, no service) in the account's
    currency, then settle the account's open invoices from its balance, as after an order:
    it is paid at once when the balance covers it and no older invoice waits.

    Numbered, frozen, emailed (invoice_issued, or invoice_paid when paid at once) and
    announced (invoice.issued) like every invoice; its settlement posts customer balance ->
    `revenue:other`. Lines are checked by invoices.calculations (ManualInvoiceRefused says
    what is wrong, before anything is written). `issue_key` (a desk form's one-time token)
    makes a repeated submission return the first invoice: (invoice, False).
    """
    checked = checked_lines(lines)
    today = clock.today()
    if due_date is not None and not today <= due_date <= today + dt.timedelta(MAX_DUE_DAYS):
        raise ManualInvoiceRefused(
            _("The due date must be between today and %(days)d days from now.")
            % {"days": MAX_DUE_DAYS}
        )
    drafts = [
        LineDraft(
            kind=LineKind.ITEM,
            service_type_code=MANUAL_SERVICE_TYPE,
            description_ru=line.description,
            description_en=line.description,
            amount=Money(amount, billing_account.currency),
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for line, amount in checked
    ]
    with transaction.atomic():
        lock_billing_account(billing_account)
        if issue_key is not None:
            existing = Invoice.objects.filter(issue_key=issue_key).first()
            if existing is not None:
                if existing.billing_account_id != billing_account.pk:
                    raise ManualInvoiceRefused(_("This form was already used."))
                return existing, False
        [invoice] = issue_invoices(
            drafts=[
                InvoiceDraft(
                    billing_account=billing_account,
                    kind=InvoiceKind.MANUAL,
                    lines=drafts,
                    due_date=due_date,
                    issue_key=issue_key,
                )
            ]
        )
        settle_open_invoices(billing_account=billing_account)
        invoice.refresh_from_db()
    return invoice, True
