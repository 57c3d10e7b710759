"""The in-memory registry behind the tests' EPP server (epp_server.py): domains, contacts and
hosts, each with the registrar that sponsors it (clID), answering each object command as
RFC 5731 (domain), 5732 (host), 5733 (contact) and RFC 3915 (grace periods) describe, with
RFC 5730 section 3's result codes. Each handler cites its section.

Where an RFC leaves the choice to the registry, the comment says what this one does.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from hutor.services.provisioning.epp.protocol import CONTACT_NS, DOMAIN_NS, HOST_NS, NS, RGP_NS

# RFC 5730 section 3: each code's message, as the RFC words it.
MESSAGES = {
    1000: "Command completed successfully",
    1001: "Command completed successfully; action pending",
    1500: "Command completed successfully; ending session",
    2001: "Command syntax error",
    2002: "Command use error",
    2003: "Required parameter missing",
    2101: "Unimplemented command",
    2103: "Unimplemented extension",
    2106: "Object is not eligible for transfer",
    2200: "Authentication error",
    2201: "Authorization error",
    2202: "Invalid authorization information",
    2300: "Object pending transfer",
    2301: "Object not pending transfer",
    2302: "Object exists",
    2303: "Object does not exist",
    2304: "Object status prohibits operation",
    2306: "Parameter value policy error",
    2307: "Unimplemented object service",
    2400: "Command failed",
    2500: "Command failed; server closing connection",
    2501: "Authentication error; server closing connection",
    2502: "Session limit exceeded; server closing connection",
}

ADD_PERIOD = dt.timedelta(days=5)  # RFC 3915 section 2: "typically five days"
TRANSFER_WAIT = dt.timedelta(days=5)


@dataclass
class Answer:
    code: int
    res_data: etree._Element | None = None
    extension: etree._Element | None = None
    value: etree._Element | None = None  # the element the error is about (<value>)
    message: str = ""


@dataclass
class Transfer:
    status: str  # eppcom:trStatusType
    gaining: str
    requested: dt.datetime
    losing: str
    acted: dt.datetime


@dataclass
class Domain:
    name: str
    roid: str
    sponsor: str
    registrant: str
    contacts: list[tuple[str, str]]
    hosts: list[str]  # hostObj names or hostAttr hostNames
    created: dt.datetime
    expires: dt.datetime
    auth: str
    statuses: set[str] = field(default_factory=set)
    transfer: Transfer | None = None
    grace: set[str] = field(default_factory=set)  # rgp statuses beyond the add period


@dataclass
class Contact:
    id: str
    roid: str
    sponsor: str
    details: list[etree._Element]  # postalInfo, voice, fax, email as the client sent them
    auth: str
    created: dt.datetime


@dataclass
class Host:
    name: str
    roid: str
    sponsor: str
    addresses: list[tuple[str, str]]
    created: dt.datetime


def _t(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.0Z")


def _el(ns: str, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    prefix = next(p for p, uri in NS.items() if uri == ns)
    node = etree.Element(etree.QName(ns, tag), nsmap={prefix: ns}, **attrs)
    node.text = text
    return node


def _sub(parent: etree._Element, ns: str, tag: str, text: str | None = None, **attrs: str):
    node = etree.SubElement(parent, etree.QName(ns, tag), **attrs)
    node.text = text
    return node


def _text(node: etree._Element, path: str) -> str:
    return (node.findtext(path, "", NS) or "").strip()


class Registry:
    """Objects by key; `handle(clid, verb, op, obj, with_rgp)` answers one object command."""

    def __init__(self) -> None:
        self.domains: dict[str, Domain] = {}
        self.contacts: dict[str, Contact] = {}
        self.hosts: dict[str, Host] = {}
        self.reserved: set[str] = set()
        self._ids = itertools.count(1)
        self.now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC).replace(microsecond=0)

    def _roid(self, kind: str) -> str:
        return f"{kind}{next(self._ids)}-TEST"  # eppcom:roidType (\w|_){1,80}-\w{1,8}

    # -- helpers for tests ---------------------------------------------------------------

    def add_contact(self, handle: str, sponsor: str) -> Contact:
        email = _el(CONTACT_NS, "email", f"{handle.lower()}@example.net")
        info = _el(CONTACT_NS, "postalInfo", type="loc")
        _sub(info, CONTACT_NS, "name", handle)
        addr = _sub(info, CONTACT_NS, "addr")
        _sub(addr, CONTACT_NS, "city", "Moscow")
        _sub(addr, CONTACT_NS, "cc", "RU")
        contact = Contact(handle, self._roid("C"), sponsor, [info, email], "C0ntact!pw", self.now())
        self.contacts[handle] = contact
        return contact

    def add_host(self, name: str, sponsor: str) -> Host:
        host = Host(name, self._roid("H"), sponsor, [], self.now())
        self.hosts[name] = host
        return host

    def add_domain(self, name: str, sponsor: str, *, registrant: str = "", years: int = 1):
        registrant = (
            registrant or self.add_contact(f"{sponsor[:8]}-r{len(self.domains)}", sponsor).id
        )
        now = self.now()
        domain = Domain(
            name, self._roid("D"), sponsor, registrant, [], [], now - ADD_PERIOD * 10,
            now.replace(year=now.year + years), "Dom@1nPw-x", {"ok"},
        )  # fmt: skip
        self.domains[name] = domain
        return domain

    def approve_transfer(self, name: str) -> None:
        """The losing registrar approves (RFC 5731 section 3.2.4, op="approve")."""
        domain = self.domains[name]
        assert domain.transfer is not None and domain.transfer.status == "pending"
        domain.transfer.status = "clientApproved"
        domain.transfer.acted = self.now()
        domain.sponsor = domain.transfer.gaining
        domain.statuses.discard("pendingTransfer")
        domain.statuses = domain.statuses or {"ok"}

    # -- dispatch ------------------------------------------------------------------------

    def handle(
        self,
        clid: str,
        verb: str,
        op: str,
        obj: etree._Element,
        rgp: bool,
        extension: etree._Element | None = None,
    ) -> Answer:
        kind = etree.QName(obj).namespace
        name = {DOMAIN_NS: "domain", CONTACT_NS: "contact", HOST_NS: "host"}.get(kind or "", "")
        handler = getattr(self, f"{name}_{verb}", None)
        if handler is None:
            return Answer(2101)
        if verb == "transfer":
            return handler(clid, obj, op)
        if name == "domain" and verb == "info":
            return handler(clid, obj, rgp)
        if name == "domain" and verb == "update" and extension is not None:
            restore = extension.find("rgp:update/rgp:restore", NS)
            if restore is not None:
                return self.domain_restore(clid, obj, restore.get("op", ""))
        return handler(clid, obj)

    # -- domain (RFC 5731) ---------------------------------------------------------------

    def domain_check(self, clid: str, obj: etree._Element) -> Answer:
        # Section 3.1.1: chkData with one cd per name, avail 1/0 and a reason when taken.
        data = _el(DOMAIN_NS, "chkData")
        for name_node in obj.iterfind("domain:name", NS):
            name = (name_node.text or "").strip().lower()
            cd = _sub(data, DOMAIN_NS, "cd")
            taken = name in self.domains or name in self.reserved
            _sub(cd, DOMAIN_NS, "name", name, avail="0" if taken else "1")
            if taken:
                _sub(cd, DOMAIN_NS, "reason", "In use" if name in self.domains else "Reserved")
        return Answer(1000, data)

    def _domain(self, obj: etree._Element) -> tuple[str, Domain | None]:
        name = _text(obj, "domain:name").lower()
        return name, self.domains.get(name)

    def _missing(self, ns: str, tag: str, key: str) -> Answer:
        return Answer(2303, value=_el(ns, tag, key))

    def domain_info(self, clid: str, obj: etree._Element, rgp: bool) -> Answer:
        # Section 3.1.2. A client that does not sponsor the domain and gives no valid
        # authInfo gets it without authInfo (the RFC lets the server limit what it shows).
        name, domain = self._domain(obj)
        if domain is None:
            return self._missing(DOMAIN_NS, "name", name)
        data = _el(DOMAIN_NS, "infData")
        _sub(data, DOMAIN_NS, "name", domain.name)
        _sub(data, DOMAIN_NS, "roid", domain.roid)
        for status in sorted(domain.statuses):
            _sub(data, DOMAIN_NS, "status", s=status)
        _sub(data, DOMAIN_NS, "registrant", domain.registrant)
        for kind, handle in domain.contacts:
            _sub(data, DOMAIN_NS, "contact", handle, type=kind)
        if domain.hosts:
            ns = _sub(data, DOMAIN_NS, "ns")
            for host in domain.hosts:
                _sub(ns, DOMAIN_NS, "hostObj", host)
        _sub(data, DOMAIN_NS, "clID", domain.sponsor)
        _sub(data, DOMAIN_NS, "crID", domain.sponsor)
        _sub(data, DOMAIN_NS, "crDate", _t(domain.created))
        _sub(data, DOMAIN_NS, "exDate", _t(domain.expires))
        shown = clid == domain.sponsor or _text(obj, "domain:authInfo/domain:pw") == domain.auth
        if shown and domain.auth:
            _sub(_sub(data, DOMAIN_NS, "authInfo"), DOMAIN_NS, "pw", domain.auth)
        extension = None
        grace = set(domain.grace)
        if self.now() - domain.created < ADD_PERIOD:
            grace.add("addPeriod")
        if rgp and grace:  # RFC 3915 section 4.1.2: rgp:infData with each rgpStatus
            extension = _el(RGP_NS, "infData")
            for status in sorted(grace):
                _sub(extension, RGP_NS, "rgpStatus", s=status)
        return Answer(1000, data, extension)

    def domain_create(self, clid: str, obj: etree._Element) -> Answer:
        # Section 3.2.1: 2302 when the name is taken; every referenced contact and host
        # object must exist (this registry answers 2303 with the missing one as <value>).
        name, existing = self._domain(obj)
        if existing is not None or name in self.reserved:
            return Answer(2302, value=_el(DOMAIN_NS, "name", name))
        registrant = _text(obj, "domain:registrant")
        contacts = [
            (c.get("type", ""), (c.text or "").strip()) for c in obj.iterfind("domain:contact", NS)
        ]
        for handle in [registrant, *(h for _k, h in contacts)]:
            if handle and handle not in self.contacts:
                return self._missing(CONTACT_NS, "id", handle)
        hosts = [
            (h.text or "").strip().lower() for h in obj.iterfind("domain:ns/domain:hostObj", NS)
        ]
        hosts += [
            _text(h, "domain:hostName").lower()
            for h in obj.iterfind("domain:ns/domain:hostAttr", NS)
        ]
        for host in hosts if obj.find("domain:ns/domain:hostObj", NS) is not None else []:
            if host not in self.hosts:
                return self._missing(HOST_NS, "name", host)
        period = obj.find("domain:period", NS)
        years = int(period.text) if period is not None else 1
        if period is not None and period.get("unit") == "m":
            years = max(1, years // 12)
        if years > 10:  # section 2.5: at most 99; this registry's policy: ten years
            return Answer(2306, value=_el(DOMAIN_NS, "period", str(years), unit="y"))
        now = self.now()
        self.domains[name] = Domain(
            name, self._roid("D"), clid, registrant, contacts, hosts, now,
            now.replace(year=now.year + years), _text(obj, "domain:authInfo/domain:pw"), {"ok"},
        )  # fmt: skip
        data = _el(DOMAIN_NS, "creData")
        _sub(data, DOMAIN_NS, "name", name)
        _sub(data, DOMAIN_NS, "crDate", _t(now))
        _sub(data, DOMAIN_NS, "exDate", _t(self.domains[name].expires))
        return Answer(1000, data)

    def domain_renew(self, clid: str, obj: etree._Element) -> Answer:
        # Section 3.2.3: only the sponsor renews (2201); curExpDate must be the current
        # expiry date, so a repeated renew fails (this registry: 2306 with the date).
        name, domain = self._domain(obj)
        if domain is None:
            return self._missing(DOMAIN_NS, "name", name)
        if domain.sponsor != clid:
            return Answer(2201)
        current = _text(obj, "domain:curExpDate")
        if current != domain.expires.date().isoformat():
            return Answer(2306, value=_el(DOMAIN_NS, "curExpDate", current))
        period = obj.find("domain:period", NS)
        years = int(period.text) if period is not None else 1
        domain.expires = domain.expires.replace(year=domain.expires.year + years)
        data = _el(DOMAIN_NS, "renData")
        _sub(data, DOMAIN_NS, "name", name)
        _sub(data, DOMAIN_NS, "exDate", _t(domain.expires))
        return Answer(1000, data)

    def _trn_data(self, domain: Domain) -> etree._Element:
        transfer = domain.transfer
        assert transfer is not None
        data = _el(DOMAIN_NS, "trnData")
        _sub(data, DOMAIN_NS, "name", domain.name)
        _sub(data, DOMAIN_NS, "trStatus", transfer.status)
        _sub(data, DOMAIN_NS, "reID", transfer.gaining)
        _sub(data, DOMAIN_NS, "reDate", _t(transfer.requested))
        _sub(data, DOMAIN_NS, "acID", transfer.losing)
        _sub(data, DOMAIN_NS, "acDate", _t(transfer.acted))
        _sub(data, DOMAIN_NS, "exDate", _t(domain.expires))
        return data

    def domain_transfer(self, clid: str, obj: etree._Element, op: str) -> Answer:
        # Section 3.2.4. request: 1001 and trnData (pending) with the right authInfo; 2202
        # with a wrong one; 2106 for the sponsor itself; 2304 while clientTransferProhibited;
        # 2300 while one is pending. query: 2301 when there never was one; the sponsor, the
        # gaining client or a holder of the authInfo may ask (others: 2201).
        name, domain = self._domain(obj)
        if domain is None:
            return self._missing(DOMAIN_NS, "name", name)
        auth = _text(obj, "domain:authInfo/domain:pw")
        if op == "query":
            if domain.transfer is None:
                return Answer(2301)
            allowed = {domain.sponsor, domain.transfer.gaining, domain.transfer.losing}
            if clid not in allowed and auth != domain.auth:
                return Answer(2201)
            return Answer(1000, self._trn_data(domain))
        if op != "request":
            return Answer(2101)
        if domain.sponsor == clid:
            return Answer(2106)
        if domain.transfer is not None and domain.transfer.status == "pending":
            return Answer(2300)
        if auth != domain.auth:
            return Answer(2202)
        if "clientTransferProhibited" in domain.statuses:
            return Answer(2304, value=_el(DOMAIN_NS, "name", name))
        now = self.now()
        domain.transfer = Transfer("pending", clid, now, domain.sponsor, now + TRANSFER_WAIT)
        domain.statuses = (domain.statuses - {"ok"}) | {"pendingTransfer"}
        return Answer(1001, self._trn_data(domain))

    def domain_update(self, clid: str, obj: etree._Element) -> Answer:
        # Section 3.2.5: only the sponsor (2201); added host objects must exist (2303); the
        # client may set and clear only client* statuses (others: 2306).
        name, domain = self._domain(obj)
        if domain is None:
            return self._missing(DOMAIN_NS, "name", name)
        if domain.sponsor != clid:
            return Answer(2201)
        for part in ("add", "rem"):
            for status in obj.iterfind(f"domain:{part}/domain:status", NS):
                if not status.get("s", "").startswith("client"):
                    return Answer(2306, value=_el(DOMAIN_NS, "status", s=status.get("s", "")))
        added = [
            (h.text or "").strip().lower()
            for h in obj.iterfind("domain:add/domain:ns/domain:hostObj", NS)
        ]
        for host in added:
            if host not in self.hosts:
                return self._missing(HOST_NS, "name", host)
        removed = [
            (h.text or "").strip().lower()
            for h in obj.iterfind("domain:rem/domain:ns/domain:hostObj", NS)
        ]
        domain.hosts = [h for h in domain.hosts if h not in removed] + [
            h for h in added if h not in domain.hosts
        ]
        for status in obj.iterfind("domain:add/domain:status", NS):
            domain.statuses = (domain.statuses - {"ok"}) | {status.get("s", "")}
        for status in obj.iterfind("domain:rem/domain:status", NS):
            domain.statuses.discard(status.get("s", ""))
        domain.statuses = domain.statuses or {"ok"}
        if obj.find("domain:chg/domain:authInfo/domain:pw", NS) is not None:
            domain.auth = _text(obj, "domain:chg/domain:authInfo/domain:pw")
        if obj.find("domain:chg/domain:registrant", NS) is not None:
            domain.registrant = _text(obj, "domain:chg/domain:registrant")
        return Answer(1000)

    def domain_restore(self, clid: str, obj: etree._Element, op: str) -> Answer:
        # RFC 3915 section 4.2.5: a restore request for a domain in its redemption period; one
        # that is not is refused with 2304 (object status prohibits operation, RFC 5730 section
        # 3). This registry restores at once, without the pendingRestore wait and the restore
        # report (op="report") that some registries want.
        name, domain = self._domain(obj)
        if domain is None:
            return self._missing(DOMAIN_NS, "name", name)
        if domain.sponsor != clid:
            return Answer(2201)
        if op != "request" or "redemptionPeriod" not in domain.grace:
            return Answer(2304)
        domain.grace.clear()
        domain.statuses = (domain.statuses - {"pendingDelete"}) or {"ok"}
        return Answer(1000)

    def domain_delete(self, clid: str, obj: etree._Element) -> Answer:
        # Section 3.2.2: only the sponsor (2201).
        name, domain = self._domain(obj)
        if domain is None:
            return self._missing(DOMAIN_NS, "name", name)
        if domain.sponsor != clid:
            return Answer(2201)
        del self.domains[name]
        return Answer(1000)

    # -- contact (RFC 5733) --------------------------------------------------------------

    def contact_check(self, clid: str, obj: etree._Element) -> Answer:
        # Section 3.1.1.
        data = _el(CONTACT_NS, "chkData")
        for node in obj.iterfind("contact:id", NS):
            handle = (node.text or "").strip()
            cd = _sub(data, CONTACT_NS, "cd")
            _sub(cd, CONTACT_NS, "id", handle, avail="0" if handle in self.contacts else "1")
            if handle in self.contacts:
                _sub(cd, CONTACT_NS, "reason", "In use")
        return Answer(1000, data)

    def contact_create(self, clid: str, obj: etree._Element) -> Answer:
        # Section 3.2.1: 2302 when the id is taken.
        handle = _text(obj, "contact:id")
        if handle in self.contacts:
            return Answer(2302, value=_el(CONTACT_NS, "id", handle))
        details = [copy.deepcopy(n) for n in obj if etree.QName(n).localname in _DETAILS]
        auth = _text(obj, "contact:authInfo/contact:pw")
        self.contacts[handle] = Contact(handle, self._roid("C"), clid, details, auth, self.now())
        data = _el(CONTACT_NS, "creData")
        _sub(data, CONTACT_NS, "id", handle)
        _sub(data, CONTACT_NS, "crDate", _t(self.now()))
        return Answer(1000, data)

    def contact_info(self, clid: str, obj: etree._Element) -> Answer:
        # Section 3.1.2; authInfo only for the sponsor.
        handle = _text(obj, "contact:id")
        contact = self.contacts.get(handle)
        if contact is None:
            return self._missing(CONTACT_NS, "id", handle)
        data = _el(CONTACT_NS, "infData")
        _sub(data, CONTACT_NS, "id", contact.id)
        _sub(data, CONTACT_NS, "roid", contact.roid)
        _sub(data, CONTACT_NS, "status", s="ok")
        for node in sorted(contact.details, key=lambda n: _DETAILS.index(etree.QName(n).localname)):
            data.append(copy.deepcopy(node))
        _sub(data, CONTACT_NS, "clID", contact.sponsor)
        _sub(data, CONTACT_NS, "crID", contact.sponsor)
        _sub(data, CONTACT_NS, "crDate", _t(contact.created))
        if clid == contact.sponsor:
            _sub(_sub(data, CONTACT_NS, "authInfo"), CONTACT_NS, "pw", contact.auth)
        return Answer(1000, data)

    def contact_update(self, clid: str, obj: etree._Element) -> Answer:
        # Section 3.2.5: only the sponsor (2201); chg replaces what it carries.
        handle = _text(obj, "contact:id")
        contact = self.contacts.get(handle)
        if contact is None:
            return self._missing(CONTACT_NS, "id", handle)
        if contact.sponsor != clid:
            return Answer(2201)
        chg = obj.find("contact:chg", NS)
        if chg is not None:
            given = [copy.deepcopy(n) for n in chg if etree.QName(n).localname in _DETAILS]
            kinds = {etree.QName(n).localname for n in given}
            kept = [n for n in contact.details if etree.QName(n).localname not in kinds]
            contact.details = kept + given
        return Answer(1000)

    # -- host (RFC 5732) -----------------------------------------------------------------

    def host_check(self, clid: str, obj: etree._Element) -> Answer:
        # Section 3.1.1.
        data = _el(HOST_NS, "chkData")
        for node in obj.iterfind("host:name", NS):
            name = (node.text or "").strip().lower()
            cd = _sub(data, HOST_NS, "cd")
            _sub(cd, HOST_NS, "name", name, avail="0" if name in self.hosts else "1")
            if name in self.hosts:
                _sub(cd, HOST_NS, "reason", "In use")
        return Answer(1000, data)

    def host_create(self, clid: str, obj: etree._Element) -> Answer:
        # Section 3.2.1: 2302 when it exists; a host inside a domain this registry holds
        # needs an address (section 1.1: "glue"), else 2003.
        name = _text(obj, "host:name").lower()
        if name in self.hosts:
            return Answer(2302, value=_el(HOST_NS, "name", name))
        addresses = [
            (a.get("ip", "v4"), (a.text or "").strip()) for a in obj.iterfind("host:addr", NS)
        ]
        parent = name.split(".", 1)[-1]
        if parent in self.domains and not addresses:
            return Answer(2003, value=_el(HOST_NS, "name", name))
        self.hosts[name] = Host(name, self._roid("H"), clid, addresses, self.now())
        data = _el(HOST_NS, "creData")
        _sub(data, HOST_NS, "name", name)
        _sub(data, HOST_NS, "crDate", _t(self.now()))
        return Answer(1000, data)


# The contact details in contact:infData's order (RFC 5733 section 3.1.2).
_DETAILS = ["postalInfo", "voice", "fax", "email"]
