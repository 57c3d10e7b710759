"""The Django admin never shows a stored secret: servers are read-only there, a service's
password is masked, and a form left empty keeps the secret it does not show."""

import pytest
from django import forms
from django.urls import reverse

from hutor.core.secrets import MASK
from hutor.servers import actions as servers
from hutor.servers.models import Server
from hutor.services.models import Service
from hutor.services.placement import record_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def server():
    group = servers.add_group(code="g", name="G")
    return servers.add_server(name="s1", group=group, module="log", host="h", password="tok-123")


def test_the_admin_shows_secrets_masked(admin_client, server, catalog, account_factory):
    page = admin_client.get(reverse("admin:servers_server_change", args=[server.pk]))
    assert page.status_code == 200
    assert MASK in page.content.decode() and "tok-123" not in page.content.decode()
    account = account_factory()
    service = Service.objects.create(
        billing_account=account,
        service_type=catalog.hosting,
        tariff=catalog.start,
        period_months=1,
        identifier="a.ru",
        created_at=server.created_at,
        server=server,
    )
    record_result(service=service, remote_id="u1", password="svc-pass-9")
    page = admin_client.get(reverse("admin:services_service_change", args=[service.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert MASK in text and "svc-pass-9" not in text and "u1" in text


def test_an_empty_secret_field_in_a_form_keeps_the_secret(server):
    class ServerForm(forms.ModelForm):
        class Meta:
            model = Server
            fields = ["password", "capacity"]

    form = ServerForm({"password": "", "capacity": 7}, instance=server)
    assert form.is_valid(), form.errors
    form.save()
    server.refresh_from_db()
    assert server.capacity == 7 and server.password.reveal() == "tok-123"
    form = ServerForm({"password": "new", "capacity": 7}, instance=server)
    assert form.is_valid() and 'value="' not in str(form["password"])
    form.save()
    server.refresh_from_db()
    assert server.password.reveal() == "new"
