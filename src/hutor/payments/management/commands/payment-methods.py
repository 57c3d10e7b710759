"""`hutor payment-methods list|add|set|enable|disable`: configure payment methods.

Secrets are never printed back in full (the admin shows them the same way). Every change is
written to the desk's audit log (the names of the settings changed, never their values), as the
staff member `--user` names or else as the operating-system user who ran the command.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.backoffice.audit import command_actor, diff, record
from hutor.commands import HutorCommand, key_value_pairs
from hutor.payments.admin import mask
from hutor.payments.models import Gateway, PaymentMethod

FIELDS = {"name_ru", "name_en", "currency", "min_amount", "max_amount", "position"}


class Command(HutorCommand):
    help = gettext_lazy("Configure payment methods: list, add, set, enable, disable.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help=_("list the methods (secrets masked)"))
        add = sub.add_parser("add", help=_("add a method"))
        add.add_argument("slug")
        add.add_argument("--gateway", required=True, choices=Gateway.values)
        add.add_argument("--name-ru", required=True)
        add.add_argument("--name-en", required=True)
        add.add_argument("--currency", default="RUB")
        add.add_argument("--test-mode", action="store_true")
        add.add_argument("--disabled", action="store_true")
        add.add_argument(
            "-s",
            "--setting",
            dest="pairs",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help=_("a gateway setting (repeat for each): purse, secret_key, ..."),
        )
        set_ = sub.add_parser("set", help=_("change settings (KEY=VALUE) or fields (--field)"))
        set_.add_argument("slug")
        set_.add_argument(
            "-s",
            "--setting",
            dest="pairs",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help=_("a gateway setting to add or change (repeat for each)"),
        )
        set_.add_argument(
            "--field",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help=_("one of %(fields)s") % {"fields": ", ".join(sorted(FIELDS))},
        )
        set_.add_argument("--test-mode", choices=["on", "off"])
        enable = sub.add_parser("enable", help=_("offer a method to customers"))
        enable.add_argument("slug")
        disable = sub.add_parser("disable", help=_("stop offering a method"))
        disable.add_argument("slug")
        for command in (add, set_, enable, disable):
            command.add_argument("--user", default="", help=_("staff email recorded as who did it"))
            command.add_argument("--note", default="", help=_("why (kept in the audit log)"))

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"do_{action}")(**options)

    def _audit(
        self,
        method: PaymentMethod,
        action: str,
        changes: dict[str, Any],
        *,
        user: str = "",
        note: str = "",
        **options: Any,
    ) -> None:
        """The audit entry of a change, in the change's transaction."""
        try:
            staff, actor = command_actor(user)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        record(
            staff=staff,
            actor=actor,
            action=action,
            reason=note or _("from the command line"),
            object_type="payment_method",
            object_id=method.slug,
            changes=changes,
        )

    def _get(self, slug: str) -> PaymentMethod:
        method = PaymentMethod.objects.filter(slug=slug).first()
        if method is None:
            raise CommandError(_("no payment method «%(slug)s»") % {"slug": slug})
        return method

    def _show(self, method: PaymentMethod) -> None:
        state = _("enabled") if method.is_enabled else _("disabled")
        mode = ", " + _("test mode") if method.is_test_mode else ""
        shown = json.dumps(mask(method.settings), ensure_ascii=False)
        self.stdout.write(
            f"{method.slug:<16} {method.gateway:<14} {method.currency} {state}{mode}  "
            f"{method.min_amount}–{method.max_amount}  {shown}"
        )

    def do_list(self, **options: Any) -> None:
        for method in PaymentMethod.objects.order_by("position", "slug"):
            self._show(method)

    def do_add(
        self,
        *,
        slug: str,
        gateway: str,
        name_ru: str,
        name_en: str,
        currency: str,
        test_mode: bool,
        disabled: bool,
        pairs: list[str],
        **options: Any,
    ) -> None:
        if PaymentMethod.objects.filter(slug=slug).exists():
            raise CommandError(_("payment method «%(slug)s» exists; use `set`") % {"slug": slug})
        with transaction.atomic():
            method = PaymentMethod.objects.create(
                slug=slug,
                gateway=gateway,
                name_ru=name_ru,
                name_en=name_en,
                currency=currency.upper(),
                is_test_mode=test_mode,
                is_enabled=not disabled,
                settings=key_value_pairs(pairs),
            )
            self._audit(
                method,
                "payment_method.add",
                {
                    "gateway": gateway,
                    "currency": method.currency,
                    "is_enabled": method.is_enabled,
                    "settings_changed": sorted(method.settings),
                },
                **options,
            )
        self._show(method)

    def do_set(
        self,
        *,
        slug: str,
        pairs: list[str],
        field: list[str],
        test_mode: str | None,
        **options: Any,
    ) -> None:
        with transaction.atomic():
            method = self._get(slug)
            before = {name: getattr(method, name) for name in (*FIELDS, "is_test_mode")}
            method.settings = {**method.settings, **key_value_pairs(pairs)}
            for name, value in key_value_pairs(field).items():
                if name not in FIELDS:
                    raise CommandError(
                        _("unknown field «%(name)s»; one of %(fields)s")
                        % {"name": name, "fields": ", ".join(sorted(FIELDS))}
                    )
                setattr(method, name, str(value))
            if test_mode is not None:
                method.is_test_mode = test_mode == "on"
            method.full_clean()
            method.save()
            method.refresh_from_db()
            after = {name: getattr(method, name) for name in (*FIELDS, "is_test_mode")}
            self._audit(
                method,
                "payment_method.update",
                {
                    **diff(before, after),
                    **({"settings_changed": sorted(key_value_pairs(pairs))} if pairs else {}),
                },
                **options,
            )
        self._show(method)

    def do_enable(self, *, slug: str, **options: Any) -> None:
        self._switch(slug, True, **options)

    def do_disable(self, *, slug: str, **options: Any) -> None:
        self._switch(slug, False, **options)

    def _switch(self, slug: str, enabled: bool, **options: Any) -> None:
        with transaction.atomic():
            method = self._get(slug)
            before = method.is_enabled
            method.is_enabled = enabled
            method.save(update_fields=["is_enabled"])
            if before != enabled:
                self._audit(
                    method,
                    "payment_method.toggle",
                    {"is_enabled": {"from": before, "to": enabled}},
                    **options,
                )
        self._show(method)
