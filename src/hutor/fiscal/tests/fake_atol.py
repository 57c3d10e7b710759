"""A fake ATOL Online API v5 on 127.0.0.1, answering as the operator's documentation shows.

The documentation: «АТОЛ Онлайн. Описание протокола», API v5 (ФФД 1.2),
https://online.atol.ru/files/API_atol_online_v5.pdf. Each answer below names its section.
The PDF itself was not among the stored pages the search tools reach; the shapes were taken
from public clients that reproduce it (the error table with HTTP codes, the code-33 answer
carrying the first receipt's uuid, the numeric payment_object of v5), see
docs/documents-and-taxes.md, "54-ФЗ receipts".
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOGIN = "v5-hutor-test"
PASSWORD = "Pa55-w0rd"
GROUP = "v5-hutor-test_1234"
TOKEN = "fj45u923j59ju42395iu9423i59243u0"
FN_NUMBER = "9999078900004792"
STAMP = "01.12.2026 03:00:00"


def _error(code: int, text: str, kind: str = "system") -> dict:
    # «Коды ошибок»: {"error_id", "code", "text", "type"}.
    return {"error_id": str(uuid.uuid4()), "code": code, "text": text, "type": kind}


class FakeAtol:
    """The part of ATOL Online v5 Hutor uses, in memory."""

    def __init__(self) -> None:
        self.receipts: dict[str, dict] = {}  # uuid -> {operation, body, group}
        self.by_external_id: dict[tuple[str, str], str] = {}  # (group, external_id) -> uuid
        # The operator's clients: login -> (password, group code, token). A login gets a token
        # for its own group code only (a cash register per company, each its own login).
        self.logins: dict[str, tuple[str, str, str]] = {LOGIN: (PASSWORD, GROUP, TOKEN)}
        self.requests: list[dict] = []  # verb, path, token, body of every request
        self.down = False  # the service is unreachable: every request answers 503, nothing kept
        self.lost_answers = 0  # register the next N receipts, then answer 503 (answer lost)
        self.waits = 0  # report `wait` this many times before `done`
        self.fail_reports = False  # reports answer `fail` (the document was not registered)
        self.base_url = ""
        self.fiscal_number = 100

    def sells(self) -> list[dict]:
        return [r for r in self.requests if r["verb"] == "POST" and "/sell" in r["path"]]

    def answer(self, verb: str, path: str, token: str, raw: bytes) -> tuple[int, dict]:
        body = json.loads(raw, parse_float=Decimal) if raw else None
        self.requests.append({"verb": verb, "path": path, "token": token, "body": body})
        if self.down:
            return 503, {}
        prefix = "/possystem/v5/"
        route = path[len(prefix) :] if path.startswith(prefix) else ""
        if verb == "POST" and route == "getToken":
            # «Получение токена авторизации»: POST getToken {"login", "pass"} →
            # 200 {"error": null, "token", "timestamp"}; a wrong pair → 401, code 12.
            known = self.logins.get((body or {}).get("login", ""))
            if known is None or (body or {}).get("pass") != known[0]:
                return 401, {"error": _error(12, "Неверный логин или пароль"), "timestamp": STAMP}
            return 200, {"error": None, "token": known[2], "timestamp": STAMP}
        groups = {tok: grp for _pass, grp, tok in self.logins.values()}
        if token not in groups:
            # «Коды ошибок»: 10 MissingToken, HTTP 401.
            return 401, {"error": _error(10, "Не распознан токен запроса"), "timestamp": STAMP}
        group, _sep, rest = route.partition("/")
        if group != groups[token]:
            return 401, {
                "error": _error(20, "Код группы, указанный в запросе, не соответствует токену"),
                "timestamp": STAMP,
            }
        if verb == "POST" and rest in ("sell", "sell_refund"):
            return self.register(group, rest, body or {})
        if verb == "GET" and rest.startswith("report/"):
            return self.report(group, rest.removeprefix("report/"))
        return 400, {"error": _error(40, "Некорректный запрос"), "timestamp": STAMP}

    def register(self, group: str, operation: str, body: dict) -> tuple[int, dict]:
        """«Регистрация документа» (POST <group_code>/sell, sell_refund): 200 {"uuid",
        "status": "wait", "error": null, "timestamp"}. A repeated external_id: HTTP 400, code 33
        («В системе существует чек с external_id …»), status wait, with the first uuid. An
        invalid receipt (the total not the sum of the items): HTTP 400, code 32, status fail."""
        external_id = body.get("external_id", "")
        if (group, external_id) in self.by_external_id:
            return 400, {
                "uuid": self.by_external_id[group, external_id],
                "status": "wait",
                "error": _error(
                    33,
                    f'В системе существует чек с external_id : "{external_id}" и '
                    f'group_code: "{group}"',
                ),
                "timestamp": STAMP,
            }
        receipt = body.get("receipt") or {}
        items = receipt.get("items") or []
        if not items or sum(Decimal(i["sum"]) for i in items) != Decimal(receipt.get("total", -1)):
            return 400, {
                "uuid": str(uuid.uuid4()),
                "status": "fail",
                "error": _error(32, "Ошибка валидации входного чека. Ошибочные поля : total"),
                "timestamp": STAMP,
            }
        receipt_uuid = str(uuid.uuid4())
        self.receipts[receipt_uuid] = {
            "operation": operation,
            "body": body,
            "group": group,
            "waits": self.waits,
        }
        self.by_external_id[group, external_id] = receipt_uuid
        if self.lost_answers:
            self.lost_answers -= 1
            return 503, {}
        return 200, {"uuid": receipt_uuid, "status": "wait", "error": None, "timestamp": STAMP}

    def report(self, group: str, receipt_uuid: str) -> tuple[int, dict]:
        """«Получение результата обработки документа» (GET <group_code>/report/<uuid>):
        status wait (payload null), done (payload with the fiscal attributes) or fail."""
        receipt = self.receipts.get(receipt_uuid)
        if receipt is None or receipt["group"] != group:  # another group's: not found there
            return 400, {"error": _error(30, f'Передан некорректный UUID : "{receipt_uuid}"')}
        common = {"uuid": receipt_uuid, "timestamp": STAMP, "group_code": receipt["group"]}
        if self.fail_reports:
            error = _error(1, "Превышено время ожидания чека в очереди", "timeout")
            return 200, {**common, "status": "fail", "error": error, "payload": None}
        if receipt["waits"]:
            receipt["waits"] -= 1
            return 200, {**common, "status": "wait", "error": None, "payload": None}
        if "payload" not in receipt:
            self.fiscal_number += 1
            receipt["payload"] = {
                "total": float(receipt["body"]["receipt"]["total"]),
                "fns_site": "www.nalog.gov.ru",
                "fn_number": FN_NUMBER,
                "shift_number": 23,
                "receipt_datetime": STAMP,
                "fiscal_receipt_number": 6,
                "fiscal_document_number": self.fiscal_number,
                "ecr_registration_number": "0000111118041361",
                "fiscal_document_attribute": 3449555941,
            }
        return 200, {
            **common,
            "status": "done",
            "error": None,
            "payload": receipt["payload"],
            "daemon_code": "prod-agent-1",
            "device_code": "KSR13.11-3-1",
            "callback_url": "",
        }


class Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def do_GET(self) -> None:
        self.reply()

    def do_POST(self) -> None:
        self.reply()

    def reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fake: FakeAtol = self.server.fake
        status, data = fake.answer(self.command, self.path, self.headers.get("Token", ""), raw)
        content = (
            b"<html>503 Service Unavailable</html>"
            if status == 503
            else json.dumps(data, ensure_ascii=False, default=str).encode()
        )
        self.send_response(status)
        ctype = "text/html" if status == 503 else "application/json; charset=utf-8"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format, *args):
        pass
