"""The provider's one offer text (core's Provider.offer_text, removed by core 0005) becomes
version 1 of the public offer, published and in force from the day of the upgrade. Customers
who ordered before have no recorded acceptance: documents refer to the version in force."""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    # The database being migrated (`migrate --database X`), not the default one.
    db = schema_editor.connection.alias
    Provider = apps.get_model("core", "Provider")
    Offer = apps.get_model("offers", "Offer")
    provider = Provider.objects.using(db).filter(pk=1).first()
    text = (getattr(provider, "offer_text", "") or "").strip() if provider else ""
    if not text or Offer.objects.using(db).exists():
        return
    now = timezone.now()
    Offer.objects.using(db).create(
        number="1",
        effective_from=timezone.localdate(now),
        text_ru=text,
        text_en="",
        status="published",
        published_at=now,
        created_at=now,
        updated_at=now,
    )


def backwards(apps, schema_editor):
    db = schema_editor.connection.alias
    Provider = apps.get_model("core", "Provider")
    Offer = apps.get_model("offers", "Offer")
    published = Offer.objects.using(db).filter(status="published")
    first = published.order_by("-effective_from", "-id").first()
    if first is not None:
        Provider.objects.using(db).filter(pk=1).update(offer_text=first.text_ru)


class Migration(migrations.Migration):
    dependencies = [
        ("offers", "0001_initial"),
        ("core", "0004_event"),
    ]
    run_before = [("core", "0006_remove_provider_offer_text")]

    operations = [migrations.RunPython(forwards, backwards)]
