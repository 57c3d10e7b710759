from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PanelConfig(AppConfig):
    name = "hutor.panel"
    label = "panel"
    verbose_name = _("Customer panel")

    def ready(self) -> None:
        from allauth.account.signals import password_reset
        from django.contrib.auth.signals import user_logged_in

        from hutor.core import pruning
        from hutor.panel import (
            emails,  # noqa: F401 - registers the authentication emails
            submissions,
        )
        from hutor.panel.adapters import forget_failed_logins
        from hutor.panel.middleware import start_session_clock

        user_logged_in.connect(start_session_clock, dispatch_uid="hutor.panel.session_clock")

        pruning.register(
            pruning.Pruner(
                name="panel.form_submissions",
                setting="HUTOR_PANEL_FORM_TOKEN_DAYS",
                minimum_days=1,
                prune=submissions.prune,
            )
        )
        password_reset.connect(forget_failed_logins, dispatch_uid="hutor.panel.failed_logins")
