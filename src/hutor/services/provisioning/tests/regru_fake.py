"""A local REG.API 2 server for the REG.RU module's tests (the real one charges money).

Built from REG.RU's documentation "Документация на Рег.API 2"
(https://www.reg.ru/support/help/api2, cited below by its anchors: #domain_create, ...). Each
handler answers as its section's examples show, and every request Hutor sends is CHECKED
against the documented parameters: a path outside /api/regru2/, a GET, a credential inside
input_data, an unknown or missing parameter, a wrong value is recorded in `violations` (and
answered HTTP 400) so the test fails loudly. Data the registry would reject (a name taken,
a passport too short, a balance too low) gets the documented error answer instead
({"result": "error", "error_code", "error_text", "error_params"}: #common_response_parameters,
the codes and texts of #common_errors). It keeps state, so the lifecycle is real. HTTPS with a
self-signed certificate made for the test (REG.API answers HTTPS_ONLY to plain HTTP).

Where the docs are silent (what domain/create answers for a name already registered, the
error for a period a zone does not allow) the comment says so and the closest documented
behaviour is chosen.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import idna

from hutor.services.provisioning.tests.tls import HttpsServing

# 2.2.4.2 (#common_api_management_params): accepted by every function.
MANAGEMENT = {"io_encoding", "output_format", "output_content_type", "lang", "show_input_params"}
# 2.2.4.3/2.2.4.4: service and service-list identification.
IDENTIFY = {"service_id", "user_servid", "domain_name", "dname", "servtype", "domains", "services"}
# 2.2.4.6 (#common_payment_params).
PAYMENT = {"point_of_sale", "pay_type", "ok_if_no_money"}

NSS = {f"ns{i}" for i in range(4)} | {f"ns{i}ip" for i in range(4)}  # ns0..ns3, ns0ip..ns3ip

# Each function's input_data parameters, (required, optional), as its section lists them.
PARAMS: dict[str, tuple[set[str], set[str]]] = {
    "nop": (set(), set()),  # #common_nop: "Поля запроса: нет"
    "user/get_balance": (set(), {"currency"}),  # #user_get_balance
    # #domain_check: domain_name or domains, is_transfer, premium_as_taken, currency
    "domain/check": (
        set(),
        {"domain_name", "domains", "is_transfer", "premium_as_taken", "currency"},
    ),
    # #domain_create: the request fields, the folder fields, the payment fields
    "domain/create": (
        {"period"},
        {
            "domain_name",
            "domains",
            "enduser_ip",
            "contacts",
            "profile_type",
            "profile_name",
            "nss",
            "not_delegated",
            "user_servid",
            "comment",
            "admin_comment",
            "subtype",
            "reg_premium",
            "folder_name",
            "folder_id",
            "no_new_folder",
            *PAYMENT,
        },
    ),
    "service/get_info": (set(), IDENTIFY | {"show_folders"}),  # #service_get_info
    "service/renew": ({"period"}, IDENTIFY | PAYMENT),  # #service_renew (allow_create_bills:
    # "DEPRECATED. Не использовать!", so a violation here)
    "domain/get_nss": (set(), IDENTIFY),  # #domain_get_nss
    # #domain_update_nss
    "domain/update_nss": (
        set(),
        IDENTIFY | {"nss", "undelegate", "payout_agreement"} | NSS,
    ),
    "domain/create_authinfo_request": ({"delivery_method"}, IDENTIFY),  # #create_authinfo_request
}

# #domain_create, "Контактные данные для .RU/.SU/.РФ доменов": (min, max) length per field.
# ("descr" is not in the table but in every sample request.)
COMMON_CONTACTS = {
    "sms_security_number": (8, 25),
    "p_addr": (15, 255),
    "phone": (8, 255),
    "fax": (8, 255),
    "e_mail": (6, 255),
    "descr": (0, 255),
}
COMPANY = {
    "org": (6, 255),
    "org_r": (10, 255),
    "code": (10, 10),
    "kpp": (9, 9),
    "country": (2, 2),
    "address_r": (15, 255),
}
PERSON = {
    "person": (8, 64),
    "person_r": (9, 64),
    "private_person_flag": (1, 1),
    "passport": (20, 255),
    "birth_date": (10, 10),
    "country": (2, 2),
    "code": (12, 12),  # a sole proprietor's INN
}
# Which fields a registration cannot do without (the table marks the others optional).
COMPANY_REQUIRED = {"org", "org_r", "code", "country", "address_r", "p_addr", "phone", "e_mail"}
PERSON_REQUIRED = {"person", "person_r", "passport", "birth_date", "country", "p_addr", "phone",
                   "e_mail"}  # fmt: skip
# #domain_create `period`: "for .ru and .su only 1" (.рф taken the same, see regru.py).
ONE_YEAR = {"ru", "su", "xn--p1ai"}

# #common_errors: the texts of the codes this fake answers.
TEXTS = {
    "PASSWORD_AUTH_FAILED": "Username/password Incorrect",
    "DOMAIN_ALREADY_EXISTS": "Domain already exists, use whois service",
    "DOMAIN_NOT_FOUND": "Domain $domain_name not found or not owned by You",
    "SERVICE_ID_NOT_FOUND": "Service $service_id not found or not owned by You",
    "NOT_ENOUGH_MONEY": "Not enough money at account for this operation",
    "PARAMETER_INCORRECT": "$param has incorrect format or data",
    "SERVICE_UNAVAILABLE": "Reg.API is temporarily unavailable",
    "INVALID_DOMAIN_NAME_FORMAT": "$domain_name is invalid or unsupported zone",
}


@dataclass
class Domain:
    service_id: str
    dname: str  # Punycode
    contacts: dict[str, str]
    nss: list[str]
    created: dt.date
    expires: dt.date
    state: str = "A"
    ours: bool = True  # False: registered by someone else (taken)
    authinfo_sent: list[str] = field(default_factory=list)


def _text(code: str, **params: str) -> str:
    text = TEXTS[code]
    for key, value in params.items():
        text = text.replace(f"${key}", value)
    return text


def error(code: str, **params: str) -> dict[str, Any]:
    """#common_response_parameters: result "error", error_code, error_text, error_params."""
    body: dict[str, Any] = {
        "result": "error",
        "error_code": code,
        "error_text": _text(code, **params),
    }
    if params:
        body["error_params"] = params
    return body


def success(answer: dict[str, Any]) -> dict[str, Any]:
    return {"answer": answer, "result": "success"}


def puny(name: str) -> str:
    return idna.encode(name, uts46=True).decode("ascii")


class FakeRegru:
    """The fake's state and the answers of each function."""

    def __init__(self, *, username: str, password: str, balance: str = "5000") -> None:
        self.username, self.password = username, password
        self.balance = Decimal(balance)
        self.prices = {"ru": Decimal("169"), "xn--p1ai": Decimal("169")}  # a year, RUR
        self.domains: dict[str, Domain] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.violations: list[str] = []
        self.fail_next: dict[str, str] = {}  # function -> error code answered once
        self.today = dt.date(2026, 11, 30)
        self.next_id = 10001
        self.lock = threading.Lock()

    def add_taken(self, name: str) -> None:
        """A name registered by someone else: domain/check and domain/create see it."""
        self.domains[puny(name)] = Domain(
            "0", puny(name), {}, [], self.today, self.today, ours=False
        )

    def ours(self) -> dict[str, Domain]:
        return {name: d for name, d in self.domains.items() if d.ours}

    # -- request checking ----------------------------------------------------------------

    def check(self, path: str, form: dict[str, list[str]]) -> tuple[str, dict[str, Any]] | str:
        if not path.startswith("/api/regru2/"):
            return f"{path}: not under /api/regru2/ (#common_query_format)"
        function = path.removeprefix("/api/regru2/")
        if function not in PARAMS:
            return f"{function}: not a function this fake knows"
        for name, values in form.items():
            if len(values) != 1:
                return f"{function}: {name} given {len(values)} times"
        if set(form) - {"username", "password", "input_format", "input_data"}:
            return f"{function}: form fields {sorted(form)} besides the credential and input_data"
        if form.get("input_format") != ["json"] or "input_data" not in form:
            return f"{function}: not input_format=json with input_data (2.2.3.2)"
        try:
            data = json.loads(form["input_data"][0])
        except ValueError:
            return f"{function}: input_data is not JSON"
        if not isinstance(data, dict):
            return f"{function}: input_data is not a JSON object"
        if {"username", "password"} & data.keys():
            # 2.2.4.2: "данные аутентификации ... не должны передаваться внутри input_data"
            return f"{function}: the credential inside input_data"
        required, optional = PARAMS[function]
        missing = required - data.keys()
        unknown = data.keys() - required - optional - MANAGEMENT
        if missing or unknown:
            return f"{function}: missing {sorted(missing)}, undocumented {sorted(unknown)}"
        problem = getattr(self, f"check_{function.replace('/', '_')}", lambda d: "")(data)
        return f"{function}: {problem}" if problem else (function, data)

    def check_domain_check(self, d: dict[str, Any]) -> str:
        if ("domain_name" in d) == ("domains" in d):
            return "domain_name or domains, not both nor neither (#domain_check)"
        for item in d.get("domains", []):
            if not isinstance(item, dict) or not ({"dname", "domain_name"} & item.keys()):
                return f"domains item {item!r} without dname/domain_name"
        return ""

    def check_domain_create(self, d: dict[str, Any]) -> str:
        if not isinstance(d.get("domain_name"), str):
            return "domain_name (a string) required: Hutor orders one domain a call"
        if "enduser_ip" not in d:
            return "enduser_ip is required of a partner (#domain_create)"
        zone = puny(d["domain_name"]).rsplit(".", 1)[-1]
        if zone in ONE_YEAR and str(d["period"]) != "1":
            # The docs give no error code for it: Hutor must not send it.
            return f"period {d['period']!r} for .{zone} (only 1 allowed)"
        contacts, servers = d.get("contacts"), d.get("nss")
        if not isinstance(contacts, dict) or not isinstance(servers, dict):
            return "contacts and nss must be hashes (JSON input)"
        if not all(isinstance(v, str) for v in (*contacts.values(), *servers.values())):
            return "contact and nameserver fields must be strings"
        company = {"org", "org_r", "address_r", "kpp"} & contacts.keys()
        person = {
            "person",
            "person_r",
            "passport",
            "birth_date",
            "private_person_flag",
        } & contacts.keys()
        if company and person:
            return f"company fields {sorted(company)} mixed with a person's {sorted(person)}"
        allowed = COMMON_CONTACTS | (COMPANY if company else PERSON)
        if set(contacts) - set(allowed):
            return f"contact fields {sorted(set(contacts) - set(allowed))} not documented"
        needed = COMPANY_REQUIRED if company else PERSON_REQUIRED
        if needed - contacts.keys():
            return f"contact fields {sorted(needed - contacts.keys())} missing"
        if set(servers) - NSS or len({"ns0", "ns1"} & servers.keys()) < 2:
            return f"nss {sorted(servers)}: ns0..ns3 (ns0, ns1 at least: two servers)"
        return ""

    def check_service_renew(self, d: dict[str, Any]) -> str:
        return "" if str(d["period"]).isdigit() else f"period {d['period']!r}"

    def check_domain_create_authinfo_request(self, d: dict[str, Any]) -> str:
        return "" if d["delivery_method"] in ("sms", "email") else "delivery_method: sms or email"

    # -- the functions -------------------------------------------------------------------

    def handle(self, function: str, d: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((function, d))
        code = self.fail_next.pop(function, "")
        if code:
            return error(code)
        return getattr(self, f"do_{function.replace('/', '_')}")(d)

    def _find(self, ident: dict[str, Any]) -> Domain | str:
        """A domain of ours by the standard identification (#common_service_identification_
        params), or the error code."""
        if "service_id" in ident:
            for dom in self.ours().values():
                if dom.service_id == str(ident["service_id"]):
                    return dom
            return "SERVICE_ID_NOT_FOUND"
        name = ident.get("domain_name") or ident.get("dname") or ""
        named = self.ours().get(puny(name)) if name else None
        return named or "DOMAIN_NOT_FOUND"

    def _item_error(self, ident: dict[str, Any], code: str) -> dict[str, Any]:
        # The shape of a failed item (#common_service_list_identification_params): the
        # identification echoed, result holding the text, error_code.
        params = {k: str(v) for k, v in ident.items() if k in ("service_id", "domain_name")}
        return {**ident, "result": _text(code, **params), "error_code": code}

    def do_nop(self, d: dict[str, Any]) -> dict[str, Any]:
        return success({"login": self.username, "user_id": "0"})  # #common_nop sample

    def do_user_get_balance(self, d: dict[str, Any]) -> dict[str, Any]:
        # #user_get_balance sample: credit, currency, prepay (blocked only when non-zero).
        return success(
            {"credit": "0", "currency": d.get("currency", "RUR"), "prepay": str(self.balance)}
        )

    def do_domain_check(self, d: dict[str, Any]) -> dict[str, Any]:
        # #domain_check sample: "Available", or error_code and its text in result.
        items = []
        for item in d.get("domains") or [{"dname": d["domain_name"]}]:
            name = item.get("dname") or item.get("domain_name")
            try:
                key = puny(name)
            except idna.IDNAError:
                items.append({"dname": name, "error_code": "INVALID_DOMAIN_NAME_PUNYCODE",
                              "result": "Invalid punycode value for domain_name"})  # fmt: skip
                continue
            if key in self.domains:
                items.append({"dname": name, "error_code": "DOMAIN_ALREADY_EXISTS",
                              "result": TEXTS["DOMAIN_ALREADY_EXISTS"]})  # fmt: skip
            elif key.rsplit(".", 1)[-1] not in self.prices:
                tld = key.rsplit(".", 1)[-1]
                text = f"Registration in .{tld} TLD is not available"
                items.append({"dname": name, "error_code": "TLD_DISABLED", "result": text})
            elif key.startswith("premium"):
                premium = {"is_premium": "1", "price": "60000", "renew_price": "600"}
                items.append({"currency": "RUR", "dname": name, **premium, "result": "Available"})
            else:
                items.append({"dname": name, "result": "Available"})
        return success({"domains": items})

    def do_domain_create(self, d: dict[str, Any]) -> dict[str, Any]:
        # #domain_create: the answer of its samples (bill_id, domains, pay_notes, pay_type,
        # payment). For a name already registered the section shows no answer; the common
        # DOMAIN_ALREADY_EXISTS is used (#common_errors, "Ошибки доступности").
        name = puny(d["domain_name"])
        zone = name.rsplit(".", 1)[-1]
        if name in self.domains:
            return error("DOMAIN_ALREADY_EXISTS")
        if zone not in self.prices:
            return error("INVALID_DOMAIN_NAME_FORMAT", domain_name=name)
        table = COMPANY if "org" in d["contacts"] else PERSON
        for fname, value in d["contacts"].items():
            low, high = {**COMMON_CONTACTS, **table}[fname]
            if not low <= len(value) <= high:
                return error("PARAMETER_INCORRECT", param=fname)
        birth = d["contacts"].get("birth_date")
        if birth is not None:
            try:
                dt.datetime.strptime(birth, "%d.%m.%Y")  # ДД.ММ.ГГГГ
            except ValueError:
                return error("PARAMETER_INCORRECT", param="birth_date")
        price = self.prices[zone] * int(d["period"])
        if self.balance < price and not d.get("ok_if_no_money"):
            return error("NOT_ENOUGH_MONEY")  # #common_payment_params: no order made
        self.balance -= price
        service_id = str(self.next_id)
        self.next_id += 1
        servers = [d["nss"][f"ns{i}"] for i in range(4) if f"ns{i}" in d["nss"]]
        self.domains[name] = Domain(
            service_id, name, dict(d["contacts"]), servers, self.today,
            self.today.replace(year=self.today.year + int(d["period"])),
        )  # fmt: skip
        return success({
            "bill_id": str(self.next_id + 5000),
            "domains": [{"dname": name, "result": "success", "service_id": service_id}],
            "pay_notes": "Amount successfully charged",
            "pay_type": "prepay",
            "payment": str(price),
        })  # fmt: skip

    def do_service_get_info(self, d: dict[str, Any]) -> dict[str, Any]:
        # #service_get_info sample: services with creation_date, expiration_date, result,
        # service_id, servtype, state, subtype.
        idents = d.get("services") or d.get("domains")
        if idents is None:
            found = self._find(d)
            if isinstance(found, str):
                return error(
                    found, **{k: str(v) for k, v in d.items() if k in ("service_id", "domain_name")}
                )
            idents = [d]
        items = []
        for ident in idents:
            dom = self._find(ident)
            if isinstance(dom, str):
                items.append(self._item_error(ident, dom))
                continue
            items.append({
                "creation_date": dom.created.isoformat(),
                "expiration_date": dom.expires.isoformat(),
                "result": "success",
                "service_id": dom.service_id,
                "servtype": "domain",
                "state": dom.state,
                "subtype": "",
            })  # fmt: skip
        return success({"services": items})

    def do_service_renew(self, d: dict[str, Any]) -> dict[str, Any]:
        # #service_renew, the answer to a "PLAIN" request (one service): period, payment,
        # currency, status, dname, bill_id, servtype. Errors: INCORRECT_STATE, PROLONG_ERROR
        # and the common ones (a short balance: NOT_ENOUGH_MONEY, as ok_if_no_money is off).
        dom = self._find(d)
        if isinstance(dom, str):
            return error(
                dom, **{k: str(v) for k, v in d.items() if k in ("service_id", "domain_name")}
            )
        price = self.prices[dom.dname.rsplit(".", 1)[-1]] * int(d["period"])
        if self.balance < price:
            return error("NOT_ENOUGH_MONEY")
        self.balance -= price
        dom.expires = dom.expires.replace(year=dom.expires.year + int(d["period"]))
        return success({
            "period": str(d["period"]), "payment": str(price), "currency": "RUR",
            "status": "renew_success", "dname": dom.dname, "bill_id": str(self.next_id + 7000),
            "servtype": "domain",
        })  # fmt: skip

    def do_domain_get_nss(self, d: dict[str, Any]) -> dict[str, Any]:
        # #domain_get_nss sample: domains with dname, nss [{ns}], service_id.
        items = []
        for ident in d.get("domains") or [d]:
            dom = self._find(ident)
            if isinstance(dom, str):
                items.append(self._item_error(ident, dom))
            else:
                nss = [{"ns": ns} for ns in dom.nss]
                items.append({"dname": dom.dname, "nss": nss, "service_id": dom.service_id})
        return success({"domains": items})

    def do_domain_update_nss(self, d: dict[str, Any]) -> dict[str, Any]:
        # #domain_update_nss "Один домен" sample; INVALID_NSS for fewer than two servers.
        servers = d.get("nss") or {k: v for k, v in d.items() if k in NSS}
        names = [servers[f"ns{i}"] for i in range(4) if f"ns{i}" in servers]
        if len(names) < 2:
            return {
                "result": "error",
                "error_code": "INVALID_NSS",
                "error_text": "Invalid name servers",
            }
        items = []
        for ident in d.get("domains") or [d]:
            dom = self._find(ident)
            if isinstance(dom, str):
                items.append(self._item_error(ident, dom))
                continue
            dom.nss = names
            items.append({"dname": dom.dname, "result": "success", "service_id": dom.service_id})
        return success({"domains": items})

    def do_domain_create_authinfo_request(self, d: dict[str, Any]) -> dict[str, Any]:
        # #create_authinfo_request samples: result "SUCCESS" per domain (or "ERROR" and
        # error_code); the key goes to the administrator by the delivery method.
        items = []
        for ident in d.get("domains") or [d]:
            dom = self._find(ident)
            if isinstance(dom, str):
                items.append({**ident, "result": "ERROR", "error_code": dom})
                continue
            dom.authinfo_sent.append(d["delivery_method"])
            items.append({"dname": dom.dname, "result": "SUCCESS", "service_id": dom.service_id})
        return success({"domains": items})


def _handler(fake: FakeRegru) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any] | str) -> None:
            raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            with fake.lock:
                if "x-www-form-urlencoded" not in (self.headers.get("Content-Type") or ""):
                    fake.violations.append(f"{self.path}: body not x-www-form-urlencoded (2.2.2)")
                    return self._send(400, "bad content type")
                form = parse_qs(raw, keep_blank_values=True)
                checked = fake.check(self.path, form)
                if isinstance(checked, str):
                    fake.violations.append(checked)
                    return self._send(400, checked)
                if form.get("username") != [fake.username] or form.get("password") != [
                    fake.password
                ]:
                    # #common_nop, "Возможные ошибки": the answer to a wrong username/password.
                    return self._send(200, error("PASSWORD_AUTH_FAILED"))
                answer = fake.handle(*checked)
            self._send(200, answer)

        def do_GET(self) -> None:
            # GET works at REG.API, but the module sends the recommended POST (2.1) so the
            # password never sits in a URL.
            fake.violations.append(f"GET {self.path}: the module sends POST")
            self._send(400, "unexpected GET")

    return Handler


class Serving(HttpsServing):
    """The fake on a free 127.0.0.1 port over HTTPS, in a thread."""

    def __init__(self, fake: FakeRegru, folder: Path) -> None:
        super().__init__(fake, _handler(fake), folder, "regru.test")
