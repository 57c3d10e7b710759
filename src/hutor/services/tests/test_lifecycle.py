"""The service lifecycle: one transition table, the only writer of a service's status."""

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.db import transaction

from hutor.billing.actions import terminate_service
from hutor.services import lifecycle
from hutor.services.actions import place_order
from hutor.services.models import EventCode, ProvisioningTask, Service, ServiceEvent, ServiceStatus

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
SRC = Path(__file__).resolve().parents[2]


@pytest.fixture
def service(catalog, account_factory, top_up):
    with time_machine.travel(NOON, tick=False):
        account = account_factory()
        top_up(account, "199.00")
        return place_order(
            billing_account=account, price=catalog.price(catalog.start, 1), identifier="l.ru"
        )


def test_no_module_outside_services_assigns_a_service_status():
    """The grep-able fact of docs/billing-rules.md, kept true by this test."""
    assignment = re.compile(
        r"\.status\s*=\s*ServiceStatus\.|update\([^)]*\bstatus\s*=\s*ServiceStatus\.", re.S
    )
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "services" not in path.relative_to(SRC).parts[:1]
        and "tests" not in path.parts
        and "migrations" not in path.parts
        and assignment.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.parametrize("name", sorted(lifecycle.TRANSITIONS))
@pytest.mark.parametrize("status", [s.value for s in ServiceStatus])
def test_every_transition_starts_only_from_its_sources(service, name, status):
    Service.objects.filter(pk=service.pk).update(status=status)
    transition = lifecycle.TRANSITIONS[name]
    with time_machine.travel(NOON, tick=False), transaction.atomic():
        locked = lifecycle.lock(service)
        if status not in transition.sources:
            with pytest.raises(lifecycle.TransitionNotAllowed):
                lifecycle.move(locked, name, actor=ServiceEvent.Actor.STAFF)
            assert Service.objects.get(pk=service.pk).status == status
            return
        tasks = ProvisioningTask.objects.count()
        changes = lifecycle.move(locked, name, actor=ServiceEvent.Actor.STAFF)
    service.refresh_from_db()
    assert service.status == transition.target
    assert changes["status"] == {"from": status, "to": transition.target}
    assert ProvisioningTask.objects.count() == tasks + (1 if transition.provisioning else 0)
    event = service.events.order_by("-pk").first()
    assert (event.code, event.from_status, event.to_status) == (name, status, transition.target)
    if transition.auto_renew_off:
        assert not service.auto_renew


def test_termination_by_the_daily_run_turns_auto_renew_off(service):
    """Regression: the run's termination left auto-renew on while the desk's turned it off."""
    Service.objects.filter(pk=service.pk).update(
        status=ServiceStatus.SUSPENDED, lapsed_on=dt.date(2026, 10, 1)
    )
    with time_machine.travel(NOON, tick=False):
        assert terminate_service(service_id=service.pk, today=dt.date(2026, 11, 30))
    service.refresh_from_db()
    assert service.status == ServiceStatus.TERMINATED and not service.auto_renew
    event = service.events.get(code=EventCode.TERMINATE)
    assert event.actor == ServiceEvent.Actor.BILLING_RUN


def test_the_auto_renew_switch_is_locked_and_recorded(service):
    with time_machine.travel(NOON, tick=False):
        lifecycle.set_auto_renew(service=service, on=False, actor=ServiceEvent.Actor.CUSTOMER)
        lifecycle.set_auto_renew(service=service, on=False, actor=ServiceEvent.Actor.CUSTOMER)
    service.refresh_from_db()
    assert not service.auto_renew
    assert list(service.events.values_list("code", flat=True)) == [
        EventCode.AUTO_RENEW_OFF,
        EventCode.ACTIVATE,
    ]  # the second switch changed nothing and recorded nothing
    Service.objects.filter(pk=service.pk).update(status=ServiceStatus.TERMINATED)
    with pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.set_auto_renew(service=service, on=True, actor=ServiceEvent.Actor.CUSTOMER)
