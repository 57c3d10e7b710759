#!/usr/bin/env python3
"""A provider's hosting script, as the "script" module runs it: one JSON document on stdin,
one on stdout. It keeps its accounts in accounts.json beside itself (its working directory),
as a small host's script might keep them in a file or a panel's database."""

import json
import sys
import time
from pathlib import Path

STATE = Path("accounts.json")


def load():
    return json.loads(STATE.read_text()) if STATE.exists() else {}


def save(accounts):
    STATE.write_text(json.dumps(accounts, indent=1, sort_keys=True))


def answer(**fields):
    print("working...")  # progress a script may print before its answer
    print(json.dumps({"ok": True, **fields}))
    sys.exit(0)


def refuse(error):
    print(json.dumps({"ok": False, "error": error}))
    sys.exit(0)


request = json.load(sys.stdin)
operation = request["operation"]
accounts = load()
if operation in ("check", "list"):
    if request["server"]["password"] != "script-token":
        refuse("bad credentials")
    if operation == "check":
        answer(note="hosting.py 1.0")
    answer(
        accounts=[
            {"remote_id": login, "state": a["state"], "owner": a["owner"]}
            for login, a in sorted(accounts.items())
        ]
    )
service = request["service"]
login = service["remote_id"] or "u" + str(service["id"])
account = accounts.get(login)
if operation == "create":
    if service["identifier"] == "taken.ru":
        refuse("domain taken.ru is hosted by another customer")
    if account is None:
        accounts[login] = account = {
            "owner": service["billing_account"],
            "domain": service["identifier"],
            "plan": request["params"]["plan"],
            "password": service["password"],
            "state": "active",
        }
    elif account["owner"] != service["billing_account"]:
        refuse("login " + login + " belongs to someone else")
    save(accounts)
    with open("creates.log", "a") as log:  # each call that reached the server
        log.write(login + "\n")
    hang = Path("hang-after-create")
    if hang.exists():  # the worker test's cue: the work is done, now wait to be killed
        hang.unlink()
        Path("created-and-hanging").touch()
        time.sleep(600)
    answer(
        remote_id=login,
        note="created " + login,
        access={"login": login, "panel_url": "https://panel.example.net/"},
    )
if account is None:
    if operation == "terminate":
        answer(note="already gone")
    if operation == "sync":
        answer(state="missing")
    refuse("no account " + login)
if operation == "suspend":
    account["state"] = "suspended"
elif operation == "unsuspend":
    account["state"] = "active"
elif operation == "change_tariff":
    account["plan"] = request["params"]["plan"]
elif operation == "terminate":
    del accounts[login]
elif operation == "reset_password":
    account["password"] = request["new_password"]
elif operation == "sync":
    answer(state=account["state"], usage={"disk_mb": 120})
elif operation == "login_url":
    answer(url="https://panel.example.net/login?user=" + login)
else:
    print(json.dumps({"ok": False, "unsupported": True}))
    sys.exit(0)
save(accounts)
answer(note=operation + " " + login)
