"""The crediting path's database work, pinned: a verified notification that credits is a fixed
small number of statements with no savepoint, a replay is one query after the method's, and
open invoices are settled in set-based statements whatever their number (docs/performance.md,
"Payment notifications"). Run without the test's wrapping transaction (transaction=True), so
the statements are those a web process sends (the settlement's post_many takes a savepoint)."""

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler, SQLInsertCompiler, SQLUpdateCompiler
from django.test.utils import CaptureQueriesContext

from hutor.core.money import Money
from hutor.invoices.actions import InvoiceDraft, LineDraft, issue_invoices
from hutor.invoices.models import InvoiceKind, InvoiceStatus, LineKind
from hutor.ledger import actions as ledger
from hutor.ledger import checks
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry
from hutor.notifications.models import OutboxEmail
from hutor.payments.actions import start_top_up
from hutor.payments.gateways import demo
from hutor.payments.models import PaymentStatus

pytestmark = pytest.mark.django_db(transaction=True)

# What this path reached (SQLite and PostgreSQL alike); a change that adds a statement fails here.
CREDIT_QUERIES = 13  # SQLite 13 too: no row lock to take, but the postings and balances apart
REPLAY_QUERIES = 2  # the view's payment method, then the payment's state (by hand)
SETTLE_EXTRA = 19  # paying open invoices: the same statements for 1 and for 3 ...
PER_INVOICE = 3  # ... but for services' receiver of invoice_paid (apply_paid_invoice), each
FISCAL = 1  # with the provider's requisites set, fiscal asks for its cash register


def notify(client, payment, transaction_id=None):
    data = {
        "payment": payment.number,
        "amount": f"{payment.amount:.2f}",
        "currency": payment.currency,
        "transaction": transaction_id or f"T-{payment.number}",
        "status": "paid",
    }
    data["signature"] = demo.sign("demo-secret", data)
    return client.post(f"/pay/{payment.method.slug}/result/", data)


def statements(captured: CaptureQueriesContext) -> list[str]:
    """The statements sent, without the transaction's own BEGIN and COMMIT (SQLite's driver
    shows them, psycopg's does not)."""
    sql = [query["sql"] for query in captured.captured_queries]
    return [s for s in sql if s.split()[0] not in {"BEGIN", "COMMIT"}]


def writes(sql: list[str]) -> list[str]:
    return [s for s in sql if s.split()[0] in {"INSERT", "UPDATE", "DELETE"}]


@pytest.fixture
def account(account_factory, payment_methods, client):
    account = account_factory()
    # The first credit of a method and a customer creates their ledger accounts: not measured.
    first = start_top_up(billing_account=account, method=payment_methods.demo, amount=Money("100"))
    assert notify(client, first).status_code == 200
    return account


def top_up(account, payment_methods, amount):
    return start_top_up(billing_account=account, method=payment_methods.demo, amount=Money(amount))


def test_a_credit_is_a_fixed_number_of_statements_with_no_savepoint(
    client, account, payment_methods
):
    payment = top_up(account, payment_methods, "700.00")
    with CaptureQueriesContext(connection) as captured:
        answer = notify(client, payment)
    assert answer.status_code == 200 and answer.content == b"OK"
    sql = statements(captured)
    assert len(sql) <= CREDIT_QUERIES, "\n".join(sql)
    assert not any(s.startswith("SAVEPOINT") for s in sql)
    if connection.features.has_select_for_update:
        # The method's clearing account, which every credit writes, is written last
        # (ledger.deferred): its row is held from there to the commit only.
        assert sql[-1].startswith('UPDATE "ledger_ledgeraccount" SET balance = balance +'), sql[-1]
        assert sum("ledger_ledgeraccount" in s for s in sql) == 3  # locked, written, last
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert ledger_queries.balance(account) == Money("800.00")
    assert OutboxEmail.objects.filter(key=f"payment-credited:{payment.number}").count() == 1
    assert checks.run().ok


@pytest.fixture
def orm_statements(monkeypatch):
    """The statements the ORM's compilers build meanwhile (Django's, watched, not replaced)."""
    built: list[str] = []
    for compiler in (SQLCompiler, SQLInsertCompiler, SQLUpdateCompiler):

        def as_sql(self, *args, _original=compiler.as_sql, **kwargs):
            sql = _original(self, *args, **kwargs)
            built.append(type(self).__name__)
            return sql

        monkeypatch.setattr(compiler, "as_sql", as_sql)
    return built


def test_a_credit_and_its_replay_build_no_statement_through_the_orm(
    client, account, payment_methods, orm_statements
):
    """Every statement of a credit without open invoices, and of its replay, is written by
    hand in the app that owns its table (core.statements): none is built by the ORM."""
    payment = top_up(account, payment_methods, "700.00")
    assert orm_statements  # start_top_up goes through the ORM
    orm_statements.clear()
    assert notify(client, payment).status_code == 200
    assert notify(client, payment).status_code == 200
    assert orm_statements == []
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_a_replay_is_one_query_after_the_method_and_writes_nothing(
    client, account, payment_methods
):
    payment = top_up(account, payment_methods, "700.00")
    assert notify(client, payment).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        replay = notify(client, payment)
    assert replay.status_code == 200 and replay.content == b"OK"
    sql = statements(captured)
    assert len(sql) <= REPLAY_QUERIES, "\n".join(sql)
    assert not writes(sql)
    assert ledger_queries.balance(account) == Money("800.00")
    assert JournalEntry.objects.filter(kind="top_up").count() == 2


def issue(account, *amounts):
    return issue_invoices(
        drafts=[
            InvoiceDraft(
                billing_account=account,
                kind=InvoiceKind.ORDER,
                lines=[
                    LineDraft(
                        kind=LineKind.SETUP,
                        service=None,
                        service_type_code="hosting",
                        description_ru="Строка",
                        description_en="Line",
                        amount=Money(amount),
                    )
                ],
            )
            for amount in amounts
        ]
    )


@pytest.mark.parametrize("covered", [1, 3])
def test_open_invoices_are_settled_in_the_same_statements_whatever_their_number(
    client, account, payment_methods, provider, covered
):
    """The top-up covers `covered` open invoices, oldest first; the next one waits for more."""
    invoices = issue(account, *(["200.00"] * covered), "5000.00")
    ledger.revenue_account("hosting", "RUB")  # made by the first settlement ever: not measured
    payment = top_up(account, payment_methods, f"{200 * covered - 100}.00")  # + 100 on balance
    with CaptureQueriesContext(connection) as captured:
        assert notify(client, payment).status_code == 200
    sql = statements(captured)
    most = CREDIT_QUERIES + FISCAL + SETTLE_EXTRA + PER_INVOICE * (covered - 1)
    assert len(sql) <= most, "\n".join(sql)
    assert sum(s.startswith("SAVEPOINT") for s in sql) == 1  # the settlement's post_many
    for invoice in invoices:
        invoice.refresh_from_db()
    assert [i.status for i in invoices] == [InvoiceStatus.PAID] * covered + [InvoiceStatus.UNPAID]
    assert ledger_queries.balance(account) == Money("0.00")
    paid = {f"invoice-paid:{i.number}" for i in invoices[:covered]}
    assert (
        set(OutboxEmail.objects.filter(template="invoice_paid").values_list("key", flat=True))
        == paid
    )
    # Paid before their "issued" email went out: announced once, as paid.
    issued = OutboxEmail.objects.filter(template="invoice_issued").values_list("key", flat=True)
    assert list(issued) == [f"invoice-issued:{invoices[-1].number}"]
    credited = OutboxEmail.objects.get(key=f"payment-credited:{payment.number}")
    assert credited.params["invoices"] == [i.number for i in invoices[:covered]]
    assert checks.run().ok


def test_a_transaction_already_credited_to_another_payment_is_refused_and_moves_nothing(
    client, account, payment_methods
):
    first, second = (top_up(account, payment_methods, "700.00") for _ in range(2))
    assert notify(client, first, "T-same").status_code == 200
    refused = notify(client, second, "T-same")
    assert refused.status_code == 400
    second.refresh_from_db()
    assert second.status == PaymentStatus.PENDING
    assert ledger_queries.balance(account) == Money("800.00")
    assert checks.run().ok
