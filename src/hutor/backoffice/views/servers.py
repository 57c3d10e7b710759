"""Administrators' pages for the servers services are created on, and their groups."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from hutor.backoffice import actions, roles
from hutor.backoffice.forms import ServerForm, ServerGroupForm
from hutor.backoffice.views.common import action_page, render_desk, staff_of
from hutor.core.secrets import masked
from hutor.servers.models import Server, ServerGroup
from hutor.services.placement import loads

SERVER_VALUES = (
    "group",
    "module",
    "host",
    "port",
    "use_tls",
    "username",
    "capacity",
    "enabled",
    "settings",
)


def _post(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@roles.require_page("admin")
def servers(request: HttpRequest) -> HttpResponse:
    rows = list(Server.objects.select_related("group").order_by("group__code", "name"))
    load = loads(s.pk for s in rows)
    for server in rows:
        server.load = load[server.pk]  # type: ignore[attr-defined]
        server.full = server.load >= server.capacity  # type: ignore[attr-defined]
        server.masked = masked(server.password)  # type: ignore[attr-defined]
    return render_desk(request, "backoffice/admin/servers.html", {"servers": rows})


@roles.require_action("server.save")
def server_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    server = get_object_or_404(Server.objects.select_related("group"), pk=pk) if pk else None
    initial: dict[str, Any] = {}
    if server is not None:
        initial = {name: getattr(server, name) for name in SERVER_VALUES}
        initial["name"] = server.name
    form = ServerForm(
        _post(request),
        initial=initial,
        stored_password=masked(server.password) if server is not None else "",
    )
    if server is not None:
        form.fields["name"].disabled = True  # services keep naming it

    def perform(data: dict[str, Any]) -> str:
        values = {name: data[name] for name in SERVER_VALUES}
        if server is None:
            values["name"] = data["name"]
        saved = actions.save_server(
            staff=staff_of(request),
            server=server,
            values=values,
            password=data["password"],
            reason=data["reason"],
        )
        return _("The server %(name)s is saved.") % {"name": saved.name}

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:servers"),
        title=_("Change a server") if server else _("Add a server"),
        subject=server.name if server else "",
        intro=_(
            "New services of a tariff go to the least-loaded enabled server of the tariff's "
            "group. The password or API token is stored encrypted and never shown again."
        ),
        button=_("Save"),
    )


@roles.require_page("admin")
def server_groups(request: HttpRequest) -> HttpResponse:
    groups = ServerGroup.objects.annotate(
        server_count=Count("servers", distinct=True), tariff_count=Count("tariffs", distinct=True)
    ).order_by("code")
    rows = []
    for group in groups:
        modules = sorted(set(group.servers.values_list("module", flat=True)))
        rows.append({"group": group, "modules": modules})
    return render_desk(request, "backoffice/admin/server_groups.html", {"rows": rows})


@roles.require_action("server_group.save")
def server_group_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    group = get_object_or_404(ServerGroup, pk=pk) if pk else None
    initial = {"code": group.code, "name": group.name} if group else {}
    form = ServerGroupForm(_post(request), initial=initial)
    if group is not None:
        form.fields["code"].disabled = True  # tariffs name it

    def perform(data: dict[str, Any]) -> str:
        saved = actions.save_server_group(
            staff=staff_of(request),
            group=group,
            code=data["code"],
            name=data["name"],
            reason=data["reason"],
        )
        return _("The server group %(code)s is saved.") % {"code": saved.code}

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:server_groups"),
        title=_("Rename a server group") if group else _("Add a server group"),
        subject=group.code if group else "",
        button=_("Save"),
    )
