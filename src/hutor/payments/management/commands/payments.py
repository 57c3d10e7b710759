"""`hutor payments new`: a payment link for sales; `hutor payments record`: a bank payment
recorded by hand (more verbs live beside them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.accounts import numbers
from hutor.accounts.models import BillingAccount, User
from hutor.commands import HutorCommand
from hutor.core.money import AmountInputError, InvalidAmount, Money, parse_amount
from hutor.payments.actions import payment_link, start_top_up
from hutor.payments.exceptions import PaymentError
from hutor.payments.models import PaymentMethod


def _amount(text: str, currency: str) -> Money:
    """--amount as a person types it (parse_amount); a bad one is a usage error: one line in the
    reader's language, exit status 2."""
    try:
        return parse_amount(text, currency)
    except AmountInputError as exc:
        raise CommandError(f"--amount: {exc}", returncode=2) from None


class Command(HutorCommand):
    help = gettext_lazy(
        "Payments: `new` creates a pending top-up and prints its number and payment link."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        new = sub.add_parser("new", help=_("create a top-up payment and print the customer's link"))
        new.add_argument("--account", required=True, help=_("billing account number"))
        new.add_argument("--amount", required=True, help=_("e.g. 100.00"))
        new.add_argument("--method", required=True, help=_("payment method slug"))
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
        record.add_argument("--user", default="", help=_("staff email recorded as who did it"))
        record.add_argument(
            "--force",
            action="store_true",
            help=_("record it even if a statement line looks alike"),
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"do_{action}")(**options)

    def do_new(self, *, account: str, amount: str, method: str, **options: Any) -> None:
        try:
            number = numbers.parse(account)
        except numbers.InvalidAccountNumber as exc:
            raise CommandError(str(exc)) from exc
        billing_account = BillingAccount.objects.filter(number=number).first()
        if billing_account is None:
            raise CommandError(_("no billing account %(number)s") % {"number": number})
        payment_method = PaymentMethod.objects.filter(slug=method).first()
        if payment_method is None:
            raise CommandError(_("no payment method «%(slug)s»") % {"slug": method})
        money = _amount(amount, billing_account.currency)
        try:
            payment = start_top_up(
                billing_account=billing_account, method=payment_method, amount=money
            )
        except (InvalidAmount, PaymentError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("payment %(payment)s: %(amount)s to billing account %(number)s")
            % {"payment": payment.number, "amount": payment.money, "number": number}
        )
        self.stdout.write(
            _("link: %(url)s") % {"url": settings.HUTOR_BASE_URL + payment_link(payment)}
        )

    def do_record(
        self,
        *,
        account: str,
        amount: str,
        date: str,
        reference: str,
        note: str,
        user: str,
        force: bool,
        **options: Any,
    ) -> None:
        """`hutor payments record`: a payment an accountant saw on the bank account."""
        from hutor.payments.bank import actions as bank  # the bank package imports this app's

        try:
            number = numbers.parse(account)
        except numbers.InvalidAccountNumber as exc:
            raise CommandError(str(exc)) from exc
        billing_account = BillingAccount.objects.filter(number=number).first()
        if billing_account is None:
            raise CommandError(_("no billing account %(number)s") % {"number": number})
        try:
            day = dt.date.fromisoformat(date)
        except ValueError as exc:
            raise CommandError(
                _("--date %(date)s is not a date like 2026-11-20") % {"date": date}
            ) from exc
        staff = None
        if user:
            staff = User.objects.filter(email__iexact=user, is_staff=True).first()
            if staff is None:
                raise CommandError(_("no staff user %(email)s") % {"email": user})
        money = _amount(amount, billing_account.currency)
        try:
            line, recorded = bank.record_manual_payment(
                billing_account=billing_account,
                amount=money,
                date=day,
                reference=reference,
                user=staff,
                note=note,
                allow_similar=force,
            )
        except (InvalidAmount, PaymentError) as exc:
            raise CommandError(str(exc)) from exc
        assert line.payment is not None
        if recorded:
            self.stdout.write(
                _(
                    "payment %(payment)s: %(amount)s credited to billing account %(number)s "
                    "(%(document)s)"
                )
                % {
                    "payment": line.payment.number,
                    "amount": line.money,
                    "number": number,
                    "document": line.document_number,
                }
            )
        else:
            self.stdout.write(
                _(
                    "already recorded: «%(document)s» is payment %(payment)s (%(amount)s to "
                    "billing account %(number)s); nothing new was credited"
                )
                % {
                    "document": line.document_number,
                    "payment": line.payment.number,
                    "amount": line.money,
                    "number": number,
                }
            )
