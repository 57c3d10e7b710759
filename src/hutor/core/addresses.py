"""The address a request came from, behind the proxies the operator trusts.

Behind nginx every request's socket peer (REMOTE_ADDR) is nginx itself; the client is the
X-Forwarded-For hop the trusted proxies appended, counted from the right
(HUTOR_TRUSTED_PROXY_COUNT, the setting allauth's rate limits use too). Without trusted proxies
the header is ignored: anyone can write it.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address ("" when the server gave none)."""
    proxies = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return str(request.META.get("REMOTE_ADDR") or "")
