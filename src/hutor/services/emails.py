"""The "service ready" email: sent once when a service's create task has run, with what the
customer needs to use it (services.access.access_rows). The password is never in the email:
it links to the service's page in the billing panel, where it is shown once after logging in
(services.access.reveal_password)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from hutor.notifications.actions import enqueue
from hutor.notifications.models import OutboxEmail
from hutor.notifications.registry import RenderedEmail, register
from hutor.services.models import Service

TEMPLATE = "service_ready"


def queue_ready(service: Service) -> OutboxEmail:
    """Queue the email for a service just created on its server; once per service (a create
    run again by staff sends nothing new)."""
    return enqueue(
        key=f"{TEMPLATE}:{service.pk}",
        template=TEMPLATE,
        billing_account=service.billing_account,
        params={"service_id": service.pk},
    )


@register(TEMPLATE)
def service_ready(email: OutboxEmail) -> RenderedEmail:
    from hutor.services import access  # access needs the task queue, which queues this email

    service = Service.objects.select_related("tariff", "billing_account").get(
        pk=email.params["service_id"]
    )
    name = service.tariff.name_en if email.language == "en" else service.tariff.name_ru
    context = {
        "service": service,
        "name": name,
        "account": service.billing_account,
        "rows": access.access_rows(service),
        # Shown once in the panel, unless the customer has seen it there already.
        "password_waits": access.has_password(service) and service.password_shown_at is None,
        "service_url": settings.HUTOR_BASE_URL + reverse("panel:service_detail", args=[service.pk]),
    }
    return RenderedEmail(
        subject=_("Your service «%(name)s» is ready") % {"name": f"{name} {service.identifier}"},
        text=render_to_string("services/email/service_ready.txt", context),
        html=render_to_string("services/email/service_ready.html", context),
    )


@register("registration_refused")
def registration_refused(email: OutboxEmail) -> RenderedEmail:
    from hutor.core.money import Money
    from hutor.services import refusals

    service = Service.objects.select_related("tariff", "billing_account").get(
        pk=email.params["service_id"]
    )
    event = service.events.filter(code="refuse").order_by("-at", "-id").first()
    params = event.params if event is not None else {}
    context = {
        "service": service,
        "account": service.billing_account,
        "reason": refusals.reason_text(params.get("code", "")),
        "detail": params.get("detail", ""),
        "refunded": Money(params.get("refunded") or "0", service.billing_account.currency),
        "panel_url": settings.HUTOR_BASE_URL + reverse("panel:home"),
    }
    return RenderedEmail(
        subject=_("Domain %(name)s was not registered: the money is back on your balance")
        % {"name": service.identifier},
        text=render_to_string("services/email/registration_refused.txt", context),
        html=render_to_string("services/email/registration_refused.html", context),
    )


@register("service_cancelled")
def service_cancelled(email: OutboxEmail) -> RenderedEmail:
    from hutor.core.money import Money
    from hutor.services import cancellations

    service = Service.objects.select_related("tariff", "billing_account").get(
        pk=email.params["service_id"]
    )
    cancellation = service.cancellation
    name = service.tariff.name_en if email.language == "en" else service.tariff.name_ru
    reason = cancellation.reason
    context = {
        "service": service,
        "name": f"{name} {service.identifier}".strip(),
        "account": service.billing_account,
        "cancellation": cancellation,
        "amount": Money(cancellation.amount, cancellation.currency),
        "reason": str(cancellations.REASONS[reason]) if reason in cancellations.REASONS else "",
        "panel_url": settings.HUTOR_BASE_URL + reverse("panel:home"),
    }
    return RenderedEmail(
        subject=_("Your service «%(name)s» is cancelled") % {"name": context["name"]},
        text=render_to_string("services/email/service_cancelled.txt", context),
        html=render_to_string("services/email/service_cancelled.html", context),
    )
