"""The desk's webhook forms: an endpoint (URL, events, on/off), its secret, a resend."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from hutor.backoffice.forms import ReasonForm
from hutor.core.events import EventKind


class EndpointForm(ReasonForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=2000,
        assume_scheme="https",
        help_text=_("Where Hutor sends the events (POST, JSON). HTTPS is strongly advised."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventKind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only these events are sent to this URL."),
    )
    enabled = forms.BooleanField(label=_("Send events"), required=False, initial=True)

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise forms.ValidationError(_("Enter an http:// or https:// address."))
        if not settings.HUTOR_WEBHOOKS_ALLOW_PRIVATE and _private_host(parts.hostname or ""):
            raise forms.ValidationError(
                _("Webhooks go to public addresses only (HUTOR_WEBHOOKS_ALLOW_PRIVATE is off).")
            )
        return url


def _private_host(host: str) -> bool:
    """A host that is obviously not public: localhost, or a literal non-global address. (A name
    is resolved and checked again before each request: webhooks.delivery.check_address.)"""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False


class SecretForm(ReasonForm):
    replace = forms.BooleanField(
        label=_("Replace it with a new secret"),
        required=False,
        help_text=_("The old secret stops signing at once: update the receiver right away."),
    )
