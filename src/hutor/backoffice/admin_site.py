"""The Django admin behind the desk's second factor.

Staff reach /admin/ only from a desk session: password, authenticator code and the desk's
short session clock (backoffice/auth.py). The admin's own login page sends them to the desk's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


class HutorAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        from hutor.backoffice import auth  # not at import time: this module loads with the apps

        return (
            super().has_permission(request)
            and auth.has_desk_session(request)
            and auth.check_desk_session(request) is None
        )

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        next_url = request.GET.get("next") or request.get_full_path()
        return redirect("/desk/login/?" + urlencode({"next": next_url}))


class HutorAdminConfig(AdminConfig):
    default_site = "hutor.backoffice.admin_site.HutorAdminSite"
