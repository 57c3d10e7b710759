"""`hutor guide sync`: install or update the customer's guide shipped with Hutor (kb.guide).
Staff edits are kept; the desk offers them the newer text."""

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.commands import HutorCommand
from hutor.kb import guide


class Command(HutorCommand):
    help = gettext_lazy(
        "Install or update the guide to the billing panel shipped with Hutor in the help "
        "center. Articles staff edited are kept; the desk shows them the newer text."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sync", help=_("Install or update the shipped guide articles."))

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        result = guide.sync()
        self.stdout.write(
            _(
                "Guide: %(created)s created, %(updated)s updated, %(kept)s edited by staff "
                "and kept (a newer text waits in the desk), %(total)s shipped."
            )
            % {
                "created": len(result.created),
                "updated": len(result.updated),
                "kept": len(result.kept),
                "total": len(guide.shipped()),
            }
        )
        for key in result.kept:
            self.stdout.write(_("  kept: %(key)s") % {"key": key})
        for line in result.refused:
            self.stderr.write(_("  not installed: %(reason)s") % {"reason": line})
