"""The customer's service page: what they need to use the service (issue 13).

Driven as in production: an order paid, `hutor worker` running the create task through the
"script" module with a real provider's script (services/provisioning/tests/scripts/hosting.py,
which keeps its accounts in accounts.json beside itself), then the pages through the test
client. The password is shown once, then masked; a reset sets a new one on the server and shows
it once; the control panel's single sign-on link is a POST that redirects to it.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from hutor.catalog.models import Tariff
from hutor.servers import actions as servers
from hutor.services.actions import place_order
from hutor.services.models import ProvisioningStatus, Service

pytestmark = pytest.mark.django_db

SCRIPTS = Path(__file__).resolve().parents[2] / "services" / "provisioning" / "tests" / "scripts"
PASSWORD = "Pass-word-2026"


def script_hosting(folder: Path, catalog, module: str = "script", tariff=None):
    """Tariff "start" (or `tariff`) provisioned on server "script1" by hosting.py copied into
    `folder`."""
    tariff = tariff or catalog.start
    shutil.copytree(SCRIPTS, folder)
    group = servers.add_group(code="scripted", name="Scripted hosting")
    server = servers.add_server(
        name="script1",
        group=group,
        module=module,
        host="localhost",
        username="billing",
        password="script-token",
        settings={"executable": str(folder / "hosting.py"), "timeout": 20},
    )
    Tariff.objects.filter(pk=tariff.pk).update(server_group=group, module_params={"plan": "basic"})
    tariff.refresh_from_db()
    return server


def stored(folder: Path) -> dict:
    path = folder / "accounts.json"
    return json.loads(path.read_text()) if path.exists() else {}


def worker() -> None:
    call_command("worker", "--once", stdout=io.StringIO())


@pytest.fixture
def scripts(tmp_path, catalog) -> Path:
    folder = tmp_path / "scripts"
    script_hosting(folder, catalog)
    return folder


def ordered(catalog, account_factory, identifier: str = "romashka.ru") -> tuple[Service, Client]:
    account = account_factory(password=PASSWORD)
    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier=identifier
    )
    client = Client(headers={"accept-language": "en"})  # the messages below are in English
    client.force_login(account.user)
    return service, client


def page(client: Client, service: Service) -> str:
    response = client.get(reverse("panel:service_detail", args=[service.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_access_details_and_a_password_shown_once(scripts, catalog, account_factory, top_up):
    service, client = ordered(catalog, account_factory)
    assert 'data-testid="service-access"' not in page(client, service)  # not paid yet
    top_up(service.billing_account, "199.00")  # pays the order: the create task is queued
    html = page(client, service)
    assert 'data-testid="service-setting-up"' in html and "service-access" not in html

    worker()
    service.refresh_from_db()
    login = f"u{service.pk}"
    password = service.password.reveal()
    assert stored(scripts)[login]["password"] == password
    response = client.get(reverse("panel:service_detail", args=[service.pk]))
    html = response.content.decode()
    assert 'data-testid="service-access"' in html
    assert login in html and "https://panel.example.net/" in html
    assert password in html  # the first time: shown
    assert "no-store" in response["Cache-Control"]
    assert 'data-testid="service-reset-password"' in html
    assert 'data-testid="service-log-in"' in html
    html = page(client, service)
    assert password not in html and 'data-testid="service-password-masked"' in html
    assert login in html  # the rest stays

    # Reset: a new password on the server, shown once on the page it returns to.
    response = client.post(reverse("panel:service_reset_password", args=[service.pk]))
    assert response.status_code == 302
    service.refresh_from_db()
    new = service.password.reveal()
    assert new != password and stored(scripts)[login]["password"] == new
    html = client.get(response["Location"]).content.decode()
    assert new in html and password not in html
    assert new not in page(client, service)

    # The control panel, by its single sign-on link.
    response = client.post(reverse("panel:service_log_in", args=[service.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"https://panel.example.net/login?user={login}"
    assert client.get(reverse("panel:service_log_in", args=[service.pk])).status_code == 405


def test_a_refused_create_shows_that_staff_are_on_it(scripts, catalog, account_factory, top_up):
    service, client = ordered(catalog, account_factory, identifier="taken.ru")
    top_up(service.billing_account, "199.00")
    worker()
    assert service.provisioning.get().status == ProvisioningStatus.FAILED
    html = page(client, service)
    assert 'data-testid="service-needs-attention"' in html
    assert "hosted by another customer" not in html  # the server's words are for staff
    # Nothing to reset or log in to: a clear message, never an error page.
    for name in ("panel:service_reset_password", "panel:service_log_in"):
        response = client.post(reverse(name, args=[service.pk]), follow=True)
        assert response.status_code == 200
        assert "still being set up" in response.content.decode()


def test_a_failing_reset_keeps_the_password_and_says_so(scripts, catalog, account_factory, top_up):
    service, client = ordered(catalog, account_factory)
    top_up(service.billing_account, "199.00")
    worker()
    service.refresh_from_db()
    password = service.password.reveal()
    page(client, service)  # shown once
    (scripts / "hosting.py").write_text("#!/bin/sh\necho 'panel down' >&2\nexit 3\n")
    response = client.post(reverse("panel:service_reset_password", args=[service.pk]), follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "did not answer as expected" in html and "panel down" not in html
    service.refresh_from_db()
    assert service.password.reveal() == password and service.password_shown_at is not None


def test_a_module_without_reset_or_login_shows_no_buttons(
    tmp_path, catalog, account_factory, top_up
):
    script_hosting(tmp_path / "scripts", catalog, module="log")
    service, client = ordered(catalog, account_factory)
    top_up(service.billing_account, "199.00")
    worker()
    html = page(client, service)
    assert 'data-testid="service-access"' in html
    assert "service-reset-password" not in html and "service-log-in" not in html
    response = client.post(reverse("panel:service_log_in", args=[service.pk]), follow=True)
    assert response.status_code == 200
    assert "not available for this service" in response.content.decode()


def test_name_servers_and_an_ip_are_listed(scripts, catalog, account_factory, top_up):
    script = scripts / "hosting.py"
    script.write_text(
        script.read_text().replace(
            '"panel_url": "https://panel.example.net/"',
            '"panel_url": "https://panel.example.net/", "ip": "192.0.2.10", '
            '"nameservers": ["ns1.example.net", "ns2.example.net"], "vmid": 7',
        )
    )
    service, client = ordered(catalog, account_factory)
    top_up(service.billing_account, "199.00")
    worker()
    html = page(client, service)
    assert '<span class="access-line mono">ns1.example.net</span>' in html
    assert '<span class="access-line mono">ns2.example.net</span>' in html
    assert "192.0.2.10" in html and "Name servers" in html
    assert "vmid" not in html  # for staff


def test_the_ready_email_carries_the_access_details_and_leads_to_the_password_shown_once(
    scripts, catalog, account_factory, top_up, mailoutbox
):
    from hutor.notifications.actions import deliver_due
    from hutor.notifications.models import OutboxEmail
    from hutor.services import access

    service, client = ordered(catalog, account_factory)
    top_up(service.billing_account, "199.00")
    assert not OutboxEmail.objects.filter(template="service_ready").exists()  # not created yet
    worker()  # the create task runs, then the worker delivers the email it queued
    deliver_due()
    service.refresh_from_db()
    password = service.password.reveal()
    (ready,) = [m for m in mailoutbox if "готова" in m.subject]
    assert ready.to == [service.billing_account.contact_email]
    assert "romashka.ru" in ready.subject
    html = ready.alternatives[0][0]
    for text in (ready.body, html):
        assert service.access["login"] in text and "Логин" in text
        assert password not in text  # never in the email
        assert "показан там один раз" in text
        assert reverse("panel:service_detail", args=[service.pk]) in text
    # The link leads to the page that shows the password once.
    assert password in page(client, service) and password not in page(client, service)

    # A create run again by staff sends nothing new.
    with transaction.atomic():
        access.rerun_create(service=service)
    worker()
    deliver_due()
    assert OutboxEmail.objects.filter(template="service_ready").count() == 1


def test_the_ready_email_speaks_english_to_an_english_account(
    scripts, catalog, account_factory, top_up, mailoutbox
):
    from hutor.notifications.actions import deliver_due

    service, _client = ordered(catalog, account_factory)
    type(service.billing_account).objects.filter(pk=service.billing_account_id).update(
        language="en"
    )
    top_up(service.billing_account, "199.00")
    worker()
    deliver_due()
    (ready,) = [m for m in mailoutbox if "is ready" in m.subject]
    assert "Login" in ready.body and "shown there once" in ready.body


def test_control_panel_calls_are_limited_per_service_and_hour(
    scripts, catalog, account_factory, top_up, settings
):
    settings.HUTOR_SERVICE_CALLS_PER_HOUR = 3
    service, client = ordered(catalog, account_factory)
    top_up(service.billing_account, "199.00")
    worker()
    reset = reverse("panel:service_reset_password", args=[service.pk])
    log_in = reverse("panel:service_log_in", args=[service.pk])
    assert client.post(reset).status_code == 302
    assert client.post(log_in)["Location"].startswith("https://panel.example.net/login")
    assert client.post(reset).status_code == 302
    service.refresh_from_db()
    password = service.password.reveal()
    # The fourth call in the hour: said so, nothing called, the password unchanged.
    (scripts / "hosting.py").write_text("#!/bin/sh\necho called >> called.log\nexit 3\n")
    for url in (reset, log_in):
        html = client.post(url, follow=True).content.decode()
        assert "Too many requests to the control panel" in html
    assert not (scripts / "called.log").exists()
    service.refresh_from_db()
    assert service.password.reveal() == password
