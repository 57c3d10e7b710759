"""Contact profiles (a billing account's registrants) and each domain service's registry
details. Written only by hutor.domains.actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hutor.core import clock
from hutor.core.secrets import EncryptedTextField, Secret
from hutor.domains import validators as v


class ContactKind(models.TextChoices):
    PERSON = "person", _("Person")  # a private person (a sole trader too, with a 12-digit INN)
    COMPANY = "company", _("Company")  # a legal entity: INN, KPP, legal address


def plain(value: Secret | str | None) -> str:
    """The text of an encrypted column's value, whether just assigned or read."""
    if isinstance(value, Secret):
        return value.reveal()
    return value or ""


class ContactProfile(models.Model):
    """A registrant as a customer keeps it for their domains: a person with a passport, or a
    company with its requisites, and the postal address and contacts a registry publishes or
    hides. `clean()` holds every rule a registry would refuse it for (hutor.domains.validators),
    so a profile that is saved is one a registrar module can send.

    The passport (series and number, issuer, issue date) is encrypted at rest (core.secrets).
    """

    billing_account = models.ForeignKey(
        "accounts.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="contact_profiles",
    )
    label = models.CharField(
        _("label"), max_length=100, help_text=_("Your name for this profile, e.g. “Personal”.")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ContactKind.choices)
    # A person.
    name = models.CharField(_("full name"), max_length=300, blank=True)
    name_latin = models.CharField(_("full name in Latin letters"), max_length=300, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    passport_number = EncryptedTextField(_("passport series and number"), blank=True, default="")
    passport_issued_by = EncryptedTextField(_("passport issued by"), blank=True, default="")
    passport_issued_on = EncryptedTextField(_("passport issue date"), blank=True, default="")
    # A company.
    org = models.CharField(_("company name"), max_length=300, blank=True)
    org_latin = models.CharField(_("company name in Latin letters"), max_length=300, blank=True)
    inn = models.CharField(_("INN"), max_length=12, blank=True)
    kpp = models.CharField(_("KPP"), max_length=9, blank=True)
    ogrn = models.CharField(_("OGRN"), max_length=15, blank=True)
    legal_address = models.CharField(_("legal address"), max_length=500, blank=True)
    # Both: the postal address and contacts.
    country = models.CharField(_("country"), max_length=2, default="RU")
    postcode = models.CharField(_("postcode"), max_length=20)
    region = models.CharField(_("region"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=200)
    street = models.CharField(_("street address"), max_length=300)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=16, help_text=_("E.164: +79161234567"))
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("contact profile")
        verbose_name_plural = _("contact profiles")
        ordering = ["billing_account", "label", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["billing_account", "label"], name="contact_profile_label_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["person", "company"]), name="contact_profile_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.display_name}"

    @property
    def is_company(self) -> bool:
        return self.kind == ContactKind.COMPANY

    @property
    def display_name(self) -> str:
        return self.org if self.is_company else self.name

    @property
    def has_passport(self) -> bool:
        return bool(self.passport_number)

    def passport_issued_on_date(self) -> dt.date | None:
        text = plain(self.passport_issued_on)
        return dt.date.fromisoformat(text) if text else None

    def clean(self) -> None:
        """Normalize every field to its stored form, or raise ValidationError with a message
        per field; nothing is written either way."""
        errors: dict[str, Any] = {}

        def check(field: str, rule: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                value = rule(*args, **kwargs)
            except ValidationError as exc:
                errors[field] = exc
                return None
            setattr(self, field, value)
            return value

        def required(field: str, message: str) -> bool:
            value = " ".join(str(getattr(self, field) or "").split())
            setattr(self, field, value)
            if not value:
                errors[field] = ValidationError(message, code="required")
            return bool(value)

        today = clock.today()
        required("label", gettext("Give the profile a label."))
        if self.kind not in ContactKind.values:
            errors["kind"] = ValidationError(gettext("Choose a person or a company."))
        country = check("country", v.validate_country, self.country) or ""
        if required("postcode", gettext("Enter the postcode.")) and country:
            check("postcode", v.validate_postcode, self.postcode, country=country)
        self.region = " ".join(self.region.split())
        required("city", gettext("Enter the city."))
        required("street", gettext("Enter the street, house and flat or office."))
        if required("email", gettext("Enter the email address.")):
            check("email", v.validate_email, self.email)
        if required("phone", gettext("Enter the phone number.")):
            check("phone", v.normalize_phone, self.phone)
        if self.kind == ContactKind.COMPANY:
            self._clean_company(errors, check, required, country)
        elif self.kind == ContactKind.PERSON:
            self._clean_person(errors, check, required, country, today)
        if errors:
            raise ValidationError(errors)

    def _clean_person(
        self, errors: dict[str, Any], check: Any, required: Any, country: str, today: dt.date
    ) -> None:
        self.org = self.org_latin = self.kpp = self.ogrn = self.legal_address = ""
        required("name", gettext("Enter the full name."))
        if required("name_latin", gettext("Enter the full name in Latin letters.")):
            check("name_latin", v.validate_latin, self.name_latin)
        if self.birth_date is None:
            errors["birth_date"] = ValidationError(gettext("Enter the birth date."))
        else:
            check("birth_date", v.validate_birth_date, self.birth_date, today=today)
        self.inn = "".join(self.inn.split())
        if self.inn:
            check("inn", v.validate_inn, self.inn, length=12)
        number = plain(self.passport_number).strip()
        issued_by = " ".join(plain(self.passport_issued_by).split())
        issued_on = self.passport_issued_on_date()
        if not (number or issued_by or issued_on) and country != "RU":
            self.passport_number = self.passport_issued_by = self.passport_issued_on = ""
            return  # a foreigner's passport is asked for by the registry only when it needs it
        if not number:
            errors["passport_number"] = ValidationError(
                gettext("A Russian registrant's passport is required: enter its number.")
                if country == "RU"
                else gettext("Enter the passport number."),
                code="passport_required",
            )
        else:
            check("passport_number", v.validate_passport_number, number, country=country)
        self.passport_issued_by = issued_by
        if not issued_by:
            errors["passport_issued_by"] = ValidationError(
                gettext("Enter who issued the passport.")
            )
        if issued_on is None:
            errors["passport_issued_on"] = ValidationError(
                gettext("Enter the passport's issue date.")
            )
        else:
            try:
                v.validate_issue_date(issued_on, born=self.birth_date, today=today)
            except ValidationError as exc:
                errors["passport_issued_on"] = exc

    def _clean_company(
        self, errors: dict[str, Any], check: Any, required: Any, country: str
    ) -> None:
        self.name = self.name_latin = ""
        self.birth_date = None
        self.passport_number = self.passport_issued_by = self.passport_issued_on = ""
        required("org", gettext("Enter the company's name."))
        if required("org_latin", gettext("Enter the company's name in Latin letters.")):
            check("org_latin", v.validate_latin, self.org_latin, company=True)
        required("legal_address", gettext("Enter the company's legal address."))
        russian = country == "RU"
        # A Russian company's INN and KPP are required; a foreign one's are checked if given.
        if russian:
            required("inn", gettext("Enter the company's INN."))
            required("kpp", gettext("Enter the company's KPP."))
        self.inn, self.kpp = self.inn.strip(), self.kpp.strip()
        if self.inn:
            check("inn", v.validate_inn, self.inn, length=10)
        if self.kpp:
            check("kpp", v.validate_kpp, self.kpp)
        if self.ogrn.strip():
            check("ogrn", v.validate_ogrn, self.ogrn)
        else:
            self.ogrn = ""


class DomainDetails(models.Model):
    """A domain service's registry side: the contact profile it is registered to and what the
    registry said about it at the last sync. One per domain service; the registrar modules get
    it through the provisioning context (hutor.domains.registrants.registry_context)."""

    service = models.OneToOneField(
        "services.Service",
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        related_name="domain_details",
    )
    # Cleared if the profile is deleted, which only happens when no live domain uses it.
    contact_profile = models.ForeignKey(
        ContactProfile,
        verbose_name=_("contact profile"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="domains",
    )
    nameservers = models.JSONField(_("nameservers"), default=list, blank=True)
    # The registrant contact's id at the registry (EPP contact:id), once a module created it.
    registrant_handle = models.CharField(_("registrant handle"), max_length=64, blank=True)
    # For a transfer in: the code the losing registrar gave (EPP authInfo).
    auth_code = EncryptedTextField(_("auth code"), blank=True, default="")
    registry_statuses = models.JSONField(_("registry statuses"), default=list, blank=True)
    registry_expires_on = models.DateField(_("expires at the registry"), null=True, blank=True)
    locked = models.BooleanField(_("transfer lock"), default=False)
    synced_at = models.DateTimeField(_("last synced at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("domain details")
        verbose_name_plural = _("domain details")

    def __str__(self) -> str:
        return f"{self.service_id}: {self.registrant_handle or '-'}"
