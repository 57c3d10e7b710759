"""django-csp's middleware with the policy's header text built once per process.

django-csp builds the Content-Security-Policy header anew for every response (a copy of the
settings' directives, sorted and joined, twice: the policy and the report-only policy), which
cost as much as the session's read on the panel's pages (docs/performance.md, "The panel home
page"). Hutor's policy is the settings' alone: no view changes it (no csp decorators) and no
template asks for a nonce. So a response that carries no per-view policy, on a request that
asked for no nonce, gets the header built from the settings once and kept while the settings
objects stay the same; any other response (a decorator, a nonce) is django-csp's own path,
unchanged. The header is set on exactly the responses django-csp sets it on.
"""

from __future__ import annotations

import http.client
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

# What django-csp's decorators leave on a response to change its policy.
_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_DEBUG_CODES = (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND)


class CSPMiddleware(BaseCSPMiddleware):
    # (the policy settings, the report-only settings, their headers): rebuilt when either
    # settings object is replaced (override_settings in tests).
    _built: tuple[Any, Any, str, str] | None = None

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _PER_RESPONSE
        ):
            return super().process_response(request, response)
        if response.status_code in _DEBUG_CODES and settings.DEBUG:
            return response
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built = self._built
        if built is None or built[0] is not policy or built[1] is not report_only:
            built = (policy, report_only, build_policy(), build_policy(report_only=True))
            self._built = built
        for header, text, config, exempt in (
            (HEADER, built[2], policy, "_csp_exempt"),
            (HEADER_REPORT_ONLY, built[3], report_only, "_csp_exempt_ro"),
        ):
            if not text or header in response or getattr(response, exempt, False) is not False:
                continue
            prefixes = (config or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = text
        # As django-csp: a nonce asked for after the header was written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
