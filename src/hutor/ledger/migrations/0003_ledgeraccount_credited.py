import hutor.core.fields
from django.db import migrations

# The cached total credited of every ledger account from its postings: the sum of its positive
# postings in top-up entries (models.PAYMENT_KINDS), rounded to the column's scale (SQLite sums
# decimals as binary floats). One statement, run on the database being migrated.
FILL = """
UPDATE ledger_ledgeraccount SET credited = COALESCE((
    SELECT ROUND(SUM(p.amount), 2)
    FROM ledger_posting p JOIN ledger_journalentry e ON e.id = p.entry_id
    WHERE p.account_id = ledger_ledgeraccount.id AND e.kind = 'top_up' AND p.amount > 0
), 0)
"""


def fill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FILL)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_append_only_guards")]

    operations = [
        migrations.AddField(
            model_name="ledgeraccount",
            name="credited",
            field=hutor.core.fields.AmountField(
                decimal_places=2, default=0, max_digits=14, verbose_name="total credited"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
