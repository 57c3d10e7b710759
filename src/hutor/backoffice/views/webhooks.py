"""Administrators' webhook pages: endpoints (add, change, show or replace the secret) and the
delivery log (what was sent, what the receiver answered, when; resend)."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from hutor.backoffice import actions, roles
from hutor.backoffice.exceptions import DeskError
from hutor.backoffice.forms import ReasonForm
from hutor.backoffice.views.common import action_page, render_desk, staff_of
from hutor.backoffice.webhook_forms import EndpointForm, SecretForm
from hutor.core.events import EventKind
from hutor.webhooks import signing
from hutor.webhooks.models import Delivery, DeliveryStatus, Endpoint

LOG_SIZE = 100
FILTERS = ("all", DeliveryStatus.PENDING, DeliveryStatus.FAILED, DeliveryStatus.DELIVERED)


def _post(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@roles.require_page("admin")
def webhooks(request: HttpRequest) -> HttpResponse:
    endpoints = Endpoint.objects.annotate(
        pending=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
        failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
    ).order_by("pk")
    labels = dict(EventKind.choices)
    rows = []
    for endpoint in endpoints:
        rows.append(
            {"endpoint": endpoint, "events": [str(labels.get(k, k)) for k in endpoint.events]}
        )
    show = request.GET.get("show", "all")
    if show not in FILTERS:
        show = "all"
    log = Delivery.objects.select_related("endpoint", "event").order_by("-pk")
    if show != "all":
        log = log.filter(status=show)
    return render_desk(
        request,
        "backoffice/admin/webhooks.html",
        {
            "rows": rows,
            "deliveries": list(log[:LOG_SIZE]),
            "show": show,
            "filters": [(key, _filter_label(key)) for key in FILTERS],
        },
    )


def _filter_label(key: str) -> str:
    return _("All") if key == "all" else str(DeliveryStatus(key).label)


def _values(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in ("url", "description", "events", "enabled")}


@roles.require_action("webhook.save")
def endpoint_add(request: HttpRequest) -> HttpResponse:
    """A new endpoint; its secret is shown at once on the answer (and later only on request)."""
    form = EndpointForm(_post(request))
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = actions.save_endpoint(
                staff=staff_of(request),
                endpoint=None,
                values=_values(form.cleaned_data),
                reason=form.cleaned_data["reason"],
            )
        except DeskError as exc:
            form.add_error(None, str(exc))
        else:
            return _secret_page(request, endpoint, secret, created=True)
    return action_page(
        request,
        form=form,
        perform=lambda data: "",  # not reached: a valid form is handled above
        done_url=reverse("desk:webhooks"),
        title=_("Add a webhook endpoint"),
        intro=_(
            "Hutor sends the chosen events to this URL, signed per the Standard Webhooks "
            "specification. The signing secret is made now and shown once on the next page."
        ),
        button=_("Add"),
    )


@roles.require_action("webhook.save")
def endpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(Endpoint, pk=pk)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "enabled": endpoint.enabled,
    }
    form = EndpointForm(_post(request), initial=initial)

    def perform(data: dict[str, Any]) -> str:
        saved, _secret = actions.save_endpoint(
            staff=staff_of(request), endpoint=endpoint, values=_values(data), reason=data["reason"]
        )
        return _("The webhook endpoint %(url)s is saved.") % {"url": saved.url}

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:webhooks"),
        title=_("Change a webhook endpoint"),
        subject=endpoint.url,
        intro=_("Events already waiting for this endpoint are still sent; the secret stays."),
        button=_("Save"),
    )


@roles.require_action("webhook.secret")
def endpoint_secret(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(Endpoint, pk=pk)
    form = SecretForm(_post(request))
    if request.method == "POST" and form.is_valid():
        try:
            secret = actions.show_secret(
                staff=staff_of(request),
                endpoint=endpoint,
                replace=form.cleaned_data["replace"],
                reason=form.cleaned_data["reason"],
            )
        except DeskError as exc:
            form.add_error(None, str(exc))
        else:
            return _secret_page(request, endpoint, secret, created=False)
    return action_page(
        request,
        form=form,
        perform=lambda data: "",  # not reached: a valid form is handled above
        done_url=reverse("desk:webhooks"),
        title=_("Signing secret"),
        subject=endpoint.url,
        intro=_("Showing the secret is recorded in the audit log with your reason."),
        button=_("Show the secret"),
    )


def _secret_page(
    request: HttpRequest, endpoint: Endpoint, secret: str, *, created: bool
) -> HttpResponse:
    response = render_desk(
        request,
        "backoffice/admin/webhook_secret.html",
        {"endpoint": endpoint, "secret": secret, "created": created},
    )
    response["Cache-Control"] = "no-store"  # a secret is not kept by the browser or a proxy
    return response


@roles.require_page("admin")
def delivery(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Delivery.objects.select_related("endpoint", "event"), pk=pk)
    body = json.dumps(signing.payload(found.event), ensure_ascii=False, indent=2, sort_keys=True)
    return render_desk(
        request,
        "backoffice/admin/webhook_delivery.html",
        {
            "delivery": found,
            "event_label": EventKind(found.event.kind).label,
            "body": body,
            "size": len(signing.body(found.event)),
        },
    )


@roles.require_action("webhook.resend")
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Delivery.objects.select_related("endpoint", "event"), pk=pk)

    def perform(data: dict[str, Any]) -> tuple[str, str]:
        sent = actions.resend_delivery(
            staff=staff_of(request), delivery=found, reason=data["reason"]
        )
        message = _("The event %(id)s is queued to be sent again.") % {"id": found.event.webhook_id}
        return message, reverse("desk:webhook_delivery", args=[sent.pk])

    return action_page(
        request,
        form=ReasonForm(_post(request)),
        perform=perform,
        done_url=reverse("desk:webhook_delivery", args=[found.pk]),
        title=_("Send the webhook again"),
        subject=f"{found.event.kind} → {found.endpoint.url}",
        intro=_(
            "The same event with the same webhook-id: a receiver that has it already can tell. "
            "A failed delivery gets a fresh day of retries."
        ),
        button=_("Send again"),
    )
