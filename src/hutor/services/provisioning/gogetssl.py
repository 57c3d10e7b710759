"""GoGetSSL: commercial certificates through a CA reseller's API (docs/ssl.md, "GoGetSSL").

The API (https://github.com/gogetssl/api/wiki, the official client GoGetSSLApi.php in
https://github.com/gogetssl/api) lives under https://my.gogetssl.com/api/. `POST /auth/` with
the reseller's `user` and `pass` answers a session key; every other call carries it as the
query parameter `auth_key` and answers JSON: the documented fields and `"success": true`, or
`{"error": true, "message": ..., "description": ...}` (the shape the official WHMCS module
reads). The server's username is the reseller's login, its password the API password made in
the client area (Reseller Modules -> API settings).

One service is one order: create places it (addSSLOrder) with the service's CSR and its
remote id becomes the order id; the CA then waits for domain control validation (an approver
email, a CNAME record, a file over HTTP) that only the customer can give, so create is done
with `access["state"] = "validating"` and the steps to take; sync downloads the certificate
once the order is active. Renewal is a renewal order (a new order id), reissue a new CSR in
the same order, revoke a cancellation request (the API has no other way to revoke).

The credentials and the session key are never written into an error or a log record: errors
are scrubbed, and urllib3's request log (which prints URLs, so the `auth_key`) is filtered.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

import requests
from cryptography import x509

from hutor.services.identifiers import ascii_form
from hutor.services.provisioning.base import (
    ProvisioningContext,
    ProvisioningError,
    ProvisioningRefused,
    ProvisioningResult,
    RemoteState,
    ServerAccess,
    SyncResult,
)
from hutor.services.provisioning.ca import (
    CertificateAuthorityModule,
    CertificateState,
    CertificateStatus,
    IssuedCertificate,
    ValidationStep,
    certificate_access,
)

DEFAULT_HOST = "my.gogetssl.com"
API_PATH = "/api"
TIMEOUT = 60  # seconds; placing an order waits for the CA's own system
MASK = "••••••"
DCV_METHODS = ("email", "dns", "http", "https")
# getOrderStatus's `status` values (https://github.com/gogetssl/api/wiki/getOrderStatus)
# and what each means for a certificate.
STATES = {
    "active": CertificateState.ISSUED,
    "processing": CertificateState.VALIDATING,
    "pending": CertificateState.VALIDATING,
    "reissue": CertificateState.VALIDATING,
    "new_order": CertificateState.PROCESSING,
    "incomplete": CertificateState.PROCESSING,
    "unpaid": CertificateState.PROCESSING,  # the reseller's balance did not cover it
    "cancelled": CertificateState.REVOKED,
    "expired": CertificateState.FAILED,
    "rejected": CertificateState.FAILED,
}
_BALANCE_WORDS = re.compile(r"balance|funds|insufficient", re.IGNORECASE)
_AUTH_KEY_IN_URL = re.compile(r"(auth_key=)[^&\s\"']+")


class GoGetSSLError(ProvisioningError):
    """GoGetSSL could not be reached, answered something unreadable or 5xx, or refused the
    credential: a retry may help (after staff fix the credential, the next retry does)."""


class GoGetSSLRefused(GoGetSSLError, ProvisioningRefused):
    """GoGetSSL refused the call with its reason (an invalid CSR, a product or period it does
    not sell, a balance too low to pay): no retry helps until staff act."""


class _RedactAuthKey(logging.Filter):
    """urllib3 logs every request line with its URL at DEBUG: the session key is masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _AUTH_KEY_IN_URL.sub(rf"\g<1>{MASK}", a) if isinstance(a, str) else a
                for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _AUTH_KEY_IN_URL.sub(rf"\g<1>{MASK}", record.msg)
        return True


_REDACT = _RedactAuthKey()
logging.getLogger("urllib3.connectionpool").addFilter(_REDACT)


class GoGetSSLClient:
    """One session with the reseller API: authenticated on its first call."""

    def __init__(self, server: ServerAccess) -> None:
        self.server = server
        port = server.port or 443
        scheme = "https" if server.use_tls else "http"
        self.base = f"{scheme}://{server.host or DEFAULT_HOST}:{port}"
        self.base += str(server.settings.get("api_path") or API_PATH).rstrip("/")
        self._key = ""
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy or netrc from the worker's environment
        self._session.verify = server.settings.get("ca_file") or True

    def _clean(self, text: str) -> str:
        for secret in (self._key, self.server.password):
            if secret:
                text = text.replace(secret, MASK)
        text = _AUTH_KEY_IN_URL.sub(rf"\g<1>{MASK}", text)
        return " ".join(text.split())[:500]

    def _send(self, method: str, path: str, *, query: dict[str, str], data: Mapping[str, str]):
        where = f"{self.server.name} {path}"
        try:
            response = self._session.request(
                method,
                f"{self.base}{path}",
                params=query,
                data=dict(data) if method == "POST" else None,
                timeout=TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise GoGetSSLError(self._clean(f"{where}: {exc}")) from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code >= 500 or not isinstance(answer, dict):
            raise GoGetSSLError(
                self._clean(f"{where}: HTTP {response.status_code}, not an API answer")
            )
        return response.status_code, answer

    def _raise_for(self, path: str, status: int, answer: Mapping[str, Any]) -> None:
        if answer.get("error") not in (True, "true", 1, "1") and status < 400:
            return
        words = " ".join(
            str(answer.get(k) or "") for k in ("message", "description") if answer.get(k)
        ).strip()
        words = self._clean(words or f"HTTP {status}")
        where = f"{self.server.name} {path}"
        if path == "/auth/" or ("auth" in words.lower() and "key" in words.lower()):
            raise GoGetSSLError(f"{where}: GoGetSSL refused the API credential: {words}")
        if _BALANCE_WORDS.search(words):
            raise GoGetSSLRefused(
                f"{where}: the GoGetSSL reseller balance does not cover this order; top up "
                f"the reseller account at GoGetSSL, then run the task again ({words})"
            )
        raise GoGetSSLRefused(f"{where}: {words}")

    def authenticate(self) -> None:
        """auth (https://github.com/gogetssl/api/wiki/auth): user, pass -> key."""
        status, answer = self._send(
            "POST",
            "/auth/",
            query={},
            data={"user": self.server.username, "pass": self.server.password},
        )
        self._raise_for("/auth/", status, answer)
        key = str(answer.get("key") or "")
        if not key:
            raise GoGetSSLError(f"{self.server.name} /auth/: no key in the answer")
        self._key = key

    def call(self, path: str, data: Mapping[str, str] | None = None) -> dict[str, Any]:
        """GET (no data) or POST (data) one method; its answer, or GoGetSSLError/Refused."""
        if not self._key:
            self.authenticate()
        method = "POST" if data is not None else "GET"
        status, answer = self._send(method, path, query={"auth_key": self._key}, data=data or {})
        self._raise_for(path, status, answer)
        return answer


def _pem(text: Any) -> str:
    """A PEM block as the API gives it (sometimes with \\r\\n), normalised."""
    return "\n".join(line.strip() for line in str(text or "").strip().splitlines()) + "\n"


def parse_record(record: str) -> tuple[str, str, str]:
    """ "_hash.example.com CNAME target.comodoca.com" -> (name, type, value), the `dns`
    record of approver_method / validation (getDomainAlternative's sample)."""
    parts = str(record).split()
    if len(parts) >= 3:
        return parts[0].rstrip("."), parts[1].upper(), " ".join(parts[2:])
    return str(record), "", ""


def steps_from(domain: str, method: str, detail: Any, *, done: bool = False) -> ValidationStep:
    """One ValidationStep from a DCV method and the CA's detail for it: an approver address
    (email), {"dns": {"record": ...}}, {"http"|"https": {"link", "filename", "content"}}."""
    if isinstance(detail, Mapping):
        if "dns" in detail and isinstance(detail["dns"], Mapping):
            name, rtype, value = parse_record(detail["dns"].get("record", ""))
            # GoGetSSL asks for a CNAME (Sectigo's) or a TXT (DigiCert's): "dns" in the
            # contract is a TXT record, so a CNAME is its own method for whoever publishes it.
            return ValidationStep(
                name=domain,
                method="dns" if rtype == "TXT" else "cname",
                record_name=name,
                value=value.strip('"'),
                done=done,
            )
        for scheme in ("http", "https"):
            if scheme in detail and isinstance(detail[scheme], Mapping):
                file = detail[scheme]
                link = str(file.get("link") or "")
                path = "/" + link.split("://", 1)[-1].split("/", 1)[-1] if link else ""
                return ValidationStep(
                    name=domain,
                    method="http",
                    path=path or f"/.well-known/pki-validation/{file.get('filename', '')}",
                    value=str(file.get("content") or ""),
                    done=done,
                )
    address = str(detail or "") if method == "email" else ""
    return ValidationStep(name=domain, method="email", approver=address, done=done)


def step_access(step: ValidationStep) -> dict[str, Any]:
    """A step as kept in `access["validation"]` (JSON)."""
    item = {"name": step.name, "method": step.method, "done": step.done}
    for key in ("record_name", "path", "value", "approver"):
        if getattr(step, key):
            item[key] = getattr(step, key)
    return item


class GoGetSSLModule(CertificateAuthorityModule):
    """GoGetSSL's reseller API: orders placed, validated by the customer, downloaded,
    reissued, renewed and cancelled (revoked)."""

    name = "gogetssl"
    capabilities = frozenset(
        {
            "create",
            "renew",
            "terminate",
            "sync",
            "check",
            "validation",
            "status",
            "download",
            "reissue",
            "revoke",
        }
    )

    # -- helpers -------------------------------------------------------------------------

    def _client(self, server: ServerAccess | None) -> GoGetSSLClient:
        if server is None:
            raise GoGetSSLRefused("gogetssl: the service is on no server (a GoGetSSL account)")
        return GoGetSSLClient(server)

    def _order_id(self, ctx: ProvisioningContext) -> str:
        if not ctx.remote_id:
            raise GoGetSSLRefused("gogetssl: the service has no GoGetSSL order yet")
        return ctx.remote_id

    def _names(self, ctx: ProvisioningContext) -> tuple[str, list[str]]:
        if not ctx.service.identifier:
            raise GoGetSSLRefused("gogetssl: the service has no domain name")
        alt = ctx.params.get("alt_names") or []
        if isinstance(alt, str):
            alt = alt.replace(",", " ").split()
        common = ascii_form(ctx.service.identifier)
        return common, [ascii_form(a) for a in alt if ascii_form(a) != common]

    def _method(self, ctx: ProvisioningContext) -> str:
        method = str(
            ctx.operation_params.get("dcv_method") or ctx.params.get("dcv_method") or "email"
        ).lower()
        if method not in DCV_METHODS:
            raise GoGetSSLRefused(
                f"gogetssl: dcv_method {method!r} is not one of {', '.join(DCV_METHODS)}"
            )
        return method

    def _approver(self, client: GoGetSSLClient, ctx: ProvisioningContext, domain: str) -> str:
        """The approver address for a name: the one the order asked for, else the tariff's
        local part ("admin") at the name or its parents, from the list the CA accepts
        (getDomainEmails: https://github.com/gogetssl/api/wiki/getDomainEmails)."""
        answer = client.call("/tools/domain/emails/", {"domain": domain})
        allowed = [str(a).lower() for a in answer.get("ComodoApprovalEmails") or []]
        allowed += [str(a).lower() for a in answer.get("GeotrustApprovalEmails") or []]
        wanted = str(ctx.operation_params.get("approver_email") or "").lower()
        if wanted:
            if wanted not in allowed:
                raise GoGetSSLRefused(
                    f"gogetssl: {wanted} is not an approver address GoGetSSL accepts for "
                    f"{domain} ({', '.join(allowed) or 'none'})"
                )
            return wanted
        local = str(ctx.params.get("approver_local") or "admin").lower()
        for address in allowed:
            if address.startswith(local + "@"):
                return address
        raise GoGetSSLRefused(f"gogetssl: GoGetSSL offers no {local}@ address for {domain}")

    def _contact(self, server: ServerAccess) -> dict[str, str]:
        """The administrative and technical contact of every order: the provider's own, from
        the server's settings (addSSLOrder requires both)."""
        contact = server.settings.get("contact") or {}
        fields = ("firstname", "lastname", "phone", "title", "email")
        missing = [f for f in fields if not str(contact.get(f) or "").strip()]
        if missing:
            raise GoGetSSLRefused(
                f"gogetssl: the server {server.name!r} has no contact {', '.join(missing)} "
                '(setting "contact": firstname, lastname, phone, title, email)'
            )
        values = {}
        for role in ("admin", "tech"):
            values.update({f"{role}_{f}": str(contact[f]).strip() for f in fields})
        return values

    def _order_data(self, client: GoGetSSLClient, ctx: ProvisioningContext) -> dict[str, str]:
        """addSSLOrder's and addSSLRenewOrder's parameters for the service
        (https://github.com/gogetssl/api/wiki/addSSLOrder)."""
        assert ctx.server is not None
        product = str(ctx.params.get("product_id") or "").strip()
        if not product:
            raise GoGetSSLRefused(
                f"gogetssl: the tariff {ctx.service.tariff.code!r} has no module parameter "
                '"product_id" (the GoGetSSL product)'
            )
        if not ctx.csr_pem.strip():
            raise GoGetSSLError("gogetssl: the service has no CSR to order a certificate with")
        common, alt = self._names(ctx)
        method = self._method(ctx)
        data = {
            "product_id": product,
            "period": str(ctx.params.get("period") or 12),
            "csr": ctx.csr_pem,
            "server_count": str(ctx.params.get("server_count") or -1),
            "webserver_type": str(
                ctx.params.get("webserver_type") or ctx.server.settings.get("webserver_type") or -1
            ),
            "dcv_method": method,
            **self._contact(ctx.server),
        }
        if alt:
            data["dns_names"] = ",".join(alt)
        if method == "email":
            data["approver_email"] = self._approver(client, ctx, common)
            if alt:
                data["approver_emails"] = ",".join(self._approver(client, ctx, a) for a in alt)
        elif alt:
            # Since 04.02.2018 approver_emails also takes a method per additional name.
            data["approver_emails"] = ",".join(method for _ in alt)
        return data

    def _validating(self, order_id: str, steps: Iterable[ValidationStep], note: str):
        return ProvisioningResult(
            done=True,
            note=note,
            remote_id=order_id,
            access={
                "state": CertificateState.VALIDATING,
                "order_id": order_id,
                "validation": [step_access(s) for s in steps],
            },
        )

    def _answer_steps(self, ctx: ProvisioningContext, answer: Mapping[str, Any], method: str):
        """The DCV steps an order's (or reissue's) answer gives: approver_method (or
        validation, in a reissue's answer) for the common name, `san` for the others."""
        common, _alt = self._names(ctx)
        detail = answer.get("approver_method") or answer.get("validation")
        if method == "email" and not isinstance(detail, Mapping):
            detail = str(answer.get("approver_email") or detail or "")
        steps = [steps_from(common, method, detail)]
        for san in answer.get("san") or []:
            steps.append(
                steps_from(
                    str(san.get("san_name") or ""),
                    str(san.get("validation_method") or method),
                    san.get("validation") or san.get("validation_method"),
                    done=str(san.get("status")) == "2",
                )
            )
        return steps

    # -- the lifecycle -------------------------------------------------------------------

    def create(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """addSSLOrder; an order already placed (a retried create whose answer was kept) is
        looked at instead of paying for a second one."""
        if ctx.remote_id:
            return self._from_status(ctx)
        client = self._client(ctx.server)
        data = self._order_data(client, ctx)
        answer = client.call("/orders/add_ssl_order/", data)
        return self._placed(ctx, answer, data, "placed")

    def renew(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """addSSLRenewOrder (https://github.com/gogetssl/api/wiki/addSSLRenewOrder): a new
        order, paid from the reseller balance, whose id replaces the old one."""
        client = self._client(ctx.server)
        data = self._order_data(client, ctx)
        answer = client.call("/orders/add_ssl_renew_order/", data)
        return self._placed(ctx, answer, data, "renewal placed")

    def _placed(self, ctx, answer: Mapping[str, Any], data: Mapping[str, str], what: str):
        order_id = str(answer.get("order_id") or "")
        if not order_id:
            raise GoGetSSLError(f"{ctx.server.name}: the order's answer has no order_id")
        if data["dcv_method"] == "email":
            answer = {**answer, "approver_email": data["approver_email"]}
        steps = self._answer_steps(ctx, answer, data["dcv_method"])
        return self._validating(order_id, steps, f"GoGetSSL order {order_id} {what}")

    def _from_status(self, ctx: ProvisioningContext) -> ProvisioningResult:
        state = self.status(ctx)
        if state.certificate is not None:
            return ProvisioningResult(
                done=True,
                note=f"GoGetSSL order {ctx.remote_id} is issued",
                remote_id=ctx.remote_id,
                access=certificate_access(state.certificate, order_id=ctx.remote_id),
            )
        if state.state in (CertificateState.REVOKED, CertificateState.FAILED):
            raise GoGetSSLRefused(
                f"gogetssl: order {ctx.remote_id} is {state.detail}: a new order is needed"
            )
        return self._validating(ctx.remote_id, self.validation(ctx), state.detail)

    def terminate(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """Revoked (cancelled) when the tariff says so, else left to expire."""
        if ctx.params.get("revoke_on_terminate") and ctx.remote_id:
            return self.revoke(ctx, reason="service terminated")
        return ProvisioningResult(done=True, note="GoGetSSL certificate left to expire")

    # -- what the CA says ----------------------------------------------------------------

    def _status(self, ctx: ProvisioningContext) -> dict[str, Any]:
        """getOrderStatus (https://github.com/gogetssl/api/wiki/getOrderStatus)."""
        client = self._client(ctx.server)
        return client.call(f"/orders/status/{int(self._order_id(ctx))}")

    def status(self, ctx: ProvisioningContext) -> CertificateStatus:
        answer = self._status(ctx)
        raw = str(answer.get("status") or "")
        state = STATES.get(raw, CertificateState.PROCESSING)
        detail = " ".join(filter(None, [raw, str(answer.get("status_description") or "").strip()]))
        certificate = self._certificate(answer) if state == CertificateState.ISSUED else None
        return CertificateStatus(state=state, detail=detail, certificate=certificate)

    def validation(self, ctx: ProvisioningContext) -> list[ValidationStep]:
        answer = self._status(ctx)
        method = str(answer.get("dcv_method") or self._method(ctx)).lower()
        if method == "email":
            answer = {**answer, "approver_email": answer.get("approver_method") or ""}
            if not isinstance(answer.get("approver_method"), Mapping):
                answer["approver_method"] = None
        return self._answer_steps(ctx, answer, method)

    def download(self, ctx: ProvisioningContext) -> IssuedCertificate:
        answer = self._status(ctx)
        if str(answer.get("status")) != "active":
            raise GoGetSSLError(
                f"gogetssl: order {ctx.remote_id} is {answer.get('status')!r}, not issued yet"
            )
        return self._certificate(answer)

    def _certificate(self, answer: Mapping[str, Any]) -> IssuedCertificate:
        """crt_code and ca_code of an active order (getOrderStatus)."""
        pem = _pem(answer.get("crt_code"))
        try:
            cert = x509.load_pem_x509_certificate(pem.encode())
        except ValueError:
            raise GoGetSSLError(
                "gogetssl: the order is active but crt_code is no certificate"
            ) from None
        not_after = cert.not_valid_after_utc
        return IssuedCertificate(
            certificate_pem=pem,
            chain_pem=_pem(answer.get("ca_code")) if answer.get("ca_code") else "",
            not_after=not_after.astimezone(dt.UTC),
            serial=format(cert.serial_number, "x"),
        )

    def sync(self, ctx: ProvisioningContext) -> SyncResult:
        state = self.status(ctx)
        if state.certificate is not None:
            return SyncResult(
                state=RemoteState.ACTIVE,
                access=certificate_access(state.certificate, order_id=ctx.remote_id),
            )
        if state.state in (CertificateState.REVOKED, CertificateState.FAILED):
            return SyncResult(
                state=RemoteState.MISSING, access={"state": state.state, "detail": state.detail}
            )
        steps = self.validation(ctx) if state.state == CertificateState.VALIDATING else []
        return SyncResult(
            state=RemoteState.UNKNOWN,
            access={
                "state": state.state,
                "detail": state.detail,
                "validation": [step_access(s) for s in steps],
            },
        )

    # -- changes within an order ---------------------------------------------------------

    def reissue(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """reissueSSLOrder (https://github.com/gogetssl/api/wiki/reissueSSLOrder) with the new
        CSR: validated again, then sync downloads the new certificate."""
        client = self._client(ctx.server)
        order_id = self._order_id(ctx)
        if not ctx.csr_pem.strip():
            raise GoGetSSLError("gogetssl: no new CSR to reissue the certificate with")
        assert ctx.server is not None
        common, alt = self._names(ctx)
        method = self._method(ctx)
        data = {
            "csr": ctx.csr_pem,
            "webserver_type": str(
                ctx.params.get("webserver_type") or ctx.server.settings.get("webserver_type") or -1
            ),
            "dcv_method": method,
        }
        if alt:
            data["dns_names"] = ",".join(alt)
        if method == "email":
            data["approver_email"] = self._approver(client, ctx, common)
            if alt:
                data["approver_emails"] = ",".join(self._approver(client, ctx, a) for a in alt)
        answer = client.call(f"/orders/ssl/reissue/{int(order_id)}", data)
        if method == "email":
            answer = {**answer, "approver_email": data["approver_email"]}
        steps = self._answer_steps(ctx, answer, method)
        return self._validating(order_id, steps, f"GoGetSSL order {order_id} reissue asked")

    def revoke(self, ctx: ProvisioningContext, *, reason: str = "") -> ProvisioningResult:
        """cancelSSLOrder (https://github.com/gogetssl/api/wiki/cancelSSLOrder): GoGetSSL
        reviews a cancellation in 2-48 hours and revokes an issued certificate; sync then
        reports the order cancelled. Cancelling a cancelled order is success."""
        order_id = self._order_id(ctx)
        client = self._client(ctx.server)
        current = client.call(f"/orders/status/{int(order_id)}")
        if str(current.get("status")) == "cancelled":
            return ProvisioningResult(
                done=True,
                note=f"GoGetSSL order {order_id} is cancelled",
                access={"state": CertificateState.REVOKED},
            )
        client.call(
            "/orders/cancel_ssl_order/",
            {"order_id": order_id, "reason": reason or "revoked by the provider"},
        )
        return ProvisioningResult(
            done=True,
            note=f"GoGetSSL order {order_id}: cancellation asked (reviewed in 2-48 hours)",
            access={"state": "revoking"},
        )

    def check(self, server: ServerAccess) -> str:
        """auth, then getAccountBalance (https://github.com/gogetssl/api/wiki/getAccountBalance)."""
        answer = self._client(server).call("/account/balance/")
        balance = " ".join(str(answer.get(k) or "") for k in ("balance", "currency")).strip()
        return f"GoGetSSL API: balance {balance or 'unknown'}"
