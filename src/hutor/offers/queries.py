"""Reading the offer: the version in force, a published version by number, who accepted what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from hutor.core import clock
from hutor.offers.models import Acceptance, Offer, OfferStatus

if TYPE_CHECKING:
    from django.db.models import QuerySet


def in_force(on: dt.date | None = None) -> Offer | None:
    """The version in force on a day (today by default): of the published ones, the one with the
    latest effective date not after that day. None while nothing is published."""
    day = on or clock.today()
    return (
        Offer.objects.filter(status=OfferStatus.PUBLISHED, effective_from__lte=day)
        .order_by("-effective_from", "-published_at", "-id")
        .first()
    )


def published(number: str) -> Offer | None:
    return Offer.objects.filter(status=OfferStatus.PUBLISHED, number=number).first()


def published_versions() -> QuerySet[Offer]:
    return Offer.objects.filter(status=OfferStatus.PUBLISHED).order_by("-effective_from", "-id")


def acceptances(billing_account_id: int) -> QuerySet[Acceptance]:
    return Acceptance.objects.filter(billing_account_id=billing_account_id).select_related("offer")


def contract_of(billing_account_id: int, on: dt.date | None = None) -> Offer | None:
    """The offer a document issued to an account refers to: the last version the customer
    accepted, else (an account opened by staff, or before offers were recorded) the one in
    force on the document's day."""
    accepted = acceptances(billing_account_id).order_by("-accepted_at", "-id").first()
    return accepted.offer if accepted is not None else in_force(on)


def contracts_of(billing_account_ids: Iterable[int], on: dt.date) -> dict[int, Offer | None]:
    """contract_of() for many accounts at once (an invoice batch of the billing run): a query
    per thousand accounts, not one per account."""
    ids = list(dict.fromkeys(billing_account_ids))
    default = in_force(on)
    found: dict[int, Offer | None] = dict.fromkeys(ids, default)
    # The acceptances as (account, offer id) pairs, the few versions they name read once: no
    # model instance per account.
    accepted: dict[int, int] = {}
    for start in range(0, len(ids), 1000):
        for account_id, offer_id in (
            Acceptance.objects.filter(billing_account_id__among=set(ids[start : start + 1000]))
            .order_by("billing_account_id", "-accepted_at", "-id")
            .values_list("billing_account_id", "offer_id")
        ):
            accepted.setdefault(account_id, offer_id)
    if accepted:
        offers = Offer.objects.in_bulk(set(accepted.values()))
        for account_id, offer_id in accepted.items():
            found[account_id] = offers[offer_id]
    return found


def reference(offer: Offer | None) -> dict[str, str] | None:
    """How a document freezes the contract it refers to: {"number", "date"} (ISO)."""
    if offer is None:
        return None
    return {"number": offer.number, "date": offer.effective_from.isoformat()}
