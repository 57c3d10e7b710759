"""The only writer of the offer's tables: drafts, publishing, and recording an acceptance.

A published version never changes: what a customer accepted stays readable word for word.
The desk's audited actions (backoffice.actions.offers) call the staff ones; the order form
calls `accept` inside the order's transaction, so an order never exists without the record of
the offer it was placed under, nor the record without the order.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from hutor.core import clock
from hutor.core.changes import changes
from hutor.offers import queries
from hutor.offers.exceptions import OfferError
from hutor.offers.models import Acceptance, Offer, OfferStatus

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount

FIELDS = ("number", "effective_from", "text_ru", "text_en")
USER_AGENT_LENGTH = Acceptance._meta.get_field("user_agent").max_length or 500


def save_draft(*, offer: Offer | None, values: Mapping[str, Any]) -> tuple[Offer, dict[str, Any]]:
    """Write a new draft version or change a draft; returns it and what changed (for the
    audit: texts as their lengths)."""
    number = str(values["number"]).strip()
    if not number:
        raise OfferError(_("Give the offer a number."))
    if not str(values["text_ru"]).strip():
        raise OfferError(_("The Russian text is the contract; it cannot be empty."))
    with transaction.atomic():
        if offer is not None:
            offer = Offer.objects.select_for_update().get(pk=offer.pk)
            if offer.is_published:
                raise OfferError(
                    _("A published offer is never changed; write a new version instead.")
                )
        taken = Offer.objects.filter(number=number)
        if offer is not None:
            taken = taken.exclude(pk=offer.pk)
        if taken.exists():
            raise OfferError(_("An offer numbered %(number)s exists already.") % {"number": number})
        now = clock.now()
        before = {name: getattr(offer, name) for name in FIELDS} if offer else {}
        if offer is None:
            offer = Offer(created_at=now)
        offer.number = number
        offer.effective_from = values["effective_from"]
        offer.text_ru = values["text_ru"]
        offer.text_en = values.get("text_en") or ""
        offer.updated_at = now
        offer.save()
    after = {name: getattr(offer, name) for name in FIELDS}
    return offer, changes(before, after)


def publish(*, offer: Offer) -> dict[str, Any]:
    """Make a draft public. It takes effect on its date, which cannot be in the past: a
    customer who ordered yesterday accepted yesterday's offer."""
    with transaction.atomic():
        offer = Offer.objects.select_for_update().get(pk=offer.pk)
        if offer.is_published:
            raise OfferError(_("This offer is published already."))
        if offer.effective_from < clock.today():
            raise OfferError(
                _("An offer cannot take effect in the past; set its date to today or later.")
            )
        offer.status = OfferStatus.PUBLISHED
        offer.published_at = clock.now()
        offer.save(update_fields=["status", "published_at"])
    return {"status": {"from": OfferStatus.DRAFT.value, "to": OfferStatus.PUBLISHED.value}}


def accept(
    *,
    billing_account: BillingAccount,
    offer_id: int | None,
    ip_address: str | None,
    user_agent: str,
    order_token: uuid.UUID | None,
) -> Acceptance | None:
    """Record that the account accepted the version it was shown (`offer_id`, carried by the
    order form), inside the caller's order transaction. Refused when another version came into
    force since the form was shown: the customer has to read and accept that one. Nothing is
    recorded while no offer is published at all."""
    current = queries.in_force()
    if current is None:
        return None
    if offer_id != current.pk:
        raise OfferError(
            _(
                "The public offer has changed since this form was opened: please read offer "
                "№ %(number)s and accept it again."
            )
            % {"number": current.number}
        )
    return Acceptance.objects.create(
        billing_account=billing_account,
        offer=current,
        accepted_at=clock.now(),
        ip_address=ip_address or None,
        user_agent=(user_agent or "")[:USER_AGENT_LENGTH],
        order_token=order_token,
    )
