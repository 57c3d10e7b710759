"""A local EPP server for the EPP module's tests (no registry can run here).

TLS on a free 127.0.0.1 port with a self-signed certificate (tls.py), EPP's framing (RFC 5734
section 4: a 4-byte length, the four bytes included, then one XML document), a greeting on
connect and on <hello> (RFC 5730 sections 2.3, 2.4), login and logout (section 2.9.1), and
the object commands answered by an in-memory registry (epp_registry.py).

It VALIDATES EVERY DOCUMENT IT RECEIVES against the RFCs' XML schemas (epp_schemas/: RFC 5730
epp-1.0 and eppcom-1.0, RFC 5731 domain-1.0, RFC 5732 host-1.0, RFC 5733 contact-1.0, RFC
3915 rgp-1.0): an invalid one is recorded in `violations` and answered 2001 "Command syntax
error", so the test fails. Every answer it sends is validated too (an invalid answer is a
violation of the server's own, also failing the test).

Tests can make it misbehave: `drop_next = n` closes the connection on each of the next n
commands without doing them; `lose_answer_of = "domain:create"` does the next such command
and closes without answering (the answer lost); `fail_next = 2400` (or 2500, ...) answers
the next command with that code; `drop_all()` closes every open connection (a server restart,
an idle timeout).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import socket
import ssl
import threading
from pathlib import Path

from lxml import etree

from hutor.services.provisioning.epp.protocol import (
    EPP_NS,
    NS,
    OBJECT_URIS,
    RGP_NS,
    ConnectionLost,
    frame,
    read_frame,
)
from hutor.services.provisioning.tests.epp_registry import MESSAGES, Answer, Registry
from hutor.services.provisioning.tests.tls import self_signed_cert

SCHEMAS = Path(__file__).parent / "epp_schemas"
SCHEMA_FILES = ("eppcom-1.0", "epp-1.0", "host-1.0", "domain-1.0", "contact-1.0", "rgp-1.0")
SERVER_ID = "Hutor test EPP server"


@functools.cache
def schema() -> etree.XMLSchema:
    """One schema importing the six RFC schemas (each namespace from its own file)."""
    imports = "".join(
        f'<xs:import namespace="urn:ietf:params:xml:ns:{name}" '
        f'schemaLocation="{(SCHEMAS / f"{name}.xsd").as_uri()}"/>'
        for name in SCHEMA_FILES
    )
    root = etree.fromstring(
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    )
    return etree.XMLSchema(root)


def invalid(document: etree._Element) -> str:
    """Why the document does not validate against the RFC schemas ("" when it does)."""
    checker = schema()
    if checker.validate(document):
        return ""
    return "; ".join(f"line {e.line}: {e.message}" for e in checker.error_log)


def _epp() -> etree._Element:
    return etree.Element(etree.QName(EPP_NS, "epp"), nsmap={None: EPP_NS})


def _e(parent: etree._Element, tag: str, text: str | None = None, **attrs: str):
    node = etree.SubElement(parent, etree.QName(EPP_NS, tag), **attrs)
    node.text = text
    return node


def greeting() -> etree._Element:
    """RFC 5730 section 2.4: svID, svDate, svcMenu (version, lang, objURI, svcExtension) and
    the data collection policy."""
    root = _epp()
    g = _e(root, "greeting")
    _e(g, "svID", SERVER_ID)
    _e(g, "svDate", dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.0Z"))
    menu = _e(g, "svcMenu")
    _e(menu, "version", "1.0")
    _e(menu, "lang", "en")
    for uri in OBJECT_URIS:
        _e(menu, "objURI", uri)
    _e(_e(menu, "svcExtension"), "extURI", RGP_NS)
    dcp = _e(g, "dcp")
    _e(_e(dcp, "access"), "all")
    statement = _e(dcp, "statement")
    purpose = _e(statement, "purpose")
    _e(purpose, "admin")
    _e(purpose, "prov")
    recipient = _e(statement, "recipient")
    _e(recipient, "ours")
    _e(recipient, "public")
    _e(_e(statement, "retention"), "stated")
    return root


class _Connection:
    """One client's session: logged in as `clid` (or not yet)."""

    def __init__(self, sock: ssl.SSLSocket) -> None:
        self.sock = sock
        self.clid = ""
        self.rgp = False


class EppServer:
    """The server; `registry` holds its objects, `clients` the registrars' passwords."""

    def __init__(
        self, folder: Path, clients: dict[str, str], client_ca: Path | None = None
    ) -> None:
        self.registry = Registry()
        self.clients = dict(clients)
        self.violations: list[str] = []
        self.received: list[str] = []  # "login", "domain:create", "hello", "logout", ...
        self.answered: list[int] = []  # the result code of each answer, in order
        self.logins = 0
        self.drop_next = 0  # how many of the next commands to drop
        self.lose_answer_of = ""  # "domain:create": do the next one, then drop (no answer)
        self.fail_next: int | None = None
        self.lock = threading.Lock()
        self._svtrid = itertools.count(1)
        self._connections: list[_Connection] = []
        self.cert, key = self_signed_cert(folder, "epp.test")
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(self.cert, key)
        if client_ca is not None:  # a registry that demands the registrar's certificate
            self._context.verify_mode = ssl.CERT_REQUIRED
            self._context.load_verify_locations(client_ca)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        schema()  # loaded before the first connection

    # -- running -------------------------------------------------------------------------

    def start(self) -> EppServer:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        _close(self._listener)  # shutdown wakes the thread blocked in accept()
        self.drop_all()

    def drop_all(self) -> None:
        with self.lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            _close(conn.sock)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                raw, _addr = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            sock = self._context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            _close(raw)
            return
        conn = _Connection(sock)
        with self.lock:
            self._connections.append(conn)
        try:
            self._send(conn, greeting())
            while True:
                document = read_frame(sock)
                if not self._one(conn, document):
                    break
        except (ConnectionLost, OSError):
            pass
        finally:
            _close(sock)
            with self.lock:
                if conn in self._connections:
                    self._connections.remove(conn)

    def _send(self, conn: _Connection, root: etree._Element) -> None:
        why = invalid(root)
        if why:
            self.violations.append(f"the server's own answer is invalid: {why}")
        conn.sock.sendall(frame(etree.tostring(root, xml_declaration=True, encoding="UTF-8")))

    # -- one document --------------------------------------------------------------------

    def _one(self, conn: _Connection, document: bytes) -> bool:
        """Answer one document; False ends the connection."""
        try:
            root = etree.fromstring(document, etree.XMLParser(resolve_entities=False))
        except etree.XMLSyntaxError as exc:
            self.violations.append(f"not well-formed XML: {exc}")
            self._send(conn, self._response(2001, None))
            return True
        why = invalid(root)
        if why:
            self.violations.append(f"a command outside the RFC schemas: {why}")
            self._send(conn, self._response(2001, root))
            return True
        if root.find("epp:hello", NS) is not None:
            self.received.append("hello")
            self._send(conn, greeting())
            return True
        cmd = root.find("epp:command", NS)
        if cmd is None:
            self.violations.append("a client sent neither <hello> nor <command>")
            self._send(conn, self._response(2001, root))
            return True
        verb = etree.QName(cmd[0]).localname
        obj = cmd[0][0] if len(cmd[0]) else None
        kind = etree.QName(obj).namespace if obj is not None else None
        label = f"{kind.split(':')[-1][:-4]}:{verb}" if kind in OBJECT_URIS else verb
        with self.lock:
            self.received.append(label)
        if verb == "login":
            return self._login(conn, root, cmd[0])
        if verb == "logout":
            if not conn.clid:
                self.violations.append("logout without a login")
            self._send(conn, self._response(1500, root))  # section 2.9.1.2
            return False
        with self.lock:
            drop = self.drop_next > 0
            self.drop_next = max(0, self.drop_next - 1)
            drop_after = bool(self.lose_answer_of) and self.lose_answer_of == label
            if drop_after:
                self.lose_answer_of = ""
            fail, self.fail_next = self.fail_next, None
        if drop:
            return False
        if fail:
            self._send(conn, self._response(fail, root))
            return fail < 2500  # 25xx: "server closing connection"
        if not conn.clid:  # section 2.9.1.1: a command before login is a "use error"
            self.violations.append(f"{label} before login")
            self._send(conn, self._response(2002, root))
            return True
        if obj is None or etree.QName(obj).namespace not in OBJECT_URIS:
            self._send(conn, self._response(2307, root))
            return True
        with self.lock:
            answer = self.registry.handle(
                conn.clid, verb, cmd[0].get("op", ""), obj, conn.rgp, cmd.find("epp:extension", NS)
            )
        if drop_after:
            return False
        self._send(conn, self._response(answer.code, root, answer))
        return True

    def _login(self, conn: _Connection, root: etree._Element, login: etree._Element) -> bool:
        # RFC 5730 section 2.9.1.1: a second login in a session is a use error (2002); a
        # wrong clID/pw is 2200; an objURI or extURI the greeting did not offer, 2307/2103.
        if conn.clid:
            self.violations.append("a second login in one session")
            self._send(conn, self._response(2002, root))
            return True
        clid = login.findtext("epp:clID", "", NS)
        if self.clients.get(clid) != login.findtext("epp:pw", "", NS):
            self._send(conn, self._response(2200, root))
            return True
        wanted = [u.text for u in login.iterfind("epp:svcs/epp:objURI", NS)]
        extensions = [u.text for u in login.iterfind("epp:svcs/epp:svcExtension/epp:extURI", NS)]
        if any(uri not in OBJECT_URIS for uri in wanted):
            self._send(conn, self._response(2307, root))
            return True
        if any(uri != RGP_NS for uri in extensions):
            self._send(conn, self._response(2103, root))
            return True
        conn.clid, conn.rgp = clid, RGP_NS in extensions
        self.logins += 1
        self._send(conn, self._response(1000, root))
        return True

    def _response(
        self, code: int, request: etree._Element | None, answer: Answer | None = None
    ) -> etree._Element:
        """RFC 5730 section 2.6: result (msg, value), resData, extension, trID."""
        root = _epp()
        response = _e(root, "response")
        result = _e(response, "result", code=str(code))
        _e(result, "msg", (answer.message if answer else "") or MESSAGES[code])
        if answer is not None and answer.value is not None:
            _e(result, "value").append(answer.value)
        if answer is not None and answer.res_data is not None:
            _e(response, "resData").append(answer.res_data)
        if answer is not None and answer.extension is not None:
            _e(response, "extension").append(answer.extension)
        trid = _e(response, "trID")
        cltrid = (
            request.findtext("epp:command/epp:clTRID", None, NS) if request is not None else None
        )
        if cltrid:
            _e(trid, "clTRID", cltrid)
        _e(trid, "svTRID", f"TEST-{next(self._svtrid):06d}")
        self.answered.append(code)
        return root


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
