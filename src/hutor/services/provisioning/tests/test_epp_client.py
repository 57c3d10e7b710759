"""The EPP module's conversation with a registry, against a local EPP server that validates
every command (and its own every answer) against the RFC 5730-5733 and RFC 3915 schemas
(epp_server.py): the session (greeting, login, hello, logout, reconnect), the commands in the
order the RFCs want them, and each result code mapped to what billing does with it."""

from __future__ import annotations

import datetime as dt
import logging
import time

import pytest

from hutor.services.provisioning import (
    ProvisioningError,
    ProvisioningRefused,
    ServerAccess,
    check_server,
    get_module,
)
from hutor.services.provisioning.epp import EppError, close_sessions
from hutor.services.provisioning.epp.client import EppSession
from hutor.services.provisioning.epp.objects import (
    contact_check,
    domain_delete,
    read_contact_check,
)
from hutor.services.provisioning.tests.epp_fixtures import (
    CLID,
    OTHER,
    PASSWORD,
    add_registry,
    context,
    order_domain,
    running,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def epp(tmp_path):
    with running(tmp_path) as server:
        yield server


@pytest.fixture
def registry(epp, catalog):
    return add_registry(epp)


@pytest.fixture
def domain(registry, catalog, account_factory):
    def make(name="example.ru", **kwargs):
        return order_domain(catalog, account_factory, name, **kwargs)

    return make


def test_the_conversation_every_command_valid(epp, registry, domain, caplog):
    """login, check, contact create, host objects, domain create, info, renew, transfer
    request, logout: one session, every command valid, every answer in the RFC's shape."""
    caplog.set_level(logging.DEBUG)
    module = get_module("epp")
    access = ServerAccess.of(registry)
    epp.registry.add_domain("taken.ru", OTHER)
    other = epp.registry.add_domain("moving.ru", OTHER)

    answers = module.availability(access, ["Example.RU", "taken.ru", "пример.рф", "bad_name!.ru"])
    assert [(a.name, a.available) for a in answers] == [
        ("Example.RU", True),
        ("taken.ru", False),
        ("пример.рф", True),
        ("bad_name!.ru", False),
    ]
    assert answers[1].reason == "In use"

    service = domain("example.ru", months=24)
    created = module.create(context(service, registry))
    handle = f"HUT-{service.pk}"
    assert (created.done, created.remote_id) == (True, "example.ru")
    assert created.access["registrant_handle"] == handle
    registered = epp.registry.domains["example.ru"]
    assert (registered.sponsor, registered.registrant) == (CLID, handle)
    assert registered.contacts == [("admin", handle), ("tech", handle)]
    assert registered.hosts == ["ns1.hosting.example", "ns2.hosting.example"]
    today = dt.datetime.now(dt.UTC).date()
    assert created.access["expires_on"] == today.replace(year=today.year + 2).isoformat()
    contact = epp.registry.contacts[handle]
    assert contact.sponsor == CLID

    info = module.info(context(service, registry))
    assert info.expires_on == registered.expires.date()
    assert info.nameservers == ("ns1.hosting.example", "ns2.hosting.example")
    assert info.registrant_handle == handle and not info.locked
    assert info.grace == ("addPeriod",)  # RFC 3915: just created

    expires = info.expires_on.isoformat()
    renewed = module.renew(context(service, registry, expires_on=expires, years="1"))
    assert renewed.access["expires_on"] == info.expires_on.replace(year=today.year + 3).isoformat()

    moving = domain("moving.ru")
    transfer = module.transfer_in(context(moving, registry, auth_code=other.auth))
    assert transfer.done and transfer.access == {"transfer_status": "pending"}
    assert other.transfer.gaining == CLID

    assert close_sessions() == 1  # logout
    assert epp.received == [
        "login",
        "domain:check",
        "contact:create",
        "host:check",
        "host:create",
        "host:create",
        "domain:create",
        "domain:info",
        "domain:renew",
        "domain:transfer",
        "logout",
    ]
    assert epp.logins == 1  # one session for every call
    assert epp.answered == [1000] * 9 + [1001, 1500]
    assert epp.violations == []
    assert PASSWORD not in caplog.text and other.auth not in caplog.text


def test_a_company_registrant_in_latin_and_local_form(epp, registry, domain):
    from hutor.services.provisioning.tests.epp_fixtures import COMPANY

    service = domain("hutor.ru")
    get_module("epp").create(context(service, registry, registrant=COMPANY))
    handle = f"HUT-{service.pk}"
    kinds = [n.get("type") for n in epp.registry.contacts[handle].details[:2]]
    assert kinds == ["int", "loc"]  # an ASCII address: the Latin form too


def test_object_exists_is_a_refusal_with_the_servers_message(epp, registry, domain):
    epp.registry.add_domain("taken.ru", OTHER)
    with pytest.raises(ProvisioningRefused, match=r"taken\.ru: EPP 2302 Object exists"):
        get_module("epp").create(context(domain("taken.ru"), registry))
    assert epp.registry.domains["taken.ru"].sponsor == OTHER


def test_object_does_not_exist_is_a_refusal(epp, registry, domain):
    with pytest.raises(ProvisioningRefused, match="EPP 2303 Object does not exist"):
        get_module("epp").info(context(domain("missing.ru"), registry))


def test_another_registrars_domain_is_an_authorization_refusal(epp, registry, domain):
    epp.registry.add_domain("theirs.ru", OTHER)
    with pytest.raises(ProvisioningRefused, match="EPP 2201 Authorization error"):
        get_module("epp").lock(context(domain("theirs.ru"), registry), locked=True)
    assert "clientTransferProhibited" not in epp.registry.domains["theirs.ru"].statuses


def test_a_wrong_auth_code_is_refused_and_never_repeated(epp, registry, domain):
    epp.registry.add_domain("theirs.ru", OTHER)
    with pytest.raises(ProvisioningRefused) as caught:
        get_module("epp").transfer_in(
            context(domain("theirs.ru"), registry, auth_code="Wr0ng-C0de-777")
        )
    assert "EPP 2202 Invalid authorization information" in str(caught.value)
    assert "Wr0ng-C0de-777" not in str(caught.value)


def test_command_failed_is_an_error_to_retry_on_the_same_session(epp, registry, domain):
    service = domain("example.ru")
    module = get_module("epp")
    module.create(context(service, registry))
    epp.fail_next = 2400
    with pytest.raises(ProvisioningError) as caught:
        module.info(context(service, registry))
    assert not isinstance(caught.value, ProvisioningRefused)
    assert "EPP 2400 Command failed" in str(caught.value)
    assert module.info(context(service, registry)).expires_on is not None
    assert epp.logins == 1


def test_a_closing_failure_is_retried_on_a_new_session(epp, registry, domain):
    service = domain("example.ru")
    module = get_module("epp")
    module.create(context(service, registry))
    epp.fail_next = 2500
    with pytest.raises(EppError, match="EPP 2500") as caught:
        module.info(context(service, registry))
    assert not isinstance(caught.value, ProvisioningRefused)
    assert module.info(context(service, registry)).nameservers
    assert epp.logins == 2


def test_a_dropped_session_reconnects_and_logs_in_again(epp, registry, domain):
    service = domain("example.ru")
    module = get_module("epp")
    module.create(context(service, registry))
    epp.drop_all()  # the registry's idle timeout, or a restart
    assert module.info(context(service, registry)).registrant_handle == f"HUT-{service.pk}"
    epp.drop_next = 1  # dropped while the command is on its way: sent again once
    assert module.lock(context(service, registry), locked=True).done
    assert epp.logins == 3
    assert epp.received[-4:] == ["domain:info", "login", "domain:info", "domain:update"]
    epp.drop_next = 2  # dropped again after the reconnect: an error to retry later
    with pytest.raises(EppError) as caught:
        module.info(context(service, registry))
    assert not isinstance(caught.value, ProvisioningRefused)
    assert "closed the connection" in str(caught.value)


def test_check_logs_in_and_says_hello(epp, registry):
    ok, answer = check_server(registry)
    assert ok, answer
    assert answer == f"EPP server Hutor test EPP server, logged in as {CLID}"
    assert epp.received == ["login", "hello"]
    epp.drop_all()  # the pooled session is gone: the next check opens a new one
    assert check_server(registry)[0] and epp.logins == 2

    epp.stop()  # nothing listens any more
    ok, answer = check_server(registry)
    assert not ok and answer.startswith("EppError: registry hello:")


def test_a_wrong_password_is_refused_and_never_shown(epp, registry):
    from hutor.servers import actions as servers

    servers.update_server(server=registry, values={}, password="Wr0ngPassw0rd")
    registry.refresh_from_db()
    ok, answer = check_server(registry)
    assert not ok and "EPP 2200 Authentication error" in answer
    assert "Wr0ngPassw0rd" not in answer and PASSWORD not in answer


def test_an_unverified_certificate_is_not_trusted(epp, registry, domain):
    from hutor.servers import actions as servers

    servers.update_server(server=registry, values={"settings": {}})
    with pytest.raises(EppError, match="CERTIFICATE_VERIFY_FAILED"):
        get_module("epp").info(context(domain("example.ru"), registry))
    assert epp.received == []


def test_contact_check_answers_per_id(epp, registry):
    epp.registry.add_contact("OTHER-1", OTHER)
    session = EppSession(ServerAccess.of(registry))
    try:
        answer = session.request("check", contact_check(["OTHER-1", "FREE-1"]))
        assert read_contact_check(answer) == {"OTHER-1": False, "FREE-1": True}
    finally:
        session.logout()
    assert epp.received == ["login", "contact:check", "logout"]


def test_a_registry_demanding_a_client_certificate(tmp_path, catalog, account_factory):
    from hutor.servers import actions as servers
    from hutor.services.provisioning.tests.tls import self_signed_cert

    cert, key = self_signed_cert(tmp_path, "registrar")
    with running(tmp_path, client_ca=cert) as server:
        registry = add_registry(server)
        service = order_domain(catalog, account_factory, "example.ru")
        with pytest.raises(EppError):  # no certificate: the handshake fails
            get_module("epp").info(context(service, registry))
        assert server.received == []
        settings = {**registry.settings, "cert_file": str(cert), "key_file": str(key)}
        servers.update_server(server=registry, values={"settings": settings})
        assert get_module("epp").create(context(service, registry)).done


def test_an_idle_session_is_probed_with_hello(epp, registry, domain):
    from hutor.servers import actions as servers

    servers.update_server(
        server=registry, values={"settings": {**registry.settings, "keepalive": 0.01}}
    )
    service = domain("example.ru")
    module = get_module("epp")
    module.create(context(service, registry))
    time.sleep(0.05)
    module.info(context(service, registry))
    assert epp.received[-2:] == ["hello", "domain:info"] and epp.logins == 1
    epp.drop_all()  # dropped while idle: the probe fails, the session is opened again
    time.sleep(0.05)
    module.info(context(service, registry))
    # The probe went to the closed connection (the server never read it).
    assert epp.received[-2:] == ["login", "domain:info"] and epp.received.count("hello") == 1
    assert epp.logins == 2


def test_domain_delete_by_its_sponsor_only(epp, registry):
    epp.registry.add_domain("ours.ru", CLID)
    epp.registry.add_domain("theirs.ru", OTHER)
    session = EppSession(ServerAccess.of(registry))
    try:
        assert session.request("delete", domain_delete("ours.ru")).code == 1000
        with pytest.raises(ProvisioningRefused, match="2201 Authorization error"):
            session.request("delete", domain_delete("theirs.ru"), what="domain delete theirs.ru")
    finally:
        session.logout()
    assert set(epp.registry.domains) == {"theirs.ru"}


def test_the_servers_own_session_rules(epp):
    """The test server answers as RFC 5730 says when a client breaks the session's rules:
    a greeting on connect, 2002 for a command before login and for a second login, 1500 on
    logout (each answer valid against the schemas, as every one is)."""
    import socket
    import ssl

    from lxml import etree

    from hutor.services.provisioning.epp.protocol import (
        EPP_NS,
        Greeting,
        Response,
        command,
        frame,
        parse,
        read_frame,
        to_bytes,
    )

    context = ssl.create_default_context(cafile=str(epp.cert))
    raw = socket.create_connection(("127.0.0.1", epp.port), 5)
    with context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:

        def send(root):
            sock.sendall(frame(to_bytes(root)))
            return Response.of(parse(read_frame(sock)))

        assert Greeting.of(parse(read_frame(sock))).server_id == "Hutor test EPP server"
        early = send(command("check", contact_check(["X-1"]), cltrid="ABC-1"))
        assert (early.code, early.message) == (2002, "Command use error")
        assert (
            early.root.findtext(f"{{{EPP_NS}}}response/{{{EPP_NS}}}trID/{{{EPP_NS}}}clTRID")
            == "ABC-1"
        )

        def login():
            root = etree.Element(etree.QName(EPP_NS, "epp"), nsmap={None: EPP_NS})
            node = etree.SubElement(
                etree.SubElement(root, etree.QName(EPP_NS, "command")),
                etree.QName(EPP_NS, "login"),
            )
            for tag, text in (("clID", CLID), ("pw", PASSWORD)):
                etree.SubElement(node, etree.QName(EPP_NS, tag)).text = text
            options = etree.SubElement(node, etree.QName(EPP_NS, "options"))
            etree.SubElement(options, etree.QName(EPP_NS, "version")).text = "1.0"
            etree.SubElement(options, etree.QName(EPP_NS, "lang")).text = "en"
            svcs = etree.SubElement(node, etree.QName(EPP_NS, "svcs"))
            etree.SubElement(
                svcs, etree.QName(EPP_NS, "objURI")
            ).text = "urn:ietf:params:xml:ns:contact-1.0"
            return send(root)

        assert login().code == 1000
        assert login().code == 2002  # a second login in one session
        assert send(command("check", contact_check(["X-1"]))).code == 1000
        assert send(command("logout")).code == 1500
    assert epp.violations == ["contact:check before login", "a second login in one session"]
    epp.violations.clear()  # the client's misuse, recorded as the server should


def test_the_worker_stopping_logs_the_pooled_sessions_out(epp, registry):
    """`hutor worker` stopping calls every module's close (provisioning.close_all): the EPP
    module's pooled session says <logout/> instead of being dropped."""
    from hutor.services import provisioning

    get_module("epp").check(ServerAccess.of(registry))
    assert epp.received[-1] == "hello"
    provisioning.close_all()
    assert epp.received[-1] == "logout"
    provisioning.close_all()  # nothing left open: nothing sent
    assert epp.received.count("logout") == 1
