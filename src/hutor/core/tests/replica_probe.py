"""Run by test_replica.py in its own process, with DATABASE_URL on the test's primary and
DATABASE_REPLICA_URL on its streaming replica: drives the desk's search and a payment
notification through Django's test client and prints what it saw as JSON.

Not a test module (no test_ prefix): it needs a database that the test started, migrated and
replicated, which pytest's own database setup does not give."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import django

django.setup()

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from hutor.accounts.actions import open_billing_account  # noqa: E402
from hutor.accounts.models import User  # noqa: E402
from hutor.backoffice.models import Role, StaffProfile  # noqa: E402
from hutor.backoffice.tests.conftest import desk_session  # noqa: E402
from hutor.core.money import Money  # noqa: E402
from hutor.payments.actions import start_top_up  # noqa: E402
from hutor.payments.gateways import demo  # noqa: E402
from hutor.payments.models import Gateway, Payment, PaymentMethod  # noqa: E402


def replica_sql(sql: str) -> object:
    with connections["replica"].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def caught_up() -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    for _ in range(300):
        if replica_sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            return
        time.sleep(0.1)
    raise AssertionError("the replica did not catch up in 30 s")


def searched(client: Client, number: str) -> dict:
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = client.get("/desk/", {"q": number})
    return {
        "status": response.status_code,
        "location": response.get("Location", ""),
        "replica_queries": len(on_replica.captured_queries),
    }


def main() -> None:
    seen: dict = {"in_recovery": replica_sql("SELECT pg_is_in_recovery()")}
    user = User.objects.create_user(
        email="support@staff.example", password="x", full_name="Support", is_staff=True
    )
    StaffProfile.objects.create(user=user, role=Role.SUPPORT)
    TOTP.activate(user, generate_totp_secret())
    client = desk_session(Client(), user)
    first = open_billing_account(email="first@example.com", name="First Ltd")
    caught_up()
    seen["first"] = {"number": first.number, **searched(client, first.number)}

    # Replay paused: the primary goes on, the replica stands still (a lagging replica).
    replica_sql("SELECT pg_wal_replay_pause()::text")
    second = open_billing_account(email="second@example.com", name="Second Ltd")
    seen["second_paused"] = {"number": second.number, **searched(client, second.number)}
    seen["second_page"] = client.get(f"/desk/accounts/{second.number}/").status_code

    # A payment notification while the replica is paused: credited on the primary alone.
    method = PaymentMethod.objects.create(
        slug="demo", gateway=Gateway.DEMO, name_ru="Демо", name_en="Demo",
        settings={"secret": "demo-secret"}, is_test_mode=True,
    )  # fmt: skip
    payment = start_top_up(
        billing_account=second, method=method, amount=Money(Decimal("500.00"), "RUB")
    )
    data = {
        "payment": payment.number,
        "amount": "500.00",
        "currency": "RUB",
        "transaction": "tx-replica-1",
        "status": "paid",
    }
    data["signature"] = demo.sign("demo-secret", data)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        paid = Client().post("/pay/demo/result/", data)
    payment.refresh_from_db()
    seen["payment"] = {
        "status": paid.status_code,
        "payment_status": payment.status,
        "replica_queries": len(on_replica.captured_queries),
    }
    replica_sql("SELECT pg_wal_replay_resume()::text")
    caught_up()
    seen["second_replayed"] = {"number": second.number, **searched(client, second.number)}
    seen["payment_on_replica"] = replica_sql(
        f"SELECT status FROM payments_payment WHERE number = '{payment.number}'"
    )
    seen["payments_on_primary"] = Payment.objects.filter(status="succeeded").count()
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
