"""`hutor bank`: bank statement import and the unmatched queue (see docs/payments.md).

    hutor bank import FILE                 import a 1C statement, print the report
    hutor bank unmatched                   list the payments waiting for an accountant
    hutor bank assign LINE --account N --reason TEXT
    hutor bank not-ours LINE --reason TEXT

`import` exits 0 when the file was read (even with unmatched or rejected documents: they are in
the report and the queue) and 1 when the whole file was rejected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hutor.accounts import numbers
from hutor.accounts.models import BillingAccount, User
from hutor.payments.bank import actions
from hutor.payments.models import BankLineStatus, BankStatementLine


class Command(BaseCommand):
    help = "Bank statements: import a 1C statement file and work the unmatched queue."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import a 1CClientBankExchange file")
        imp.add_argument("file", help="path of the statement file")
        unmatched = sub.add_parser("unmatched", help="list incoming payments nobody's yet")
        assign = sub.add_parser("assign", help="credit an unmatched payment to a billing account")
        assign.add_argument("line", type=int, help="line id (from `hutor bank unmatched`)")
        assign.add_argument("--account", required=True, help="billing account number")
        assign.add_argument("--reason", required=True, help="why it is this account's")
        not_ours = sub.add_parser("not-ours", help="take an unmatched payment out of the queue")
        not_ours.add_argument("line", type=int, help="line id")
        not_ours.add_argument("--reason", required=True, help="why it is not ours")
        for command in (imp, unmatched, assign, not_ours):
            command.add_argument("--user", default="", help="staff email recorded as who did it")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, "do_" + action.replace("-", "_"))(**options)

    def _user(self, email: str) -> User | None:
        if not email:
            return None
        user = get_user_model().objects.filter(email__iexact=email, is_staff=True).first()
        if user is None:
            raise CommandError(f"no staff user {email}")
        return user

    def _line(self, line_id: int) -> BankStatementLine:
        line = BankStatementLine.objects.filter(pk=line_id).first()
        if line is None:
            raise CommandError(f"no bank statement line #{line_id}")
        return line

    def do_import(self, *, file: str, user: str, **options: Any) -> None:
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from exc
        statement = actions.import_statement(
            content=content, file_name=path.name, uploaded_by=self._user(user)
        )
        self.stdout.write(actions.report_text(statement))
        if statement.is_rejected:
            raise CommandError(f"the statement was rejected: {statement.rejected_reason}")

    def do_unmatched(self, **options: Any) -> None:
        lines = BankStatementLine.objects.filter(status=BankLineStatus.UNMATCHED).order_by("pk")
        count = 0
        for line in lines:
            count += 1
            self.stdout.write(
                f"#{line.pk} {line} {line.money} from {line.payer_name or '?'}"
                f" (INN {line.payer_inn or '-'}): {line.purpose}"
            )
            self.stdout.write(f"    {line.reason}")
        self.stdout.write(f"{count} unmatched")

    def do_assign(self, *, line: int, account: str, reason: str, user: str, **options: Any) -> None:
        try:
            number = numbers.parse(account)
        except numbers.InvalidAccountNumber as exc:
            raise CommandError(str(exc)) from exc
        billing_account = BillingAccount.objects.filter(number=number).first()
        if billing_account is None:
            raise CommandError(f"no billing account {number}")
        try:
            done = actions.assign_line(
                line=self._line(line),
                billing_account=billing_account,
                reason=reason,
                user=self._user(user),
            )
        except actions.BankActionRefused as exc:
            raise CommandError(str(exc)) from exc
        assert done.payment is not None
        self.stdout.write(
            f"line #{done.pk}: {done.money} credited to billing account {number} "
            f"(payment {done.payment.number})"
        )

    def do_not_ours(self, *, line: int, reason: str, user: str, **options: Any) -> None:
        try:
            done = actions.mark_not_ours(
                line=self._line(line), reason=reason, user=self._user(user)
            )
        except actions.BankActionRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"line #{done.pk}: marked not ours; nothing credited")
