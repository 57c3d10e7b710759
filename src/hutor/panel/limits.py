"""Limits on what a visitor without a login can make Hutor do.

Ordering as a new customer opens a billing account and a login and mails two letters (the
activation link and the invoice) to an address nobody has confirmed. Without a limit a script
makes accounts and mail to arbitrary addresses as fast as it can post. Counted per client
address and over everyone, per clock hour:

    HUTOR_ANON_ORDERS_PER_IP_HOUR   new-customer orders from one client address (default 5)
    HUTOR_ANON_ORDERS_PER_HOUR      new-customer orders from all addresses together (default 200)

The other way to make Hutor mail an address it does not know is a customer's request to change
the contact email (a confirmation link goes to the new address), counted alike:

    HUTOR_EMAIL_CHANGES_PER_IP_HOUR  email change requests from one client address (default 5)
    HUTOR_EMAIL_CHANGES_PER_HOUR     email change requests from everyone (default 100)

A customer's buttons that call the service's control panel (a new password, single sign-on)
are counted per service, so that a script or a stuck key cannot hammer the provider's server:

    HUTOR_SERVICE_CALLS_PER_HOUR    panel calls for one service, both kinds together (default 20)

The storefront's domain search asks the registrars, counted per client address:

    HUTOR_DOMAIN_SEARCHES_PER_IP_HOUR   searches from one client address (default 60)

The knowledge base's search and its suggestions while a customer types (hutor.kb), per client
address:

    HUTOR_KB_SEARCHES_PER_IP_HOUR   searches and suggestions from one address (default 600)

0 turns a limit off. The counters live in the Django cache (the store shared by every web
process: set CACHE_URL when there are several) and are counted with atomic increments
(`cache.add` then `cache.incr`), so concurrent requests cannot both take the last place. The
client address is the one allauth's login throttling uses, behind HUTOR_TRUSTED_PROXY_COUNT
reverse proxies.
"""

from __future__ import annotations

import time

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest

HOUR = 3600


def client_address(request: HttpRequest) -> str:
    """The client's address as login throttling sees it; the socket's peer when the
    X-Forwarded-For header does not fit the configured proxies."""
    try:
        address: str = get_adapter(request).get_client_ip(request)
    except (ImproperlyConfigured, PermissionDenied):
        address = request.META.get("REMOTE_ADDR") or "unknown"
    return address


def _take(key: str, limit: int) -> bool:
    """Count one more in this hour's counter `key`; False when that goes past `limit`."""
    if limit <= 0:
        return True
    key = f"hutor:limit:{key}:{int(time.time() // HOUR)}"
    cache.add(key, 0, timeout=HOUR + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: this one is the hour's first
        cache.add(key, 1, timeout=HOUR + 60)
        count = 1
    return count <= limit


def take_anonymous_order(request: HttpRequest) -> bool:
    """Count a new customer's order; False when it is over a limit (then create nothing).

    The address is counted first: a visitor over their own limit does not use up everyone's.
    """
    address = client_address(request)
    if not _take(f"anon-orders:ip:{address}", settings.HUTOR_ANON_ORDERS_PER_IP_HOUR):
        return False
    return _take("anon-orders:all", settings.HUTOR_ANON_ORDERS_PER_HOUR)


def take_email_change(request: HttpRequest) -> bool:
    """Count a request to mail a confirmation link to a new contact email; False when over."""
    address = client_address(request)
    if not _take(f"email-changes:ip:{address}", settings.HUTOR_EMAIL_CHANGES_PER_IP_HOUR):
        return False
    return _take("email-changes:all", settings.HUTOR_EMAIL_CHANGES_PER_HOUR)


def take_service_call(service_id: int) -> bool:
    """Count a customer's control panel call for a service (a password reset, a single sign-on
    link); False when over the hour's limit (then call nothing)."""
    return _take(f"service-calls:{service_id}", settings.HUTOR_SERVICE_CALLS_PER_HOUR)


def take_domain_search(request: HttpRequest) -> bool:
    """Count a domain search (it asks the registrars); False when over the hour's limit."""
    address = client_address(request)
    return _take(f"domain-searches:ip:{address}", settings.HUTOR_DOMAIN_SEARCHES_PER_IP_HOUR)


def take_kb_search(request: HttpRequest) -> bool:
    """Count a knowledge-base search or suggestion; False when over the hour's limit."""
    address = client_address(request)
    return _take(f"kb-searches:ip:{address}", settings.HUTOR_KB_SEARCHES_PER_IP_HOUR)
