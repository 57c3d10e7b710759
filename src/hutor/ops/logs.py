"""Log records of a request carry its id and the customer's account number (settings_ops.py's
LOGGING; RequestContextMiddleware sets them), and the JSON format leaves out what could hold a
secret."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

request_id: ContextVar[str] = ContextVar("hutor_request_id", default="")
account: ContextVar[str] = ContextVar("hutor_account", default="")

# Extra fields never written: Django attaches the request (its query string may carry a
# signed link's token) to its error records; the others are names a careless extra= may use.
DROPPED = {"request", "password", "token", "secret", "authorization", "cookie", "sessionid"}


def clear(**kwargs: Any) -> None:
    """request_finished: the request's context ends with its response."""
    request_id.set("")
    account.set("")


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.account = account.get()
        return True


class JsonFormatter(_JsonFormatter):
    """python-json-logger's formatter, without the fields in DROPPED."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        for key in list(log_data):
            if key.lower() in DROPPED:
                del log_data[key]
