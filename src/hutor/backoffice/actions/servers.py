"""Administrators' actions on servers and server groups: the servers app's own actions, each
with its audit entry in the same transaction. A credential is never in the audit: a changed one
is recorded as "changed"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction

from hutor.backoffice.audit import record, require_reason
from hutor.backoffice.exceptions import DeskError
from hutor.servers import actions as servers
from hutor.servers.exceptions import ServerError
from hutor.servers.models import Server, ServerGroup

if TYPE_CHECKING:
    from hutor.accounts.models import User


def save_server(
    *,
    staff: User,
    server: Server | None,
    values: Mapping[str, Any],
    password: str,
    reason: str,
) -> Server:
    """Add a server (`server` None) or change one; a blank password keeps the stored one."""
    require_reason(reason)
    try:
        with transaction.atomic():
            if server is None:
                server = servers.add_server(password=password, **values)
                changes: dict[str, Any] = {
                    "name": server.name,
                    "group": server.group.code,
                    "module": server.module,
                    "host": server.address,
                    "capacity": server.capacity,
                }
                if password:
                    changes["password"] = "set"
            else:
                changes = servers.update_server(
                    server=server,
                    values={k: v for k, v in values.items() if k != "name"},
                    password=password,
                )
            record(
                staff=staff,
                action="server.save",
                reason=reason,
                object_type="server",
                object_id=server.pk,
                changes=changes,
            )
    except ServerError as exc:
        raise DeskError(str(exc)) from exc
    return Server.objects.select_related("group").get(pk=server.pk)


def save_server_group(
    *, staff: User, group: ServerGroup | None, code: str, name: str, reason: str
) -> ServerGroup:
    """Add a server group (`group` None) or rename one (its code stays: tariffs name it)."""
    require_reason(reason)
    try:
        with transaction.atomic():
            if group is None:
                group = servers.add_group(code=code, name=name)
                changes: dict[str, Any] = {"code": group.code, "name": group.name}
            else:
                changes = servers.rename_group(group=group, name=name)
            record(
                staff=staff,
                action="server_group.save",
                reason=reason,
                object_type="server_group",
                object_id=group.pk,
                changes=changes,
            )
    except ServerError as exc:
        raise DeskError(str(exc)) from exc
    return ServerGroup.objects.get(pk=group.pk)
