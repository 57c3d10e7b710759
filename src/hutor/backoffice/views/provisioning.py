"""A service on its server, from the desk: its create queued again, its remote state asked for
now, its control panel opened as the customer (services.access makes the module calls)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hutor.backoffice import actions, roles
from hutor.backoffice.forms import ReasonForm
from hutor.backoffice.models import Role
from hutor.backoffice.views.common import action_page, staff_of
from hutor.services import access
from hutor.services.models import Service
from hutor.services.provisioning import RemoteState

REMOTE_STATES = {
    RemoteState.ACTIVE: gettext_lazy("active"),
    RemoteState.SUSPENDED: gettext_lazy("suspended"),
    RemoteState.MISSING: gettext_lazy("not found on the server"),
    RemoteState.UNKNOWN: gettext_lazy("unknown"),
}


def _service(pk: int) -> Service:
    return get_object_or_404(
        Service.objects.select_related("billing_account", "tariff", "server"), pk=pk
    )


def _post(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@roles.require_action("service.rerun_create")
def service_rerun_create(request: HttpRequest, pk: int) -> HttpResponse:
    item = _service(pk)

    def perform(data: dict[str, Any]) -> str:
        actions.rerun_create(staff=staff_of(request), service=item, reason=data["reason"])
        return _("The service's creation is queued again.")

    return action_page(
        request,
        form=ReasonForm(_post(request)),
        perform=perform,
        done_url=reverse("desk:service", args=[pk]),
        title=_("Create the service again"),
        account=item.billing_account,
        subject=f"{item.tariff.name} {item.identifier}".strip(),
        intro=_(
            "A new create task goes to the worker: the provisioning module is called again and "
            "finds the account if it already exists. Fix what made the last one fail first."
        ),
        button=_("Queue the creation"),
    )


@roles.require_action("service.control_panel")
def service_control_panel(request: HttpRequest, pk: int) -> HttpResponse:
    item = _service(pk)

    def perform(data: dict[str, Any]) -> tuple[str, str]:
        url = actions.open_control_panel(
            staff=staff_of(request), service=item, reason=data["reason"]
        )
        return _("The control panel was opened as the customer."), url

    return action_page(
        request,
        form=ReasonForm(_post(request)),
        perform=perform,
        done_url=reverse("desk:service", args=[pk]),
        title=_("Open the control panel as the customer"),
        account=item.billing_account,
        subject=f"{item.tariff.name} {item.identifier}".strip(),
        intro=_(
            "You are logged in to the service's control panel in the customer's name. The "
            "audit log keeps who did it and why."
        ),
        button=_("Open the control panel"),
    )


@roles.require_role(Role.SUPPORT)
@require_POST
def service_sync(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the service's server how it holds the service now; the answer is shown, not kept."""
    item = _service(pk)
    try:
        result = access.sync(service=item)
    except access.AccessError as exc:
        messages.error(request, " ".join(filter(None, [str(exc), exc.detail])))
    else:
        state = REMOTE_STATES.get(result.state, result.state)
        text = _("The server says: %(state)s.") % {"state": state}
        if result.usage:
            usage = ", ".join(f"{key} {value}" for key, value in sorted(result.usage.items()))
            text += " " + _("Usage: %(usage)s.") % {"usage": usage}
        messages.success(request, text)
    return redirect("desk:service", pk=pk)
