import os
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hutor.commands import HutorCommand
from hutor.demo import data


class Command(HutorCommand):
    help = gettext_lazy(
        "Load the demo dataset: a catalog of all five service lines, the provider's requisites, "
        "a staff user and a demo customer with a topped-up balance. Safe to run again: it "
        "changes nothing the second time. HUTOR_DEMO_ADMIN_PASSWORD sets the staff password."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        admin_password = os.environ.get("HUTOR_DEMO_ADMIN_PASSWORD") or None
        result = data.load(admin_password=admin_password)

        base = settings.HUTOR_BASE_URL
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo data loaded: %(types)s service types, %(tariffs)s tariffs, "
                    "%(prices)s prices."
                )
                % {
                    "types": result.service_types,
                    "tariffs": result.tariffs,
                    "prices": result.prices,
                }
            )
        )
        self.stdout.write(_("Storefront: %(url)s") % {"url": base + reverse("panel:storefront")})
        self.stdout.write(
            _("Help:       %(url)s (%(count)s articles)")
            % {"url": base + reverse("kb:index"), "count": result.help_articles}
        )
        if result.dns is not None:
            self.stdout.write(
                _(
                    "DNS:        PowerDNS on 127.0.0.1:%(port)s (API :%(api)s): each hosting "
                    "order paid gets its zone; try `dig @127.0.0.1 -p %(port)s <domain>`"
                )
                % {"port": result.dns.dns_port, "api": result.dns.api_port}
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "DNS:        PowerDNS is not installed (apt install pdns-server "
                        "pdns-backend-sqlite3): hosting orders are provisioned by the "
                        "«log» module, which only logs each call"
                    )
                )
            )

        kept = _("(kept: set when the demo was first loaded; default %(password)s)")
        if result.admin_password is not None:
            admin_secret = result.admin_password
        else:
            admin_secret = kept % {"password": "hutor-admin"}
        self.stdout.write(
            _("Staff desk: %(url)s  (sets up the second factor on first login)")
            % {"url": base + reverse("desk:home")}
        )
        self.stdout.write(_("Staff:      %(url)s") % {"url": base + reverse("admin:index")})
        self.stdout.write(_("  email     %(email)s") % {"email": result.admin.email})
        self.stdout.write(_("  password  %(password)s") % {"password": admin_secret})

        if result.customer is None:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "Customer:   a login %(email)s exists without a billing account; no "
                        "demo customer was opened."
                    )
                    % {"email": data.CUSTOMER_EMAIL}
                )
            )
            return
        customer_secret = result.customer_password or kept % {"password": data.CUSTOMER_PASSWORD}
        # The panel's own address, as the README gives it; it asks for the login below first.
        self.stdout.write(
            _("Customer:   %(url)s  (billing panel)") % {"url": base + reverse("panel:home")}
        )
        self.stdout.write(_("  email     %(email)s") % {"email": result.customer.user.email})
        self.stdout.write(_("  password  %(password)s") % {"password": customer_secret})
        self.stdout.write(
            _("  billing account number  %(number)s") % {"number": result.customer.number}
        )
