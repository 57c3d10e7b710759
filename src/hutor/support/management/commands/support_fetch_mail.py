"""`hutor support_fetch_mail`: read the support mailbox (HUTOR_SUPPORT_IMAP_URL) into tickets.
`hutor worker` does the same every HUTOR_SUPPORT_FETCH_SECONDS (support.tasks); run this from a
timer where no worker runs, or by hand. Running it twice at once is safe (inbound.receive() is
idempotent by Message-ID)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.commands import HutorCommand
from hutor.support import mailbox


class Command(HutorCommand):
    help = gettext_lazy("Read new emails from the support mailbox into tickets.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url", default="", help=_("the mailbox, imaps://user:password@host:port/FOLDER")
        )
        parser.add_argument("--limit", type=int, default=100, help=_("emails per run, at most"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            box = mailbox.from_url(options["url"]) if options["url"] else mailbox.configured()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if box is None:
            raise CommandError(_("No support mailbox: set HUTOR_SUPPORT_IMAP_URL."))
        counts = mailbox.fetch(box, limit=options["limit"])
        self.stdout.write(
            _(
                "Opened %(opened)s, replies %(replied)s, already read %(duplicate)s, "
                "ignored %(ignored)s."
            )
            % {key: counts.get(key, 0) for key in ("opened", "replied", "duplicate", "ignored")}
        )
