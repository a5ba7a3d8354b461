"""No table holds a usable token: upstream's ``OutstandingToken.token`` column, written with the raw token
before (by upstream, and by simplejwt-rs up to this release), gets the marker the store writes now
(``store.not_a_token``: it names the row's jti). One UPDATE; not reversible (the tokens are gone, as intended).

No dependency on token_blacklist's migrations: that app is optional, and a dependency on it (even one added
only when it is installed) would stop ``migrate`` in a project without it, or once it is added later
(InconsistentMigrationHistory). Whenever this runs, the rows already there are rewritten; when the app's
table does not exist yet (a new database: Django plans this app's migrations first) there are none, and
every later write goes through the store or its ``pre_save`` receiver.
"""

from django.db import migrations, models
from django.db.models.functions import Concat

from simplejwt_rs.store import NOT_A_TOKEN


def not_a_token(apps, schema_editor):
    try:
        outstanding = apps.get_model("token_blacklist", "OutstandingToken")
    except LookupError:  # the app is not installed, or its table is not created yet: no rows
        return
    rows = outstanding.objects.using(schema_editor.connection.alias).exclude(token__startswith=NOT_A_TOKEN)
    rows.update(token=Concat(models.Value(NOT_A_TOKEN), "jti", output_field=models.TextField()))


class Migration(migrations.Migration):
    dependencies = [("simplejwt_rs", "0003_revokedusertokens")]

    operations = [migrations.RunPython(not_a_token, migrations.RunPython.noop, elidable=True)]
