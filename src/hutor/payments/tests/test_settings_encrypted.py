"""A payment method's settings (a shop's secret key among its harmless ones) are encrypted at
rest like server credentials: the column holds ciphertext, the gateway reads a dict, `hutor
secrets rotate` and `check` cover the column, and the migration seals methods stored before."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from hutor.payments.models import PaymentMethod
from hutor.testing import migrate_to

SETTINGS = {"shop_id": "506751", "secret_key": "live_Zm9vYmFy-do-not-leak", "allowed_ips": []}


def column(method: PaymentMethod) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT settings FROM payments_paymentmethod WHERE id = %s", [method.pk])
        return str(cursor.fetchone()[0])


@pytest.mark.django_db
def test_the_column_holds_ciphertext_and_the_gateway_reads_the_settings():
    method = PaymentMethod.objects.create(
        slug="yookassa", gateway="yookassa", name_ru="ЮKassa", name_en="YooKassa", settings=SETTINGS
    )
    stored = column(method)
    assert "live_Zm9v" not in stored and "506751" not in stored and stored.startswith("gAAAA")
    method = PaymentMethod.objects.get(pk=method.pk)
    assert method.settings == SETTINGS and method.settings.get("secret_key").startswith("live_")
    method.is_enabled = False
    method.save()  # saved for another reason: the same ciphertext
    assert column(method) == stored
    method.settings = {**method.settings, "secret_key": "live_new"}
    method.save()
    assert PaymentMethod.objects.get(pk=method.pk).settings["secret_key"] == "live_new"
    empty = PaymentMethod.objects.create(
        slug="bank", gateway="bank_transfer", name_ru="Банк", name_en="Bank"
    )
    assert column(empty) == "" and PaymentMethod.objects.get(pk=empty.pk).settings == {}


@pytest.mark.django_db
def test_rotation_and_the_check_cover_the_settings(settings):
    method = PaymentMethod.objects.create(
        slug="stripe", gateway="stripe", name_ru="Stripe", name_en="Stripe", settings=SETTINGS
    )
    new = Fernet.generate_key().decode()
    with override_settings(HUTOR_SECRETS_KEYS=[new, *settings.HUTOR_SECRETS_KEYS]):
        out = io.StringIO()
        call_command("secrets", "rotate", stdout=out)
        assert "payments.PaymentMethod.settings: 1" in out.getvalue()
    with override_settings(HUTOR_SECRETS_KEYS=[new]):  # the old key dropped
        assert PaymentMethod.objects.get(pk=method.pk).settings == SETTINGS
        out = io.StringIO()
        call_command("secrets", "check", stdout=out)
        assert "payments.PaymentMethod.settings: 1" in out.getvalue()


BEFORE = [("payments", "0006_bank_reason_codes")]
AFTER = [("payments", "0007_payment_method_settings_encrypted")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_settings_stored_in_the_clear():
    old = migrate_to(BEFORE).get_model("payments", "PaymentMethod")
    clear = old.objects.create(
        slug="robokassa", gateway="robokassa", name_ru="Р", name_en="R", settings=SETTINGS
    )
    try:
        # The model as of that migration: later ones add columns (a method's company).
        new = migrate_to(AFTER).get_model("payments", "PaymentMethod")
        sealed = new.objects.get(pk=clear.pk)
        assert "live_Zm9v" not in column(sealed)
        assert sealed.settings == SETTINGS
    finally:
        migrate_to()
