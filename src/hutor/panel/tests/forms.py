"""Filling the panel's money forms as a browser does: with the one-time token the page rendered."""

from __future__ import annotations

import re

from django.test import Client

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def form_token(client: Client, page: str) -> dict[str, str]:
    """The form token of the (only) money form on `page`, as POST data."""
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    found = TOKEN.findall(response.content.decode())
    assert len(found) == 1, f"{page} renders {len(found)} money form tokens"
    return {"form_token": found[0]}
