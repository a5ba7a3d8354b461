from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("simplejwt_rs", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="rotatedrefreshtoken",
            name="logged_out",
            field=models.BooleanField(default=False),
        ),
    ]
