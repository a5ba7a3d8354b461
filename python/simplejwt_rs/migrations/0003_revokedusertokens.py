from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("simplejwt_rs", "0002_rotatedrefreshtoken_logged_out")]

    operations = [
        migrations.CreateModel(
            name="RevokedUserTokens",
            fields=[
                ("user_id", models.CharField(max_length=255, primary_key=True, serialize=False)),
                ("revoked_before", models.DateTimeField()),
            ],
            options={
                "verbose_name": "user's tokens revoked",
                "verbose_name_plural": "users' tokens revoked",
            },
        ),
    ]
