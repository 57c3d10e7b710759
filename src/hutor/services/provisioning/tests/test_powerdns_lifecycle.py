"""DNS hosting end to end against the real PowerDNS (issue 13's first Must show): an order paid
creates the zone from the tariff's template; the renewal left unpaid past the grace days
suspends it (its names stop answering); the payment brings it back; termination deletes it.
Every step is driven as in production: the order and payments through the money actions,
`hutor billing run`, `hutor worker`; what customers see is checked with real DNS queries. Once,
a worker dies in the middle of the create task, and the task is done exactly once after."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlsplit

import dns.message
import dns.query
import dns.rcode
import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction

from hutor.catalog.models import Tariff
from hutor.servers import actions as servers
from hutor.services import lifecycle, tasks
from hutor.services.actions import place_order
from hutor.services.models import ProvisioningStatus, Service, ServiceStatus
from hutor.services.provisioning import context_for, get_module
from hutor.services.provisioning.base import RemoteState
from hutor.testing_pdns import PdnsServer

pytestmark = pytest.mark.django_db

IP = "192.0.2.80"
TEMPLATE = [
    {"name": "@", "type": "A", "content": "{ip}", "ttl": 60},
    {"name": "www", "type": "CNAME", "content": "{domain}.", "ttl": 60},
    {"name": "@", "type": "MX", "content": "10 mail.{domain}.", "ttl": 60},
    {"name": "mail", "type": "A", "content": "{ip}", "ttl": 60},
]
ORDERED = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


def ask(pdns: PdnsServer, name: str, rtype: str = "A") -> dns.message.Message:
    query = dns.message.make_query(name, rtype)
    return dns.query.udp(query, "127.0.0.1", port=pdns.dns_port, timeout=3)


def answers(message: dns.message.Message) -> list[str]:
    return sorted(rdata.to_text() for rrset in message.answer for rdata in rrset)


def worker() -> str:
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    return out.getvalue()


def billing_run() -> None:
    call_command("billing", "run", stdout=io.StringIO())


@pytest.fixture
def dns_hosting(pdns: PdnsServer, catalog):
    """Tariff "start" sells DNS hosting on the test PowerDNS (group "dns")."""
    api = urlsplit(pdns.api_url)
    group = servers.add_group(code="dns", name="DNS")
    server = servers.add_server(
        name="ns-api",
        group=group,
        module="powerdns",
        host=api.hostname,
        port=api.port,
        use_tls=False,
        username="",
        password=pdns.api_key,
        settings={"nameservers": ["ns1.hoster.test", "ns2.hoster.test"]},
    )
    Tariff.objects.filter(pk=catalog.start.pk).update(
        server_group=group, module_params={"template": TEMPLATE, "ip": IP}
    )
    catalog.start.refresh_from_db()
    return server


def test_a_zone_lives_and_dies_with_its_service(
    pdns, dns_hosting, catalog, account_factory, top_up
):
    client = pdns.client()
    domain = "romashka-dns.test"
    with time_machine.travel(ORDERED, tick=False) as traveller:
        account = account_factory()
        service = place_order(
            billing_account=account, price=catalog.price(catalog.start, 1), identifier=domain
        )
        top_up(account, "199.00")  # pays the order: active, its create task queued
        task = Service.objects.get(pk=service.pk).provisioning.get()
        assert task.operation == "create" and task.status == ProvisioningStatus.PENDING

        # A worker takes the task, creates the zone, and dies before recording it.
        claimed = tasks.TASKS.claim(task.pk)
        assert claimed is not None and claimed.status == ProvisioningStatus.RUNNING
        tasks._run(claimed)  # the work done; the process is killed here (no finish)
        assert client.get_zone(domain) is not None
        worker()  # another worker, at once: the task is leased to the dead one, left alone
        task.refresh_from_db()
        assert (task.status, task.attempts) == (ProvisioningStatus.RUNNING, 1)
        traveller.shift(dt.timedelta(minutes=11))  # the lease of the dead worker lapses
        worker()
        task.refresh_from_db()
        assert (task.status, task.attempts) == (ProvisioningStatus.DONE, 2)
        # Done once: one zone, ours, with the template's records.
        zones = [z for z in client.list_zones() if z.name == domain + "."]
        assert len(zones) == 1 and zones[0].account == f"hutor:{account.number}:{service.pk}"
        service.refresh_from_db()
        assert service.server == dns_hosting and service.remote_id == domain + "."
        assert service.access["nameservers"] == ["ns1.hoster.test", "ns2.hoster.test"]
        assert answers(ask(pdns, domain)) == [IP]
        assert answers(ask(pdns, "www." + domain)) == sorted([IP, domain + "."])  # CNAME

        # The renewal is issued a week before the paid month ends, and not paid.
        paid_until = service.paid_until
        traveller.move_to(dt.datetime.combine(paid_until, dt.time(9), tzinfo=dt.UTC))
        billing_run()
        traveller.shift(dt.timedelta(days=3))  # past the grace days
        billing_run()
        service.refresh_from_db()
        assert service.status == ServiceStatus.SUSPENDED
        worker()
        assert ask(pdns, "www." + domain).rcode() == dns.rcode.NXDOMAIN
        assert answers(ask(pdns, domain)) == []  # the apex: no data
        module = get_module("powerdns")
        assert module.sync(context_for(service)).state == RemoteState.SUSPENDED

        top_up(account, "199.00")  # pays the renewal: active again, at once
        service.refresh_from_db()
        assert service.status == ServiceStatus.ACTIVE
        worker()
        assert answers(ask(pdns, domain)) == [IP]
        assert module.sync(context_for(service)).state == RemoteState.ACTIVE

        with transaction.atomic():
            lifecycle.move(lifecycle.lock(service), "terminate", actor="staff")
        worker()
        assert client.get_zone(domain) is None
        assert ask(pdns, domain).rcode() == dns.rcode.REFUSED  # no longer served here
        assert module.sync(context_for(Service.objects.get(pk=service.pk))).state == (
            RemoteState.MISSING
        )
    assert list(service.provisioning.order_by("pk").values_list("operation", "status")) == [
        ("create", "done"),
        ("suspend", "done"),
        ("unsuspend", "done"),
        ("terminate", "done"),
    ]


def test_a_zone_taken_by_someone_else_needs_attention_and_billing_is_untouched(
    pdns, dns_hosting, catalog, account_factory, top_up
):
    client = pdns.client()
    domain = "taken-dns.test"
    client.create_zone(domain, ["ns1.other.test"], [], account="someone-else")
    try:
        account = account_factory()
        service = place_order(
            billing_account=account, price=catalog.price(catalog.start, 1), identifier=domain
        )
        top_up(account, "199.00")
        worker()
        task = Service.objects.get(pk=service.pk).provisioning.get()
        # Refused: no retry helps, so the task needs attention at once, with PowerDNS's reason.
        assert task.status == ProvisioningStatus.FAILED and task.attempts == 1
        assert domain in task.last_error and task.next_attempt_at is None
        service.refresh_from_db()
        assert service.status == ServiceStatus.ACTIVE and service.paid_until is not None
        assert client.get_zone(domain).account == "someone-else"  # not touched
    finally:
        client.delete_zone(domain)


def test_hutor_servers_check_reaches_powerdns(pdns, dns_hosting):
    out = io.StringIO()
    call_command("servers", "check", "ns-api", stdout=out)
    assert f"PowerDNS {pdns.version}" in out.getvalue()
