import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from hutor.demo import data


class Command(BaseCommand):
    help = (
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
                f"Demo data loaded: {result.service_types} service types, "
                f"{result.tariffs} tariffs, {result.prices} prices."
            )
        )
        self.stdout.write(f"Storefront: {base}{reverse('panel:storefront')}")

        if result.admin_password is not None:
            admin_secret = result.admin_password
        else:
            admin_secret = "(kept: set when the demo was first loaded; default hutor-admin)"
        self.stdout.write(
            f"Staff desk: {base}{reverse('desk:home')}  (sets up the second factor on first login)"
        )
        self.stdout.write(f"Staff:      {base}{reverse('admin:index')}")
        self.stdout.write(f"  email     {result.admin.email}")
        self.stdout.write(f"  password  {admin_secret}")

        if result.customer is None:
            self.stdout.write(
                self.style.WARNING(
                    f"Customer:   a login {data.CUSTOMER_EMAIL} exists without a billing account; "
                    "no demo customer was opened."
                )
            )
            return
        customer_secret = result.customer_password or (
            f"(kept: set when the demo was first loaded; default {data.CUSTOMER_PASSWORD})"
        )
        # The panel's own address, as the README gives it; it asks for the login below first.
        self.stdout.write(f"Customer:   {base}{reverse('panel:home')}  (billing panel)")
        self.stdout.write(f"  email     {result.customer.user.email}")
        self.stdout.write(f"  password  {customer_secret}")
        self.stdout.write(f"  billing account number  {result.customer.number}")
