"""The departments a fresh installation starts with; staff rename or add more in the admin."""

from django.db import migrations

DEPARTMENTS = [
    ("billing", "Оплата и документы", "Billing and documents", 10),
    ("technical", "Техническая поддержка", "Technical support", 20),
    ("domains", "Домены", "Domains", 30),
]


def create(apps, schema_editor):
    db = schema_editor.connection.alias
    Department = apps.get_model("support", "Department")
    for code, ru, en, position in DEPARTMENTS:
        Department.objects.using(db).get_or_create(
            code=code, defaults={"name_ru": ru, "name_en": en, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
