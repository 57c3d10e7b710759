"""Reading the offer: the version in force, a published version by number, who accepted what."""

from __future__ import annotations

import datetime as dt
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
