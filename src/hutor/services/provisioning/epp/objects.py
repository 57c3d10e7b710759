"""The object commands Hutor sends and the answers it reads: domain (RFC 5731), contact
(RFC 5733), host (RFC 5732), the registry grace period extension (RFC 3915).

Each builder returns the object element that goes inside the command's verb, in the order
the RFC's schema demands (tests/epp_server.py validates every command against the schemas).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from hutor.services.provisioning.epp.protocol import (
    CONTACT_NS,
    DOMAIN_NS,
    HOST_NS,
    NS,
    RGP_NS,
    Response,
    element,
    sub,
)
from hutor.services.provisioning.registrar import Registrant

LOCK_STATUS = "clientTransferProhibited"


def _date(text: str) -> dt.date | None:
    """The date of an EPP dateTime ("2027-04-03T22:00:00.0Z") or date."""
    return dt.date.fromisoformat(text[:10]) if text else None


# -- domain (RFC 5731) -------------------------------------------------------------------


def domain_check(names: Sequence[str]) -> etree._Element:
    """<domain:check> (section 3.1.1): one or more names."""
    node = element(DOMAIN_NS, "check")
    for name in names:
        sub(node, DOMAIN_NS, "name", name)
    return node


def read_domain_check(response: Response) -> dict[str, tuple[bool, str]]:
    """name -> (available, the registry's reason when not), from <domain:chkData>."""
    found: dict[str, tuple[bool, str]] = {}
    for cd in response.findall("epp:resData/domain:chkData/domain:cd"):
        name = cd.find("domain:name", NS)
        avail = (name.get("avail") or "").lower() in ("1", "true")
        found[(name.text or "").strip().lower()] = (avail, cd.findtext("domain:reason", "", NS))
    return found


def _ns(parent: etree._Element, nameservers: Sequence[str], host_objects: bool) -> None:
    """<domain:ns>: host objects by name (hostObj) or host attributes (hostAttr/hostName),
    as the registry's policy is (section 1.1)."""
    ns = sub(parent, DOMAIN_NS, "ns")
    for host in nameservers:
        if host_objects:
            sub(ns, DOMAIN_NS, "hostObj", host)
        else:
            sub(sub(ns, DOMAIN_NS, "hostAttr"), DOMAIN_NS, "hostName", host)


def domain_create(
    name: str,
    *,
    years: int,
    nameservers: Sequence[str],
    host_objects: bool,
    registrant: str,
    contacts: Mapping[str, str],
    auth_code: str,
) -> etree._Element:
    """<domain:create> (section 3.2.1): name, period, ns, registrant, contacts, authInfo."""
    node = element(DOMAIN_NS, "create")
    sub(node, DOMAIN_NS, "name", name)
    sub(node, DOMAIN_NS, "period", str(years), unit="y")
    if nameservers:
        _ns(node, nameservers, host_objects)
    sub(node, DOMAIN_NS, "registrant", registrant)
    for kind, handle in contacts.items():
        sub(node, DOMAIN_NS, "contact", handle, type=kind)
    sub(sub(node, DOMAIN_NS, "authInfo"), DOMAIN_NS, "pw", auth_code)
    return node


def domain_info(name: str, auth_code: str = "") -> etree._Element:
    """<domain:info> (section 3.1.2) asking for every host."""
    node = element(DOMAIN_NS, "info")
    sub(node, DOMAIN_NS, "name", name, hosts="all")
    if auth_code:
        sub(sub(node, DOMAIN_NS, "authInfo"), DOMAIN_NS, "pw", auth_code)
    return node


@dataclass(frozen=True)
class DomainData:
    """What <domain:infData> (and rgp:infData) said."""

    name: str
    sponsor: str  # clID: the registrar it belongs to
    registrant: str
    statuses: tuple[str, ...]
    nameservers: tuple[str, ...]
    expires_on: dt.date | None
    auth_code: str
    grace: tuple[str, ...]

    @property
    def locked(self) -> bool:
        return LOCK_STATUS in self.statuses


def read_domain_info(response: Response) -> DomainData:
    data = response.find("epp:resData/domain:infData")
    if data is None:
        raise ValueError("no <domain:infData> in the answer")
    hosts = [h.text or "" for h in data.iterfind("domain:ns/domain:hostObj", NS)]
    hosts += [h.text or "" for h in data.iterfind("domain:ns/domain:hostAttr/domain:hostName", NS)]
    grace = response.findall("epp:extension/rgp:infData/rgp:rgpStatus")
    return DomainData(
        name=data.findtext("domain:name", "", NS).strip().lower(),
        sponsor=data.findtext("domain:clID", "", NS).strip(),
        registrant=data.findtext("domain:registrant", "", NS).strip(),
        statuses=tuple(s.get("s", "") for s in data.iterfind("domain:status", NS)),
        nameservers=tuple(h.strip().lower().rstrip(".") for h in hosts),
        expires_on=_date(data.findtext("domain:exDate", "", NS).strip()),
        auth_code=data.findtext("domain:authInfo/domain:pw", "", NS),
        grace=tuple(g.get("s", "") for g in grace),
    )


def domain_renew(name: str, *, current_expiry: dt.date, years: int) -> etree._Element:
    """<domain:renew> (section 3.2.3): curExpDate guards against a repeated renewal."""
    node = element(DOMAIN_NS, "renew")
    sub(node, DOMAIN_NS, "name", name)
    sub(node, DOMAIN_NS, "curExpDate", current_expiry.isoformat())
    sub(node, DOMAIN_NS, "period", str(years), unit="y")
    return node


def read_expiry(response: Response, data: str) -> dt.date | None:
    """exDate of <domain:renData> or <domain:creData>/<domain:trnData>."""
    return _date(response.text(f"epp:resData/domain:{data}/domain:exDate"))


def domain_transfer(name: str, auth_code: str = "") -> etree._Element:
    """<domain:transfer> (section 3.2.4) for op="request" (with the auth code) or "query"."""
    node = element(DOMAIN_NS, "transfer")
    sub(node, DOMAIN_NS, "name", name)
    if auth_code:
        sub(sub(node, DOMAIN_NS, "authInfo"), DOMAIN_NS, "pw", auth_code)
    return node


@dataclass(frozen=True)
class TransferData:
    status: str  # eppcom:trStatusType: pending, clientApproved, serverApproved, ...
    gaining: str  # reID
    losing: str  # acID


def read_transfer(response: Response) -> TransferData:
    prefix = "epp:resData/domain:trnData/domain:"
    return TransferData(
        status=response.text(f"{prefix}trStatus"),
        gaining=response.text(f"{prefix}reID"),
        losing=response.text(f"{prefix}acID"),
    )


def domain_update(
    name: str,
    *,
    add_ns: Sequence[str] = (),
    rem_ns: Sequence[str] = (),
    host_objects: bool = True,
    add_status: Iterable[str] = (),
    rem_status: Iterable[str] = (),
    auth_code: str = "",
    empty_chg: bool = False,
) -> etree._Element:
    """<domain:update> (section 3.2.5): add, rem, chg in that order. `empty_chg`: a bare
    <domain:chg/>, the body RFC 3915's restore carries (section 4.2.5)."""
    node = element(DOMAIN_NS, "update")
    sub(node, DOMAIN_NS, "name", name)
    for tag, hosts, statuses in (("add", add_ns, add_status), ("rem", rem_ns, rem_status)):
        statuses = list(statuses)
        if hosts or statuses:
            part = sub(node, DOMAIN_NS, tag)
            if hosts:
                _ns(part, hosts, host_objects)
            for status in statuses:
                sub(part, DOMAIN_NS, "status", s=status)
    if auth_code:
        chg = sub(node, DOMAIN_NS, "chg")
        sub(sub(chg, DOMAIN_NS, "authInfo"), DOMAIN_NS, "pw", auth_code)
    elif empty_chg:
        sub(node, DOMAIN_NS, "chg")
    return node


def rgp_restore_request() -> etree._Element:
    """RFC 3915 section 4.2.5: <rgp:update><rgp:restore op="request"/></rgp:update>, the
    extension of a <domain:update> that asks to restore a domain in its redemption period."""
    node = element(RGP_NS, "update")
    sub(node, RGP_NS, "restore", op="request")
    return node


def domain_delete(name: str) -> etree._Element:
    """<domain:delete> (section 3.2.2)."""
    node = element(DOMAIN_NS, "delete")
    sub(node, DOMAIN_NS, "name", name)
    return node


# -- contact (RFC 5733) ------------------------------------------------------------------


def contact_check(ids: Sequence[str]) -> etree._Element:
    node = element(CONTACT_NS, "check")
    for handle in ids:
        sub(node, CONTACT_NS, "id", handle)
    return node


def read_contact_check(response: Response) -> dict[str, bool]:
    found = {}
    for cd in response.findall("epp:resData/contact:chkData/contact:cd"):
        handle = cd.find("contact:id", NS)
        found[(handle.text or "").strip()] = (handle.get("avail") or "") in ("1", "true")
    return found


def _postal_infos(registrant: Registrant) -> list[tuple[str, str, str]]:
    """(type, name, org) of each <contact:postalInfo>: "int" (7-bit ASCII only, section 2.3)
    with the Latin form when the address is ASCII too, and "loc" with the local form."""
    if registrant.is_company:
        local, latin = (registrant.org, registrant.org), (registrant.org_latin,) * 2
    else:
        local, latin = (registrant.name, ""), (registrant.name_latin, "")
    found = []
    address = (registrant.street, registrant.city, registrant.region)
    if latin[0] and all(t.isascii() for t in (*latin, *address)):
        found.append(("int", *latin))
    if local[0] and local != latin:
        found.append(("loc", *local))
    return found or [("loc", registrant.email, "")]


def _contact_details(parent: etree._Element, registrant: Registrant) -> None:
    for kind, name, org in _postal_infos(registrant):
        info = sub(parent, CONTACT_NS, "postalInfo", type=kind)
        sub(info, CONTACT_NS, "name", name)
        if org:
            sub(info, CONTACT_NS, "org", org)
        addr = sub(info, CONTACT_NS, "addr")
        if registrant.street:
            sub(addr, CONTACT_NS, "street", registrant.street)
        sub(addr, CONTACT_NS, "city", registrant.city)
        if registrant.region:
            sub(addr, CONTACT_NS, "sp", registrant.region)
        if registrant.postcode:
            sub(addr, CONTACT_NS, "pc", registrant.postcode)
        sub(addr, CONTACT_NS, "cc", registrant.country.upper())
    if registrant.phone:
        sub(parent, CONTACT_NS, "voice", registrant.phone)
    sub(parent, CONTACT_NS, "email", registrant.email)


def contact_create(handle: str, registrant: Registrant, auth_code: str) -> etree._Element:
    """<contact:create> (section 3.2.1): id, postalInfo, voice, email, authInfo."""
    node = element(CONTACT_NS, "create")
    sub(node, CONTACT_NS, "id", handle)
    _contact_details(node, registrant)
    sub(sub(node, CONTACT_NS, "authInfo"), CONTACT_NS, "pw", auth_code)
    return node


def contact_info(handle: str) -> etree._Element:
    node = element(CONTACT_NS, "info")
    sub(node, CONTACT_NS, "id", handle)
    return node


def read_contact_sponsor(response: Response) -> str:
    """clID of <contact:infData>: the registrar the contact belongs to."""
    return response.text("epp:resData/contact:infData/contact:clID")


def contact_update(handle: str, registrant: Registrant) -> etree._Element:
    """<contact:update> (section 3.2.5) changing postal info, voice and email."""
    node = element(CONTACT_NS, "update")
    sub(node, CONTACT_NS, "id", handle)
    _contact_details(sub(node, CONTACT_NS, "chg"), registrant)
    return node


# -- host (RFC 5732) ---------------------------------------------------------------------


def host_check(names: Sequence[str]) -> etree._Element:
    node = element(HOST_NS, "check")
    for name in names:
        sub(node, HOST_NS, "name", name)
    return node


def read_host_check(response: Response) -> dict[str, bool]:
    found = {}
    for cd in response.findall("epp:resData/host:chkData/host:cd"):
        name = cd.find("host:name", NS)
        found[(name.text or "").strip().lower()] = (name.get("avail") or "") in ("1", "true")
    return found


def host_create(name: str, addresses: Sequence[str] = ()) -> etree._Element:
    """<host:create> (section 3.2.1); addresses only for a host inside its own domain."""
    node = element(HOST_NS, "create")
    sub(node, HOST_NS, "name", name)
    for address in addresses:
        sub(node, HOST_NS, "addr", address, ip="v6" if ":" in address else "v4")
    return node


__all__ = ["NS", "RGP_NS"]
