from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hutor.accounts import numbers
from hutor.accounts.requisites import validate_inn, validate_kpp
from hutor.core.fields import CurrencyField


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("users log in by email; an email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A login. Customers and staff both log in by email; a customer's user owns one
    billing account (BillingAccount.user)."""

    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()


class AccountKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")  # a private person; pays by PD-4 receipt or card
    SOLE_PROPRIETOR = "sole_proprietor", _("Sole proprietor")  # ИП: 12-digit INN, no KPP
    COMPANY = "company", _("Company")  # legal entity: 10-digit INN and a KPP


class BillingAccount(models.Model):
    """The customer's account with the provider: its public number is what customers quote to
    sales and support, write in bank transfer purposes and find on every document.

    The number is assigned once, from a row-locked sequence, and never reused. Money does not
    live here: the balance is the customer's ledger account (hutor.ledger).
    """

    number = models.CharField(
        _("number"), max_length=numbers.MAX_LENGTH, unique=True, editable=False
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="billing_account",
    )
    contact_email = models.EmailField(_("contact email"))
    kind = models.CharField(
        _("kind"), max_length=20, choices=AccountKind.choices, default=AccountKind.INDIVIDUAL
    )
    name = models.CharField(
        _("name"), max_length=300, help_text=_("Full name of a person, or the legal name.")
    )
    inn = models.CharField(_("INN"), max_length=12, blank=True)
    kpp = models.CharField(_("KPP"), max_length=9, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    currency = CurrencyField(_("currency"))
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("billing account")
        verbose_name_plural = _("billing accounts")
        ordering = ["number"]
        indexes = [
            models.Index(fields=["inn"]),
            models.Index(Lower("contact_email"), name="ba_email_ci"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        try:
            if self.kind == AccountKind.COMPANY:
                self.inn = validate_inn(self.inn, length=10)
            elif self.kind == AccountKind.SOLE_PROPRIETOR or self.inn:
                self.inn = validate_inn(self.inn, length=12)
        except ValidationError as exc:
            errors["inn"] = exc
        if self.kind == AccountKind.COMPANY:
            try:
                self.kpp = validate_kpp(self.kpp)
            except ValidationError as exc:
                errors["kpp"] = exc
            if not self.address:
                errors["address"] = _("A company's legal address is required.")
        elif self.kpp:
            errors["kpp"] = _("Only a company has a KPP.")
        if errors:
            raise ValidationError(errors)
