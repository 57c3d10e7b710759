"""A webhook receiver for the tests: a real HTTP server on 127.0.0.1 that checks every request
with the Standard Webhooks reference library (`standardwebhooks`, the spec's own Python
implementation: https://github.com/standard-webhooks/standard-webhooks/tree/main/libraries/python),
independent of Hutor's signing code, and keeps what it accepted.

It answers as the spec asks a consumer to (spec/standard-webhooks.md, "Consumer
recommendations"): 2xx once the message is verified, 4xx when verification fails; a test may make
it answer another status, or stop it (the address then refuses connections) and start it again
on the same port.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    webhook_id: str
    timestamp: str
    payload: dict[str, Any]


@dataclass
class Receiver:
    secret: str = ""
    status: int = 204
    port: int = 0
    accepted: list[Received] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    requests: int = 0
    _httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/hutor"

    def reserve_port(self) -> None:
        """Pick a free port without listening on it (the receiver is down until start())."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests += 1
                try:
                    payload = Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                except WebhookVerificationError as exc:
                    receiver.rejected.append(str(exc))
                    self.send_response(400)
                    self.end_headers()
                    return
                if 200 <= receiver.status < 300:
                    receiver.accepted.append(
                        Received(
                            self.headers["webhook-id"], self.headers["webhook-timestamp"], payload
                        )
                    )
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"ok": 200 <= receiver.status < 300}).encode())

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def ids(self) -> list[str]:
        return [item.webhook_id for item in self.accepted]

    def types(self) -> list[str]:
        return [item.payload["type"] for item in self.accepted]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 (its secret is set by whoever makes the endpoint)."""
    found = Receiver()
    found.start()
    yield found
    found.stop()
