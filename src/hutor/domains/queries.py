"""Read models of the domains app for screens."""

from __future__ import annotations

from hutor.accounts.models import BillingAccount
from hutor.domains.models import ContactProfile


def profiles_of(billing_account: BillingAccount) -> list[ContactProfile]:
    """The account's contact profiles, by label."""
    return list(
        ContactProfile.objects.filter(billing_account=billing_account).order_by("label", "id")
    )


def profile_of(billing_account: BillingAccount, pk: int) -> ContactProfile | None:
    """One of the account's profiles; None for another account's (a page answers 404)."""
    return ContactProfile.objects.filter(billing_account=billing_account, pk=pk).first()
