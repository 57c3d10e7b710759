"""Invoices issued before tax rules: their regime read from the rate they carry, and the VAT
they printed (computed on the total, as the document did then) frozen, so they render as
before. Their lines' VAT stays empty: it was never stated."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations


def regime_of(rate):
    return {5: "simplified_vat5", 7: "simplified_vat7"}.get(rate, "general")


def forwards(apps, schema_editor):
    db = schema_editor.connection.alias
    Invoice = apps.get_model("invoices", "Invoice")
    Invoice.objects.using(db).filter(vat_rate__isnull=True).update(tax_regime="simplified")
    taxed = Invoice.objects.using(db).filter(vat_rate__isnull=False).order_by("pk")
    last = 0
    while True:  # in primary-key slices: no cursor left open while the table is written
        batch = list(taxed.filter(pk__gt=last).only("id", "total", "vat_rate")[:2000])
        if not batch:
            break
        for invoice in batch:
            rate = invoice.vat_rate
            invoice.tax_regime = regime_of(rate)
            invoice.vat_amount = (invoice.total * rate / (Decimal(100) + rate)).quantize(
                Decimal("0.01"), ROUND_HALF_UP
            )
        Invoice.objects.using(db).bulk_update(batch, ["tax_regime", "vat_amount"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0004_tax_terms"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
