from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DomainsConfig(AppConfig):
    name = "hutor.domains"
    label = "domains"
    verbose_name = _("Domains")

    def ready(self) -> None:
        from hutor.domains.registrants import registry_context
        from hutor.services.provisioning import provide_context

        provide_context(registry_context)  # a domain's registrant, nameservers and auth code
