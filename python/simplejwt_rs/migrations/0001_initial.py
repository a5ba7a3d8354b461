from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.CreateModel(
            name="RevokedTokenFamily",
            fields=[
                ("family", models.CharField(max_length=255, primary_key=True, serialize=False)),
                ("revoked_at", models.DateTimeField()),
                ("expires_at", models.DateTimeField(db_index=True)),
            ],
            options={
                "verbose_name": "revoked token family",
                "verbose_name_plural": "revoked token families",
            },
        ),
        migrations.CreateModel(
            name="RotatedRefreshToken",
            fields=[
                ("jti", models.CharField(max_length=255, primary_key=True, serialize=False)),
                ("parent_jti", models.CharField(max_length=255, unique=True)),
                ("family", models.CharField(db_index=True, max_length=255)),
                ("user_id", models.CharField(blank=True, max_length=255, null=True)),
                ("issued_at", models.DateTimeField()),
                ("expires_at", models.DateTimeField(db_index=True)),
            ],
            options={
                "verbose_name": "rotated refresh token",
            },
        ),
    ]
