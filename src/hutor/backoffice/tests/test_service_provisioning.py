"""The desk's service page and a service on its server (issue 13): the server, remote id, state
of the creation and the task history; staff create it again after fixing the cause, ask the
server for its state now, and open its control panel as the customer. Driven through HTTP with
the "script" module running a real provider's script (hosting.py)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from hutor.backoffice.models import AuditEntry, Role
from hutor.backoffice.tests.conftest import desk_session
from hutor.core.money import Money
from hutor.panel.tests.test_service_access import script_hosting
from hutor.payments.actions import credit_payment, start_top_up
from hutor.services.actions import place_order
from hutor.services.models import ProvisioningStatus, Service

pytestmark = pytest.mark.django_db


def worker() -> None:
    call_command("worker", "--once", stdout=io.StringIO())


def scripted_service(world, tmp_path) -> Service:
    """A paid hosting "s.ru" of the world's customer on tariff "pro", created by hosting.py."""
    script_hosting(tmp_path / "scripts", world.catalog, tariff=world.catalog.pro)
    price = world.catalog.price(world.catalog.pro, 1)
    service = place_order(billing_account=world.account, price=price, identifier="s.ru")
    payment = start_top_up(
        billing_account=world.account, method=world.methods.demo, amount=Money("999")
    )
    credit_payment(payment=payment, transaction_id="demo-txn-scripted", amount=payment.money)
    worker()
    return service


@pytest.fixture
def refused(tmp_path, catalog, account_factory, top_up) -> tuple[Service, object]:
    """A paid hosting whose creation the provider's script refused (the domain is taken)."""
    folder = tmp_path / "scripts"
    script_hosting(folder, catalog)
    account = account_factory()
    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="taken.ru"
    )
    top_up(account, "199.00")
    worker()
    return Service.objects.get(pk=service.pk), folder


def desk(staff_factory, role: str) -> Client:
    client = desk_session(Client(headers={"accept-language": "en"}), staff_factory(role))
    return client


def test_the_page_shows_the_server_the_state_and_the_task_history(refused, staff_factory):
    service, _folder = refused
    url = reverse("desk:service", args=[service.pk])
    html = desk(staff_factory, Role.SUPPORT).get(url).content.decode()
    assert "script1" in html and "Needs attention" in html
    assert "domain taken.ru is hosted by another customer" in html  # the last error
    assert 'data-testid="task-row"' in html
    assert reverse("desk:service_rerun_create", args=[service.pk]) not in html  # support
    html = desk(staff_factory, Role.SALES).get(url).content.decode()
    assert reverse("desk:service_rerun_create", args=[service.pk]) in html


def test_staff_create_it_again_after_fixing_the_cause(refused, staff_factory):
    service, folder = refused
    client = desk(staff_factory, Role.SALES)
    rerun = reverse("desk:service_rerun_create", args=[service.pk])
    assert client.post(rerun, {"reason": ""}).status_code == 200  # a reason is required
    assert not AuditEntry.objects.exists()
    # The provider frees the name on the server; staff queue the creation again.
    script = folder / "hosting.py"
    script.write_text(script.read_text().replace('"taken.ru"', '"nobody.example"'))
    response = client.post(rerun, {"reason": "Domain freed on the server"})
    assert response.status_code == 302
    # Queued once: a second click is refused while the task waits for the worker.
    response = client.post(rerun, {"reason": "Again"})
    assert "still queued or running" in response.content.decode()
    worker()
    service.refresh_from_db()
    # The failed create itself went back to the worker: no dead letter is left to retry.
    assert [t.status for t in service.provisioning.all()] == [ProvisioningStatus.DONE]
    assert service.remote_id == f"u{service.pk}"
    queue = client.get(reverse("desk:queue")).content.decode()
    assert "hosted by another customer" not in queue
    entry = AuditEntry.objects.get()
    assert entry.action == "service.rerun_create" and entry.reason == "Domain freed on the server"
    assert "hosted by another customer" in entry.changes["last_error"]
    html = client.get(reverse("desk:service", args=[service.pk])).content.decode()
    assert "Set up" in html and f"u{service.pk}" in html

    # Sync now: the server's answer as a message, nothing written.
    response = client.post(reverse("desk:service_sync", args=[service.pk]), follow=True)
    assert "The server says: active. Usage: disk_mb 120." in response.content.decode()
    assert client.get(reverse("desk:service_sync", args=[service.pk])).status_code == 405

    # Open in the control panel: a reason, an audit entry, then the single sign-on link.
    panel = reverse("desk:service_control_panel", args=[service.pk])
    assert panel in html
    assert client.get(panel).status_code == 200
    response = client.post(panel, {"reason": "Ticket 7781: mail settings"})
    assert response["Location"] == f"https://panel.example.net/login?user=u{service.pk}"
    entry = AuditEntry.objects.order_by("-id")[0]
    assert entry.action == "service.control_panel" and entry.object_id == str(service.pk)


def test_a_server_that_fails_is_a_message_not_an_error_page(refused, staff_factory):
    service, folder = refused
    (folder / "hosting.py").write_text("#!/bin/sh\necho 'panel down' >&2\nexit 3\n")
    client = desk(staff_factory, Role.ADMIN)
    response = client.post(reverse("desk:service_sync", args=[service.pk]), follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "did not answer as expected" in html and "panel down" in html  # staff see why
    # No login link for a service that is not set up: the form says so, nothing is audited.
    response = client.post(
        reverse("desk:service_control_panel", args=[service.pk]), {"reason": "Look"}
    )
    assert response.status_code == 200 and "still being set up" in response.content.decode()
    assert not AuditEntry.objects.exists()
