"""Reading closing documents and advance invoices-factura: an account's lists, one of its
documents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hutor.documents.models import AdvanceInvoice, ClosingDocument

if TYPE_CHECKING:
    from django.db.models import QuerySet


def of_account(billing_account_id: int) -> QuerySet[ClosingDocument]:
    """The account's acts / УПД and corrections, the latest first."""
    return (
        ClosingDocument.objects.filter(billing_account_id=billing_account_id)
        .select_related("corrects")
        .order_by("-issued_on", "-year", "-number")
    )


def one_of_account(billing_account_id: int, pk: int) -> ClosingDocument | None:
    return of_account(billing_account_id).filter(pk=pk).first()


def advances_of_account(billing_account_id: int) -> QuerySet[AdvanceInvoice]:
    """The account's advance invoices-factura, the latest first."""
    return AdvanceInvoice.objects.filter(billing_account_id=billing_account_id).order_by(
        "-issued_on", "-year", "-number"
    )
