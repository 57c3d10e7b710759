"""Rate limits per API token, counted in the Django cache (the store every web process
shares; set CACHE_URL when there are several), with atomic increments like
hutor.panel.limits: `cache.add` then `cache.incr`, so two requests cannot both take the last
place. Windows are clock minutes; a refused request is told when the next one starts.

    HUTOR_API_REQUESTS_PER_MINUTE   every request of one token (default 300)
    HUTOR_API_WRITES_PER_MINUTE     its POST, PUT, PATCH and DELETE requests (default 60)
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

MINUTE = 60
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _count(key: str, window: int) -> int:
    key = f"hutor:api-limit:{key}:{window}"
    cache.add(key, 0, timeout=MINUTE + 10)
    try:
        return int(cache.incr(key))
    except ValueError:  # evicted between add and incr: this request is the window's first
        cache.add(key, 1, timeout=MINUTE + 10)
        return 1


def take(token_id: int, method: str) -> int | None:
    """Count one request of the token; None when allowed, else the seconds until the next
    window (for Retry-After)."""
    now = time.time()
    window = int(now // MINUTE)
    wait = max(1, int((window + 1) * MINUTE - now + 0.999))
    limit = settings.HUTOR_API_REQUESTS_PER_MINUTE
    if limit > 0 and _count(f"{token_id}:all", window) > limit:
        return wait
    writes = settings.HUTOR_API_WRITES_PER_MINUTE
    if method in WRITES and writes > 0 and _count(f"{token_id}:writes", window) > writes:
        return wait
    return None
