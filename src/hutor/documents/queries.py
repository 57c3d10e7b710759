"""Reading closing documents: an account's list, one of its documents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hutor.documents.models import ClosingDocument

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
