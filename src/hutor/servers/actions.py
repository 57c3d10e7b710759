"""Changes of servers and server groups: the only writer of their tables.

Callers (the desk's administration pages, `hutor servers`) parse input and audit; these
functions check it, one transaction each. Credentials are write-only: a blank password keeps
the stored one, and what changed is reported as "changed", never as a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from hutor.core import clock
from hutor.core.secrets import Secret
from hutor.servers.exceptions import ServerError
from hutor.servers.models import Server, ServerGroup
from hutor.services.provisioning import registry

# What `update_server` may change (the password separately: blank keeps it).
SERVER_FIELDS = (
    "group",
    "module",
    "host",
    "port",
    "use_tls",
    "username",
    "settings",
    "capacity",
    "enabled",
)


def add_group(*, code: str, name: str) -> ServerGroup:
    code = code.strip()
    if not code or slugify(code) != code:
        raise ServerError(_("A group's code is Latin letters, digits, hyphens: like «hosting-1»."))
    with transaction.atomic():
        if ServerGroup.objects.filter(code=code).exists():
            raise ServerError(_("A server group «%(code)s» exists.") % {"code": code})
        return ServerGroup.objects.create(code=code, name=name.strip() or code)


def rename_group(*, group: ServerGroup, name: str) -> dict[str, Any]:
    name = name.strip()
    if not name:
        raise ServerError(_("Enter the group's name."))
    with transaction.atomic():
        group = ServerGroup.objects.select_for_update().get(pk=group.pk)
        if group.name == name:
            raise ServerError(_("Nothing to change."))
        changes = {"name": {"from": group.name, "to": name}}
        group.name = name
        group.save(update_fields=["name"])
    return changes


def add_server(
    *,
    name: str,
    group: ServerGroup,
    module: str,
    host: str,
    port: int | None = None,
    use_tls: bool = True,
    username: str = "",
    password: str = "",
    settings: Mapping[str, Any] | None = None,
    capacity: int = 100,
    enabled: bool = True,
) -> Server:
    """A new server in a group; it takes new services at once when enabled."""
    server = Server(
        name=name.strip(),
        group=group,
        module=module,
        host=host.strip(),
        port=port,
        use_tls=use_tls,
        username=username.strip(),
        password=Secret.of(password),
        settings=dict(settings or {}),
        capacity=capacity,
        enabled=enabled,
        created_at=clock.now(),
    )
    with transaction.atomic():
        if Server.objects.filter(name=server.name).exists():
            raise ServerError(_("A server «%(name)s» exists.") % {"name": server.name})
        _check(server)
        server.save()
    return server


def update_server(
    *, server: Server, values: Mapping[str, Any], password: str | None = None
) -> dict[str, Any]:
    """Change a server's fields (SERVER_FIELDS) and, when `password` is not blank, its
    credential. Returns what changed, for the caller's audit ({} refused: nothing to change)."""
    unknown = set(values) - set(SERVER_FIELDS)
    if unknown:
        raise ServerError(
            _("Unknown field «%(name)s»; one of %(fields)s")
            % {"name": sorted(unknown)[0], "fields": ", ".join(SERVER_FIELDS)}
        )
    with transaction.atomic():
        server = Server.objects.select_for_update().select_related("group").get(pk=server.pk)
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if isinstance(value, str) and name in ("host", "username"):
                value = value.strip()
            before = getattr(server, name)
            if before != value:
                shown = (lambda v: v.code) if name == "group" else (lambda v: v)
                changes[name] = {"from": shown(before), "to": shown(value)}
                setattr(server, name, value)
        # Services created by one module cannot be driven by another.
        if "module" in changes and server.services.exists():
            raise ServerError(
                _("The server holds services created by «%(module)s»; its module stays.")
                % {"module": changes["module"]["from"]}
            )
        if password:
            server.password = Secret.of(password)
            changes["password"] = "changed"
        if not changes:
            raise ServerError(_("Nothing to change."))
        _check(server)
        server.save()
    return changes


def _check(server: Server) -> None:
    """The rules a server row keeps: its fields valid, its module registered, and every server
    of its group on the same module (a tariff's module parameters are written for one)."""
    if server.module not in registry():
        raise ServerError(
            _("Unknown provisioning module «%(module)s»; one of %(modules)s")
            % {"module": server.module, "modules": ", ".join(sorted(registry()))}
        )
    try:
        server.full_clean(exclude=["group", "password", "created_at"], validate_unique=False)
    except ValidationError as exc:
        messages = [
            f"{getattr(Server._meta.get_field(field), 'verbose_name', field)}: {' '.join(errors)}"
            for field, errors in exc.message_dict.items()
        ]
        raise ServerError("; ".join(messages)) from exc
    other = (
        Server.objects.filter(group=server.group)
        .exclude(pk=server.pk)
        .exclude(module=server.module)
        .values_list("module", flat=True)
        .first()
    )
    if other is not None:
        raise ServerError(
            _(
                "The servers of group «%(group)s» use the module «%(module)s»; put a server "
                "with another module in another group."
            )
            % {"group": server.group.code, "module": other}
        )
