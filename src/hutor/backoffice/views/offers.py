"""The desk's pages for the public offer: its versions with how many customers accepted each,
a draft written and changed, a draft published. Administrators write it (roles.py); every
desk role reads it."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from hutor.backoffice import roles
from hutor.backoffice.actions import offers as offer_actions
from hutor.backoffice.forms import ReasonForm
from hutor.backoffice.offer_forms import OfferForm
from hutor.backoffice.views.common import action_page, render_desk, staff_of
from hutor.offers import queries
from hutor.offers.actions import FIELDS
from hutor.offers.models import Offer


def _post(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@roles.require_role("support")
def offers(request: HttpRequest) -> HttpResponse:
    versions = Offer.objects.annotate(accepted=Count("acceptances")).order_by(
        "-effective_from", "-id"
    )
    return render_desk(
        request, "backoffice/offers/list.html", {"offers": versions, "in_force": queries.in_force()}
    )


@roles.require_role("support")
def offer(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Offer.objects.annotate(accepted=Count("acceptances")), pk=pk)
    return render_desk(
        request,
        "backoffice/offers/offer.html",
        {"offer": found, "in_force": queries.in_force()},
    )


@roles.require_action("offer.edit")
def offer_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    found = get_object_or_404(Offer, pk=pk) if pk else None
    initial = {name: getattr(found, name) for name in FIELDS} if found else {}
    form = OfferForm(_post(request), initial=initial)

    def perform(data: dict[str, Any]) -> tuple[str, str]:
        saved = offer_actions.save_offer(
            staff=staff_of(request),
            offer=found,
            values={name: data[name] for name in FIELDS},
            reason=data["reason"],
        )
        message = _("The draft of offer № %(number)s is saved.") % {"number": saved.number}
        return message, reverse("desk:offer", args=[saved.pk])

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:offer", args=[found.pk]) if found else reverse("desk:offers"),
        title=_("Change the draft") if found else _("Write a new version of the offer"),
        subject=str(found) if found else "",
        intro=_(
            "A version stays a draft, seen only here, until it is published; a published "
            "version is never changed again."
        ),
        button=_("Save"),
    )


@roles.require_action("offer.publish")
def offer_publish(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Offer, pk=pk)
    form = ReasonForm(_post(request))

    def perform(data: dict[str, Any]) -> str:
        offer_actions.publish_offer(staff=staff_of(request), offer=found, reason=data["reason"])
        return _("Offer № %(number)s is published; it is in force from %(date)s.") % {
            "number": found.number,
            "date": found.effective_from.strftime("%d.%m.%Y"),
        }

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:offer", args=[found.pk]),
        title=_("Publish the offer"),
        subject=str(found),
        intro=_(
            "From its date, the order form shows this version and every new order records its "
            "acceptance. Its text can never be changed afterwards."
        ),
        button=_("Publish"),
        danger=True,
    )
