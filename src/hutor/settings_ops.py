"""Operations settings (docs/operations.md, "Monitoring"): health and metrics endpoints, log
format. Imported by settings.py, which stays the one place Django reads.

Every value comes from the environment:

* `HUTOR_METRICS_TOKEN`: `/metrics` answers a request with `Authorization: Bearer <token>`;
* `HUTOR_METRICS_ALLOW`: comma-separated addresses or networks (`10.0.0.0/8,127.0.0.1`) whose
  requests `/metrics` answers without a token (the client's address as HUTOR_TRUSTED_PROXY_COUNT
  resolves it, never the proxy's own);
  with neither set `/metrics` is off (404);
* `HUTOR_READY_WORKER_MINUTES` (5): `/readyz` fails when no worker wrote its heartbeat within
  this many minutes;
* `HUTOR_READY_BILLING_HOURS` (26): `/readyz` fails when billing runs exist and none finished
  ("done") within this many hours, or the last finished one failed;
* `HUTOR_LOG_FORMAT`: `json` for one JSON object per line (request id, account number), else
  plain text lines.
"""

from __future__ import annotations

import os
from typing import Any

from hutor.settings_env import env_int, env_list

__all__ = [
    "HUTOR_LOG_FORMAT",
    "HUTOR_METRICS_ALLOW",
    "HUTOR_METRICS_TOKEN",
    "HUTOR_READY_BILLING_HOURS",
    "HUTOR_READY_WORKER_MINUTES",
    "logging_config",
]


HUTOR_METRICS_TOKEN = os.environ.get("HUTOR_METRICS_TOKEN", "").strip()
HUTOR_METRICS_ALLOW = env_list("HUTOR_METRICS_ALLOW", "")
HUTOR_READY_WORKER_MINUTES = env_int("HUTOR_READY_WORKER_MINUTES", 5)
HUTOR_READY_BILLING_HOURS = env_int("HUTOR_READY_BILLING_HOURS", 26)
HUTOR_LOG_FORMAT = os.environ.get("HUTOR_LOG_FORMAT", "plain").strip().lower() or "plain"


def logging_config(level: str) -> dict[str, Any]:
    """Django's LOGGING: plain `time level logger message` lines, or with HUTOR_LOG_FORMAT=json
    one JSON object per event (python-json-logger), both carrying the request id and the
    account number of the request being served (hutor.ops.logs.RequestContextFilter)."""
    if HUTOR_LOG_FORMAT == "json":
        formatter: dict[str, Any] = {
            "()": "hutor.ops.logs.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(account)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        }
    else:
        formatter = {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": "hutor.ops.logs.RequestContextFilter"}},
        "formatters": {"main": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "filters": ["request"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
        },
    }
