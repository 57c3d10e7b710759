"""The desk's servers and server groups (administrators): the list with each server's load,
add and change with the credential write-only, groups; other roles get 403."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from hutor.backoffice.models import AuditEntry, Role
from hutor.backoffice.tests.conftest import desk_session
from hutor.core.secrets import MASK
from hutor.servers import actions as servers
from hutor.servers.models import Server, ServerGroup
from hutor.services.models import Service

pytestmark = pytest.mark.django_db

TOKEN = "pdns-api-key-4c1d"


@pytest.fixture
def admin_desk(staff_factory):
    return desk_session(Client(), staff_factory(Role.ADMIN))


@pytest.fixture
def dns(world):
    group = servers.add_group(code="dns", name="DNS hosting")
    server = servers.add_server(
        name="ns1", group=group, module="log", host="ns1.example.net", password=TOKEN, capacity=4
    )
    # One of the world's services lives there (the count is of services not terminated).
    Service.objects.filter(pk=world.hosting.pk).update(server=server)
    return server


def form(**values):
    data = {
        "name": "web1",
        "module": "log",
        "host": "web1.example.net",
        "use_tls": "on",
        "capacity": "100",
        "enabled": "on",
        "settings": "{}",
        "reason": "New server",
    }
    data.update(values)
    return data


def test_the_list_shows_load_and_a_masked_credential(admin_desk, dns, world):
    page = admin_desk.get(reverse("desk:servers")).content.decode()
    assert "ns1" in page and "ns1.example.net" in page and "1/4" in page
    assert MASK in page and TOKEN not in page
    groups = admin_desk.get(reverse("desk:server_groups")).content.decode()
    assert "dns" in groups and "DNS hosting" in groups
    # The administration menu links both pages.
    settings_page = admin_desk.get(reverse("desk:catalog")).content.decode()
    assert reverse("desk:servers") in settings_page
    assert reverse("desk:server_groups") in settings_page
    # The service's page names its server.
    service_page = admin_desk.get(reverse("desk:service", args=[world.hosting.pk]))
    assert "ns1" in service_page.content.decode()


def test_add_then_change_with_a_write_only_credential(admin_desk, dns):
    group = dns.group
    response = admin_desk.post(
        reverse("desk:server_add"), form(group=group.pk, password="first-token")
    )
    assert response.status_code == 302
    server = Server.objects.get(name="web1")
    assert server.password.reveal() == "first-token"
    entry = AuditEntry.objects.latest("pk")
    assert entry.action == "server.save" and "first-token" not in str(entry.changes)

    url = reverse("desk:server_edit", args=[server.pk])
    page = admin_desk.get(url).content.decode()
    assert "first-token" not in page and MASK in page  # "Stored: ••••••"
    # Blank keeps the credential; the other fields change.
    response = admin_desk.post(url, form(group=group.pk, capacity="50", password=""))
    assert response.status_code == 302
    server.refresh_from_db()
    assert server.capacity == 50 and server.password.reveal() == "first-token"
    assert "password" not in AuditEntry.objects.latest("pk").changes
    # A new one replaces it, audited as "changed".
    admin_desk.post(url, form(group=group.pk, capacity="50", password="second-token"))
    server.refresh_from_db()
    assert server.password.reveal() == "second-token"
    assert AuditEntry.objects.latest("pk").changes == {"password": "changed"}


def test_bad_input_is_refused_with_a_message_not_a_500(admin_desk, dns):
    group = dns.group
    with translation.override("en"):
        url = reverse("desk:server_add")
        bad_json = admin_desk.post(url, form(group=group.pk, settings="{nope"))
        assert bad_json.status_code == 200 and "JSON" in bad_json.content.decode()
        taken = admin_desk.post(url, form(group=group.pk, name="ns1"), HTTP_ACCEPT_LANGUAGE="en")
        assert taken.status_code == 200
        other_module = admin_desk.post(url, form(group=group.pk, module="manual"))
        assert other_module.status_code == 200
        assert "«log»" in other_module.content.decode()
        no_reason = admin_desk.post(url, form(group=group.pk, reason=""))
        assert no_reason.status_code == 200
    assert Server.objects.count() == 1


def test_groups_are_added_and_renamed_with_their_code_kept(admin_desk, world):
    response = admin_desk.post(
        reverse("desk:server_group_add"), {"code": "vps-msk", "name": "VPS", "reason": "Moscow"}
    )
    assert response.status_code == 302
    group = ServerGroup.objects.get(code="vps-msk")
    url = reverse("desk:server_group_edit", args=[group.pk])
    admin_desk.post(url, {"code": "changed", "name": "VPS Moscow", "reason": "Clearer"})
    group.refresh_from_db()
    assert (group.code, group.name) == ("vps-msk", "VPS Moscow")


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.SALES, Role.ACCOUNTANT])
def test_other_roles_get_403_and_change_nothing(role, staff_factory, dns):
    client = desk_session(Client(), staff_factory(role))
    for name, args in [
        ("servers", []),
        ("server_add", []),
        ("server_edit", [dns.pk]),
        ("server_groups", []),
        ("server_group_add", []),
        ("server_group_edit", [dns.group.pk]),
    ]:
        assert client.get(reverse(f"desk:{name}", args=args)).status_code == 403, name
    response = client.post(
        reverse("desk:server_edit", args=[dns.pk]), form(group=dns.group.pk, password="x")
    )
    assert response.status_code == 403
    dns.refresh_from_db()
    assert dns.password.reveal() == TOKEN


def test_without_a_desk_session_the_pages_lead_to_the_login(client, dns):
    response = client.get(reverse("desk:servers"))
    assert response.status_code == 302 and "/desk/login/" in response["Location"]
