from django.db import migrations, models


class Migration(migrations.Migration):
    # Sessions (issue 23 item 2).  Numbered 0005: another change adds 0004 alongside; at merge this depends on it.
    dependencies = [("simplejwt_rs", "0004_outstanding_tokens_not_stored")]

    operations = [
        migrations.CreateModel(
            name="TokenSession",
            fields=[
                ("family", models.CharField(max_length=255, primary_key=True, serialize=False)),
                ("user_id", models.CharField(db_index=True, max_length=255)),
                ("created", models.DateTimeField()),
                ("expires_at", models.DateTimeField(db_index=True)),
                ("user_agent", models.CharField(blank=True, default="", max_length=255)),
                ("ip", models.GenericIPAddressField(blank=True, null=True)),
            ],
            options={"verbose_name": "session"},
        ),
    ]
