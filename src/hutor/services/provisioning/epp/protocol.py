"""EPP on the wire: namespaces, frames, commands and responses, result codes (RFC 5730, 5734).

A frame is a 4-byte big-endian total length (the four bytes included) followed by one XML
document (RFC 5734 section 4). Every document is an <epp> element in the EPP namespace; a
command carries one verb (check, create, ...) whose child is in an object's namespace
(domain, contact, host: RFC 5731-5733), an optional <extension> and a <clTRID> (RFC 5730
section 2.5). A response carries one or more <result code="...">, optional <resData> and
<extension>, and the transaction ids (section 2.6).

Result codes (RFC 5730 section 3): 1xxx is success; 2xxx an error. What billing does with one:
ProvisioningError (the worker retries) for a failure that may pass (2400 "Command failed",
2500-2502 "... server closing connection"), ProvisioningRefused with the server's message for
everything else (2302 "Object exists", 2303 "Object does not exist", 2201/2202 authorization,
2305/2306/2308 policy: no retry changes those).
"""

from __future__ import annotations

import secrets
import socket
import ssl
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from hutor.services.provisioning.base import ProvisioningError, ProvisioningRefused

EPP_NS = "urn:ietf:params:xml:ns:epp-1.0"
DOMAIN_NS = "urn:ietf:params:xml:ns:domain-1.0"
CONTACT_NS = "urn:ietf:params:xml:ns:contact-1.0"
HOST_NS = "urn:ietf:params:xml:ns:host-1.0"
RGP_NS = "urn:ietf:params:xml:ns:rgp-1.0"  # RFC 3915, registry grace period
NS = {"epp": EPP_NS, "domain": DOMAIN_NS, "contact": CONTACT_NS, "host": HOST_NS, "rgp": RGP_NS}

OBJECT_URIS = (DOMAIN_NS, CONTACT_NS, HOST_NS)
EXTENSION_URIS = (RGP_NS,)

PORT = 700  # RFC 5734 section 2: the IANA-assigned port for EPP over TCP/TLS
MAX_FRAME = 16 * 1024 * 1024  # no registry answer comes near; a wrong header would

# Codes the worker retries (the failure may pass); 25xx also end the session.
RETRIED = frozenset({2400, 2500, 2501, 2502})
SESSION_ENDING = frozenset({2500, 2501, 2502})

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)


class EppError(ProvisioningError):
    """The registry could not be reached, dropped the session, or failed a command in a way
    that may pass (2400, 2500-2502): the worker retries."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class EppRefused(EppError, ProvisioningRefused):
    """The registry answered a 2xxx code no retry changes (2302, 2303, 2201, 2202, 2305,
    2306, 2308, ...): its message is kept for staff."""


class ConnectionLost(OSError):
    """The server closed the connection (end of stream inside or between frames)."""


def clean(text: str, hidden: Iterable[str]) -> str:
    """One line of at most 500 characters with no secret in it."""
    for secret in hidden:
        if secret:
            text = text.replace(secret, "••••••")
    return " ".join(text.split())[:500]


# -- frames (RFC 5734 section 4) ---------------------------------------------------------


def frame(payload: bytes) -> bytes:
    return struct.pack("!I", len(payload) + 4) + payload


def _read_exact(sock: socket.socket | ssl.SSLSocket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 65536))
        if not chunk:
            raise ConnectionLost("the server closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(sock: socket.socket | ssl.SSLSocket) -> bytes:
    (total,) = struct.unpack("!I", _read_exact(sock, 4))
    if total <= 4 or total > MAX_FRAME:
        raise ConnectionLost(f"not an EPP frame (length {total})")
    return _read_exact(sock, total - 4)


# -- XML ---------------------------------------------------------------------------------


def element(ns: str, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    """An element of an object namespace, with its prefix declared on it."""
    prefix = next(p for p, uri in NS.items() if uri == ns)
    node = etree.Element(etree.QName(ns, tag), nsmap={prefix: ns}, **attrs)
    if text is not None:
        node.text = text
    return node


def sub(
    parent: etree._Element, ns: str, tag: str, text: str | None = None, **attrs: str
) -> etree._Element:
    node = etree.SubElement(parent, etree.QName(ns, tag), **attrs)
    if text is not None:
        node.text = text
    return node


def new_cltrid() -> str:
    """A client transaction id (epp:trIDStringType, 3-64 characters), new per command."""
    return f"HUTOR-{secrets.token_hex(10)}"


def command(
    verb: str,
    obj: etree._Element | None = None,
    *,
    op: str = "",
    extension: etree._Element | None = None,
    cltrid: str = "",
) -> etree._Element:
    """<epp><command><verb [op]>obj</verb>[<extension>][<clTRID>]</command></epp>."""
    root = etree.Element(etree.QName(EPP_NS, "epp"), nsmap={None: EPP_NS})
    cmd = etree.SubElement(root, etree.QName(EPP_NS, "command"))
    verb_node = etree.SubElement(cmd, etree.QName(EPP_NS, verb))
    if op:
        verb_node.set("op", op)
    if obj is not None:
        verb_node.append(obj)
    if extension is not None:
        ext = etree.SubElement(cmd, etree.QName(EPP_NS, "extension"))
        ext.append(extension)
    if cltrid:
        etree.SubElement(cmd, etree.QName(EPP_NS, "clTRID")).text = cltrid
    return root


def hello() -> etree._Element:
    root = etree.Element(etree.QName(EPP_NS, "epp"), nsmap={None: EPP_NS})
    etree.SubElement(root, etree.QName(EPP_NS, "hello"))
    return root


def to_bytes(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def parse(data: bytes) -> etree._Element:
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise EppError(f"not an EPP document: {exc}") from None
    if root.tag != etree.QName(EPP_NS, "epp"):
        raise EppError(f"not an EPP document: root {root.tag}")
    return root


@dataclass(frozen=True)
class Greeting:
    """What the server offers (RFC 5730 section 2.4)."""

    server_id: str
    objects: tuple[str, ...]
    extensions: tuple[str, ...]

    @classmethod
    def of(cls, root: etree._Element) -> Greeting:
        greeting = root.find("epp:greeting", NS)
        if greeting is None:
            raise EppError("the server did not greet with an EPP <greeting>")
        menu = "epp:svcMenu/epp:"
        return cls(
            server_id=greeting.findtext("epp:svID", "", NS),
            objects=tuple(t.text or "" for t in greeting.iterfind(f"{menu}objURI", NS)),
            extensions=tuple(
                t.text or "" for t in greeting.iterfind(f"{menu}svcExtension/epp:extURI", NS)
            ),
        )


@dataclass(frozen=True)
class Response:
    """One response: its first result's code and message, the values the server pointed at,
    and the whole document for resData/extension."""

    code: int
    message: str
    values: tuple[str, ...]
    root: Any  # etree._Element

    @classmethod
    def of(cls, root: etree._Element) -> Response:
        result = root.find("epp:response/epp:result", NS)
        if result is None:
            raise EppError("an EPP answer without a <response><result>")
        try:
            code = int(result.get("code", ""))
        except ValueError:
            raise EppError("an EPP result without a numeric code") from None
        values = tuple(
            " ".join("".join(v.itertext()).split())
            for v in result.iterfind(".//epp:value", NS)
            if "".join(v.itertext()).strip()
        )
        return cls(code, " ".join(result.findtext("epp:msg", "", NS).split()), values, root)

    @property
    def ok(self) -> bool:
        return 1000 <= self.code < 2000

    def find(self, path: str) -> Any:
        return self.root.find(f"epp:response/{path}", NS)

    def findall(self, path: str) -> list[Any]:
        return list(self.root.iterfind(f"epp:response/{path}", NS))

    def text(self, path: str) -> str:
        node = self.find(path)
        return (node.text or "").strip() if node is not None else ""

    def describe(self) -> str:
        extra = f" ({'; '.join(self.values)})" if self.values else ""
        return f"EPP {self.code} {self.message}{extra}"
