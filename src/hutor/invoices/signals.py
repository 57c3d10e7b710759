"""Signals sent inside the transaction that changes an invoice's status.

Receivers run in that same transaction, so what they do (activate or extend a service)
commits or rolls back together with the payment. This keeps invoices free of any knowledge of
services, which sit above them.
"""

from django.dispatch import Signal

invoice_paid = Signal()  # sender=Invoice, invoice=<Invoice>
invoice_cancelled = Signal()  # sender=Invoice, invoice=<Invoice>
