"""The provider's one VAT rate (core.Provider.vat_rate, removed by core 0005) becomes its first
tax rule, in force since SINCE_EVER: empty ("Без НДС") is the simplified regime without VAT,
5 and 7 the simplified regime with that VAT, any other rate the general regime."""

import datetime as dt

from django.db import migrations

SINCE_EVER = dt.date(2000, 1, 1)


def regime_of(rate):
    if rate is None:
        return "simplified"
    return {5: "simplified_vat5", 7: "simplified_vat7"}.get(rate, "general")


def forwards(apps, schema_editor):
    db = schema_editor.connection.alias
    Provider = apps.get_model("core", "Provider")
    TaxRule = apps.get_model("taxes", "TaxRule")
    for provider in Provider.objects.using(db).all():
        if not TaxRule.objects.using(db).filter(provider=provider).exists():
            TaxRule.objects.using(db).create(
                provider=provider,
                regime=regime_of(provider.vat_rate),
                rate=provider.vat_rate,
                effective_from=SINCE_EVER,
            )


def backwards(apps, schema_editor):
    db = schema_editor.connection.alias
    Provider = apps.get_model("core", "Provider")
    TaxRule = apps.get_model("taxes", "TaxRule")
    for provider in Provider.objects.using(db).all():
        latest = (
            TaxRule.objects.using(db).filter(provider=provider).order_by("-effective_from").first()
        )
        provider.vat_rate = None if latest is None else latest.rate
        provider.save(update_fields=["vat_rate"])


class Migration(migrations.Migration):
    dependencies = [
        ("taxes", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
