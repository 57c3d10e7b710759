"""Secrets at rest: server credentials and service passwords, encrypted in their columns.

Encryption is `cryptography`'s Fernet (AES-128-CBC with an HMAC-SHA256, a timestamp, a
version byte) behind a MultiFernet keyed from `settings.HUTOR_SECRETS_KEYS`
(`HUTOR_SECRETS_KEY`, comma-separated): the first key encrypts, every key decrypts. Rotation
(docs/operations.md): put the new key first, keep the old one after it, run `hutor secrets
rotate` (every encrypted column re-encrypted with the first key), then drop the old key.

A value read from an encrypted column is a `Secret`: it prints as "••••••" (in a log line, a
traceback's locals, a template, `repr`), and gives its text only to `reveal()`, which decrypts
on demand; so a list of servers never decrypts anything, and a wrong key is reported where the
secret is used, not where its row is read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

MASK = "••••••"


class SecretError(Exception):
    """A stored secret cannot be decrypted with any configured key (the key that encrypted it
    was dropped or replaced, or the column was altered)."""


def keyring() -> MultiFernet:
    """The configured keys, first one encrypting; a one-line configuration error when there is
    none or one is not a Fernet key."""
    keys = list(getattr(settings, "HUTOR_SECRETS_KEYS", []) or [])
    if not keys:
        raise ImproperlyConfigured(
            "HUTOR_SECRETS_KEY must be set when DEBUG is off (and var/secrets_key does not "
            "exist): it encrypts server credentials and service passwords. Generate one with: "
            "python3 -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        )
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"HUTOR_SECRETS_KEY: key {position} of {len(keys)} is not a Fernet key "
                "(32 bytes in url-safe base64, 44 characters)"
            ) from None
    return MultiFernet(fernets)


def encrypt(text: str) -> str:
    return keyring().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return keyring().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise SecretError(
            _(
                "A stored secret cannot be decrypted with the configured HUTOR_SECRETS_KEY "
                "(the key that encrypted it is missing). Restore that key, or enter the secret "
                "again."
            )
        ) from None


class Secret:
    """A secret held in memory: its ciphertext as stored, its text once known, both kept out
    of every printout. Empty means "not set" (stored as an empty column, not encrypted)."""

    __slots__ = ("_plain", "_token")

    def __init__(self, *, plain: str | None = None, token: str | None = None) -> None:
        self._plain = plain
        self._token = token

    @classmethod
    def of(cls, text: str) -> Secret:
        return cls(plain=text)

    def reveal(self) -> str:
        """The secret's text (decrypted now if it was read from the database)."""
        if self._plain is None:
            self._plain = decrypt(self._token) if self._token else ""
        return self._plain

    def stored(self) -> str:
        """What the column holds: the ciphertext, made with the first key when new."""
        if self._token is None:
            self._token = encrypt(self._plain) if self._plain else ""
        return self._token

    def __bool__(self) -> bool:
        return bool(self._token) if self._plain is None else bool(self._plain)

    def __str__(self) -> str:
        return MASK if self else ""

    def __repr__(self) -> str:
        return f"Secret({MASK if self else ''!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self.reveal() == other.reveal()
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal by value, which is not hashed


def masked(value: Secret | str | None) -> str:
    """How a secret is shown to staff: "••••••" when set, nothing when not."""
    return MASK if value else ""


class EncryptedTextField(models.TextField):
    """A text column stored Fernet-encrypted (the `Secret` above in Python).

    Assign a plain string or a `Secret`; read a `Secret`. Not searchable: the ciphertext of one
    text differs on each save. A secret's column is written only when its value is new, so a
    row saved for another reason keeps its ciphertext."""

    # For django-stubs: what may be assigned, what is read.
    _pyi_private_set_type: Secret | str  # type: ignore[assignment]
    _pyi_private_get_type: Secret  # type: ignore[assignment]

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Secret | None:
        if value is None:
            return None
        return Secret(token=value)

    def to_python(self, value: Any) -> Secret | None:
        if value is None or isinstance(value, Secret):
            return value
        return Secret.of(str(value))

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Secret):
            value = Secret.of(str(value))
        return value.stored()

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return value.stored() if isinstance(value, Secret) else ""

    def save_form_data(self, instance: models.Model, data: Any) -> None:
        # A form never shows the stored secret, so an empty field means "keep it".
        if data not in (None, ""):
            super().save_form_data(instance, data)

    def formfield(
        self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any
    ) -> Any:
        # A form never shows a secret back (render_value=False).
        from django import forms

        kwargs.setdefault("widget", forms.PasswordInput(render_value=False))
        kwargs.setdefault("required", False)
        kwargs.pop("max_length", None)
        return forms.CharField(**kwargs)


class SealedDict(dict[str, Any]):
    """A JSON object read from an EncryptedJSONField: an ordinary dict, which also remembers
    the ciphertext it was read from (`stored()`, for rotation)."""

    def __init__(self, values: dict[str, Any], *, token: str = "") -> None:
        super().__init__(values)
        self._token = token

    def stored(self) -> str:
        return self._token or (encrypt(json.dumps(self, ensure_ascii=False)) if self else "")


class EncryptedJSONField(EncryptedTextField):
    """A JSON object stored Fernet-encrypted as a whole (a payment method's settings, whose
    keys and passwords sit among harmless ones). Read: a dict (SealedDict), decrypted when the
    row is read; assign any dict. Empty stays empty; rotated with the other encrypted columns."""

    _pyi_private_set_type: dict[str, Any] | Secret  # type: ignore[assignment]
    _pyi_private_get_type: dict[str, Any]  # type: ignore[assignment]

    def from_db_value(  # type: ignore[override]
        self, value: str | None, expression: Any, connection: Any
    ) -> SealedDict:
        if not value:
            return SealedDict({})
        return SealedDict(json.loads(decrypt(value)), token=value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, dict | Secret) or value is None:
            return value
        return json.loads(value) if value else {}

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, Secret):  # a rotated ciphertext (rotate), or a lookup by it
            return value.stored()
        if (
            isinstance(value, SealedDict)
            and value._token
            and dict(value) == json.loads(decrypt(value._token))
        ):
            return value._token  # unchanged since read: the same ciphertext
        return encrypt(json.dumps(value, ensure_ascii=False)) if value else ""

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return value.stored() if isinstance(value, SealedDict) else ""

    def save_form_data(self, instance: models.Model, data: Any) -> None:
        setattr(instance, self.attname, data)

    def formfield(
        self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any
    ) -> Any:
        from django import forms

        kwargs.pop("max_length", None)
        kwargs.setdefault("required", False)
        return forms.JSONField(**kwargs)


def stored(rows: models.QuerySet[Any], field: EncryptedTextField) -> Any:
    """(pk, ciphertext) of the rows, as the column holds it: nothing decrypted on the way."""
    return rows.annotate(_stored=Cast(field.attname, output_field=models.TextField())).values_list(
        "pk", "_stored"
    )


def encrypted_columns() -> Iterator[tuple[type[models.Model], EncryptedTextField]]:
    """Every encrypted column of every installed model."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def rotate(*, batch: int = 500) -> dict[str, int]:
    """Re-encrypt every stored secret with the first key (MultiFernet.rotate), after a new key
    was put first: then the old keys can be dropped. Returns the count per "app.Model.field".

    The one writer of the ciphertext of every app's encrypted columns: it changes how a value is
    stored, never the value. Each row is updated only if its ciphertext is still the one read,
    so a secret changed meanwhile keeps its new value. A value no key decrypts stops the run
    (SecretError) before anything of that batch is written."""
    ring = keyring()
    counts: dict[str, int] = {}
    for model, field in encrypted_columns():
        label = f"{model._meta.label}.{field.name}"
        manager = model._default_manager
        rows = (
            manager.exclude(**{f"{field.attname}__isnull": True})
            .exclude(**{field.attname: ""})
            .order_by("pk")
        )
        done = 0
        last_pk: Any = None
        while True:
            page = rows if last_pk is None else rows.filter(pk__gt=last_pk)
            chunk = list(stored(page, field)[:batch])
            if not chunk:
                break
            with transaction.atomic():
                for pk, old in chunk:
                    try:
                        new = ring.rotate(old.encode("ascii")).decode("ascii")
                    except InvalidToken:
                        raise SecretError(
                            _("%(column)s of row %(pk)s: no configured key decrypts it.")
                            % {"column": label, "pk": pk}
                        ) from None
                    done += manager.filter(pk=pk, **{field.attname: Secret(token=old)}).update(
                        **{field.attname: Secret(token=new)}
                    )
            last_pk = chunk[-1][0]
        counts[label] = done
    return counts
