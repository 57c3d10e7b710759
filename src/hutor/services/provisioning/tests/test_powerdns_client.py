"""The PowerDNS client against the real pdns_server (Debian's pdns-server with the SQLite
backend, started by the `pdns` fixture): zones are checked through the API and, what matters
to the customer, through real DNS queries over UDP to the server's port."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest
from django.utils import translation

from hutor.services.provisioning.powerdns import (
    PowerDNSAuthFailed,
    PowerDNSClient,
    PowerDNSRefused,
    PowerDNSServerError,
    PowerDNSUnreachable,
    TemplateError,
    ZoneMissing,
    ZoneTaken,
)
from hutor.testing_pdns import PdnsServer, require_pdns, start

NAMESERVERS = ["ns1.hoster.test", "ns2.hoster.test."]
TEMPLATE = [
    {"name": "@", "type": "A", "content": "{ip}", "ttl": 300},
    {"name": "www", "type": "CNAME", "content": "{domain}.", "ttl": 300},
    {"name": "@", "type": "MX", "content": "10 mail.{domain}.", "ttl": 300},
    {"name": "mail", "type": "A", "content": "{ip}", "ttl": 300},
    {"name": "@", "type": "TXT", "content": '"v=spf1 ip4:{ip} -all"', "ttl": 300},
]
IP = "192.0.2.10"
SOA_TIMERS = ["10800", "3600", "604800", "300"]


@pytest.fixture
def client(pdns: PdnsServer) -> PowerDNSClient:
    return pdns.client()


@pytest.fixture
def zone(client: PowerDNSClient) -> Iterator[str]:
    """A fresh zone name; the zone is deleted after the test whatever happened."""
    name = f"t{secrets.token_hex(4)}.example.test"
    yield name
    client.delete_zone(name)


def ask(pdns: PdnsServer, name: str, rtype: str = "A") -> dns.message.Message:
    query = dns.message.make_query(name, rtype)
    return dns.query.udp(query, "127.0.0.1", port=pdns.dns_port, timeout=3)


def answers(message: dns.message.Message) -> list[str]:
    return sorted(rdata.to_text() for rrset in message.answer for rdata in rrset)


def test_the_server_under_test(pdns: PdnsServer, client: PowerDNSClient) -> None:
    version = client.check()
    print(f"PowerDNS Authoritative Server {version} (pdns_server, gsqlite3 backend)")
    assert version == pdns.version
    assert version.split(".")[0] == "4"


def test_zone_lifecycle_seen_over_dns(pdns: PdnsServer, client: PowerDNSClient, zone: str) -> None:
    fqdn = zone + "."
    created = client.create_zone(zone, NAMESERVERS, TEMPLATE, account="svc-1", params={"ip": IP})
    assert (created.name, created.account, created.kind) == (fqdn, "svc-1", "Native")

    read = client.get_zone(zone)
    assert read is not None
    records = {(r.name, r.type): [x.content for x in r.records] for r in read.rrsets}
    assert records[(fqdn, "A")] == [IP]
    assert records[(f"www.{fqdn}", "CNAME")] == [fqdn]
    assert records[(fqdn, "MX")] == [f"10 mail.{fqdn}"]
    assert records[(fqdn, "TXT")] == [f'"v=spf1 ip4:{IP} -all"']
    assert sorted(records[(fqdn, "NS")]) == ["ns1.hoster.test.", "ns2.hoster.test."]
    # The SOA names the first nameserver; PowerDNS set the serial (soa_edit_api).
    mname, rname, serial, *timers = records[(fqdn, "SOA")][0].split()
    assert (mname, rname, timers) == ("ns1.hoster.test.", f"hostmaster.{fqdn}", SOA_TIMERS)
    assert int(serial) > 0
    assert not read.suspended

    reply = ask(pdns, fqdn)
    assert reply.rcode() == dns.rcode.NOERROR and reply.flags & dns.flags.AA
    assert answers(reply) == [IP]
    assert answers(ask(pdns, f"www.{fqdn}")) == sorted(
        [fqdn, IP]
    )  # the CNAME, followed in the zone

    # Suspended: the apex keeps its SOA and NS, every other name is gone (authoritative
    # NXDOMAIN, with the SOA whose negative TTL bounds how long resolvers remember it).
    assert client.disable_zone(zone) is True
    suspended = client.get_zone(zone)
    assert suspended is not None and suspended.suspended
    reply = ask(pdns, f"www.{fqdn}")
    assert reply.rcode() == dns.rcode.NXDOMAIN and reply.flags & dns.flags.AA
    assert answers(reply) == []
    assert [(r.name.to_text(), r.rdtype, r.ttl) for r in reply.authority] == [
        (fqdn, dns.rdatatype.SOA, 300)
    ]
    reply = ask(pdns, fqdn)  # the apex exists (SOA, NS) but has no A: NODATA
    assert reply.rcode() == dns.rcode.NOERROR and answers(reply) == []
    assert ask(pdns, fqdn, "MX").answer == []
    assert answers(ask(pdns, fqdn, "NS")) == ["ns1.hoster.test.", "ns2.hoster.test."]
    assert client.disable_zone(zone) is False  # already suspended: nothing sent

    assert client.enable_zone(zone) is True
    assert answers(ask(pdns, fqdn)) == [IP]
    assert answers(ask(pdns, f"mail.{fqdn}")) == [IP]
    assert client.enable_zone(zone) is False
    enabled = client.get_zone(zone)
    assert enabled is not None and not enabled.suspended

    # Creating again for the same account is success and changes nothing.
    again = client.create_zone(zone, NAMESERVERS, TEMPLATE, account="svc-1", params={"ip": IP})
    assert (again.name, again.account, again.serial) == (fqdn, "svc-1", enabled.serial)
    # Another account: taken, not overwritten.
    with pytest.raises(ZoneTaken) as taken:
        client.create_zone(zone, NAMESERVERS, TEMPLATE, account="svc-2", params={"ip": IP})
    assert not taken.value.retryable
    with translation.override("en"):
        assert str(taken.value) == (
            f"The zone {fqdn} is taken: it already exists on the DNS server under another "
            "account (svc-1)."
        )
    assert answers(ask(pdns, fqdn)) == [IP]

    assert client.delete_zone(zone) is True
    assert client.get_zone(zone) is None
    assert ask(pdns, fqdn).rcode() == dns.rcode.REFUSED  # no longer served at all
    assert client.delete_zone(zone) is False  # missing is success


def test_list_zones_shows_what_exists(client: PowerDNSClient) -> None:
    names = [f"l{secrets.token_hex(4)}.example.test" for _ in range(2)]
    try:
        for number, name in enumerate(names, start=1):
            client.create_zone(name, NAMESERVERS, [], account=f"svc-{number}")
        listed = {z.name: z.account for z in client.list_zones()}
        assert listed[names[0] + "."] == "svc-1"
        assert listed[names[1] + "."] == "svc-2"
        assert all(z.rrsets == () for z in client.list_zones())
        client.delete_zone(names[0])
        listed = {z.name: z.account for z in client.list_zones()}
        assert names[0] + "." not in listed and names[1] + "." in listed
    finally:
        for name in names:
            client.delete_zone(name)


def test_idn_zone_is_created_in_punycode(pdns: PdnsServer, client: PowerDNSClient) -> None:
    label = "пример" + secrets.token_hex(2)
    try:
        created = client.create_zone(
            f"{label}.РФ", NAMESERVERS, TEMPLATE[:1], account="svc-1", params={"ip": IP}
        )
        assert created.name.startswith("xn--") and created.name.endswith(".xn--p1ai.")
        assert client.get_zone(f"{label}.рф.") is not None
        assert answers(ask(pdns, created.name)) == [IP]
    finally:
        client.delete_zone(f"{label}.рф")


def test_refusal_carries_the_servers_message(client: PowerDNSClient, zone: str) -> None:
    bad = [{"name": "www", "type": "CNAME", "content": "not-canonical", "ttl": 300}]
    with pytest.raises(PowerDNSRefused) as refused:
        client.create_zone(zone, NAMESERVERS, bad, account="svc-1")
    assert refused.value.params["status"] == 422
    assert not refused.value.retryable
    assert "Not in expected format" in refused.value.detail
    with translation.override("en"):
        assert str(refused.value).startswith("The DNS server refused the request (HTTP 422): ")
    assert client.get_zone(zone) is None


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ([{"name": "@", "type": "A", "content": "{address}"}], "unknown placeholder {address}"),
        ([{"name": "@", "type": "NS", "content": "ns9.other.test."}], "come from its nameservers"),
        ([{"name": "x.elsewhere.test.", "type": "A", "content": "{ip}"}], "outside the zone"),
        (
            [
                {"name": "a", "type": "A", "content": "192.0.2.1", "ttl": 60},
                {"name": "a", "type": "A", "content": "192.0.2.2", "ttl": 120},
            ],
            "different ttls",
        ),
        ([{"name": "a", "type": "A"}], "has no content"),
        ([{"name": "a", "type": "A", "content": "192.0.2.1", "ttl": "soon"}], "invalid ttl"),
    ],
)
def test_a_bad_template_sends_nothing(
    client: PowerDNSClient, zone: str, template: list[dict[str, object]], problem: str
) -> None:
    with translation.override("en"), pytest.raises(TemplateError) as error:
        client.create_zone(zone, NAMESERVERS, template, account="svc-1", params={"ip": IP})
    assert problem in error.value.detail
    assert not error.value.retryable
    assert client.get_zone(zone) is None


def test_suspending_a_missing_zone_needs_a_person(client: PowerDNSClient, zone: str) -> None:
    with pytest.raises(ZoneMissing) as missing:
        client.disable_zone(zone)
    assert not missing.value.retryable
    with pytest.raises(ZoneMissing):
        client.enable_zone(zone)


def test_a_wrong_api_key_is_refused_clearly(pdns: PdnsServer) -> None:
    client = PowerDNSClient(pdns.api_url, "not-the-key")
    with pytest.raises(PowerDNSAuthFailed) as refused:
        client.check()
    assert refused.value.params["status"] == 401 and not refused.value.retryable
    with translation.override("en"):
        assert str(refused.value) == "The DNS server's API did not accept the API key (HTTP 401)."
    with pytest.raises(PowerDNSAuthFailed):
        client.create_zone("nokey.example.test", NAMESERVERS, [], account="svc-1")


def test_a_stopped_server_is_a_network_error(pdns: PdnsServer, tmp_path) -> None:
    """A second server of our own, stopped: the shared one goes on for the other tests."""
    server = start(tmp_path)
    client = server.client(timeout=3)
    assert client.check() == server.version
    server.stop()
    with pytest.raises(PowerDNSUnreachable) as down:
        client.get_zone("any.example.test")
    assert down.value.retryable
    with translation.override("en"):
        assert str(down.value).startswith(
            f"The DNS server's API at {server.api_url} did not answer"
        )


def test_missing_powerdns_skips_here_and_fails_in_ci(monkeypatch) -> None:
    monkeypatch.setenv("HUTOR_PDNS_SERVER", "/nonexistent/pdns_server")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"apt-get install pdns-server"):
        require_pdns()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the PowerDNS tests"):
        require_pdns()


def test_a_create_cut_short_by_a_database_error_completes_on_retry(
    pdns: PdnsServer, tmp_path
) -> None:
    """PowerDNS writes a new zone before its records: when its database fails in between it
    answers HTTP 500 and leaves the zone empty. The retried create must fill it, not report
    success over an empty zone. (A server of our own: its database is broken on purpose.)"""
    server = start(tmp_path)
    client = server.client()

    def sql(statement: str) -> None:
        with sqlite3.connect(server.directory / "pdns.sqlite3") as db:
            db.execute(statement)
        db.close()

    try:
        sql("ALTER TABLE records RENAME TO records_away")
        with pytest.raises(PowerDNSServerError) as failed:
            client.create_zone(
                "cut.example.test", NAMESERVERS, TEMPLATE, account="svc-1", params={"ip": IP}
            )
        assert failed.value.retryable and failed.value.params["status"] == 500
        sql("ALTER TABLE records_away RENAME TO records")
        half = client.get_zone("cut.example.test")
        assert half is not None and half.account == "svc-1" and half.rrsets == ()

        done = client.create_zone(
            "cut.example.test", NAMESERVERS, TEMPLATE, account="svc-1", params={"ip": IP}
        )
        assert {(r.name, r.type) for r in done.rrsets} >= {
            ("cut.example.test.", "SOA"),
            ("cut.example.test.", "NS"),
            ("cut.example.test.", "A"),
            ("www.cut.example.test.", "CNAME"),
        }
        assert answers(ask(server, "www.cut.example.test.")) == sorted(["cut.example.test.", IP])
    finally:
        server.stop()
