"""Fixtures the desk's tests and the API's tests share (each conftest imports them): staff
members by role, and a small world of customers with their services, invoices and payments."""

from __future__ import annotations

import pytest

PASSWORD = "staff-Pass-2026!"


@pytest.fixture
def staff_factory(db):
    """make(role, totp=True): a staff login with that desk role (and an authenticator app)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from hutor.accounts.models import User
    from hutor.backoffice.models import StaffProfile

    counter = iter(range(1, 1_000_000))

    def make(role: str, *, with_totp: bool = True, email: str | None = None):
        user = User.objects.create_user(
            email=email or f"{role}{next(counter)}@staff.example",
            password=PASSWORD,
            full_name=f"{role.title()} Staff",
            is_staff=True,
        )
        StaffProfile.objects.create(user=user, role=role)
        if with_totp:
            TOTP.activate(user, generate_totp_secret())
        return user

    return make


@pytest.fixture
def world(db, catalog, payment_methods, account_factory, top_up):
    """A customer with an active hosting (paid), a pending VPS order (unpaid invoice), a
    credited demo payment, a pending bank payment, and the emails these queued."""
    from types import SimpleNamespace

    from hutor.core.money import Money
    from hutor.payments.actions import credit_payment, start_top_up
    from hutor.services.actions import place_order

    account = account_factory(
        email="olga@example.com",
        name="ООО «Ромашка»",
        kind="company",
        inn="7707083893",
        kpp="773601001",
        address="Москва, ул. Лесная, 1",
    )
    top_up(account, "1000.00")
    hosting = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="romashka.ru"
    )
    vps = place_order(
        billing_account=account, price=catalog.price(catalog.vps1, 1), identifier="vps1.romashka.ru"
    )
    payment = start_top_up(
        billing_account=account, method=payment_methods.demo, amount=Money("500.00")
    )
    payment, _ = credit_payment(payment=payment, transaction_id="demo-txn-42", amount=payment.money)
    pending = start_top_up(
        billing_account=account, method=payment_methods.bank, amount=Money("300.00")
    )
    other = account_factory(email="petr@example.com", name="Пётр Петров")
    hosting.refresh_from_db()
    return SimpleNamespace(
        account=account,
        other=other,
        hosting=hosting,
        vps=vps,
        paid_invoice=hosting.invoice_lines.get().invoice,
        unpaid_invoice=vps.invoice_lines.first().invoice,
        payment=payment,
        pending_payment=pending,
        methods=payment_methods,
        catalog=catalog,
    )
