"""A year of a small provider's business on top of the demo, written through Hutor's own actions
with the clock moved a day at a time: run as a script (`python year_of_business.py`) against the
database of DATABASE_URL, which must already hold the demo (`hutor demo`).

Every week a new customer (individuals and companies in turn) orders monthly hosting and pays
the order through the demo payment service; paying customers top up each month so that the
daily run renews their hosting from the balance; every fourth customer stops paying after two
months and is suspended, then terminated; each day runs the billing run (with its closing step
on the 1st), the due provisioning tasks and the outbox, as `hutor worker` would. The result is
what `migrate-database` must carry across: accounts, orders, payments, renewals, reminders,
suspensions, terminations, paid periods, closing documents and the emails about them.

Prints one JSON line with what it made. Used by test_move_year.py (slow).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from decimal import Decimal
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hutor.settings")

import django

django.setup()

from hutor.accounts.actions import open_billing_account  # noqa: E402
from hutor.billing.run import run_billing  # noqa: E402
from hutor.catalog.models import TariffPrice  # noqa: E402
from hutor.core import clock  # noqa: E402
from hutor.core.money import Money  # noqa: E402
from hutor.notifications.actions import deliver_due  # noqa: E402
from hutor.payments.actions import credit_payment, start_invoice_payment, start_top_up  # noqa: E402
from hutor.payments.models import PaymentMethod  # noqa: E402
from hutor.services.orders import order_invoice, place_order  # noqa: E402
from hutor.services.tasks import run_due_tasks  # noqa: E402

START = dt.date(2026, 1, 5)
DAYS = 365
COMPANY_INN = "7736207543"  # a valid company INN (check digit), shared by the made-up companies


def main() -> None:
    demo = PaymentMethod.objects.get(slug="demo")
    price = (
        TariffPrice.objects.filter(
            tariff__service_type__code="hosting", period_months=1, is_active=True
        )
        .order_by("price")
        .first()
    )
    if price is None:
        sys.exit("the demo's monthly hosting price is missing: run `hutor demo` first")
    customers: list[tuple[Any, int]] = []  # (billing account, the day it joined)
    made = {"customers": 0, "orders": 0, "payments": 0, "runs": 0}

    def pay(payment, day: int, what: str) -> None:
        credit_payment(
            payment=payment, transaction_id=f"year-{what}-{day}-{payment.pk}", amount=payment.money
        )
        made["payments"] += 1

    for day in range(DAYS):
        today = START + dt.timedelta(days=day)
        with clock.travel(dt.datetime.combine(today, dt.time(10))):
            if day % 7 == 0:
                n = made["customers"]
                company = n % 2 == 1
                account = open_billing_account(
                    email=f"year{n}@example.com",
                    name=f"ООО «Год {n}»" if company else f"Клиент {n}",
                    kind="company" if company else "individual",
                    inn=COMPANY_INN if company else "",
                    kpp="773601001" if company else "",
                    address="г. Москва, ул. Годовая, д. 1",
                )
                service = place_order(
                    billing_account=account, price=price, identifier=f"year{n}.ru"
                )
                invoice = order_invoice(service)
                payment = invoice and start_invoice_payment(invoice=invoice, method=demo)
                if payment is not None:
                    pay(payment, day, "order")
                customers.append((account, day))
                made["customers"] += 1
                made["orders"] += 1
            for n, (account, joined) in enumerate(customers):
                stops = n % 4 == 3 and day - joined > 60
                if (day - joined) % 30 == 20 and not stops:
                    amount = Money(price.price + Decimal("50.00"), price.currency)
                    pay(
                        start_top_up(billing_account=account, method=demo, amount=amount),
                        day,
                        "top-up",
                    )
        run = run_billing(date=today)
        made["runs"] += 1
        if run.error_count:
            sys.exit(f"the billing run of {today} failed: {run.errors}")
        with clock.travel(dt.datetime.combine(today, dt.time(11))):
            while run_due_tasks():
                pass
            while deliver_due().sent:
                pass
    print(json.dumps(made))


if __name__ == "__main__":
    main()
