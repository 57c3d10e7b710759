"""`hutor bank`: bank statement import and the unmatched queue (see docs/payments.md).

    hutor bank import FILE                 import a 1C statement, print the report
    hutor bank unmatched                   list the payments waiting for an accountant
    hutor bank assign LINE --account N --reason TEXT
    hutor bank not-ours LINE --reason TEXT

Every change is written to the desk's audit log, as the staff member `--user` names or else as
the operating-system user who ran the command ("cli:<user>"), through the desk's own actions.

`import` exits 0 when the file was read (even with unmatched or rejected documents: they are in
the report and the queue) and 1 when the whole file was rejected or a request is refused
(one line on stderr). Output is in HUTOR_CLI_LANGUAGE (hutor/commands.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.accounts.models import User
from hutor.backoffice.actions import bank as desk_bank
from hutor.backoffice.audit import command_actor
from hutor.backoffice.exceptions import DeskError
from hutor.commands import HutorCommand
from hutor.payments.bank import actions
from hutor.payments.bank.report import line_document
from hutor.payments.models import BankLineStatus, BankStatementLine


class Command(HutorCommand):
    help = gettext_lazy("Bank statements: import a 1C statement file and work the unmatched queue.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help=_("import a 1CClientBankExchange file"))
        imp.add_argument("file", help=_("path of the statement file"))
        unmatched = sub.add_parser("unmatched", help=_("list incoming payments nobody's yet"))
        assign = sub.add_parser(
            "assign", help=_("credit an unmatched payment to a billing account")
        )
        assign.add_argument("line", type=int, help=_("line id (from `hutor bank unmatched`)"))
        assign.add_argument("--account", required=True, help=_("billing account number"))
        assign.add_argument("--reason", required=True, help=_("why it is this account's"))
        not_ours = sub.add_parser("not-ours", help=_("take an unmatched payment out of the queue"))
        not_ours.add_argument("line", type=int, help=_("line id"))
        not_ours.add_argument("--reason", required=True, help=_("why it is not ours"))
        for command in (imp, unmatched, assign, not_ours):
            command.add_argument("--user", default="", help=_("staff email recorded as who did it"))

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, "do_" + action.replace("-", "_"))(**options)

    def _actor(self, email: str) -> tuple[User | None, str]:
        """Who the audit log records: the `--user` staff member, or the named system actor."""
        try:
            return command_actor(email)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc

    def _line(self, line_id: int) -> BankStatementLine:
        line = BankStatementLine.objects.filter(pk=line_id).first()
        if line is None:
            raise CommandError(_("no bank statement line #%(line)s") % {"line": line_id})
        return line

    def do_import(self, *, file: str, user: str, **options: Any) -> None:
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("cannot read %(file)s: %(error)s") % {"file": file, "error": _file_error(exc)}
            ) from exc
        staff, actor = self._actor(user)
        statement = desk_bank.import_statement(
            staff=staff, actor=actor, content=content, file_name=path.name
        )
        self.stdout.write(actions.report_text(statement))
        if statement.is_rejected:
            raise CommandError(
                _("the statement was rejected: %(reason)s") % {"reason": statement.rejected_text}
            )

    def do_unmatched(self, **options: Any) -> None:
        lines = BankStatementLine.objects.filter(status=BankLineStatus.UNMATCHED).order_by("pk")
        count = 0
        for line in lines:
            count += 1
            self.stdout.write(
                _("#%(line)s %(document)s %(amount)s from %(payer)s (INN %(inn)s): %(purpose)s")
                % {
                    "line": line.pk,
                    "document": line_document(line),
                    "amount": line.money,
                    "payer": line.payer_name or "?",
                    "inn": line.payer_inn or "-",
                    "purpose": line.purpose,
                }
            )
            self.stdout.write(f"    {line.reason_text}")
        self.stdout.write(_("%(count)s unmatched") % {"count": count})

    def do_assign(self, *, line: int, account: str, reason: str, user: str, **options: Any) -> None:
        billing_account = self.billing_account(account)
        number = billing_account.number
        staff, actor = self._actor(user)
        try:
            done = desk_bank.assign_line(
                staff=staff,
                actor=actor,
                line=self._line(line),
                account=billing_account,
                reason=reason,
            )
        except DeskError as exc:
            raise CommandError(str(exc)) from exc
        assert done.payment is not None
        self.stdout.write(
            _(
                "line #%(line)s: %(amount)s credited to billing account %(number)s "
                "(payment %(payment)s)"
            )
            % {
                "line": done.pk,
                "amount": done.money,
                "number": number,
                "payment": done.payment.number,
            }
        )

    def do_not_ours(self, *, line: int, reason: str, user: str, **options: Any) -> None:
        staff, actor = self._actor(user)
        try:
            done = desk_bank.mark_not_ours(
                staff=staff, actor=actor, line=self._line(line), reason=reason
            )
        except DeskError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("line #%(line)s: marked not ours; nothing credited") % {"line": done.pk}
        )


def _file_error(exc: OSError) -> str:
    """Why a file cannot be read, in the run's language (the OS says it in English)."""
    if isinstance(exc, FileNotFoundError):
        return _("no such file")
    if isinstance(exc, PermissionError):
        return _("permission denied")
    if isinstance(exc, IsADirectoryError):
        return _("it is a directory")
    return exc.strerror or str(exc)
