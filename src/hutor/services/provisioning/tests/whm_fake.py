"""A local WHM API 1 server for the cPanel module's tests (cPanel & WHM cannot run here).

It answers as the official documentation shows, each handler citing its page, and CHECKS
every request Hutor sends against the documented parameters: an unknown or missing
parameter, a wrong value, a missing `api.version=1` or a path outside /json-api/ is recorded
in `violations` (and answered HTTP 400) so the test fails loudly. It keeps state, so the
lifecycle is real. HTTPS with a self-signed certificate made for the test (WHM's port 2087 is
HTTPS only: https://api.docs.cpanel.net/whm/introduction/).

Where the docs are thin (the wording of a refusal's `reason`, what a wrong token gets back,
what repeating a suspension answers) the comment says so and the closest documented
behaviour is chosen.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hutor.services.provisioning.tests.tls import HttpsServing

# createacct's optional parameters (https://api.docs.cpanel.net/openapi/whm/operation/createacct/).
_CREATEACCT_OPTIONAL = (
    "account_enhancements bwlimit cgi contactemail cpmod customip dkim dmarc domain "
    "featurelist forcedns frontpage gid hasshell hasuseregns homedir ip language "
    "mail_node_alias mailbox_format max_defer_fail_percentage max_email_per_hour "
    "max_emailacct_quota max_team_users maxaddon maxftp maxlst maxpark maxpop maxsql "
    "maxsub mxcheck owner ownerself pass password pkgname plan quota reseller "
    "reseller_without_domain savepkg showpass spamassassin spambox spf uid useregns"
)

# Each function's query parameters, (required, optional), as its page lists them.
PARAMS: dict[str, tuple[set[str], set[str]]] = {
    # https://api.docs.cpanel.net/openapi/whm/operation/createacct/ (Request: query Parameters)
    "createacct": (
        {"username"},
        set(_CREATEACCT_OPTIONAL.split()),
    ),
    # https://api.docs.cpanel.net/openapi/whm/operation/suspendacct/
    "suspendacct": ({"user"}, {"disallowun", "leave-ftp-accts-enabled", "reason"}),
    # https://api.docs.cpanel.net/openapi/whm/operation/unsuspendacct/
    "unsuspendacct": ({"user"}, {"retain-service-proxies"}),
    # https://api.docs.cpanel.net/openapi/whm/operation/removeacct/ (`user` is deprecated)
    "removeacct": ({"username"}, {"keepdns", "user"}),
    # https://api.docs.cpanel.net/openapi/whm/operation/changepackage/
    "changepackage": ({"user", "pkg"}, set()),
    # https://api.docs.cpanel.net/openapi/whm/operation/passwd/
    "passwd": ({"user", "password"}, {"db_pass_update", "digestauth", "enabledigest"}),
    # https://api.docs.cpanel.net/openapi/whm/operation/create_user_session/
    "create_user_session": ({"user", "service"}, {"app", "locale", "preferred_domain"}),
    # https://api.docs.cpanel.net/openapi/whm/operation/accountsummary/ ("You must use
    # either the user or domain parameters": checked in the handler)
    "accountsummary": (set(), {"domain", "search", "searchmethod", "searchtype", "user"}),
    # https://api.docs.cpanel.net/openapi/whm/operation/listaccts/
    "listaccts": (set(), {"search", "searchmethod", "searchtype", "want"}),
    # https://api.docs.cpanel.net/openapi/whm/operation/version/ (no parameters)
    "version": (set(), set()),
}

# Enumerated values, from the same pages.
ENUMS: dict[tuple[str, str], set[str]] = {
    ("createacct", "showpass"): {"y", "n"},
    ("create_user_session", "service"): {"cpaneld", "whostmgrd", "webmaild"},
    ("listaccts", "searchmethod"): {"exact", "regex"},
    ("listaccts", "searchtype"): {"domain", "owner", "user", "ip", "package"},
    ("suspendacct", "disallowun"): {"0", "1"},
    ("removeacct", "keepdns"): {"0", "1"},
    ("passwd", "db_pass_update"): {"0", "1"},
}


@dataclass
class Account:
    user: str
    domain: str
    email: str
    plan: str
    password: str = field(repr=False)
    suspended: bool = False
    reason: str = ""
    diskused: int = 14
    owner: str = "root"

    def as_acct(self) -> dict[str, Any]:
        # The account object of accountsummary's and listaccts' samples (the fields Hutor
        # reads, with the sample's types: "14M", "unlimited", 0/1).
        return {
            "user": self.user,
            "domain": self.domain,
            "email": self.email,
            "plan": self.plan,
            "ip": "192.0.2.10",
            "owner": self.owner,
            "partition": "home",
            "theme": "jupiter",
            "shell": "/bin/bash",
            "suspended": 1 if self.suspended else 0,
            "suspendreason": self.reason if self.suspended else "not suspended",
            "suspendtime": 1700000000 if self.suspended else None,
            "diskused": f"{self.diskused}M",
            "disklimit": "1024M" if self.plan == "start_pkg" else "unlimited",
            "startdate": "13 May 22 16:03",
            "unix_startdate": 1369256589,
            "is_locked": 0,
            "backup": 0,
            "maxpop": "unlimited",
        }


def _answer(command: str, result: int, reason: str, data: Any = None, **meta: Any) -> dict:
    """The WHM API 1 envelope: metadata {command, reason, result, version} and data
    (https://api.docs.cpanel.net/whm/introduction/, and every function's Response samples)."""
    body: dict[str, Any] = {
        "metadata": {"command": command, "reason": reason, "result": result, "version": 1, **meta}
    }
    if data is not None:
        body["data"] = data
    return body


class FakeWhm:
    """The fake server's state and the answers of each function."""

    def __init__(self, *, user: str, token: str, packages: set[str]) -> None:
        self.auth = f"whm {user}:{token}"
        self.packages = set(packages)
        self.accounts: dict[str, Account] = {}
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.violations: list[str] = []
        self.max_accounts: int | None = None
        self.http_status: int | None = None  # answer every call with this status (5xx tests)
        self.repeat_refused = False  # a repeated (un)suspension answers result 0
        self.lock = threading.Lock()

    # -- request checking ----------------------------------------------------------------

    def check(self, path: str, query: dict[str, list[str]]) -> tuple[str, dict[str, str]] | str:
        if not path.startswith("/json-api/"):
            return f"{path}: not under /json-api/ (whm/introduction)"
        function = path.removeprefix("/json-api/")
        if function not in PARAMS:
            return f"{function}: not a function this fake knows"
        if query.get("api.version") != ["1"]:
            # "If you do not include the API version, the call will default to WHM API 0."
            return f"{function}: api.version=1 missing (whm/introduction)"
        params: dict[str, str] = {}
        for name, values in query.items():
            if name == "api.version":
                continue
            if len(values) != 1:
                return f"{function}: {name} given {len(values)} times"
            params[name] = values[0]
        required, optional = PARAMS[function]
        missing = required - params.keys()
        unknown = params.keys() - required - optional
        if missing or unknown:
            return f"{function}: missing {sorted(missing)}, undocumented {sorted(unknown)}"
        for (fn, name), allowed in ENUMS.items():
            if fn == function and name in params and params[name] not in allowed:
                return f"{function}: {name}={params[name]!r} not one of {sorted(allowed)}"
        if function == "createacct":
            user = params["username"]
            # createacct's `username`: <= 16 characters, not starting with a digit or "test";
            # lower-case (the system would lower it; Hutor must send it as it keeps it).
            if len(user) > 16 or not user.isalnum() or not user.islower():
                return f"createacct: username {user!r} breaks the documented rules"
            if user[0].isdigit() or user.startswith("test"):
                return f"createacct: username {user!r} starts with a digit or 'test'"
            if "pass" in params and "password" in params:
                return "createacct: both pass and password (the docs allow one)"
        if function == "accountsummary" and not ({"user", "domain"} & params.keys()):
            return "accountsummary: neither user nor domain"
        return function, params

    # -- the functions -------------------------------------------------------------------

    def handle(self, function: str, p: dict[str, str]) -> dict:
        self.calls.append((function, p))
        return getattr(self, f"do_{function}")(p)

    def _missing(self, command: str, user: str) -> dict:
        # A call about an account the server does not have: result 0 and a reason. The docs
        # show no sample of this failure; the wording below is cPanel's usual one and Hutor
        # never parses it (it looks the account up with listaccts instead).
        return _answer(command, 0, f"The user “{user}” does not exist.")

    def do_createacct(self, p: dict[str, str]) -> dict:
        # https://api.docs.cpanel.net/openapi/whm/operation/createacct/ (Response samples).
        user, domain = p["username"].lower(), p.get("domain", "").lower()
        # Refusals: result 0 with the reason ("The reason the API function failed when the
        # metadata.result field is 0"); the pages do not list the texts, these are cPanel's.
        if user in self.accounts or any(a.user[:8] == user[:8] for a in self.accounts.values()):
            return _answer("createacct", 0, f"The username “{user}” is already in use.")
        if any(a.domain == domain for a in self.accounts.values()):
            return _answer(
                "createacct", 0, f"The domain “{domain}” already exists in the userdata."
            )
        if self.max_accounts is not None and len(self.accounts) >= self.max_accounts:
            return _answer(
                "createacct", 0, "You have exceeded the maximum number of accounts allowed."
            )
        plan = p.get("plan", "default")  # `plan` defaults to "default"
        if plan not in self.packages:
            return _answer("createacct", 0, f"The package “{plan}” does not exist.")
        self.accounts[user] = Account(
            user=user,
            domain=domain,
            email=p.get("contactemail", ""),
            plan=plan,
            password=p.get("password") or p.get("pass") or secrets.token_urlsafe(12),
        )
        shown = "********" if p.get("showpass") == "n" else self.accounts[user].password
        return _answer(
            "createacct",
            1,
            "Account Creation Ok",
            data={
                "ip": "192.0.2.10",
                "nameserver": "ns1.example.com",
                "nameserver2": "ns2.example.com",
                "nameserver3": None,
                "nameserver4": None,
                "nameservera": None,
                "nameservera2": None,
                "nameservera3": None,
                "nameservera4": None,
                "nameserverentry": None,
                "nameserverentry2": None,
                "nameserverentry3": None,
                "nameserverentry4": None,
                "package": plan,
            },
            output={
                "raw": f"Validating Username...Done\n| UserName: {user}\n| PassWord: {shown}\n"
                "...Account Creation Ok...Done\n"
            },
        )

    def do_suspendacct(self, p: dict[str, str]) -> dict:
        # https://api.docs.cpanel.net/openapi/whm/operation/suspendacct/: `reason` defaults
        # to "Unknown". What a second suspension answers is not documented: by default it
        # suspends again (result 1); repeat_refused answers result 0 to test Hutor's lookup.
        acct = self.accounts.get(p["user"])
        if acct is None:
            return self._missing("suspendacct", p["user"])
        if acct.suspended and self.repeat_refused:
            return _answer("suspendacct", 0, f"The account “{acct.user}” is already suspended.")
        acct.suspended, acct.reason = True, p.get("reason", "Unknown")
        return _answer(
            "suspendacct",
            1,
            "OK",
            output={
                "raw": f"Changing Shell to /bin/false...{acct.user}'s account has been suspended\n"
            },
        )

    def do_unsuspendacct(self, p: dict[str, str]) -> dict:
        # https://api.docs.cpanel.net/openapi/whm/operation/unsuspendacct/ (sample: metadata
        # only, reason "OK").
        acct = self.accounts.get(p["user"])
        if acct is None:
            return self._missing("unsuspendacct", p["user"])
        if not acct.suspended and self.repeat_refused:
            return _answer("unsuspendacct", 0, f"The account “{acct.user}” is not suspended.")
        acct.suspended, acct.reason = False, ""
        return _answer("unsuspendacct", 1, "OK")

    def do_removeacct(self, p: dict[str, str]) -> dict:
        # https://api.docs.cpanel.net/openapi/whm/operation/removeacct/ (sample: metadata with
        # output.raw, reason "OK").
        if self.accounts.pop(p["username"], None) is None:
            return self._missing("removeacct", p["username"])
        return _answer(
            "removeacct", 1, "OK", output={"raw": "Running pre removal script......Done\n"}
        )

    def do_changepackage(self, p: dict[str, str]) -> dict:
        # https://api.docs.cpanel.net/openapi/whm/operation/changepackage/ (sample: metadata
        # with output.raw "...Changing plan from default to boo...", reason "OK").
        acct = self.accounts.get(p["user"])
        if acct is None:
            return self._missing("changepackage", p["user"])
        if p["pkg"] not in self.packages:
            return _answer("changepackage", 0, f"The package “{p['pkg']}” does not exist.")
        old, acct.plan = acct.plan, p["pkg"]
        return _answer(
            "changepackage",
            1,
            "OK",
            output={"raw": f"<pre>\nChanging plan from {old} to {acct.plan}\n</pre>"},
        )

    def do_passwd(self, p: dict[str, str]) -> dict:
        # https://api.docs.cpanel.net/openapi/whm/operation/passwd/ (sample: data.app ["ftp"],
        # reason "Password changed for user “username”.").
        acct = self.accounts.get(p["user"])
        if acct is None:
            return self._missing("passwd", p["user"])
        if acct.suspended:
            # "You cannot change a suspended account's password." (WHM's Manage Account
            # Suspension, Limitations: https://docs.cpanel.net/whm/account-functions/
            # manage-account-suspension/); the API's wording of it is not documented.
            return _answer("passwd", 0, "You cannot change a suspended account’s password.")
        acct.password = p["password"]
        return _answer(
            "passwd", 1, f"Password changed for user “{acct.user}”.", data={"app": ["ftp"]}
        )

    def do_create_user_session(self, p: dict[str, str]) -> dict:
        # https://api.docs.cpanel.net/openapi/whm/operation/create_user_session/: data.url,
        # session, expires, service, cp_security_token (the fields of the documented sample;
        # the session expires after 15 minutes of inactivity), reason "Created session".
        acct = self.accounts.get(p["user"])
        if acct is None:
            return self._missing("create_user_session", p["user"])
        token = f"/cpsess{secrets.randbelow(10**10):010d}"
        session = (
            f"{acct.user}:{secrets.token_urlsafe(24)}:create_user_session,{secrets.token_hex(16)}"
        )
        expires = int((dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)).timestamp())
        return _answer(
            "create_user_session",
            1,
            "Created session",
            data={
                "cp_security_token": token,
                "expires": expires,
                "locale": p.get("locale", "en"),
                "service": p["service"],
                "session": session,
                "url": f"https://127.0.0.1:2083{token}/login/?session={session}",
            },
        )

    def do_accountsummary(self, p: dict[str, str]) -> dict:
        # https://api.docs.cpanel.net/openapi/whm/operation/accountsummary/ (sample: data.acct
        # a list of one account object, reason "OK").
        acct = self.accounts.get(p.get("user", ""))
        if acct is None and "domain" in p:
            acct = next((a for a in self.accounts.values() if a.domain == p["domain"]), None)
        if acct is None:
            return self._missing("accountsummary", p.get("user") or p.get("domain", ""))
        return _answer("accountsummary", 1, "OK", data={"acct": [acct.as_acct()]})

    def do_listaccts(self, p: dict[str, str]) -> dict:
        # https://api.docs.cpanel.net/openapi/whm/operation/listaccts/: search/searchtype
        # filter (searchmethod exact: identical values), `want` names the returns to include;
        # data.acct a list (empty when nothing matches), reason "OK".
        found = [a.as_acct() for a in self.accounts.values()]
        if "search" in p and "searchtype" in p:
            key = {"package": "plan"}.get(p["searchtype"], p["searchtype"])
            if p.get("searchmethod") == "exact":
                found = [a for a in found if str(a.get(key)) == p["search"]]
            else:
                found = [a for a in found if p["search"] in str(a.get(key))]
        if "want" in p:
            wanted = set(p["want"].split(","))
            found = [{k: v for k, v in a.items() if k in wanted} for a in found]
        return _answer("listaccts", 1, "OK", data={"acct": found})

    def do_version(self, p: dict[str, str]) -> dict:
        # https://api.docs.cpanel.net/openapi/whm/operation/version/ (data.version).
        return _answer("version", 1, "OK", data={"version": "11.130.0.5"})


def _handler(fake: FakeWhm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # every documented call is a GET ("Endpoint: GET /...")
            with fake.lock:
                if self.headers.get("Authorization") != fake.auth:
                    # "Authorization: whm username:token" (https://api.docs.cpanel.net/whm/
                    # tokens/). What a wrong token gets back is not on that page: cPanel
                    # answers HTTP 403 (its example scripts treat a non-success status as the
                    # failure); the body is not relied upon.
                    return self._send(403, b"Access denied\n", "text/plain")
                if fake.http_status:
                    return self._send(fake.http_status, b"Service Unavailable", "text/plain")
                url = urlsplit(self.path)
                checked = fake.check(url.path, parse_qs(url.query, keep_blank_values=True))
                if isinstance(checked, str):
                    fake.violations.append(checked)
                    return self._send(400, checked.encode(), "text/plain")
                answer = fake.handle(*checked)
            self._send(200, json.dumps(answer).encode())

        def do_POST(self) -> None:
            fake.violations.append(f"POST {self.path}: the module sends documented GETs")
            self._send(400, b"unexpected POST", "text/plain")

    return Handler


class Serving(HttpsServing):
    """The fake on a free 127.0.0.1 port over HTTPS, in a thread."""

    def __init__(self, fake: FakeWhm, folder: Path) -> None:
        super().__init__(fake, _handler(fake), folder, "whm.test")
