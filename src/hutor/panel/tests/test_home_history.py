"""The panel home page does the same work for a customer with thousands of postings as for a
new one: the same queries, and on PostgreSQL none of them reads the postings table (the total
credited is the ledger's cached figure, like the balance)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hutor.core.money import Money
from hutor.ledger import actions as ledger
from hutor.ledger.models import EntryKind

pytestmark = pytest.mark.django_db

PASSWORD = "Pass-word-2026"
HISTORY = 2000  # entries of the long history: 2 postings each on top of the fixtures' own


def history(account, entries: int) -> None:
    """Many small payments and the renewals they paid, through the ledger's batch writer."""
    clearing = ledger.clearing_account("card", account.currency)
    revenue = ledger.revenue_account("hosting", account.currency)
    balance = ledger.customer_account(account)
    one = Money("1.00", account.currency)
    drafts = [
        ledger.EntryDraft(
            lines=[(clearing, -one), (balance, one)]
            if n % 2 == 0
            else [(balance, -one), (revenue, one)],
            kind=EntryKind.TOP_UP if n % 2 == 0 else EntryKind.SETTLEMENT,
            billing_account=account,
        )
        for n in range(entries)
    ]
    ledger.post_many(drafts)


def home_queries(client, account) -> list[str]:
    client.login(email=account.contact_email, password=PASSWORD)
    client.get("/panel/")  # the session's first request may touch more (last login, language)
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/panel/")
    assert page.status_code == 200
    assert account.number in page.content.decode()
    client.logout()
    return [query["sql"] for query in captured.captured_queries]


def test_home_queries_and_plans_do_not_depend_on_the_history(client, account_factory, top_up):
    short = account_factory(password=PASSWORD)
    top_up(short, "10.00")
    long = account_factory(password=PASSWORD)
    top_up(long, "10.00")
    history(long, HISTORY)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE ledger_posting")  # the planner knows the history's size

    few, many = home_queries(client, short), home_queries(client, long)

    assert len(many) == len(few)
    # The page's own reads (each app's fixed statement) are among those counted and explained.
    for table in (
        "ledger_ledgeraccount",
        "services_service",
        "invoices_invoice",
        "payments_paymentmethod",
    ):
        assert [sql for sql in many if table in sql], table
    # No query reads the postings at all (the old "total credited" summed them through the
    # account index: no sequential scan, but its time grew with the history).
    assert not [sql for sql in many if "ledger_posting" in sql]
    client.login(email=long.contact_email, password=PASSWORD)
    total = client.get("/panel/").context["total_credited"]
    assert total == Money(Decimal("10.00") + HISTORY // 2, long.currency)  # 1,000 top-ups of 1.00
    if connection.vendor != "postgresql":
        return
    plans = []
    with connection.cursor() as cursor:
        for sql in many:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN " + sql)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    assert plans, "the page reads something"
    for plan in plans:
        assert "Seq Scan on ledger_posting" not in plan, plan
