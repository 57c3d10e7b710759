"""`hutor servers`: list, add, set, check; credentials read from stdin, never printed."""

import io
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hutor.core.secrets import MASK
from hutor.servers.models import Server
from hutor.services import provisioning
from hutor.services.provisioning import ProvisioningError
from hutor.services.provisioning.log import LogModule

pytestmark = pytest.mark.django_db

TOKEN = "whm-token-7f3a9c"


def run(*args, stdin=""):
    out = io.StringIO()
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command("servers", *args, stdout=out)
    finally:
        sys.stdin = old
    return out.getvalue()


class Unreachable(LogModule):
    """Refuses like a panel that rejects the token, and (carelessly) repeats it."""

    name = "unreachable"

    def check(self, server):
        raise ProvisioningError(f"401 Unauthorized for token {server.password}\nat {server.host}")


@pytest.fixture
def unreachable(monkeypatch):
    monkeypatch.setitem(provisioning.MODULES, "unreachable", Unreachable)


def test_add_list_set_with_the_credential_from_stdin():
    assert "hosting-1" in run("group-add", "hosting-1", "Shared hosting")
    out = run(
        "add", "web1", "--group", "hosting-1", "--module", "log", "--host", "web1.example.net",
        "--port", "2087", "--username", "root", "--password-stdin", "--capacity", "300",
        "-s", 'nameservers=["ns1.example.net","ns2.example.net"]',
        stdin=f"{TOKEN}\n",
    )  # fmt: skip
    assert TOKEN not in out and MASK in out
    assert "root@web1.example.net:2087" in out and "0/300" in out
    server = Server.objects.get(name="web1")
    assert server.password.reveal() == TOKEN
    assert server.settings == {"nameservers": ["ns1.example.net", "ns2.example.net"]}
    listed = run("list")
    assert "web1" in listed and "hosting-1" in listed and TOKEN not in listed
    run("set", "web1", "--capacity", "500", "--enabled", "off", "--tls", "off")
    server.refresh_from_db()
    assert (server.capacity, server.enabled, server.use_tls) == (500, False, False)
    assert server.password.reveal() == TOKEN  # untouched without --password-stdin
    run("set", "web1", "--password-stdin", stdin="new-token\n")
    server.refresh_from_db()
    assert server.password.reveal() == "new-token"
    assert "hosting-1" in run("groups")


def test_refusals_are_one_line_errors():
    run("group-add", "g", "G")
    with pytest.raises(CommandError, match="no server group «nope»"):
        run("add", "x", "--group", "nope", "--module", "log", "--host", "h")
    with pytest.raises(CommandError, match="Unknown provisioning module «plesk»"):
        run("add", "x", "--group", "g", "--module", "plesk", "--host", "h")
    with pytest.raises(CommandError, match="no password on stdin"):
        run("add", "x", "--group", "g", "--module", "log", "--host", "h", "--password-stdin")
    with pytest.raises(CommandError, match="no server «y»"):
        run("set", "y", "--capacity", "3")
    run("add", "x", "--group", "g", "--module", "log", "--host", "h")
    with pytest.raises(CommandError, match="Nothing to change"):
        run("set", "x", "--host", "h")


def test_check_prints_ok_or_the_error_in_one_line_without_the_credential(unreachable):
    run("group-add", "g", "G")
    run("group-add", "p", "P")
    run("add", "ok1", "--group", "g", "--module", "log", "--host", "a")
    run(
        "add", "bad1", "--group", "p", "--module", "unreachable", "--host", "b.example.net",
        "--password-stdin", stdin=TOKEN,
    )  # fmt: skip
    assert run("check", "ok1").strip() == "ok1: OK (log module: nothing to reach)"
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 servers cannot be reached"):
        call_command("servers", "check", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines == [
        "bad1: error: ProvisioningError: 401 Unauthorized for token •••••• at b.example.net",
        "ok1: OK (log module: nothing to reach)",
    ]
