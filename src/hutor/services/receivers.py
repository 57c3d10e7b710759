from collections.abc import Sequence
from typing import Any

from django.dispatch import receiver

from hutor.invoices.models import Invoice
from hutor.invoices.signals import invoice_cancelled, invoice_paid, invoices_paid
from hutor.services.actions import (
    apply_cancelled_invoice,
    apply_paid_invoice,
    apply_paid_renewals,
)


@receiver(invoice_paid, sender=Invoice, dispatch_uid="services.apply_paid_invoice")
def on_invoice_paid(sender: type[Invoice], invoice: Invoice, **kwargs: Any) -> None:
    apply_paid_invoice(invoice)


@receiver(invoice_cancelled, sender=Invoice, dispatch_uid="services.apply_cancelled_invoice")
def on_invoice_cancelled(sender: type[Invoice], invoice: Invoice, **kwargs: Any) -> None:
    apply_cancelled_invoice(invoice)


@receiver(invoices_paid, sender=Invoice, dispatch_uid="services.apply_paid_renewals")
def on_invoices_paid(
    sender: type[Invoice], invoices: Sequence[Any], lines: Sequence[Any], **kwargs: Any
) -> None:
    apply_paid_renewals(invoices=invoices, lines=lines, insert=kwargs.get("insert"))
