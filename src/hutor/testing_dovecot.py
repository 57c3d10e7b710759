"""A real Dovecot IMAP server for the support mailbox tests (Debian's dovecot-imapd).

Each use starts its own instance in a temporary folder, on a free port of 127.0.0.1: plain
IMAP, one passwd-file user, a maildir. Messages are put in with IMAP APPEND, as a mail server
delivering to the mailbox would leave them. Where Dovecot is not installed the tests are
skipped, saying so, except in CI (CI=true), where they must run.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from hutor.testing_pdns import free_port

DOVECOT = "/usr/sbin/dovecot"


@dataclass(frozen=True)
class Dovecot:
    port: int
    user: str
    password: str

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@127.0.0.1:{self.port}/INBOX"


def require_dovecot() -> None:
    if not (os.path.exists(DOVECOT) and os.path.exists("/usr/lib/dovecot/imap")):
        reason = "Dovecot is not installed (apt-get install dovecot-imapd)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the mailbox tests", pytrace=False)
        pytest.skip(reason)


def _users() -> tuple[str, str, int, int]:
    """(login user, internal user, mail uid, mail gid): Dovecot refuses to run its login
    processes or mail access as root, so under root Debian's dovenull and dovecot users serve."""
    if os.getuid() != 0:
        me = pwd.getpwuid(os.getuid()).pw_name
        return me, me, os.getuid(), os.getgid()
    dovecot = pwd.getpwnam("dovecot")
    return "dovenull", "dovecot", dovecot.pw_uid, dovecot.pw_gid


@contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    require_dovecot()
    root = Path(tempfile.mkdtemp(prefix="hutor-dovecot-"))
    root.chmod(0o755)
    login_user, internal_user, uid, gid = _users()
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir()
    for sub in ("mail", "home"):
        os.chown(root / sub, uid, gid)
    port = free_port()
    server = Dovecot(port=port, user="support@hutor.test", password="imap-secret")
    (root / "passwd").write_text(f"{server.user}:{{PLAIN}}{server.password}\n")
    group = grp.getgrgid(pwd.getpwnam(internal_user).pw_gid).gr_name
    (root / "dovecot.conf").write_text(
        f"""base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = 0
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
    )
    subprocess.run([DOVECOT, "-c", str(root / "dovecot.conf")], check=True, timeout=30)  # noqa: S603
    try:
        _wait_for(port)
        yield server
    finally:
        pid_file = root / "run" / "master.pid"
        if pid_file.exists():
            subprocess.run(  # noqa: S603 - our own binary and config
                [DOVECOT, "-c", str(root / "dovecot.conf"), "stop"], check=False, timeout=30
            )
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(port: int) -> None:
    import socket

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("Dovecot did not start")


def deliver(server: Dovecot, raw: bytes) -> None:
    """Put a message in the mailbox, unseen (IMAP APPEND)."""
    import imaplib

    client = imaplib.IMAP4("127.0.0.1", server.port, timeout=10)
    try:
        client.login(server.user, server.password)
        client.append("INBOX", None, None, raw)
    finally:
        client.logout()


def mark_all_unseen(server: Dovecot) -> None:
    """As if a crash had left every message unread: the next fetch reads them all again."""
    import imaplib

    client = imaplib.IMAP4("127.0.0.1", server.port, timeout=10)
    try:
        client.login(server.user, server.password)
        client.select("INBOX")
        client.store("1:*", "-FLAGS", "(\\Seen)")
    finally:
        client.logout()
