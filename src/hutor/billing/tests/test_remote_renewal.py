"""A paid renewal renews on the remote side too where the module keeps its own expiry (a
registrar, a CA): a `renew` task carrying the years paid and the expiry billing believed in,
queued in the settling transaction, by the single path (a payment settling the invoice) and by
the billing run's bulk path alike; a hosting module that declares no renew gets no task."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction

from hutor.billing.run import run_billing
from hutor.services import lifecycle, provisioning
from hutor.services.actions import renew
from hutor.services.models import ProvisioningTask
from hutor.services.provisioning import ProvisioningModule, ProvisioningResult
from hutor.services.tasks import run_due_tasks

pytestmark = pytest.mark.django_db

PAID_UNTIL = dt.date(2027, 5, 1)


class Registry(ProvisioningModule):
    """A registry that keeps each domain's expiry and extends it on renew."""

    name = "test-registry"
    capabilities = frozenset({"create", "renew"})
    expiry: dict[str, dt.date] = {}

    def create(self, ctx):
        return ProvisioningResult(done=True)

    def renew(self, ctx):
        name = ctx.service.identifier
        current = Registry.expiry[name]
        assert ctx.operation_params["expires_on"] == current.isoformat()  # EPP's curExpDate
        years = int(ctx.operation_params["years"])
        Registry.expiry[name] = current.replace(year=current.year + years)
        return ProvisioningResult(done=True, note=f"renewed for {years} y")


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setitem(provisioning.MODULES, "test-registry", Registry)
    Registry.expiry = {}
    return Registry


@pytest.fixture
def domain(registry, catalog, account_factory, active_service, top_up):
    account = account_factory()
    service = active_service(
        account, catalog.ru, months=12, paid_until=PAID_UNTIL, identifier="romashka.ru"
    )
    service.provisioning_module = "test-registry"
    service.save(update_fields=["provisioning_module"])
    registry.expiry["romashka.ru"] = PAID_UNTIL
    hosting = active_service(account, catalog.start, paid_until=PAID_UNTIL)
    top_up(account, "5000.00")
    return service, hosting


@pytest.mark.parametrize("batch_size", [None, 1])
def test_the_billing_run_renews_a_domain_at_the_registry_and_nothing_else(domain, batch_size):
    service, hosting = domain
    with time_machine.travel(dt.datetime(2027, 4, 10, 9, 0, tzinfo=dt.UTC), tick=False):
        run_billing(batch_size=batch_size)
        service.refresh_from_db()
        assert service.paid_until == dt.date(2028, 5, 1)
        task = ProvisioningTask.objects.get(service=service)
        assert (task.operation, task.module, task.params) == (
            "renew",
            "test-registry",
            {"months": "12", "years": "1", "expires_on": "2027-05-01"},
        )
        assert not ProvisioningTask.objects.filter(service=hosting, operation="renew").exists()
        assert run_due_tasks().done == 1
    task.refresh_from_db()
    assert (task.status, task.note) == ("done", "renewed for 1 y")
    assert Registry.expiry["romashka.ru"] == service.paid_until


def test_an_expired_domain_paid_again_is_restored_and_renewed_at_the_registry(
    domain, catalog, top_up
):
    service, _hosting = domain
    with time_machine.travel(dt.datetime(2027, 5, 3, 9, 0, tzinfo=dt.UTC), tick=False):
        with transaction.atomic():
            lifecycle.move(lifecycle.lock(service), "expire", actor="system")
        invoice = renew(service=service, price=catalog.price(catalog.ru, 12))
        invoice.refresh_from_db()
        if invoice.status != "paid":  # the balance settles it at once, or a top-up does
            top_up(service.billing_account, "1000.00")
        service.refresh_from_db()
        assert service.status == "active"
        operations = list(
            ProvisioningTask.objects.filter(service=service)
            .order_by("pk")
            .values_list("operation", flat=True)
        )
        assert operations == ["unsuspend", "renew"]
        renewal = ProvisioningTask.objects.get(service=service, operation="renew")
        assert renewal.params["expires_on"] == "2027-05-01"
        # In the order queued: the renewal waits for the unsuspend before it.
        assert run_due_tasks().done + run_due_tasks().done == 2
    assert Registry.expiry["romashka.ru"] == dt.date(2028, 5, 1)


@pytest.mark.parametrize("batch_size", [None, 1])
def test_a_zone_with_days_of_its_own_is_invoiced_that_early(
    catalog, account_factory, active_service, batch_size
):
    """A zone's tariff may issue its renewal invoice earlier than its service type (the
    registry expires domains before paid-until, or locks transfers near expiry)."""
    from hutor.catalog.models import Tariff
    from hutor.invoices.models import InvoiceLine

    Tariff.objects.filter(pk=catalog.ru.pk).update(renew_days_before=60)
    account = account_factory()
    until = dt.date(2027, 4, 15)  # 45 days after the run's day
    ru = active_service(account, catalog.ru, months=12, paid_until=until, identifier="a.ru")
    rf = active_service(account, catalog.rf, months=12, paid_until=until, identifier="a.рф")
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        run_billing(batch_size=batch_size)
    assert InvoiceLine.objects.filter(service=ru).exists()  # within the zone's own 60 days
    assert not InvoiceLine.objects.filter(service=rf).exists()  # the type's 30: not yet
