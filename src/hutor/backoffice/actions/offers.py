"""Staff writing and publishing the public offer: the offers app's actions, each with its audit
entry in the same transaction (texts recorded as their lengths, not copied)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction

from hutor.backoffice.audit import record, require_reason
from hutor.backoffice.exceptions import DeskError
from hutor.offers import actions as offers
from hutor.offers.exceptions import OfferError
from hutor.offers.models import Offer

if TYPE_CHECKING:
    from hutor.accounts.models import User


def save_offer(
    *, staff: User, offer: Offer | None, values: Mapping[str, Any], reason: str
) -> Offer:
    """Write a new draft version of the offer, or change a draft."""
    require_reason(reason)
    try:
        with transaction.atomic():
            saved, changes = offers.save_draft(offer=offer, values=values)
            record(
                staff=staff,
                action="offer.edit",
                reason=reason,
                object_type="offer",
                object_id=saved.pk,
                changes=changes,
            )
    except OfferError as exc:
        raise DeskError(str(exc)) from exc
    return saved


def publish_offer(*, staff: User, offer: Offer, reason: str) -> Offer:
    """Publish a draft: public from now, in force from its date, never changed again."""
    require_reason(reason)
    try:
        with transaction.atomic():
            changes = offers.publish(offer=offer)
            record(
                staff=staff,
                action="offer.publish",
                reason=reason,
                object_type="offer",
                object_id=offer.pk,
                changes=changes,
            )
    except OfferError as exc:
        raise DeskError(str(exc)) from exc
    return offer
