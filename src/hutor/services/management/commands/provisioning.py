"""`hutor provisioning reconcile [--server NAME] [--fix]`: compare what the servers hold with
billing (services/reconcile.py), and with --fix queue the module calls that bring them in line.

Exit codes: 0 no drift; 3 drift found (listed on stdout; with --fix, the fixes are queued for
`hutor worker`); 1 a server could not be listed, or the command was refused; 2 wrong usage.
Monitoring can tell "drift" from "the check did not work".
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.commands import HutorCommand
from hutor.services import reconcile

EXIT_DRIFT = 3
EXIT_ERROR = 1


class Command(HutorCommand):
    help = gettext_lazy(
        "Provisioning tools. `hutor provisioning reconcile` compares servers with billing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rec = sub.add_parser(
            "reconcile",
            help=_("compare each server's accounts with billing; exit 3 on drift, 1 on errors"),
        )
        rec.add_argument("--server", help=_("only this server (by default every enabled one)"))
        rec.add_argument(
            "--fix",
            action="store_true",
            help=_("queue the provisioning calls that bring the servers in line with billing"),
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "reconcile":
            self.do_reconcile(server=options["server"], fix=options["fix"])

    def do_reconcile(self, *, server: str | None, fix: bool) -> None:
        report = reconcile.run(server=server, fix_drift=fix)
        for result in report.servers:
            if result.error:
                self.stderr.write(
                    _("error: server %(server)s: %(error)s")
                    % {"server": result.server, "error": result.error}
                )
                continue
            for finding in result.findings:
                self.stdout.write(self._line(finding))
        findings = report.findings
        self.stdout.write(
            _("Servers checked: %(servers)s; differences: %(count)s; errors: %(errors)s.")
            % {
                "servers": len(report.servers),
                "count": len(findings),
                "errors": len(report.errors),
            }
        )
        if not report.servers:
            self.stdout.write(_("No enabled server whose module can list its accounts."))
        if report.errors:
            sys.exit(EXIT_ERROR)
        if findings:
            sys.exit(EXIT_DRIFT)

    @staticmethod
    def _line(finding: reconcile.Finding) -> str:
        service = f"#{finding.service_id}" if finding.service_id is not None else "-"
        line = (
            f"{finding.server} {finding.kind} {service} {finding.remote_id} "
            f"{_('billing')}={finding.billing_state or '-'} "
            f"{_('server')}={finding.remote_state}"
        )
        if finding.owner:
            line += f" {_('owner')}={finding.owner}"
        line += f" — {finding.label}"
        if finding.queued:
            line += "; " + _("queued: %(operations)s") % {"operations": ", ".join(finding.queued)}
        elif finding.kind == reconcile.UNKNOWN:
            line += "; " + _("left alone")
        return line
