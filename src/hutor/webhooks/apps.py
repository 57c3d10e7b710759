from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "hutor.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from hutor.core.events import published
        from hutor.webhooks.fanout import fan_out

        published.connect(fan_out, dispatch_uid="hutor.webhooks.fan_out")
