"""/api/v1/: every operation's view wrapped once (token, rate limit, Idempotency-Key)."""

from django.urls import URLPattern, URLResolver

from hutor.api.api import api
from hutor.api.idempotency import guarded

patterns, _app_name, namespace = api.urls
app_name = namespace  # "api": reverse("api:invoice_pdf", ...)


def _wrap(items: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    for item in items:
        if isinstance(item, URLPattern):
            item.callback = guarded(item.callback)
        else:
            _wrap(item.url_patterns)
    return items


urlpatterns = _wrap(list(patterns))
