"""Signals sent inside the transaction that changes an invoice's status.

Receivers run in that same transaction, so what they do (activate or extend a service)
commits or rolls back together with the payment. This keeps invoices free of any knowledge of
services, which sit above them.

`invoices_paid` is `invoice_paid`'s bulk twin, sent once for the invoices that
issue_invoices(settle=True) pays at once (the billing run's batches): every receiver of
`invoice_paid` must receive it too, or it misses those payments. It is sent once the invoices'
lines are written and they are decided paid, before their numbers and settlement entries are
set (issue_invoices explains why): a receiver reads the lines, not the number.
"""

from django.dispatch import Signal

invoice_paid = Signal()  # sender=Invoice, invoice=<Invoice>
# sender=Invoice, invoices=[<Invoice>], lines=[<InvoiceLine> of them], insert=<row writer or None>
invoices_paid = Signal()
invoice_cancelled = Signal()  # sender=Invoice, invoice=<Invoice>
