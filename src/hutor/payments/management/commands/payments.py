"""`hutor payments new`: a payment link for sales; `hutor payments record`: a bank payment
recorded by hand (more verbs live beside them).

Both go through the desk's own actions, so each is written to the audit log: as the staff member
`--user` names, or else as the operating-system user who ran the command ("cli:<user>").
`record --top-up N` settles the customer's waiting bank top-up N with the money (by default the
one of the same amount, when the account has exactly one; `--top-up none` records a payment of
its own)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.accounts.models import User
from hutor.backoffice import actions as desk
from hutor.backoffice.audit import command_actor
from hutor.backoffice.exceptions import AlreadyDone, DeskError
from hutor.commands import HutorCommand
from hutor.core.money import AmountInputError, Money, parse_amount
from hutor.payments.bank.manual import BY_AMOUNT, manual_key, waiting_top_ups
from hutor.payments.models import BankStatementLine, Payment, PaymentMethod


def _amount(text: str, currency: str) -> Money:
    """--amount as a person types it (parse_amount); a bad one is a usage error: one line in the
    reader's language, exit status 2."""
    try:
        return parse_amount(text, currency)
    except AmountInputError as exc:
        raise CommandError(f"--amount: {exc}", returncode=2) from None


class Command(HutorCommand):
    help = gettext_lazy(
        "Payments: `new` creates a pending top-up and prints its number and payment link; "
        "`record` credits a bank payment entered by hand."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        new = sub.add_parser("new", help=_("create a top-up payment and print the customer's link"))
        new.add_argument("--account", required=True, help=_("billing account number"))
        new.add_argument("--amount", required=True, help=_("e.g. 100.00"))
        new.add_argument("--method", required=True, help=_("payment method slug"))
        new.add_argument("--note", default="", help=_("why (kept in the audit log)"))
        record = sub.add_parser(
            "record",
            help=_("record a bank payment by hand and credit it (idempotent on --reference)"),
        )
        record.add_argument("--account", required=True, help=_("billing account number"))
        record.add_argument("--amount", required=True, help=_("e.g. 100.00"))
        record.add_argument("--date", required=True, help=_("the payment's date, YYYY-MM-DD"))
        record.add_argument(
            "--reference", required=True, help=_("the bank document, e.g. «п/п 123»")
        )
        record.add_argument("--note", default="", help=_("why, or where the payment was seen"))
        record.add_argument(
            "--top-up",
            default=BY_AMOUNT,
            metavar="PAYMENT",
            help=_(
                "the customer's waiting bank top-up this money pays (default: the one of the same "
                "amount, if the account has exactly one; `none`: a payment of its own)"
            ),
        )
        record.add_argument(
            "--force",
            action="store_true",
            help=_("record it even if a statement line looks alike"),
        )
        for command in (new, record):
            command.add_argument("--user", default="", help=_("staff email recorded as who did it"))

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"do_{action}")(**options)

    def _actor(self, email: str) -> tuple[User | None, str]:
        try:
            return command_actor(email)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc

    def do_new(
        self, *, account: str, amount: str, method: str, note: str, user: str, **options: Any
    ) -> None:
        billing_account = self.billing_account(account)
        payment_method = PaymentMethod.objects.filter(slug=method).first()
        if payment_method is None:
            raise CommandError(_("no payment method «%(slug)s»") % {"slug": method})
        money = _amount(amount, billing_account.currency)
        staff, actor = self._actor(user)
        try:
            payment, url = desk.create_payment_link(
                staff=staff,
                actor=actor,
                account=billing_account,
                method=payment_method,
                amount=money,
                reason=note or _("payment link from the command line"),
            )
        except DeskError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("payment %(payment)s: %(amount)s to billing account %(number)s")
            % {"payment": payment.number, "amount": payment.money, "number": billing_account.number}
        )
        self.stdout.write(_("link: %(url)s") % {"url": url})

    def do_record(
        self,
        *,
        account: str,
        amount: str,
        date: str,
        reference: str,
        note: str,
        top_up: str,
        user: str,
        force: bool,
        **options: Any,
    ) -> None:
        """`hutor payments record`: a payment an accountant saw on the bank account."""
        billing_account = self.billing_account(account)
        number = billing_account.number
        try:
            day = dt.date.fromisoformat(date)
        except ValueError as exc:
            raise CommandError(
                _("--date %(date)s is not a date like 2026-11-20") % {"date": date}
            ) from exc
        staff, actor = self._actor(user)
        money = _amount(amount, billing_account.currency)
        settles = _top_up(top_up)
        waiting = {p.number for p in waiting_top_ups(billing_account)}
        try:
            payment = desk.record_manual_payment(
                staff=staff,
                actor=actor,
                account=billing_account,
                amount=money,
                document_number=reference,
                document_date=day,
                reason=note or _("bank payment «%(reference)s»") % {"reference": reference},
                top_up=settles,
                allow_similar=force,
            )
        except AlreadyDone:
            line = BankStatementLine.objects.select_related("payment").get(
                idempotency_key=manual_key(reference)
            )
            self.stdout.write(
                _(
                    "already recorded: «%(document)s» is payment %(payment)s (%(amount)s to "
                    "billing account %(number)s); nothing new was credited"
                )
                % {
                    "document": line.document_number,
                    "payment": line.payment.number if line.payment else "?",
                    "amount": line.money,
                    "number": number,
                }
            )
            return
        except DeskError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _(
                "payment %(payment)s: %(amount)s credited to billing account %(number)s "
                "(%(document)s)"
            )
            % {
                "payment": payment.number,
                "amount": payment.money,
                "number": number,
                "document": " ".join(reference.split()),
            }
        )
        if payment.number in waiting:
            self.stdout.write(
                _("the customer's waiting top-up %(payment)s is paid by it")
                % {"payment": payment.number}
            )


def _top_up(text: str) -> Payment | Literal["by-amount"] | None:
    """--top-up: a payment number, BY_AMOUNT (the default) or `none`."""
    text = text.strip()
    if text == BY_AMOUNT:
        return BY_AMOUNT
    if text.lower() in ("none", "no", "-"):
        return None
    payment = Payment.objects.select_related("method").filter(number=text).first()
    if payment is None:
        raise CommandError(_("--top-up: no payment %(number)s") % {"number": text}, returncode=2)
    return payment
