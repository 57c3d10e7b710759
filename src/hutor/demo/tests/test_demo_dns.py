"""The demo's provisioning (issue 13, item 8): with Debian's PowerDNS installed, `hutor demo`
configures it under var/pdns/ and points the hosting tariffs at it, so that an order paid in the
demo shows its zone in DNS (checked by starting pdns_server with the demo's own configuration,
as `make run` does); without it, the hosting tariffs use the "log" module and the demo says so."""

from __future__ import annotations

import io
import subprocess
import time

import dns.message
import dns.query
import pytest
from django.core.management import call_command

from hutor.catalog.models import Tariff
from hutor.demo import data
from hutor.demo import dns as demo_dns
from hutor.servers.models import Server
from hutor.services.actions import place_order
from hutor.services.models import Service
from hutor.services.provisioning.powerdns import PowerDNSClient, PowerDNSError
from hutor.testing_pdns import free_port, pdns_server_binary, require_pdns

pytestmark = pytest.mark.django_db


def demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def var_dir(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    monkeypatch.setenv("HUTOR_DEMO_DNS_PORT", str(free_port()))
    monkeypatch.setenv("HUTOR_DEMO_DNS_API_PORT", str(free_port()))
    return tmp_path


def test_a_hosting_order_paid_in_the_demo_gets_its_zone(var_dir, top_up):
    require_pdns()
    output = demo()
    assert "PowerDNS on 127.0.0.1" in output
    conf = var_dir / "pdns" / "pdns.conf"
    assert conf.is_file() and "api=yes" in conf.read_text()
    server = Server.objects.get(enabled=True)
    assert server.module == "powerdns" and server.password.reveal() == (
        (var_dir / "pdns" / "api-key").read_text().strip()
    )
    # `make run` starts pdns_server with this configuration beside the worker.
    binary = pdns_server_binary()
    assert binary is not None
    process = subprocess.Popen(
        [binary, f"--config-dir={var_dir / 'pdns'}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = PowerDNSClient(f"http://127.0.0.1:{server.port}", server.password.reveal())
        deadline = time.monotonic() + 20
        while True:
            try:
                client.check()
                break
            except PowerDNSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        customer = data.ensure_demo_customer()[0]
        start = Tariff.objects.get(code="start")
        service = place_order(
            billing_account=customer,
            price=start.prices.get(period_months=1),
            identifier="my-first-site.test",
        )
        top_up(customer, "199.00")
        call_command("worker", "--once", stdout=io.StringIO())
        service = Service.objects.get(pk=service.pk)
        assert service.remote_id == "my-first-site.test."
        query = dns.message.make_query("my-first-site.test", "A")
        port = int(var_dir.joinpath("pdns", "pdns.conf").read_text().split("local-port=")[1][:5])
        answer = dns.query.udp(query, "127.0.0.1", port=port, timeout=3)
        assert [r.to_text() for rrset in answer.answer for r in rrset] == [demo_dns.DEMO_IP]
    finally:
        process.terminate()
        process.wait(timeout=10)
    # Loaded again, it changes nothing: the same server, key and zone database.
    demo()
    assert list(Server.objects.values_list("pk", flat=True)) == [server.pk]


def test_without_powerdns_the_demo_uses_the_log_module_and_says_so(var_dir, monkeypatch):
    monkeypatch.setattr(demo_dns, "pdns_server", lambda: None)
    output = demo()
    assert "PowerDNS is not installed" in output and "log" in output
    assert not (var_dir / "pdns").exists()
    server = Server.objects.get(enabled=True)
    assert server.module == "log"
    assert Tariff.objects.get(code="start").server_group == server.group
