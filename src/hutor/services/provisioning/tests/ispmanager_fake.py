"""A fake ISPmanager 6 on 127.0.0.1: the part of its HTTP API the `ispmanager` module uses,
answering as the documentation shows and checking every request against the documented
parameters (an unknown or missing one is recorded in `violations`, and the fixture fails the
test with it).

The pages it follows (each handler cites the one it comes from):
GUIDE   https://www.ispmanager.com/docs/ispmanager/guide-to-ispsystem-software-api
        (authinfo authentication; key authentication: session.newkey, then func=auth&key=)
ERRORS  https://www.ispmanager.com/docs/coremanager/errors (the error element: type, object,
        param, msg)
USER    https://www.ispmanager.com/docs/ispmanager/add-a-user (a user's fields: Login up to 32
        ASCII printable characters, Name, Owner, Template, Password up to 128, Re-enter
        password, Comment) and https://www.ispmanager.com/docs/ispmanager/user
USERS   http://en.ispdoc.com/index.php/Users(ISPmanager) (the users list: name, owner, preset,
        active or not; enable/disable; delete)
MAIL    https://www.ispmanager.com/docs/ispmanager/create-a-mail-domain (Name, Owner)
FUNCS   https://ispsystem.com/docs/dnsmanager/developer-section/dnsmanager-api (how every
        ISPsystem panel function is called: a list function returns elements; a `.edit`
        function views an object with `elid`, creates one with `sok=ok` and its fields, changes
        one with `sok=ok`, `elid` and fields; group actions take `elid`; the result is
        "successful operation or error message")
PARAMS  https://ispsystem.com/docs/b6c/developer-section/billmanager-api/edit-properties-of-the-
        selected-user-user-edit (a user form's password fields are `passwd` and `confirm`)

Where the pages are thin (the JSON form of an answer, the error types' names, the web
domain form) the module's docstring says what was chosen; this fake answers the same.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ADMIN, ADMIN_PASSWORD = "root", "s3cret:with:colons"

# Sent with every call: GUIDE (func, out, authinfo); ERRORS ("Always send a language").
COMMON = {"func", "out", "authinfo"}
COMMON_OPTIONAL = {"lang"}

# What each call may carry beyond COMMON: (required, optional). FUNCS for the call shapes.
USER_FIELDS = {"name", "fullname", "passwd", "confirm", "preset", "comment", "owner"}  # USER
SHAPES: dict[str, dict[str, tuple[set[str], set[str]]]] = {
    "user": {"list": (set(), set())},  # FUNCS: "Result: the list of elements"
    "user.edit": {
        "view": ({"elid"}, set()),
        "create": ({"sok", "name", "passwd", "confirm"}, USER_FIELDS - {"name"}),
        "change": ({"sok", "elid"}, USER_FIELDS - {"name", "owner"}),  # owner: fixed (USER)
    },
    "user.suspend": {"group": ({"elid"}, set())},  # USERS: disable
    "user.resume": {"group": ({"elid"}, set())},  # USERS: enable
    "user.delete": {"group": ({"elid"}, set())},  # USERS: delete
    "webdomain.edit": {"view": ({"elid"}, set()), "create": ({"sok", "name", "owner"}, set())},
    "emaildomain.edit": {"view": ({"elid"}, set()), "create": ({"sok", "name", "owner"}, set())},
    "session.newkey": {"call": ({"username", "key"}, set())},  # GUIDE: key authentication
}


def ok() -> dict:
    # GUIDE / FUNCS: "successful operation": <doc><ok/></doc>, in JSON form.
    return {"doc": {"ok": {}}}


def error(kind: str, obj: str, msg: str, value: str = "") -> dict:
    # ERRORS: <error type=".." object=".."><param name="object">..</param>
    # <param name="value">..</param><msg>..</msg></error>, in JSON form.
    return {
        "doc": {
            "error": {
                "$type": kind,
                "$object": obj,
                "$lang": "en",
                "param": [
                    {"$name": "object", "$": obj},
                    {"$name": "value", "$": value},
                ],
                "msg": {"$": msg},
            }
        }
    }


def field_of(value: str) -> dict:
    return {"$": value}


@dataclass
class User:
    name: str
    fullname: str
    password: str
    preset: str
    comment: str
    owner: str = ADMIN
    active: bool = True


@dataclass
class FakeIspmanager:
    """The panel's state: users, web and mail domains (each owned by a user), login keys."""

    users: dict[str, User] = field(default_factory=dict)
    webdomains: dict[str, str] = field(default_factory=dict)  # domain -> owner login
    emaildomains: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # key -> login (one use: GUIDE)
    presets: set[str] = field(default_factory=lambda: {"start", "pro"})
    user_limit: int | None = None  # the administrator's licence/limit on users
    down: bool = False  # answer HTTP 503 to everything
    requests: list[dict[str, str]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    url: str = ""

    # --- checking a request against the documentation --------------------------------------

    def shape(self, params: dict[str, str]) -> str | None:
        func = params.get("func", "")
        shapes = SHAPES.get(func)
        if shapes is None:
            self.violations.append(f"undocumented function {func!r}: {params}")
            return None
        missing_common = COMMON - set(params)
        if missing_common or params.get("out") != "json":
            self.violations.append(f"{func}: without {sorted(missing_common)} or out=json")
            return None
        given = set(params) - COMMON - COMMON_OPTIONAL
        for name, (required, optional) in shapes.items():
            if required <= given and given <= required | optional:
                return name
        self.violations.append(f"{func}: parameters {sorted(given)} fit no documented form")
        return None

    # --- answering ------------------------------------------------------------------------

    def answer(self, params: dict[str, str]) -> dict:
        self.requests.append(params)
        # GUIDE, authinfo authentication: login and password of the caller, "user:password"
        # (split at the first colon: a password may contain one).
        login, _, password = params.get("authinfo", "").partition(":")
        if (login, password) != (ADMIN, ADMIN_PASSWORD):
            # GUIDE: "The control panel will return either an error message or …"; the
            # message's shape from ERRORS.
            return error("auth", "", "Invalid username or password")
        shape = self.shape(params)
        if shape is None:
            return error("value", "func", "the request does not fit the documentation")
        func = params["func"]
        handler = getattr(self, func.replace(".", "_"))
        return handler(shape, params)

    def user(self, shape: str, params: dict) -> dict:
        # USERS: the users list (name, full name, owner, template, active or not); FUNCS: a
        # list function answers <doc><elem>…</elem>…</doc>.
        rows = [
            {
                "name": field_of(u.name),
                "fullname": field_of(u.fullname),
                "owner": field_of(u.owner),
                "preset": field_of(u.preset),
                "active": field_of("on" if u.active else "off"),
            }
            for u in self.users.values()
        ]
        return {"doc": {"elem": rows}}

    def user_edit(self, shape: str, params: dict) -> dict:
        if shape == "view":
            # FUNCS: "View object's parameters: elid … Result: object parameters list".
            user = self.users.get(params["elid"])
            if user is None:
                return error("missed", "user", f"User '{params['elid']}' not found", "elid")
            return {
                "doc": {
                    "elid": field_of(user.name),
                    "name": field_of(user.name),
                    "fullname": field_of(user.fullname),
                    "preset": field_of(user.preset),
                    "comment": field_of(user.comment),
                    "owner": field_of(user.owner),
                }
            }
        if shape == "create":
            return self.create_user(params)
        # FUNCS: "Change an object: sok, elid, additional query parameters".
        user = self.users.get(params["elid"])
        if user is None:
            return error("missed", "user", f"User '{params['elid']}' not found", "elid")
        if "passwd" in params:
            if params["passwd"] != params.get("confirm"):
                return error("value", "confirm", "Passwords do not match")  # USER: re-enter
            user.password = params["passwd"]
        if "preset" in params:
            if params["preset"] not in self.presets:
                return error("value", "preset", f"No template '{params['preset']}'")
            user.preset = params["preset"]
        return ok()

    def create_user(self, params: dict) -> dict:
        name = params["name"]
        # USER: Login "Only ASCII printable characters … Maximum length: 32"; a system user
        # name besides, so lowercase Latin letters and digits starting with a letter here.
        if not (name[:1].isalpha() and name.isascii() and name == name.lower() and len(name) <= 32):
            return error("value", "name", f"Invalid login '{name}'", name)
        if len(params["passwd"]) > 128 or params["passwd"] != params["confirm"]:
            return error("value", "passwd", "Invalid password")  # USER: up to 128
        if params.get("preset") and params["preset"] not in self.presets:
            return error("value", "preset", f"No template '{params['preset']}'")
        if name in self.users:
            return error("exists", "user", f"User '{name}' already exists", name)
        if self.user_limit is not None and len(self.users) >= self.user_limit:
            return error("limit", "user", "The limit on the number of users is reached")
        self.users[name] = User(
            name=name,
            fullname=params.get("fullname", ""),
            password=params["passwd"],
            preset=params.get("preset", ""),
            comment=params.get("comment", ""),
            owner=params.get("owner", ADMIN),
        )
        return ok()

    def group(self, params: dict, action: str) -> dict:
        # FUNCS: group actions take elid, "one or more … comma-delimited with space".
        names = [n.strip() for n in params["elid"].split(",")]
        for name in names:
            if name not in self.users:
                return error("missed", "user", f"User '{name}' not found", name)
        for name in names:
            if action == "delete":
                # USER / USERS: a user is deleted with its sites and mail.
                del self.users[name]
                for domains in (self.webdomains, self.emaildomains):
                    for domain in [d for d, owner in domains.items() if owner == name]:
                        del domains[domain]
            else:
                self.users[name].active = action == "resume"
        return ok()

    def user_suspend(self, shape: str, params: dict) -> dict:
        return self.group(params, "suspend")

    def user_resume(self, shape: str, params: dict) -> dict:
        return self.group(params, "resume")

    def user_delete(self, shape: str, params: dict) -> dict:
        return self.group(params, "delete")

    def domain(self, table: dict[str, str], what: str, shape: str, params: dict) -> dict:
        # MAIL: a mail domain's Name and Owner (a web domain's form has the same two); FUNCS
        # for view and create.
        if shape == "view":
            owner = table.get(params["elid"])
            if owner is None:
                return error("missed", what, f"Domain '{params['elid']}' not found", "elid")
            return {"doc": {"name": field_of(params["elid"]), "owner": field_of(owner)}}
        name, owner = params["name"], params["owner"]
        if owner not in self.users:
            return error("missed", "user", f"User '{owner}' not found", owner)
        if name in table:
            return error("exists", what, f"Domain '{name}' already exists", name)
        table[name] = owner
        return ok()

    def webdomain_edit(self, shape: str, params: dict) -> dict:
        return self.domain(self.webdomains, "webdomain", shape, params)

    def emaildomain_edit(self, shape: str, params: dict) -> dict:
        return self.domain(self.emaildomains, "emaildomain", shape, params)

    def session_newkey(self, shape: str, params: dict) -> dict:
        # GUIDE, key authentication: the key "a random line at least 16 symbols long"; the
        # administrator registers it for the user, who then opens func=auth&username&key.
        if params["username"] not in self.users:
            return error("missed", "user", f"User '{params['username']}' not found")
        if len(params["key"]) < 16:
            return error("value", "key", "The key is too short")
        self.keys[params["key"]] = params["username"]
        return ok()

    def login_with_key(self, username: str, key: str) -> bool:
        """What the panel does when the customer opens func=auth&username=…&key=… (GUIDE):
        logs in once; the key is spent."""
        return self.keys.pop(key, None) == username and self.users[username].active


class Handler(BaseHTTPRequestHandler):
    server: Any

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        self.reply(dict(urllib.parse.parse_qsl(body, keep_blank_values=True)))

    def do_GET(self) -> None:
        # GUIDE: the same parameters in the query string work too.
        query = urllib.parse.urlsplit(self.path).query
        self.reply(dict(urllib.parse.parse_qsl(query, keep_blank_values=True)))

    def reply(self, params: dict[str, str]) -> None:
        fake: FakeIspmanager = self.server.fake
        if urllib.parse.urlsplit(self.path).path != "/ispmgr":
            fake.violations.append(f"not the documented /ispmgr: {self.path}")
        if fake.down:
            status, data = 503, b"Service Unavailable"
        else:
            status, data = 200, json.dumps(fake.answer(params)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Running:
    """The fake on a free 127.0.0.1 port, in a thread."""

    def __init__(self) -> None:
        self.fake = FakeIspmanager()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.fake = self.fake
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()
        self.fake.url = f"http://127.0.0.1:{self.port}/ispmgr"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()
