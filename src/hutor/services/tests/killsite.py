"""The killed-worker test's child side: `python -m hutor.services.tests.killsite populate
SCRIPTS | report` against the database of the environment (a file-based SQLite in the test's
tmp_path).

populate: a hosting tariff provisioned by the "script" module with the provider's script in
SCRIPTS, and a customer whose order is paid: its create task is queued. report: prints the
service's tasks and emails as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def populate(scripts: Path) -> None:
    from hutor.accounts.actions import open_billing_account
    from hutor.catalog.models import IdentifierKind, ServiceType, Tariff, TariffPrice
    from hutor.core.models import Provider
    from hutor.core.money import Money
    from hutor.invoices.actions import settle_open_invoices
    from hutor.ledger import actions as ledger
    from hutor.ledger.models import EntryKind
    from hutor.servers import actions as servers
    from hutor.services.actions import place_order

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
    group = servers.add_group(code="scripted", name="Scripted hosting")
    servers.add_server(
        name="script1",
        group=group,
        module="script",
        host="localhost",
        username="billing",
        password="script-token",
        settings={"executable": str(scripts / "hosting.py"), "timeout": 900},
    )
    hosting = ServiceType.objects.create(
        code="hosting", name_ru="Хостинг", name_en="Hosting", identifier_kind=IdentifierKind.DOMAIN
    )
    start = Tariff.objects.create(
        service_type=hosting,
        code="start",
        name_ru="Старт",
        name_en="Start",
        server_group=group,
        module_params={"plan": "basic"},
    )
    price = TariffPrice.objects.create(tariff=start, period_months=1, price="199.00")
    account = open_billing_account(email="olga@example.com", name="Ольга", notify=False)
    place_order(billing_account=account, price=price, identifier="romashka.ru")
    money = Money("199.00")
    ledger.post(
        lines=[
            (ledger.clearing_account("test", "RUB"), -money),
            (ledger.customer_account(account), money),
        ],
        kind=EntryKind.TOP_UP,
        reference="T1",
        billing_account=account,
    )
    settle_open_invoices(billing_account=account)  # the order is paid: its create is queued


def report() -> dict:
    from hutor.notifications.models import OutboxEmail
    from hutor.services.models import ProvisioningTask, Service

    service = Service.objects.get()
    return {
        "status": service.status,
        "remote_id": service.remote_id,
        "tasks": list(
            ProvisioningTask.objects.order_by("pk").values("pk", "operation", "status", "attempts")
        ),
        "ready_emails": OutboxEmail.objects.filter(template="service_ready").count(),
    }


def lapse_leases() -> None:
    """The lease a dead worker held runs out (what ten minutes of waiting would do)."""
    import datetime as dt

    from hutor.core import clock
    from hutor.services.models import ProvisioningTask

    ProvisioningTask.objects.filter(status="running").update(
        next_attempt_at=clock.now() - dt.timedelta(seconds=1)
    )


if __name__ == "__main__":
    import django

    django.setup()
    command = sys.argv[1]
    if command == "populate":
        populate(Path(sys.argv[2]))
    elif command == "lapse":
        lapse_leases()
    else:
        print(json.dumps(report()))
