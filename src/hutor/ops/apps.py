from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operations: /healthz, /readyz, /metrics, request context in logs, `hutor deploy-check`.
    It only reads other apps' tables; it owns one, the count of refused payment notifications."""

    name = "hutor.ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from django.core.signals import request_finished

        from hutor.ops import logs

        request_finished.connect(logs.clear, dispatch_uid="hutor.ops.logs.clear")
