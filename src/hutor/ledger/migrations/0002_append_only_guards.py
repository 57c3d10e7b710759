from django.db import migrations


def install(apps, schema_editor):
    from hutor.ledger import guards

    guards.install(schema_editor.connection)


def drop(apps, schema_editor):
    from hutor.ledger import guards

    guards.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(install, drop)]
