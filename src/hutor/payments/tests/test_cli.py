import datetime as dt
import getpass
import io
import re

import pytest
import time_machine
from django.core.management import CommandError, call_command

from hutor.backoffice.models import AuditEntry
from hutor.core.money import Money
from hutor.payments.actions import expire_payments, start_top_up
from hutor.payments.models import Payment, PaymentMethod, PaymentStatus

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_payment_methods_add_set_enable_disable_and_list_masks_secrets():
    out = run(
        "payment-methods",
        "add",
        "wm",
        "--gateway",
        "webmoney",
        "--name-ru",
        "ВебМани",
        "--name-en",
        "WebMoney",
        "-s",
        "purse=R123456789012",
        "-s",
        "secret_key=very-secret-key",
        "-s",
        "hash_method=sha256",
        "--test-mode",
    )
    assert "very-secret-key" not in out and "••••••••-key" in out
    method = PaymentMethod.objects.get(slug="wm")
    assert method.settings["secret_key"] == "very-secret-key" and method.is_test_mode
    run(
        "payment-methods",
        "set",
        "wm",
        "-s",
        "secret_key=another-secret",
        "--test-mode",
        "off",
        "--field",
        "min_amount=50",
    )
    method.refresh_from_db()
    assert method.settings["secret_key"] == "another-secret" and not method.is_test_mode
    assert method.min_amount == 50 and method.settings["purse"] == "R123456789012"
    run("payment-methods", "disable", "wm")
    assert not PaymentMethod.objects.get(slug="wm").is_enabled
    run("payment-methods", "enable", "wm")
    listing = run("payment-methods", "list")
    assert "wm" in listing and "another-secret" not in listing
    with pytest.raises(CommandError):
        run(
            "payment-methods",
            "add",
            "wm",
            "--gateway",
            "webmoney",
            "--name-ru",
            "x",
            "--name-en",
            "x",
        )
    with pytest.raises(CommandError):
        run("payment-methods", "set", "nope", "-s", "a=b")
    # Each change is in the audit log, as who ran the command; the names of the settings
    # changed, never their values.
    entries = list(AuditEntry.objects.order_by("pk"))
    assert [(e.action, e.object_id, e.actor) for e in entries] == [
        ("payment_method.add", "wm", f"cli:{getpass.getuser()}"),
        ("payment_method.update", "wm", f"cli:{getpass.getuser()}"),
        ("payment_method.toggle", "wm", f"cli:{getpass.getuser()}"),
        ("payment_method.toggle", "wm", f"cli:{getpass.getuser()}"),
    ]
    assert entries[1].changes == {
        "is_test_mode": {"from": True, "to": False},
        "min_amount": {"from": "100.00", "to": "50.00"},
        "settings_changed": ["secret_key"],
    }
    assert "secret" not in str([e.changes for e in entries]).replace("secret_key", "")


def test_payments_new_prints_the_number_and_a_working_link(
    client, account_factory, payment_methods
):
    account = account_factory()
    out = run(
        "payments", "new", "--account", account.number, "--amount", "100.00", "--method", "demo"
    )
    payment = Payment.objects.get()
    assert payment.number in out and payment.money == Money("100.00")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_id, entry.billing_account) == (
        "payment_link.create",
        payment.number,
        account,
    )
    path = re.search(r"https?://[^/]+(/pay/link/\S+)", out).group(1)
    response = client.get(path)  # no login needed: the payer may not have a password yet
    assert (
        response.status_code == 302 and response["Location"] == f"/pay/demo/demo/{payment.number}/"
    )
    assert client.get(path[:-3] + "xx/").status_code == 404  # a forged token


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "1000003", "--amount", "100", "--method", "demo"], "1000003"),
        (["--account", "1000028", "--amount", "100", "--method", "demo"], "no billing account"),
        (["--account", "{n}", "--amount", "1.005", "--method", "demo"], "decimal places"),
        (["--account", "{n}", "--amount", "10", "--method", "demo"], "100"),
        (["--account", "{n}", "--amount", "100", "--method", "nope"], "no payment method"),
    ],
)
def test_payments_new_refuses_bad_input(account_factory, payment_methods, args, message):
    account = account_factory()
    args = [a.format(n=account.number) for a in args]
    with pytest.raises(CommandError, match=message):
        run("payments", "new", *args)
    assert not Payment.objects.exists()


def test_pending_payments_expire_and_their_links_close(client, account_factory, payment_methods):
    account = account_factory()
    start = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        payment = start_top_up(
            billing_account=account, method=payment_methods.demo, amount=Money("100")
        )
        out = run(
            "payments", "new", "--account", account.number, "--amount", "100", "--method", "demo"
        )
    with time_machine.travel(start + dt.timedelta(days=2), tick=False):
        assert expire_payments() == 2
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.EXPIRED
        path = re.search(r"https?://[^/]+(/pay/link/\S+)", out).group(1)
        assert client.get(path).status_code == 410
