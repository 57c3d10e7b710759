"""Payments an accountant records by hand: the same ledger path as a statement document
(bank -> balance, open invoices settled, email), idempotent on the document reference."""

import datetime as dt
import getpass
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from hutor.backoffice.models import AuditEntry
from hutor.conftest import open_desk_session
from hutor.core.money import Money
from hutor.invoices.models import InvoiceStatus
from hutor.ledger import checks
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry, Posting
from hutor.notifications.models import OutboxEmail
from hutor.notifications.registry import renderer_for
from hutor.payments.actions import start_top_up
from hutor.payments.bank import actions
from hutor.payments.models import BankLineStatus, BankStatementLine, Payment, PaymentStatus
from hutor.services.actions import order_invoice, place_order

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def english():
    """Refusals are read in English here (they are in the active language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def account(account_factory, provider, payment_methods):
    return account_factory(name="Петров Пётр Петрович")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        email="accountant@test-hosting.ru", password="Acc-pass-2026", is_staff=True
    )


def test_a_manual_payment_is_credited_like_a_bank_document(account, catalog, staff):
    invoice = order_invoice(
        place_order(
            billing_account=account, price=catalog.price(catalog.start, 1), identifier="a.ru"
        )
    )
    line, recorded = actions.record_manual_payment(
        billing_account=account,
        amount=Money("500.00"),
        date=DAY,
        reference="п/п 123",
        user=staff,
        note="seen in the online bank",
    )
    assert recorded and line.status == BankLineStatus.CREDITED and line.statement is None
    assert (line.match_rule, line.resolved_by, line.document_date) == ("manual", staff, DAY)
    payment = line.payment
    assert payment.status == PaymentStatus.SUCCEEDED and payment.method.slug == "bank"
    assert payment.gateway_transaction_id == "manual:п/п 123"
    entry = payment.credit_entry
    assert entry.reference == "п/п 123" and entry.created_by == staff and entry.kind == "top_up"
    codes = sorted(Posting.objects.filter(entry=entry).values_list("account__code", flat=True))
    assert codes == ["bank:40702810938000000001", f"customer:{account.number}"]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID  # 199.00 settled from the 500.00
    assert ledger_queries.balance(account) == Money("301.00")
    email = OutboxEmail.objects.get(key=f"payment-credited:{payment.number}")
    rendered = renderer_for(email.template)(email)
    assert payment.number in rendered.subject and "500.00" in rendered.text.replace(",", ".")
    assert checks.run().ok


def test_the_same_reference_again_records_nothing(account):
    first, recorded = actions.record_manual_payment(
        billing_account=account, amount=Money("100.00"), date=DAY, reference="п/п 123"
    )
    again, recorded_again = actions.record_manual_payment(
        billing_account=account, amount=Money("100.00"), date=DAY, reference="  П/П   123 "
    )
    assert recorded and not recorded_again and again == first
    assert Payment.objects.count() == 1 and JournalEntry.objects.count() == 1
    with pytest.raises(actions.ManualPaymentConflict, match="already recorded"):
        actions.record_manual_payment(
            billing_account=account, amount=Money("200.00"), date=DAY, reference="п/п 123"
        )
    assert ledger_queries.balance(account) == Money("100.00")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reference": " "}, "reference"),
        ({"reference": "x" * 65}, "at most 64"),
        ({"amount": Money("-5")}, "positive"),
        ({"amount": Money("1.005")}, "two decimals"),
        ({"amount": Money("5", "USD")}, "keeps its balance in RUB"),
        ({"date": dt.date(2099, 1, 1)}, "future"),
    ],
)
def test_bad_manual_payments_are_refused(account, kwargs, message):
    params = {"amount": Money("100"), "date": DAY, "reference": "п/п 1", **kwargs}
    with pytest.raises(actions.BankActionRefused, match=message):
        actions.record_manual_payment(billing_account=account, **params)
    assert not Payment.objects.exists()


def test_a_statement_document_recorded_by_hand_first_is_not_credited_twice(
    account_factory, provider, payment_methods
):
    """An accountant records «п/п 88» by hand; then the statement brings the same document: it
    waits in the queue instead of being credited a second time. And the other way round."""
    accounts = [account_factory() for _ in range(6)]  # 1000002 ... 1000053, as in the statement
    petrov = accounts[2]
    assert petrov.number == "1000028"
    actions.record_manual_payment(
        billing_account=petrov, amount=Money("500.00"), date=DAY, reference="п/п № 88 от 20.11"
    )
    data = Path(__file__).parent / "data" / "statement-2026-11-20.txt"
    stmt = actions.import_statement(content=data.read_bytes(), file_name=data.name)
    line = stmt.lines.get(document_number="88", status=BankLineStatus.UNMATCHED)
    assert line.reason_code == "not_credited_similar_manual" and line.billing_account == petrov
    with translation.override("en"):
        assert "manual payment" in line.reason_text
    assert ledger_queries.balance(petrov) == Money("500.00")

    # Recording by hand a document the statement already credited is refused (unless forced).
    credited = stmt.lines.get(document_number="41")
    assert credited.status == BankLineStatus.CREDITED
    with pytest.raises(actions.BankActionRefused, match="already credited"):
        actions.record_manual_payment(
            billing_account=credited.billing_account,
            amount=Money("990.00"),
            date=DAY,
            reference="платёжка 41",
        )
    assert checks.run().ok


def test_hutor_payments_record(account):
    args = [
        "payments",
        "record",
        "--account",
        account.number,
        "--amount",
        "100.00",
        "--date",
        "2026-11-20",
        "--reference",
        "п/п 123",
    ]
    out = run(*args)
    assert f"100.00 RUB credited to billing account {account.number} (п/п 123)" in out
    again = run(*args)
    assert "already recorded" in again and "nothing new was credited" in again
    assert Payment.objects.count() == 1
    assert ledger_queries.balance(account).amount == Decimal("100.00")
    with pytest.raises(CommandError, match="already recorded"):
        run(*[a if a != "100.00" else "150.00" for a in args])
    with pytest.raises(CommandError):
        run(
            "payments",
            "record",
            "--account",
            "1000016",
            "--amount",
            "1",
            "--date",
            "2026-11-20",
            "--reference",
            "x",
        )
    with pytest.raises(CommandError, match="not a date"):
        run(
            "payments",
            "record",
            "--account",
            account.number,
            "--amount",
            "1",
            "--date",
            "20.11.2026",
            "--reference",
            "x",
        )
    assert checks.run().ok


def record_args(account, amount: str, reference: str, *extra: str) -> list[str]:
    return [
        "payments",
        "record",
        "--account",
        account.number,
        "--amount",
        amount,
        "--date",
        "2026-11-20",
        "--reference",
        reference,
        *extra,
    ]


def test_a_recorded_payment_settles_the_customers_waiting_bank_top_up(account, payment_methods):
    """Issue 12, item 13: `hutor payments record ... 5000` left the customer's pending bank
    top-up of 5 000 «waiting» beside a new credited payment. Failed before: two payments."""
    waiting = start_top_up(
        billing_account=account, method=payment_methods.bank, amount=Money("5000.00")
    )
    out = run(*record_args(account, "5000", "п/п 41"))
    assert f"payment {waiting.number}: 5000.00 RUB credited" in out
    assert f"waiting top-up {waiting.number} is paid by it" in out
    waiting.refresh_from_db()
    assert waiting.status == PaymentStatus.SUCCEEDED and Payment.objects.count() == 1
    assert ledger_queries.balance(account) == Money("5000.00")
    line = BankStatementLine.objects.get()
    assert line.payment == waiting
    # The command is in the audit log, as the operating-system user who ran it.
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.staff, entry.actor) == (
        "payment.manual",
        None,
        f"cli:{getpass.getuser()}",
    )
    assert entry.changes["top_up_settled"] is True and entry.billing_account == account
    assert checks.run().ok


def test_which_waiting_top_up_a_recorded_payment_settles(account, payment_methods, staff):
    bank = payment_methods.bank
    first = start_top_up(billing_account=account, method=bank, amount=Money("300.00"))
    second = start_top_up(billing_account=account, method=bank, amount=Money("300.00"))
    other = start_top_up(billing_account=account, method=bank, amount=Money("800.00"))
    # Two waiting top-ups of this amount: no guessing, a payment of its own.
    out = run(*record_args(account, "300", "п/п 1"))
    assert "is paid by it" not in out
    assert Payment.objects.count() == 4
    for p in (first, second):
        p.refresh_from_db()
        assert p.status == PaymentStatus.PENDING
    # Named: that one, whatever the others; as the staff member --user names.
    out = run(
        *record_args(account, "300", "п/п 2", "--top-up", second.number, "--user", staff.email)
    )
    second.refresh_from_db()
    assert second.status == PaymentStatus.SUCCEEDED and "is paid by it" in out
    assert AuditEntry.objects.order_by("-pk")[0].staff == staff
    # Another amount than the named top-up's: refused, nothing recorded.
    with pytest.raises(CommandError, match=r"is for ₽800\.00, not ₽750\.00"):
        run(*record_args(account, "750", "п/п 3", "--top-up", other.number))
    assert not BankStatementLine.objects.filter(document_number="п/п 3").exists()
    with pytest.raises(CommandError, match="no payment 29999999"):
        run(*record_args(account, "750", "п/п 3", "--top-up", "29999999"))
    # `none`: the one waiting top-up of this amount stays waiting.
    run(*record_args(account, "800", "п/п 4", "--top-up", "none"))
    other.refresh_from_db()
    assert other.status == PaymentStatus.PENDING
    assert ledger_queries.balance(account) == Money("1400.00")
    assert checks.run().ok


def test_the_desk_enters_a_payment_that_settles_a_waiting_top_up(client, account, payment_methods):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser(
        email="admin@test-hosting.ru", password="Admin-pass-2026"
    )
    open_desk_session(client, admin_user)
    waiting = start_top_up(
        billing_account=account, method=payment_methods.bank, amount=Money("5000.00")
    )
    # The bank page asks whose payment it is; a mistyped number is refused there.
    typo = client.get("/desk/bank/record/?account=1000016")
    assert typo.status_code == 200 and "1000016" in typo.content.decode()
    found = client.get(f"/desk/bank/record/?account={account.number}")
    url = f"/desk/accounts/{account.number}/bank-payment/"
    assert found.status_code == 302 and found["Location"] == url
    form = client.get(url).content.decode()
    assert waiting.number in form and 'value="by-amount" ' in form and "checked" in form
    data = {
        "amount": "5 000,00",
        "document_number": "п/п 777",
        "document_date": "2026-11-20",
        "top_up": "by-amount",
        "reason": "from the online bank",
    }
    response = client.post(url, data)
    assert (
        response.status_code == 302 and response["Location"] == f"/desk/payments/{waiting.number}/"
    )
    waiting.refresh_from_db()
    assert waiting.status == PaymentStatus.SUCCEEDED and Payment.objects.count() == 1
    assert client.post(url, data).status_code == 302  # the same again: nothing new
    assert Payment.objects.count() == 1
    conflict = client.post(url, {**data, "amount": "300,00"})
    # The desk is in Russian (the default): so is the refusal, with no English in it.
    assert conflict.status_code == 200 and "уже внесён" in conflict.content.decode()
    assert "already recorded" not in conflict.content.decode()
    entry = AuditEntry.objects.get()
    assert entry.staff == admin_user and entry.changes["top_up_settled"] is True
    assert ledger_queries.balance(account) == Money("5000.00")
