"""An EPP session over TLS (RFC 5730 section 2, RFC 5734), kept open between calls.

Connect, read the greeting, log in (clID and password, the object services the greeting
offers among domain, contact and host, and the rgp-1.0 extension when offered); then one
command at a time, each with its own clTRID. Registries limit logins and sessions, so a
session is kept in a pool per server and credential and reused by the next call; one idle
longer than `keepalive` seconds is probed with <hello> first. A connection the server dropped
(idle timeout, restart) is reopened and logged in again transparently, once per command;
a second failure raises EppError (the worker retries later). A dropped connection may have
carried out the command before it fell: the module's idempotent paths (2302 on a retried
create, a renewed expiry already there) make the resent command harmless.

Nothing here logs or repeats the password: errors carry the server's name, the command and
the registry's result, cleaned of every secret the session was given.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from lxml import etree

from hutor.services.provisioning.base import ServerAccess
from hutor.services.provisioning.epp.protocol import (
    EPP_NS,
    EXTENSION_URIS,
    OBJECT_URIS,
    PORT,
    RETRIED,
    SESSION_ENDING,
    EppError,
    EppRefused,
    Greeting,
    Response,
    clean,
    command,
    frame,
    hello,
    new_cltrid,
    parse,
    read_frame,
    to_bytes,
)

TIMEOUT = 30.0  # seconds for connecting and for each answer
KEEPALIVE = 300.0  # a session idle longer is probed with <hello> before use


class EppSession:
    """One connection to one registry, logged in with the server's credential."""

    def __init__(self, server: ServerAccess) -> None:
        self.server = server
        self.greeting: Greeting | None = None
        self._sock: ssl.SSLSocket | None = None
        self._last_used = 0.0
        self._hidden: set[str] = set()

    # -- secrets ----------------------------------------------------------------------

    def hide(self, *secrets: str) -> None:
        """Texts never to repeat in an error (auth codes sent or received)."""
        self._hidden.update(s for s in secrets if s)

    def _clean(self, text: str) -> str:
        return clean(text, [self.server.password, *self._hidden])

    def _where(self, what: str) -> str:
        return f"{self.server.name} {what}"

    # -- the connection -----------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def _context(self) -> ssl.SSLContext:
        settings = self.server.settings
        context = ssl.create_default_context(cafile=settings.get("ca_file") or None)
        if settings.get("cert_file"):
            # A registry that authenticates registrars by a client certificate too.
            context.load_cert_chain(settings["cert_file"], settings.get("key_file") or None)
        return context

    def _connect(self) -> None:
        timeout = float(self.server.settings.get("timeout") or TIMEOUT)
        raw = socket.create_connection((self.server.host, self.server.port or PORT), timeout)
        try:
            self._sock = self._context().wrap_socket(raw, server_hostname=self.server.host)
        except BaseException:
            raw.close()
            raise
        try:
            self.greeting = Greeting.of(parse(read_frame(self._sock)))
            self._login()
        except BaseException:
            self._drop()  # never pooled half-open: connected but not logged in
            raise

    def _login(self) -> None:
        """<login> (RFC 5730 section 2.9.1.1): version 1.0, English, the services offered."""
        assert self.greeting is not None
        login = etree.Element(etree.QName(EPP_NS, "login"))
        etree.SubElement(login, etree.QName(EPP_NS, "clID")).text = self.server.username
        etree.SubElement(login, etree.QName(EPP_NS, "pw")).text = self.server.password
        options = etree.SubElement(login, etree.QName(EPP_NS, "options"))
        etree.SubElement(options, etree.QName(EPP_NS, "version")).text = "1.0"
        etree.SubElement(options, etree.QName(EPP_NS, "lang")).text = "en"
        svcs = etree.SubElement(login, etree.QName(EPP_NS, "svcs"))
        objects = [uri for uri in OBJECT_URIS if uri in self.greeting.objects]
        if not objects:
            raise EppRefused(self._where("login: the server offers no domain, contact or host"))
        for uri in objects:
            etree.SubElement(svcs, etree.QName(EPP_NS, "objURI")).text = uri
        extensions = [uri for uri in EXTENSION_URIS if uri in self.greeting.extensions]
        if extensions:
            ext = etree.SubElement(svcs, etree.QName(EPP_NS, "svcExtension"))
            for uri in extensions:
                etree.SubElement(ext, etree.QName(EPP_NS, "extURI")).text = uri
        root = etree.Element(etree.QName(EPP_NS, "epp"), nsmap={None: EPP_NS})
        cmd = etree.SubElement(root, etree.QName(EPP_NS, "command"))
        cmd.append(login)
        etree.SubElement(cmd, etree.QName(EPP_NS, "clTRID")).text = new_cltrid()
        self._checked("login", Response.of(self._roundtrip(root)))
        self._last_used = time.monotonic()

    def _roundtrip(self, root: etree._Element) -> etree._Element:
        if self._sock is None:
            raise OSError("not connected")
        self._sock.sendall(frame(to_bytes(root)))
        return parse(read_frame(self._sock))

    def _drop(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with suppress(OSError):
                sock.close()

    def _ensure(self) -> None:
        if self._sock is None:
            self._connect()
            return
        keepalive = float(self.server.settings.get("keepalive") or KEEPALIVE)
        if time.monotonic() - self._last_used > keepalive:
            try:
                self._hello()
            except (OSError, EppError):
                self._drop()
                self._connect()

    # -- commands ------------------------------------------------------------------------

    def _checked(self, what: str, response: Response) -> Response:
        if response.ok:
            return response
        if response.code in SESSION_ENDING:
            self._drop()  # the server closes it after such an answer
        message = self._clean(f"{self._where(what)}: {response.describe()}")
        if response.code in RETRIED:
            raise EppError(message, response.code)
        raise EppRefused(message, response.code)

    def request(
        self,
        verb: str,
        obj: etree._Element | None = None,
        *,
        op: str = "",
        extension: etree._Element | None = None,
        what: str = "",
    ) -> Response:
        """Send one command and return its successful response; EppRefused or EppError (see
        the module docstring). A connection found dropped is reopened once."""
        what = what or verb
        for attempt in (1, 2):
            try:
                self._ensure()
                root = command(verb, obj, op=op, extension=extension, cltrid=new_cltrid())
                answer = self._roundtrip(root)
            except EppError:
                self._drop()
                raise
            except (OSError, ssl.SSLError) as exc:
                self._drop()
                if attempt == 2 or isinstance(exc, ssl.SSLCertVerificationError):
                    raise EppError(self._clean(f"{self._where(what)}: {exc}")) from None
                continue
            self._last_used = time.monotonic()
            return self._checked(what, Response.of(answer))
        raise AssertionError("unreachable")

    def _hello(self) -> Greeting:
        greeting = Greeting.of(self._roundtrip(hello()))
        self._last_used = time.monotonic()
        return greeting

    def hello(self) -> Greeting:
        """<hello> (RFC 5730 section 2.3), logging in first when no session is open; the
        server answers with a greeting. A session found dropped is reopened once."""
        for attempt in (1, 2):
            try:
                if self._sock is None:
                    self._connect()
                return self._hello()
            except EppError:
                self._drop()
                raise
            except (OSError, ssl.SSLError) as exc:
                self._drop()
                if attempt == 2 or isinstance(exc, ssl.SSLCertVerificationError):
                    raise EppError(self._clean(f"{self._where('hello')}: {exc}")) from None
        raise AssertionError("unreachable")

    def logout(self) -> None:
        """<logout> (RFC 5730 section 2.9.1.2): the server answers 1500 and closes."""
        if self._sock is None:
            return
        try:
            self._roundtrip(command("logout", cltrid=new_cltrid()))
        except (OSError, EppError):
            pass
        finally:
            self._drop()


# -- the pool ----------------------------------------------------------------------------

_POOL: dict[tuple[Any, ...], list[EppSession]] = {}
_POOL_LOCK = threading.Lock()


def _key(server: ServerAccess) -> tuple[Any, ...]:
    """Sessions are shared by calls with the same endpoint, credential and TLS settings (a
    changed password or certificate gets a new session; the password only as a digest)."""
    settings = server.settings
    digest = hashlib.sha256(server.password.encode()).hexdigest()
    tls = tuple(str(settings.get(k) or "") for k in ("ca_file", "cert_file", "key_file"))
    return (server.host, server.port, server.username, digest, *tls)


@contextmanager
def session(server: ServerAccess) -> Iterator[EppSession]:
    """A session to the server for one call: an idle one from the pool, else a new one; put
    back afterwards (one thread uses a session at a time)."""
    key = _key(server)
    with _POOL_LOCK:
        idle = _POOL.get(key) or []
        current = idle.pop() if idle else None
    if current is None:
        current = EppSession(server)
    else:
        current.server = server  # the credential as decrypted for this call
    try:
        yield current
    finally:
        current._hidden.clear()
        with _POOL_LOCK:
            _POOL.setdefault(key, []).append(current)


def close_sessions() -> int:
    """Log every pooled session out (at shutdown, in tests); returns how many were open."""
    with _POOL_LOCK:
        sessions = [s for group in _POOL.values() for s in group]
        _POOL.clear()
    open_ones = [s for s in sessions if s.connected]
    for s in open_ones:
        s.logout()
    return len(open_ones)
