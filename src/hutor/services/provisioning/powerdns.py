"""PowerDNS Authoritative's HTTP API v1: zones created from a template of records, suspended,
unsuspended and deleted (https://doc.powerdns.com/authoritative/http-api/index.html).

This is the client only; the provisioning module that maps services and tariffs onto it is
built on top. Every call is idempotent on the PowerDNS side: creating a zone that exists under
the same account, deleting a missing zone, disabling a disabled zone all succeed.

Authentication is the static key of PowerDNS's `api-key` setting, sent in the `X-API-Key`
header ("Authentication" on the index page above). HTTP goes through the standard library's
urllib, as the other remote APIs of Hutor do (the project pins no other HTTP client); proxies
from the environment are not used, since the API is the provider's own server.

Names: zones and record names are sent in canonical form (trailing dot) and in ASCII: an IDN
zone («пример.рф») is converted to punycode with the `idna` package (IDNA 2008 with UTS 46
mapping), as the customer's domain is everywhere in Hutor; the template of records is turned
into RRsets by zone_template.py, before anything is sent.

Suspension (disable_zone): every record of the zone is marked `disabled` except the apex SOA
and NS. PowerDNS then answers the zone's names with an authoritative NXDOMAIN (NODATA for the
apex), carrying the SOA, which resolvers cache for the SOA's negative TTL (300 s in the SOA
this client writes), so an unsuspended zone is back within minutes. Disabling the SOA too
makes PowerDNS answer REFUSED, as if it did not serve the zone: resolvers then treat the
server as lame for the whole delegation, which looks like a broken setup rather than a
suspended one, and the zone could fall through to a parent zone on the same server.

Errors: PowerDNSUnreachable (no answer, a broken connection) and PowerDNSServerError (HTTP 5xx)
are worth retrying (`retryable`); PowerDNSRefused (HTTP 4xx, with the server's own message),
PowerDNSAuthFailed, ZoneTaken, ZoneMissing and TemplateError need a person.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from django.utils.translation import gettext

from hutor.services.provisioning.zone_template import (
    TemplateError,
    canonical_zone,
    render_rrsets,
)

__all__ = [
    "PowerDNSAuthFailed",
    "PowerDNSClient",
    "PowerDNSError",
    "PowerDNSRefused",
    "PowerDNSServerError",
    "PowerDNSUnreachable",
    "TemplateError",
    "Zone",
    "ZoneMissing",
    "ZoneTaken",
]

DEFAULT_TIMEOUT = 10.0
MAX_RESPONSE = 16 * 1024 * 1024  # a zone of some ten thousand records
# Kept enabled during suspension, at the apex only: the zone stays served, its names do not.
KEPT_WHEN_SUSPENDED = frozenset({"SOA", "NS"})


class PowerDNSError(Exception):
    """Base of the client's errors: a `code` and its `params`, rendered in the reader's
    language by str(); `retryable` tells the task runner whether trying again may help."""

    code = "error"
    retryable = False

    def __init__(self, detail: str = "", **params: Any) -> None:
        self.detail = detail
        self.params = {"detail": detail, **params}
        super().__init__(detail)

    def message(self) -> str:
        return gettext("The DNS server's API failed: %(detail)s") % self.params

    def __str__(self) -> str:
        return self.message()


class PowerDNSUnreachable(PowerDNSError):
    """No HTTP answer at all: connection refused, timeout, a reset or a malformed response."""

    code = "unreachable"
    retryable = True

    def message(self) -> str:
        return gettext("The DNS server's API at %(url)s did not answer: %(detail)s") % self.params


class PowerDNSServerError(PowerDNSError):
    """HTTP 5xx: the server failed (a locked or unreachable database behind it)."""

    code = "server_error"
    retryable = True

    def message(self) -> str:
        return gettext("The DNS server's API failed (HTTP %(status)s): %(detail)s") % self.params


class PowerDNSRefused(PowerDNSError):
    """HTTP 4xx: the server refused the request; `detail` is its own `error` message."""

    code = "refused"

    def message(self) -> str:
        return (
            gettext("The DNS server refused the request (HTTP %(status)s): %(detail)s")
            % self.params
        )


class PowerDNSAuthFailed(PowerDNSRefused):
    """HTTP 401/403: a wrong API key (or an address not in webserver-allow-from)."""

    code = "auth_failed"

    def message(self) -> str:
        return (
            gettext("The DNS server's API did not accept the API key (HTTP %(status)s).")
            % self.params
        )


class ZoneTaken(PowerDNSRefused):
    """The zone exists on the server under another account."""

    code = "zone_taken"

    def message(self) -> str:
        return (
            gettext(
                "The zone %(zone)s is taken: it already exists on the DNS server "
                "under another account (%(account)s)."
            )
            % self.params
        )


class ZoneMissing(PowerDNSRefused):
    """The zone to disable or enable is not on the server."""

    code = "zone_missing"

    def message(self) -> str:
        return gettext("The zone %(zone)s does not exist on the DNS server.") % self.params


@dataclass(frozen=True)
class Record:
    content: str
    disabled: bool = False


@dataclass(frozen=True)
class RRSet:
    """All records of one name and type (names canonical, with the trailing dot)."""

    name: str
    type: str
    ttl: int
    records: tuple[Record, ...]


@dataclass(frozen=True)
class Zone:
    """A zone as the server holds it; `rrsets` is empty in list_zones' answer."""

    id: str
    name: str
    account: str
    kind: str
    serial: int
    rrsets: tuple[RRSet, ...] = ()

    @property
    def suspended(self) -> bool:
        """Every record disabled except the apex SOA and NS (as disable_zone leaves it)."""
        others = [
            record
            for rrset in self.rrsets
            if not (rrset.name == self.name and rrset.type in KEPT_WHEN_SUSPENDED)
            for record in rrset.records
        ]
        return bool(others) and all(record.disabled for record in others)


class PowerDNSClient:
    """One PowerDNS Authoritative server's API: `api_url` is its webserver's address
    (http://ns1.example.net:8081), `api_key` its `api-key` setting; `server_id` is "localhost",
    the only one the Authoritative server knows."""

    def __init__(
        self,
        api_url: str,
        api_key: str,
        *,
        server_id: str = "localhost",
        kind: str = "Native",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"the PowerDNS API address must be http(s)://host:port: {api_url!r}")
        self.api_url = api_url.rstrip("/")
        self.base = f"{self.api_url}/api/v1/servers/{quote(server_id, safe='')}"
        self.api_key = api_key
        self.kind = kind
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # --- the server -------------------------------------------------------------------------

    def check(self) -> str:
        """The server answers and takes the key; returns its version ("4.7.3").
        GET /servers/{server_id} (https://doc.powerdns.com/authoritative/http-api/server.html)."""
        answer = self._call("GET", "")
        if not isinstance(answer, dict):
            raise PowerDNSError("the server object is not a JSON object")
        return str(answer.get("version", ""))

    # --- zones ------------------------------------------------------------------------------

    def list_zones(self) -> list[Zone]:
        """Every zone on the server, for reconciliation (name, account; no records).
        GET /servers/{server_id}/zones?dnssec=false
        (https://doc.powerdns.com/authoritative/http-api/zone.html, "List all Zones")."""
        answer = self._call("GET", "/zones?" + urlencode({"dnssec": "false"}))
        if not isinstance(answer, list):
            raise PowerDNSError("the zone list is not a JSON array")
        return [_zone(item) for item in answer]

    def get_zone(self, name: str) -> Zone | None:
        """The zone with its records, or None when the server has no such zone.
        GET /servers/{server_id}/zones?zone=NAME finds it without guessing its id, then
        GET /servers/{server_id}/zones/{zone_id} reads its RRsets
        (https://doc.powerdns.com/authoritative/http-api/zone.html)."""
        found = self._find(canonical_zone(name))
        if found is None:
            return None
        try:
            answer = self._call("GET", f"/zones/{_zone_path(found.id)}")
        except PowerDNSRefused as exc:
            if exc.params.get("status") == 404:  # deleted between the two requests
                return None
            raise
        return _zone(answer)

    def create_zone(
        self,
        name: str,
        nameservers: Iterable[str],
        records_template: Iterable[Mapping[str, Any]],
        *,
        account: str,
        params: Mapping[str, str] | None = None,
    ) -> Zone:
        """Create the zone with the template's records, owned by `account` (PowerDNS's zone
        `account` field, free text: Hutor writes the service's reference there). A zone that
        exists under the same account is success, left as it is; under another account it is
        ZoneTaken. Returns the zone with its records. POST /servers/{server_id}/zones with a
        Zone object (name, kind, account, nameservers, rrsets); 201 on creation, 409 Conflict
        when the name exists (https://doc.powerdns.com/authoritative/http-api/zone.html,
        "Creating new zone")."""
        if not account:
            raise ValueError("a zone needs an account")
        nameservers = list(nameservers)
        zone = canonical_zone(name)
        rrsets = render_rrsets(zone, nameservers, records_template, params)
        body = {
            "name": zone,
            "kind": self.kind,
            "account": account,
            "nameservers": [canonical_zone(n) for n in nameservers],
            "rrsets": rrsets,
        }
        for _attempt in range(2):
            existing = self._find(zone)
            if existing is None:
                try:
                    return _zone(self._call("POST", "/zones", body))
                except PowerDNSRefused as exc:
                    if exc.params.get("status") != 409:
                        raise
                existing = self._find(zone)  # created meanwhile by another worker, or by hand
                if existing is None:
                    raise PowerDNSRefused("Conflict", status=409, url=self.api_url)
            if existing.account != account:
                raise ZoneTaken(zone=zone, account=existing.account or "-", url=self.api_url)
            full = self.get_zone(zone)
            if full is None or any(r.name == zone and r.type == "SOA" for r in full.rrsets):
                return full or existing
            # Ours but without an SOA: a creation that failed halfway. PowerDNS writes the zone
            # before its records, and a database error in between (HTTP 500) leaves it empty,
            # and out of the cache of zones it answers for. Nothing in it to keep: made again.
            self.delete_zone(zone)
        raise PowerDNSError("the zone stays empty after being created again")

    def disable_zone(self, name: str) -> bool:
        """Suspend: mark every record disabled except the apex SOA and NS (see the module's
        docstring for why). Returns whether anything changed. PATCH
        /servers/{server_id}/zones/{zone_id} with each changed RRset as changetype REPLACE
        (https://doc.powerdns.com/authoritative/http-api/zone.html, "Creating new RRset");
        PowerDNS raises the SOA serial (soa_edit_api) and purges its caches for the zone."""
        return self._set_disabled(name, True)

    def enable_zone(self, name: str) -> bool:
        """Unsuspend: every record of the zone enabled again (the same PATCH as disable_zone).
        Records disabled on the server for another reason are enabled too: Hutor's zones are
        built from templates and nobody else disables their records."""
        return self._set_disabled(name, False)

    def delete_zone(self, name: str) -> bool:
        """Delete the zone, its records and metadata; a missing zone is success (returns
        False). DELETE /servers/{server_id}/zones/{zone_id}, 204 No Content
        (https://doc.powerdns.com/authoritative/http-api/zone.html, "Deleting a zone")."""
        found = self._find(canonical_zone(name))
        if found is None:
            return False
        try:
            self._call("DELETE", f"/zones/{_zone_path(found.id)}")
        except PowerDNSRefused as exc:
            if exc.params.get("status") == 404:
                return False
            raise
        return True

    def replace_rrset(
        self, zone_name: str, name: str, rtype: str, ttl: int, contents: Iterable[str]
    ) -> None:
        """Set one RRset of a zone (every record of `name`, in ASCII, and `rtype`; contents in
        zone-file form: TXT strings quoted) and nothing else: the ACME module's challenge
        TXT records.
        PATCH /servers/{server_id}/zones/{zone_id} with changetype REPLACE
        (https://doc.powerdns.com/authoritative/http-api/zone.html, "Creating new RRset")."""
        self._patch_rrset(
            zone_name,
            {
                "name": _absolute(name),
                "type": rtype,
                "ttl": ttl,
                "changetype": "REPLACE",
                "records": [{"content": c, "disabled": False} for c in contents],
            },
        )

    def delete_rrset(self, zone_name: str, name: str, rtype: str) -> None:
        """Remove one RRset of a zone; a missing one is success. The same PATCH with
        changetype DELETE (zone.html, "Deleting a RRset")."""
        self._patch_rrset(
            zone_name, {"name": _absolute(name), "type": rtype, "changetype": "DELETE"}
        )

    # --- inside -----------------------------------------------------------------------------

    def _set_disabled(self, name: str, disabled: bool) -> bool:
        zone = self.get_zone(name)
        if zone is None:
            raise ZoneMissing(zone=canonical_zone(name), url=self.api_url)
        changes = []
        for rrset in zone.rrsets:
            kept = rrset.name == zone.name and rrset.type in KEPT_WHEN_SUSPENDED
            want = disabled and not kept
            if all(record.disabled == want for record in rrset.records):
                continue
            changes.append(
                {
                    "name": rrset.name,
                    "type": rrset.type,
                    "ttl": rrset.ttl,
                    "changetype": "REPLACE",
                    "records": [{"content": r.content, "disabled": want} for r in rrset.records],
                }
            )
        if not changes:
            return False
        self._call("PATCH", f"/zones/{_zone_path(zone.id)}", {"rrsets": changes})
        return True

    def _patch_rrset(self, zone_name: str, rrset: dict[str, Any]) -> None:
        zone = canonical_zone(zone_name)
        found = self._find(zone)
        if found is None:
            raise ZoneMissing(zone=zone, url=self.api_url)
        self._call("PATCH", f"/zones/{_zone_path(found.id)}", {"rrsets": [rrset]})

    def _find(self, zone: str) -> Zone | None:
        """GET /servers/{server_id}/zones?zone=NAME: "If no zone with that name exists, the
        response is an empty array" (https://doc.powerdns.com/authoritative/http-api/zone.html)."""
        answer = self._call("GET", "/zones?" + urlencode({"zone": zone, "dnssec": "false"}))
        if not isinstance(answer, list):
            raise PowerDNSError("the zone list is not a JSON array")
        zones = [_zone(item) for item in answer]
        return next((z for z in zones if z.name == zone), None)

    def _call(self, verb: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One request; errors are "Response code 4xx or 5xx" with a JSON body {"error": ...}
        (https://doc.powerdns.com/authoritative/http-api/index.html, "Errors"); PowerDNS 4.7
        answers some of them (401, 404, 409) in plain text instead."""
        headers = {"X-API-Key": self.api_key, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked in __init__)
            self.base + path, data=data, headers=headers, method=verb
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read(MAX_RESPONSE + 1)
        except urllib.error.HTTPError as exc:
            status, detail = exc.code, _error_detail(exc)
            exc.close()
            if status in (401, 403):
                raise PowerDNSAuthFailed(detail, status=status, url=self.api_url) from None
            if status >= 500:
                raise PowerDNSServerError(detail, status=status, url=self.api_url) from None
            raise PowerDNSRefused(detail, status=status, url=self.api_url) from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise PowerDNSUnreachable(str(reason), url=self.api_url) from exc
        if len(raw) > MAX_RESPONSE:
            raise PowerDNSError("the answer is too large")
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise PowerDNSError("the answer is not JSON") from None


def _error_detail(exc: urllib.error.HTTPError) -> str:
    """The server's own message: the JSON `error`, else the plain text body, else the reason."""
    try:
        raw = exc.read(10_000)
    except OSError:
        raw = b""
    text = raw.decode("utf-8", "replace").strip()
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        return str(answer["error"])[:500]
    return text[:500] or str(exc.reason)


def _absolute(name: str) -> str:
    # An ASCII name as PowerDNS keeps it; "_acme-challenge" is no IDNA label, so not idna's.
    return name.strip().rstrip(".").lower() + "."


def _zone_path(zone_id: str) -> str:
    # Zone ids are "guaranteed to be safe for embedding in URLs"; quoting keeps it so.
    return quote(zone_id, safe=".=")


def _zone(item: Any) -> Zone:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise PowerDNSError("a zone in the answer is not a Zone object")
    return Zone(
        id=str(item.get("id") or item["name"]),
        name=item["name"],
        account=str(item.get("account") or ""),
        kind=str(item.get("kind") or ""),
        serial=int(item.get("serial") or 0),
        rrsets=tuple(
            RRSet(
                name=rrset["name"],
                type=rrset["type"],
                ttl=int(rrset.get("ttl") or 0),
                records=tuple(
                    Record(content=r["content"], disabled=bool(r.get("disabled")))
                    for r in rrset.get("records", [])
                ),
            )
            for rrset in item.get("rrsets") or []
        ),
    )
