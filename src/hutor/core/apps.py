from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "hutor.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from hutor.core import (
            events,
            lookups,  # noqa: F401 - registers `__among`
            pruning,
        )

        pruning.register(
            pruning.Pruner(
                name="core.events",
                setting="HUTOR_EVENT_RETENTION_DAYS",
                minimum_days=2,
                prune=events.prune,
                order=20,  # after the webhook deliveries that refer to them
            )
        )
