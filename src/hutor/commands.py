"""The base of every `hutor` command: one language per run, every error one line. (Wiring,
like cli.py: it knows every app's errors.)

* **Language.** A command speaks `settings.HUTOR_CLI_LANGUAGE` (the environment variable of
  the same name; Russian, `LANGUAGE_CODE`, when unset): `HUTOR_CLI_LANGUAGE=en hutor bank
  unmatched`. Every line a command prints goes through gettext, so a run never mixes
  languages. The language of the shell (`LANG`) is not consulted: servers run with
  `LANG=C.UTF-8`, and the output of a cron job should not depend on it.
* **Errors.** A refused request prints one line on stderr, «ошибка: …» / «error: …», and no
  traceback. Exit codes: 0 done; 1 refused or failed (a CommandError, or a domain error
  raised by an action); 2 wrong usage (argparse: an unknown option, a missing argument).
  `--traceback` still shows the traceback, for developers.
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    handle_default_options,
)
from django.db import connections
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from hutor.accounts.exceptions import AccountError
from hutor.backoffice.exceptions import DeskError
from hutor.invoices.exceptions import InvoiceError
from hutor.ledger.exceptions import LedgerError
from hutor.payments.exceptions import PaymentError
from hutor.servers.exceptions import ServerError
from hutor.services.exceptions import ServiceError

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount

# Errors the actions raise with a message for the person who asked: shown as one line.
DOMAIN_ERRORS: tuple[type[Exception], ...] = (
    AccountError,
    DeskError,
    InvoiceError,
    LedgerError,
    PaymentError,
    ServerError,
    ServiceError,
)


def cli_language() -> str:
    """The language of this run: HUTOR_CLI_LANGUAGE when it is one of LANGUAGES."""
    wanted = str(getattr(settings, "HUTOR_CLI_LANGUAGE", "") or settings.LANGUAGE_CODE)
    known = {code for code, _name in settings.LANGUAGES}
    return wanted if wanted in known else settings.LANGUAGE_CODE


def key_value_pairs(values: list[str]) -> dict[str, Any]:
    """`-s KEY=VALUE` arguments as a dict; a VALUE that parses as JSON (numbers, true, lists) is
    taken as such. A malformed one is a one-line error."""
    result: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CommandError(_("expected KEY=VALUE, got «%(item)s»") % {"item": item})
        try:
            result[key] = json.loads(value)
        except json.JSONDecodeError:
            result[key] = value
    return result


class HutorCommand(BaseCommand):
    """A `hutor` command: translated output in the run's language, errors as one line."""

    # A lazy translation in subclasses; create_parser turns it into the run language's string.
    help: str | Promise = ""  # type: ignore[assignment]

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # The help texts are gettext calls made while the parser is built; argparse wants the
        # command's description as a plain string.
        with translation.override(cli_language()):
            self.help = str(self.help)
            return super().create_parser(prog_name, subcommand, **kwargs)

    def execute(self, *args: Any, **options: Any) -> Any:
        with translation.override(cli_language()):
            try:
                return super().execute(*args, **options)
            except DOMAIN_ERRORS as exc:
                raise CommandError(str(exc), returncode=1) from exc

    def billing_account(self, text: str) -> BillingAccount:
        """The billing account an `--account` argument names (its check digit verified), or a
        one-line error in the run's language."""
        from hutor.accounts import numbers
        from hutor.accounts.models import BillingAccount

        try:
            number = numbers.parse(text)
        except numbers.InvalidAccountNumber as exc:
            raise CommandError(str(exc)) from exc
        account = BillingAccount.objects.filter(number=number).first()
        if account is None:
            raise CommandError(_("no billing account %(number)s") % {"number": number})
        return account

    def run_from_argv(self, argv: list[str]) -> None:
        # Django's own, but the error line is worded in the run's language, without the
        # exception's class name («CommandError: ...»).
        with translation.override(cli_language()):
            self._run_from_argv(argv)

    def _run_from_argv(self, argv: list[str]) -> None:
        self._called_from_command_line = True
        parser = self.create_parser(argv[0], argv[1])
        options = parser.parse_args(argv[2:])
        cmd_options = vars(options)
        args = cmd_options.pop("args", ())
        handle_default_options(options)
        try:
            self.execute(*args, **cmd_options)
        except CommandError as exc:
            if options.traceback:
                raise
            self.stderr.write(_("error: %(message)s") % {"message": exc})
            sys.exit(exc.returncode)
        finally:
            with contextlib.suppress(ImproperlyConfigured):  # settings not configured
                connections.close_all()
