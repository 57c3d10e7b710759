"""The crash test's child side: `python -m hutor.billing.tests.crashsite populate|verify DATE`
against the database of the environment (a file-based SQLite in the test's tmp_path).

populate: a catalog, 150 customers and 200 services in every state the run handles, the state
of the day before (a run five days earlier), and the work expected on DATE, written to
expected.json beside the database. verify: prints a JSON report of what the runs on DATE did.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any


def populate(day: dt.date, folder: Path) -> None:
    from hutor.accounts.actions import open_billing_account
    from hutor.billing.renewals import due_services
    from hutor.billing.run import run_billing
    from hutor.billing.tests.helpers import active_service
    from hutor.catalog.models import BillingUnit, IdentifierKind, ServiceType, Tariff, TariffPrice
    from hutor.core import clock
    from hutor.core.models import Provider
    from hutor.core.money import Money
    from hutor.ledger import actions as ledger
    from hutor.ledger.models import EntryKind
    from hutor.payments.actions import start_top_up
    from hutor.payments.models import PaymentMethod
    from hutor.services.actions import place_order
    from hutor.services.models import ServiceStatus

    Provider.objects.create(
        pk=1,
        legal_name="ООО «Тест»",
        short_name="Тест",
        inn="7707083893",
        kpp="773601001",
        address="Москва",
        bank_name="ПАО Сбербанк",
        bik="044525225",
        correspondent_account="30101810400000000225",
        settlement_account="40702810938000000001",
    )
    hosting = ServiceType.objects.create(
        code="hosting", name_ru="Хостинг", name_en="Hosting", identifier_kind=IdentifierKind.DOMAIN
    )
    domain = ServiceType.objects.create(
        code="domain",
        name_ru="Домены",
        name_en="Domains",
        identifier_kind=IdentifierKind.DOMAIN,
        billing_unit=BillingUnit.YEAR,
    )
    start = Tariff.objects.create(
        service_type=hosting, code="start", name_ru="Старт", name_en="Start"
    )
    ru = Tariff.objects.create(
        service_type=domain, code="ru", name_ru=".ru", name_en=".ru", domain_zone="ru"
    )
    TariffPrice.objects.create(tariff=start, period_months=1, price="199.00")
    order_price = TariffPrice.objects.create(tariff=start, period_months=3, price="549.00")
    TariffPrice.objects.create(tariff=ru, period_months=12, price="199.00")
    method = PaymentMethod.objects.create(
        slug="demo", gateway="demo", name_ru="Демо", name_en="Demo", settings={"secret": "s"}
    )

    with clock.travel(day - dt.timedelta(days=14)):
        accounts = [
            open_billing_account(email=f"c{n}@example.com", name=f"C {n}", notify=False)
            for n in range(170)
        ]
        for n, account in enumerate(accounts[:150]):
            if n % 3:
                amount = Money(f"{199 * (n % 3)}.00")
                ledger.post(
                    lines=[
                        (ledger.clearing_account("test", "RUB"), -amount),
                        (ledger.customer_account(account), amount),
                    ],
                    kind=EntryKind.TOP_UP,
                    reference=f"T{n}",
                    billing_account=account,
                )
        for n, account in enumerate(accounts[150:]):  # 20 orders never paid
            place_order(billing_account=account, price=order_price, identifier=f"order{n}.ru")
        for n in range(200):
            account = accounts[n % 150]
            kind = n % 10
            name = f"s{n}.ru"
            if kind <= 5:  # due on the day (some already invoiced five days before)
                paid_until = day + dt.timedelta(days=n % 9 - 1)
                active_service(account, start, months=1, paid_until=paid_until, identifier=name)
            elif kind == 6:  # not renewed: suspended on the day
                paid_until = day - dt.timedelta(days=3 + n % 3)
                active_service(
                    account,
                    start,
                    months=1,
                    paid_until=paid_until,
                    identifier=name,
                    auto_renew=False,
                )
            elif kind == 7:  # suspended a month ago: terminated on the day
                active_service(
                    account,
                    start,
                    months=1,
                    paid_until=day - dt.timedelta(days=40),
                    identifier=name,
                    auto_renew=False,
                    status=ServiceStatus.SUSPENDED,
                    lapsed_on=day - dt.timedelta(days=30 + n % 2),
                )
            elif kind == 8:  # domains: some expire on the day, some are due
                paid_until = day + dt.timedelta(days=n % 12 - 5)
                active_service(account, ru, months=12, paid_until=paid_until, identifier=name)
            else:  # hosting due later: nothing on the day
                paid_until = day + dt.timedelta(days=20)
                active_service(account, start, months=1, paid_until=paid_until, identifier=name)
    with clock.travel(day - dt.timedelta(days=3)):
        for account in accounts[:10]:
            start_top_up(billing_account=account, method=method, amount=Money("500.00"))
    run = run_billing(date=day - dt.timedelta(days=5))
    assert run.status == "done" and not run.error_count, run.errors
    with clock.travel(day):
        expected = sorted(
            [pk, str(paid_until)]
            for pk, paid_until in due_services(day).values_list("pk", "paid_until")
        )
    (folder / "expected.json").write_text(json.dumps({"renewals": expected}))


def verify(day: dt.date, folder: Path) -> dict[str, Any]:
    from django.db.models import Count

    from hutor.billing.calculations import reminder_offset
    from hutor.billing.models import BillingRun, Renewal
    from hutor.billing.renewals import due_services
    from hutor.invoices.models import Invoice, InvoiceStatus
    from hutor.ledger import checks
    from hutor.notifications.models import OutboxEmail
    from hutor.payments.models import Payment
    from hutor.services.models import ProvisioningTask, Service

    expected = {
        (pk, paid_until)
        for pk, paid_until in json.loads((folder / "expected.json").read_text())["renewals"]
    }
    renewals = Renewal.objects.filter(invoice__issue_date=day).select_related("invoice")
    made = {(r.service_id, str(r.period_start)) for r in renewals}
    numbers = sorted(
        int(n.split("-")[1])
        for n in Invoice.objects.filter(number__startswith=f"{day.year % 100:02d}-").values_list(
            "number", flat=True
        )
    )
    wrong_extensions = [
        r.service_id
        for r in renewals
        if r.invoice.status == InvoiceStatus.PAID
        and Service.objects.get(pk=r.service_id).paid_until != r.invoice.lines.get().period_end
    ]
    expected_reminders = set()
    for invoice in Invoice.objects.filter(status=InvoiceStatus.UNPAID, issue_date__lt=day):
        offset = reminder_offset(
            today=day, issue_date=invoice.issue_date, due_date=invoice.due_date, offsets=[-3, 0, 3]
        )
        if offset is not None:
            expected_reminders.add(f"reminder:{invoice.number}:{offset}")
    reminders_today = set(
        OutboxEmail.objects.filter(
            template="invoice_reminder", key__in=expected_reminders
        ).values_list("key", flat=True)
    )
    task_duplicates = (
        ProvisioningTask.objects.values("service_id", "operation")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    report = checks.run()
    last = BillingRun.objects.filter(dry_run=False).latest("pk")
    with __import__("hutor.core.clock", fromlist=["travel"]).travel(day):
        due_left = due_services(day).count()
    return {
        "renewals_expected": len(expected),
        "renewals_missing": sorted(expected - made),
        "renewals_unexpected": sorted(made - expected),
        "due_left": due_left,
        "numbers_contiguous": numbers == list(range(1, len(numbers) + 1)),
        "wrong_extensions": wrong_extensions,
        "reminders_expected": len(expected_reminders),
        "reminders_missing": sorted(expected_reminders - reminders_today),
        "reminder_rows": OutboxEmail.objects.filter(template="invoice_reminder").count(),
        "task_duplicates": task_duplicates,
        "suspended": Service.objects.filter(status="suspended").count(),
        "terminated": Service.objects.filter(status="terminated").count(),
        "expired": Service.objects.filter(status="expired").count(),
        "cancelled": Service.objects.filter(status="cancelled").count(),
        "payments_pending": Payment.objects.filter(status="pending").count(),
        "ledger_ok": report.ok,
        "ledger_violations": [v.invariant for v in report.violations],
        "last_run": [last.status, last.error_count],
        "runs": BillingRun.objects.count(),
        "interrupted": BillingRun.objects.filter(status="interrupted").count(),
    }


def main() -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hutor.settings")
    django.setup()
    action, day = sys.argv[1], dt.date.fromisoformat(sys.argv[2])
    folder = Path(os.environ["HUTOR_VAR_DIR"])
    if action == "populate":
        populate(day, folder)
    else:
        print(json.dumps(verify(day, folder)))


if __name__ == "__main__":
    main()
