"""`hutor payments new`: a payment link for sales (more verbs live beside it)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hutor.accounts import numbers
from hutor.accounts.models import BillingAccount
from hutor.core.money import InvalidAmount, Money
from hutor.payments.actions import payment_link, start_top_up
from hutor.payments.exceptions import PaymentError
from hutor.payments.models import PaymentMethod


class Command(BaseCommand):
    help = "Payments: `new` creates a pending top-up and prints its number and payment link."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        new = sub.add_parser("new", help="create a top-up payment and print the customer's link")
        new.add_argument("--account", required=True, help="billing account number")
        new.add_argument("--amount", required=True, help="e.g. 100.00")
        new.add_argument("--method", required=True, help="payment method slug")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"do_{action}")(**options)

    def do_new(self, *, account: str, amount: str, method: str, **options: Any) -> None:
        try:
            number = numbers.parse(account)
        except numbers.InvalidAccountNumber as exc:
            raise CommandError(str(exc)) from exc
        billing_account = BillingAccount.objects.filter(number=number).first()
        if billing_account is None:
            raise CommandError(f"no billing account {number}")
        payment_method = PaymentMethod.objects.filter(slug=method).first()
        if payment_method is None:
            raise CommandError(f"no payment method {method!r}")
        try:
            money = Money.parse(amount, billing_account.currency)
            payment = start_top_up(
                billing_account=billing_account, method=payment_method, amount=money
            )
        except (InvalidAmount, PaymentError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"payment {payment.number}: {payment.money} to billing account {number}")
        self.stdout.write(f"link: {settings.HUTOR_BASE_URL}{payment_link(payment)}")
