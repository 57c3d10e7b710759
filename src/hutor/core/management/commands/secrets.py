"""`hutor secrets rotate|check|generate-key`: the key that encrypts secrets at rest.

Rotation (docs/operations.md): HUTOR_SECRETS_KEY="NEW,OLD" → `hutor secrets rotate` →
HUTOR_SECRETS_KEY="NEW". No secret is ever printed.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.commands import HutorCommand
from hutor.core import secrets


class Command(HutorCommand):
    help = gettext_lazy("Secrets at rest: re-encrypt them with the first key, or check them.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "rotate", help=_("re-encrypt every stored secret with the first HUTOR_SECRETS_KEY")
        )
        sub.add_parser("check", help=_("check that every stored secret can be decrypted"))
        sub.add_parser("generate-key", help=_("print a new key for HUTOR_SECRETS_KEY"))

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "generate-key":
            self.stdout.write(Fernet.generate_key().decode())
            return
        if action == "rotate":
            try:
                counts = secrets.rotate()
            except secrets.SecretError as exc:
                raise CommandError(str(exc)) from exc
            for column, count in counts.items():
                self.stdout.write(
                    _("%(column)s: %(count)s re-encrypted") % {"column": column, "count": count}
                )
            self.stdout.write(
                _("Done: every secret is encrypted with the first key; the others can be dropped.")
            )
            return
        bad = 0
        for model, field in secrets.encrypted_columns():
            total = 0
            for pk, token in secrets.stored(model._default_manager.order_by("pk"), field):
                if not token:
                    continue
                total += 1
                try:
                    secrets.Secret(token=token).reveal()
                except secrets.SecretError:
                    bad += 1
                    self.stdout.write(
                        _("%(column)s of row %(pk)s: no configured key decrypts it.")
                        % {"column": f"{model._meta.label}.{field.name}", "pk": pk}
                    )
            self.stdout.write(
                _("%(column)s: %(count)s stored")
                % {"column": f"{model._meta.label}.{field.name}", "count": total}
            )
        if bad:
            raise CommandError(
                _("%(count)s secrets cannot be decrypted with the configured keys") % {"count": bad}
            )
