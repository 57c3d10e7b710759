"""A local GoGetSSL reseller API for the gogetssl module's tests (the real one sells real
certificates for real money; its sandbox needs an account and the internet).

It answers as the API's documentation shows: the GitHub wiki of https://github.com/gogetssl/api
(each handler cites its page) and, for the answer's JSON shape where a page lists only field
names, the official PHP clients (GoGetSSLApi.php in gogetssl/api and in gogetssl/whmcs-addon:
`auth_key` as a query parameter, POST bodies form-encoded, errors read from
`{"error": true, "message", "description"}`). It CHECKS every request against the documented
parameters: a missing or undocumented parameter, a wrong method, a parameter a page says must
not be sent, a missing or wrong `auth_key` is recorded in `violations` (and answered as an
error) so the test fails loudly. It keeps orders, and issues a real certificate, signed by a
test CA made here with `cryptography`, for the order's CSR when the test marks its domain
control validation done (`complete_dcv`). HTTPS with a self-signed certificate (tls.py).

Where the documentation is silent (the words of a refusal, what a wrong key gets back, the
balance's field names) the comment says so and the choice is the closest documented one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hutor.services.provisioning.tests.tls import HttpsServing

_CONTACT = "firstname lastname phone title email"
_CONTACT_MORE = (
    "organization addressline1 addressline2 addressline3 city country fax postalcode region"
)
# addSSLOrder's parameters (https://github.com/gogetssl/api/wiki/addSSLOrder, "Request
# parameters"; the contact fields the official sample gogetssl_sample.php sends as required).
ORDER_REQUIRED = {"product_id", "period", "csr", "server_count", "webserver_type"} | {
    f"{role}_{f}" for role in ("admin", "tech") for f in _CONTACT.split()
}
_ORG = "addressline1 addressline2 addressline3 city country fax phone postalcode region"
ORDER_OPTIONAL = (
    {"approver_email", "approver_emails", "dns_names", "dcv_method", "signature_hash"}
    | {"unique_code", "org_name", "org_division"}
    | {f"org_{f}" for f in _ORG.split()}
    | {f"{role}_{f}" for role in ("admin", "tech") for f in _CONTACT_MORE.split()}
)
# Each documented method: (HTTP method, required POST fields, optional POST fields).
METHODS: dict[str, tuple[str, set[str], set[str]]] = {
    # https://github.com/gogetssl/api/wiki/auth (user, pass; answers `key`)
    "auth": ("POST", {"user", "pass"}, set()),
    # https://github.com/gogetssl/api/wiki/getAccountBalance
    "account/balance": ("GET", set(), set()),
    # https://github.com/gogetssl/api/wiki/getDomainEmails
    "tools/domain/emails": ("POST", {"domain"}, set()),
    # https://github.com/gogetssl/api/wiki/addSSLOrder
    "orders/add_ssl_order": ("POST", ORDER_REQUIRED, ORDER_OPTIONAL),
    # https://github.com/gogetssl/api/wiki/addSSLRenewOrder ("the same as addSSLOrder")
    "orders/add_ssl_renew_order": ("POST", ORDER_REQUIRED, ORDER_OPTIONAL),
    # https://github.com/gogetssl/api/wiki/getOrderStatus (order id in the path)
    "orders/status": ("GET", set(), set()),
    # https://github.com/gogetssl/api/wiki/reissueSSLOrder (order id in the path)
    "orders/ssl/reissue": (
        "POST",
        {"csr", "webserver_type"},
        {"approver_email", "approver_emails", "dns_names", "dcv_method", "signature_hash"}
        | {"unique_code", "order_id"},
    ),
    # https://github.com/gogetssl/api/wiki/cancelSSLOrder
    "orders/cancel_ssl_order": ("POST", {"order_id", "reason"}, set()),
}
DCV = {"email", "http", "https", "dns"}  # reissueSSLOrder: "dcv_method (email, http, https, dns)"
APPROVERS = ("admin", "administrator", "hostmaster", "postmaster", "webmaster")


@dataclass
class Product:
    price: Decimal
    multidomain: bool = False
    periods: tuple[int, ...] = (12, 24)


@dataclass
class Order:
    order_id: int
    product_id: str
    period: int
    csr_pem: str
    domain: str
    dns_names: list[str]
    dcv_method: str
    approver: str
    status: str = "processing"
    crt_pem: str = ""
    valid_from: str = ""
    valid_till: str = ""
    cancel_asked: bool = False
    renewal: bool = False
    params: dict[str, str] = field(default_factory=dict)


def _error(message: str, description: str) -> dict[str, Any]:
    # The error shape the official clients read: `error` true and the words in `description`
    # (gogetssl/whmcs-addon mgLibs/GoGetSSLApi.php throws $response['description']).
    return {"error": True, "message": message, "description": description}


def _digests(csr_pem: str) -> tuple[str, str]:
    """MD5 and SHA-256 of the CSR (DER), upper-case hex: what Sectigo's DNS and HTTP
    validation values are made of (getDomainAlternative's samples show their shape)."""
    der = x509.load_pem_x509_csr(csr_pem.encode()).public_bytes(serialization.Encoding.DER)
    md5 = hashlib.md5(der, usedforsecurity=False).hexdigest().upper()
    return md5, hashlib.sha256(der).hexdigest().upper()


class TestCA:
    """A root CA that signs the certificates the fake issues."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hutor Test Reseller CA")])
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = self.cert.public_bytes(serialization.Encoding.PEM).decode()

    def sign(self, csr_pem: str, names: list[str], months: int) -> x509.Certificate:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(self.cert.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=30 * months))
            .add_extension(
                x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )


class FakeGoGetSSL:
    """The fake API's state and its answers."""

    def __init__(self, *, user: str, password: str, balance: str = "100.00") -> None:
        self.user, self.password = user, password
        self.keys: set[str] = set()
        self.balance = Decimal(balance)
        self.products = {"45": Product(Decimal("7.00")), "99": Product(Decimal("30.00"), True)}
        self.orders: dict[int, Order] = {}
        self.next_id = 1_730_001
        self.ca = TestCA()
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.violations: list[str] = []
        self.http_status: int | None = None  # answer every call with this status (5xx tests)
        self.lock = threading.Lock()

    # -- what a test does on the CA's side -----------------------------------------------

    def complete_dcv(self, order_id: int) -> None:
        """The customer proved control of the names: the CA issues for the order's CSR."""
        with self.lock:
            order = self.orders[order_id]
            cert = self.ca.sign(order.csr_pem, [order.domain, *order.dns_names], order.period)
            order.crt_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
            order.valid_from = cert.not_valid_before_utc.date().isoformat()
            order.valid_till = cert.not_valid_after_utc.date().isoformat()
            order.status = "active"

    def review_cancellations(self) -> None:
        """GoGetSSL staff review cancellation requests ("2-48 hours", cancelSSLOrder)."""
        with self.lock:
            for order in self.orders.values():
                if order.cancel_asked:
                    order.status = "cancelled"

    # -- request checking ----------------------------------------------------------------

    def check(self, verb: str, path: str, query: dict[str, list[str]], form: dict[str, list[str]]):
        if not path.startswith("/api/"):
            return f"{path}: not under /api/ (API URL https://my.gogetssl.com/api/)"
        parts = path.removeprefix("/api/").strip("/").split("/")
        order_id = None
        if parts and parts[-1].isdigit():
            order_id = int(parts.pop())
        method = "/".join(parts)
        if method not in METHODS:
            return f"{path}: not a method this fake knows"
        wanted, required, optional = METHODS[method]
        if verb != wanted:
            return f"{method}: {verb}, the wiki says {wanted}"
        if (order_id is None) != (method not in ("orders/status", "orders/ssl/reissue")):
            return f"{method}: the order id belongs in the path of status and reissue only"
        if method == "auth":
            if query:
                return f"auth: query parameters {sorted(query)} (user and pass are POSTed)"
        elif set(query) != {"auth_key"} or len(query["auth_key"]) != 1:
            return f"{method}: the query must be exactly auth_key (GoGetSSLApi.php call())"
        params: dict[str, str] = {}
        for name, values in form.items():
            if len(values) != 1:
                return f"{method}: {name} given {len(values)} times"
            params[name] = values[0]
        missing, unknown = required - params.keys(), params.keys() - required - optional
        if missing or unknown:
            return f"{method}: missing {sorted(missing)}, undocumented {sorted(unknown)}"
        dcv = params.get("dcv_method", "email")
        if dcv not in DCV:
            return f"{method}: dcv_method {dcv!r} not one of {sorted(DCV)}"
        # addSSLOrder: approver_email "must be used only if dcv_method parameter value is
        # 'email'" (and is then required).
        if "csr" in required and (dcv == "email") != ("approver_email" in params):
            return f"{method}: approver_email with dcv_method {dcv!r}"
        if method.startswith("orders/add_ssl") and "dns_names" in params:
            product = self.products.get(params["product_id"])
            if product is not None and not product.multidomain:
                # "for the rest of products this parameter must not be provided"
                return f"{method}: dns_names for a product that is not multi-domain"
        return method, order_id, params, query.get("auth_key", [""])[0]

    # -- the methods ---------------------------------------------------------------------

    def handle(self, method: str, order_id: int | None, p: dict[str, str], key: str):
        self.calls.append((method, p))
        if method == "auth":
            return self.do_auth(p)
        if key not in self.keys:
            # Not on the wiki; an integrator's probe of the live API records HTTP 403 with
            # "Auth key is not valid". The official clients read only the JSON.
            return 403, _error("Authorization error", "Auth key is not valid")
        handler = getattr(self, "do_" + method.replace("/", "_"))
        return (200, handler(order_id, p)) if order_id is not None else (200, handler(p))

    def do_auth(self, p: dict[str, str]):
        # https://github.com/gogetssl/api/wiki/auth; GoGetSSLApi.php auth() reads $response['key'].
        if (p["user"], p["pass"]) != (self.user, self.password):
            return 200, _error("Authorization error", "Wrong user or password")
        key = secrets.token_hex(16)
        self.keys.add(key)
        return 200, {"key": key, "success": True}

    def do_account_balance(self, p: dict[str, str]) -> dict:
        # https://github.com/gogetssl/api/wiki/getAccountBalance (field names not shown there).
        return {"balance": f"{self.balance:.2f}", "currency": "USD", "success": True}

    def do_tools_domain_emails(self, p: dict[str, str]) -> dict:
        # https://github.com/gogetssl/api/wiki/getDomainEmails: the addresses per brand
        # (ComodoApprovalEmails, GeotrustApprovalEmails), at the name and each parent domain.
        labels = p["domain"].lower().split(".")
        domains = [".".join(labels[i:]) for i in range(len(labels) - 1)]
        emails = [f"{box}@{d}" for d in domains for box in APPROVERS]
        return {"ComodoApprovalEmails": emails, "GeotrustApprovalEmails": emails, "success": True}

    def _csr_names(self, csr_pem: str) -> list[str] | None:
        try:
            csr = x509.load_pem_x509_csr(csr_pem.encode())
        except ValueError:
            return None
        if not csr.is_signature_valid:
            return None
        names = [a.value for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        return [str(n) for n in names]

    def do_orders_add_ssl_order(self, p: dict[str, str], renewal: bool = False) -> dict:
        # https://github.com/gogetssl/api/wiki/addSSLOrder: Response order_id, invoice_id,
        # order_status, success, product_id, approver_method, san, order_amount, currency,
        # tax, tax_rate. Refusal words are not listed on the page; these are plain ones.
        product = self.products.get(p["product_id"])
        if product is None:
            return _error("Order error", f"Product {p['product_id']} not found")
        if int(p["period"]) not in product.periods:
            return _error("Order error", f"Period {p['period']} is not available")
        names = self._csr_names(p["csr"])
        if not names:
            return _error("CSR error", "Invalid CSR code")
        if product.price > self.balance:
            return _error("Order error", "Insufficient funds on your balance to pay the order")
        self.balance -= product.price
        dns_names = [n for n in p.get("dns_names", "").split(",") if n]
        dcv = p.get("dcv_method", "email")
        order = Order(
            order_id=self.next_id,
            product_id=p["product_id"],
            period=int(p["period"]),
            csr_pem=p["csr"],
            domain=names[0],
            dns_names=dns_names,
            dcv_method=dcv,
            approver=p.get("approver_email", ""),
            renewal=renewal,
            params=p,
        )
        self.next_id += 1
        self.orders[order.order_id] = order
        answer = {
            "product_id": p["product_id"],
            "order_id": order.order_id,
            "invoice_id": order.order_id + 500_000,
            "order_status": "processing",
            "success": True,
            "order_amount": f"{product.price:.2f}",
            "currency": "USD",
            "tax": "0.00",
            "tax_rate": "0",
            "san": self._san(order),
        }
        if dcv != "email":
            answer["approver_method"] = self._dcv(order, order.domain)
        return answer

    def do_orders_add_ssl_renew_order(self, p: dict[str, str]) -> dict:
        # https://github.com/gogetssl/api/wiki/addSSLRenewOrder: a new order, answered as
        # addSSLOrder's.
        return self.do_orders_add_ssl_order(p, renewal=True)

    def _dcv(self, order: Order, name: str) -> dict[str, Any]:
        """The validation detail of one name, shaped as getDomainAlternative's samples."""
        md5, sha = _digests(order.csr_pem)
        if order.dcv_method == "dns":
            target = f"{sha[:32]}.{sha[32:]}.comodoca.com".lower()
            return {"dns": {"record": f"_{md5}.{name} CNAME {target}"}}
        scheme = order.dcv_method
        return {
            scheme: {
                "link": f"{scheme}://{name}/.well-known/pki-validation/{md5}.txt",
                "filename": f"{md5}.txt",
                "content": f"{sha}\r\ncomodoca.com",
            }
        }

    def _san(self, order: Order) -> list[dict[str, Any]]:
        # getOrderStatus `san`: san_name, validation_method, status ("0" not set,
        # "1" processing, "2" validated), status_description, validation.
        done = order.status == "active"
        return [
            {
                "san_name": name,
                "validation_method": order.dcv_method,
                "status": "2" if done else "1",
                "status_description": "Validated" if done else "Processing",
                "validation": self._dcv(order, name) if order.dcv_method != "email" else {},
            }
            for name in order.dns_names
        ]

    def do_orders_status(self, order_id: int, p: dict[str, str]) -> dict:
        # https://github.com/gogetssl/api/wiki/getOrderStatus: crt_code, ca_code and
        # csr_code only when the status is "active".
        order = self.orders.get(order_id)
        if order is None:
            return _error("Order error", "Order not found")
        active = order.status == "active"
        return {
            "order_id": order.order_id,
            "partner_order_id": f"P{order.order_id}",
            "status": order.status,
            "status_description": {"active": "Issued", "cancelled": "Cancelled"}.get(
                order.status, "Awaiting validation"
            ),
            "product_id": order.product_id,
            "domain": order.domain,
            "domains": ",".join(order.dns_names),
            "total_domains": 1 + len(order.dns_names),
            "dcv_method": order.dcv_method,
            "approver_method": (
                order.approver if order.dcv_method == "email" else self._dcv(order, order.domain)
            ),
            "approver_emails": order.approver,
            "validity_period": order.period,
            "valid_from": order.valid_from if active else "0000-00-00",
            "valid_till": order.valid_till if active else "0000-00-00",
            "csr_code": order.csr_pem if active else "",
            "crt_code": order.crt_pem if active else "",
            "ca_code": self.ca.pem if active else "",
            "server_count": -1,
            "renew": 1 if order.renewal else 0,
            "san": self._san(order),
            "success": True,
            "time_stamp": int(dt.datetime.now(dt.UTC).timestamp()),
        }

    def do_orders_ssl_reissue(self, order_id: int, p: dict[str, str]) -> dict:
        # https://github.com/gogetssl/api/wiki/reissueSSLOrder: Response order_id,
        # order_status (reissue), validation (http and DNS methods), success.
        order = self.orders.get(order_id)
        if order is None:
            return _error("Order error", "Order not found")
        if order.status not in ("active", "processing"):
            return _error("Reissue error", f"Order with status {order.status} can not be reissued")
        names = self._csr_names(p["csr"])
        if not names:
            return _error("CSR error", "Invalid CSR code")
        order.csr_pem, order.status = p["csr"], "reissue"
        order.dcv_method = p.get("dcv_method", "email")
        order.approver = p.get("approver_email", "")
        answer: dict[str, Any] = {
            "order_id": order.order_id,
            "order_status": "reissue",
            "success": True,
        }
        if order.dcv_method != "email":
            answer["validation"] = self._dcv(order, order.domain)
        return answer

    def do_orders_cancel_ssl_order(self, p: dict[str, str]) -> dict:
        # https://github.com/gogetssl/api/wiki/cancelSSLOrder: Response order_id.
        order = self.orders.get(int(p["order_id"]))
        if order is None:
            return _error("Order error", "Order not found")
        order.cancel_asked = True
        return {"order_id": order.order_id, "success": True}


def _handler(fake: FakeGoGetSSL) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _serve(self, verb: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            with fake.lock:
                if fake.http_status:
                    return self._send(
                        fake.http_status, b"<h1>Service Unavailable</h1>", "text/html"
                    )
                form = self.headers.get("Content-Type") == "application/x-www-form-urlencoded"
                if body and not form:
                    fake.violations.append(f"{self.path}: body not form-encoded")
                url = urlsplit(self.path)
                checked = fake.check(
                    verb,
                    url.path,
                    parse_qs(url.query, keep_blank_values=True),
                    parse_qs(body, keep_blank_values=True),
                )
                if isinstance(checked, str):
                    fake.violations.append(checked)
                    status, answer = 400, _error("Request error", checked)
                else:
                    status, answer = fake.handle(*checked)
            self._send(status, json.dumps(answer).encode())

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

    return Handler


class Serving(HttpsServing):
    """The fake on a free 127.0.0.1 port over HTTPS, in a thread."""

    def __init__(self, fake: FakeGoGetSSL, folder: Path) -> None:
        super().__init__(fake, _handler(fake), folder, "gogetssl.test")
