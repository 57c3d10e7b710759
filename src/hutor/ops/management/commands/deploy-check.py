"""`hutor deploy-check`: what is wrong with this installation for production, one line each."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from hutor.commands import HutorCommand
from hutor.ops import deploy_checks


class Command(HutorCommand):
    help = gettext_lazy(
        "Check the installation for production: Django's deployment checks, the secret key, "
        "allowed hosts, https, the shared cache, the secrets key, the mail server and the "
        "database's time zone. One line per problem; exits 1 when there is any."
    )
    requires_system_checks: list[str] = []  # Django's checks are one of ours, reported as lines

    def handle(self, *args: Any, **options: Any) -> None:
        found = list(deploy_checks.problems())
        for code, message in found:
            self.stdout.write(f"{code}: {message}")
        if found:
            raise CommandError(
                ngettext(
                    "%(count)s problem: fix it before going live.",
                    "%(count)s problems: fix them before going live.",
                    len(found),
                )
                % {"count": len(found)}
            )
        self.stdout.write(_("No problems found."))
