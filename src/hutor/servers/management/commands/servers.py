"""`hutor servers list|add|set|check|groups|group-add`: the servers services are created on.

Credentials are never printed (shown as "••••••") and never taken on the command line, where
the shell history and `ps` would keep them: `--password-stdin` reads one line from stdin.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.commands import HutorCommand, key_value_pairs
from hutor.core.secrets import masked
from hutor.servers import actions
from hutor.servers.models import Server, ServerGroup
from hutor.services.placement import loads
from hutor.services.provisioning import check_server


def _on_off(value: str | None) -> bool | None:
    return None if value is None else value == "on"


class Command(HutorCommand):
    help = gettext_lazy("Servers that services are created on: list, add, set, check.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help=_("list the servers, their load and state"))
        add = sub.add_parser("add", help=_("add a server"))
        add.add_argument("name")
        add.add_argument("--group", required=True, help=_("the server group's code"))
        add.add_argument("--module", required=True, help=_("a provisioning module"))
        add.add_argument("--host", required=True)
        self._common(add)
        set_ = sub.add_parser("set", help=_("change a server"))
        set_.add_argument("name")
        set_.add_argument("--group", help=_("the server group's code"))
        set_.add_argument("--module", help=_("a provisioning module"))
        set_.add_argument("--host")
        self._common(set_)
        check = sub.add_parser("check", help=_("check that a server can be reached"))
        check.add_argument("names", nargs="*", metavar="name", help=_("all servers when none"))
        sub.add_parser("groups", help=_("list the server groups"))
        group_add = sub.add_parser("group-add", help=_("add a server group"))
        group_add.add_argument("code")
        group_add.add_argument("group_name", metavar="name")

    def _common(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int)
        parser.add_argument("--tls", choices=["on", "off"])
        parser.add_argument("--username")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help=_("read the password or API token from the first line of stdin"),
        )
        parser.add_argument("--capacity", type=int, help=_("how many services it takes"))
        parser.add_argument("--enabled", choices=["on", "off"])
        parser.add_argument(
            "-s",
            "--setting",
            dest="pairs",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help=_("a module setting (repeat for each): nameservers, node, ..."),
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"do_{action.replace('-', '_')}")(**options)

    # --- helpers ------------------------------------------------------------------------------

    def _server(self, name: str) -> Server:
        server = Server.objects.select_related("group").filter(name=name).first()
        if server is None:
            raise CommandError(_("no server «%(name)s»") % {"name": name})
        return server

    def _group(self, code: str) -> ServerGroup:
        group = ServerGroup.objects.filter(code=code).first()
        if group is None:
            raise CommandError(
                _("no server group «%(code)s»; add it with `hutor servers group-add`")
                % {"code": code}
            )
        return group

    def _password(self, wanted: bool) -> str:
        if not wanted:
            return ""
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError(_("no password on stdin"))
        return password

    def _show(self, server: Server, load: int) -> None:
        state = _("enabled") if server.enabled else _("disabled")
        tls = "tls" if server.use_tls else "plain"
        who = f"{server.username}@" if server.username else ""
        settings = json.dumps(server.settings, ensure_ascii=False) if server.settings else ""
        self.stdout.write(
            f"{server.name:<16} {server.group.code:<12} {server.module:<10} "
            f"{who}{server.address} {tls} {masked(server.password) or '-'} "
            f"{load}/{server.capacity} {state} {settings}".rstrip()
        )

    # --- subcommands --------------------------------------------------------------------------

    def do_list(self, **options: Any) -> None:
        servers = list(Server.objects.select_related("group").order_by("group__code", "name"))
        load = loads(s.pk for s in servers)
        for server in servers:
            self._show(server, load[server.pk])
        if not servers:
            self.stdout.write(_("No servers."))

    def do_add(self, *, name: str, group: str, module: str, host: str, **options: Any) -> None:
        server = actions.add_server(
            name=name,
            group=self._group(group),
            module=module,
            host=host,
            port=options["port"],
            use_tls=_on_off(options["tls"]) is not False,
            username=options["username"] or "",
            password=self._password(options["password_stdin"]),
            settings=key_value_pairs(options["pairs"]),
            capacity=options["capacity"] or 100,
            enabled=_on_off(options["enabled"]) is not False,
        )
        self._show(server, 0)

    def do_set(self, *, name: str, **options: Any) -> None:
        server = self._server(name)
        values: dict[str, Any] = {}
        if options["group"]:
            values["group"] = self._group(options["group"])
        for option in ("module", "host", "port", "username", "capacity"):
            if options[option] is not None:
                values[option] = options[option]
        if options["tls"] is not None:
            values["use_tls"] = options["tls"] == "on"
        if options["enabled"] is not None:
            values["enabled"] = options["enabled"] == "on"
        if options["pairs"]:
            values["settings"] = {**server.settings, **key_value_pairs(options["pairs"])}
        actions.update_server(
            server=server, values=values, password=self._password(options["password_stdin"])
        )
        server = self._server(name)
        self._show(server, loads([server.pk])[server.pk])

    def do_check(self, *, names: list[str], **options: Any) -> None:
        servers = (
            [self._server(name) for name in names]
            if names
            else list(Server.objects.select_related("group").order_by("name"))
        )
        failed = 0
        for server in servers:
            ok, text = check_server(server)
            failed += ok is False
            if ok is None:
                line = _("%(name)s: not checked (%(detail)s)")
            else:
                line = _("%(name)s: OK (%(detail)s)") if ok else _("%(name)s: error: %(detail)s")
            self.stdout.write(line % {"name": server.name, "detail": text})
        if failed:
            raise CommandError(
                _("%(count)s of %(total)s servers cannot be reached")
                % {"count": failed, "total": len(servers)}
            )

    def do_groups(self, **options: Any) -> None:
        for group in ServerGroup.objects.order_by("code"):
            modules = sorted(set(group.servers.values_list("module", flat=True)))
            self.stdout.write(
                f"{group.code:<16} {group.name}  {group.servers.count()} "
                f"{' '.join(modules)}".rstrip()
            )

    def do_group_add(self, *, code: str, group_name: str, **options: Any) -> None:
        group = actions.add_group(code=code, name=group_name)
        self.stdout.write(f"{group.code:<16} {group.name}")
