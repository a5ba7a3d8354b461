"""No table holds a usable token (issue 23), on SQLite and on PostgreSQL (`make test-pg` runs it again).

A database dump, a backup or a read-only SQL injection must not hand out live tokens. Every path that
writes the token tables runs below (ours, upstream's classes routed by PATCH_UPSTREAM_CLASSES and not,
a project's subclass of upstream's), then every column of every table in the database is read and any
string in it that verifies with the project's keys, or merely looks like a JWT, fails the test.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import simplejwt_rs
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt import serializers as up_serializers
from rest_framework_simplejwt import tokens as up_tokens
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from simplejwt_rs import backends, store
from simplejwt_rs.tokens import RefreshToken, SlidingToken

from tests.django.helpers import PASSWORD, code, logout, me, obtain, refresh, simple_jwt, verify

pytestmark = pytest.mark.django_db

ROTATING = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}
# Three base64url runs joined by dots: a compact JWS (the signature may be empty).
JWT_SHAPED = re.compile(r"[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")


class ProjectRefreshToken(up_tokens.RefreshToken):
    """A project's own token class built on upstream's: upstream's for_user writes its outstanding row."""


def _text(value):
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("latin-1")
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return None


def _verifies(candidate):
    try:
        backends.token_backend().decode(candidate, verify=True)
    except Exception:  # noqa: BLE001 - anything that does not verify is what we want
        return False
    return True


def tokens_at_rest():
    """(table, column, what) for every JWT-shaped string in the database, ``what`` saying whether it verifies."""
    found = []
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            cursor.execute(f"SELECT {', '.join(q(c) for c in columns)} FROM {q(table)}")
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    text = _text(value)
                    for candidate in JWT_SHAPED.findall(text or ""):
                        what = "a token that verifies" if _verifies(candidate) else "JWT-shaped"
                        found.append((table, column, what, candidate[:40]))
    return found


def full_flow(user):
    api = APIClient()
    # Ours, single-use rotation: obtain, two rotations, verify, authenticate, a replay (revokes the family), logout.
    with simple_jwt(**ROTATING):
        first = obtain(api).data
        second = refresh(api, first["refresh"]).data
        third = refresh(api, second["refresh"]).data
        assert verify(api, third["access"]).status_code == 200
        assert me(api, third["access"]).status_code == 200
        assert code(refresh(api, first["refresh"])) == "token_reused"
        fresh = obtain(api).data
        assert logout(api, fresh["refresh"]).status_code == 200
    # Rotation without blacklisting (upstream's), and no rotation at all.
    with simple_jwt(ROTATE_REFRESH_TOKENS=True):
        assert refresh(api, obtain(api).data["refresh"]).status_code == 200
    assert refresh(api, obtain(api).data["refresh"]).status_code == 200
    # Sliding tokens: obtain, slide, verify, log out through the class.
    sliding = api.post("/api/token/sliding/", {"username": "alice", "password": PASSWORD}, format="json").data
    slid = api.post("/api/token/sliding/refresh/", {"token": sliding["token"]}, format="json").data["token"]
    assert verify(api, slid).status_code == 200
    SlidingToken(slid).blacklist()
    # Our classes directly, and logging a never-recorded token out (blacklist() records it first).
    RefreshToken.for_user(user).blacklist()
    RefreshToken.for_user(user).outstand()
    # Upstream's classes with the opt-in: its serializers and token classes run ours; a project's subclass
    # of upstream's class keeps upstream's for_user.
    with simple_jwt(**ROTATING, PATCH_UPSTREAM_CLASSES=True):
        pair = up_serializers.TokenObtainPairSerializer(data={"username": "alice", "password": PASSWORD})
        assert pair.is_valid(), pair.errors
        rotated = up_serializers.TokenRefreshSerializer(data={"refresh": pair.validated_data["refresh"]})
        assert rotated.is_valid(), rotated.errors
        up_tokens.RefreshToken(rotated.validated_data["refresh"]).blacklist()
        up_tokens.SlidingToken.for_user(user)
        ProjectRefreshToken.for_user(user)
    # Upstream's classes without it: upstream's own bookkeeping.
    up_tokens.RefreshToken.for_user(user)
    up_tokens.SlidingToken.for_user(user)
    up_tokens.RefreshToken.for_user(user).blacklist()
    unrecorded = up_tokens.RefreshToken()
    unrecorded["user_id"] = str(user.pk)
    unrecorded.blacklist()
    if hasattr(up_tokens.RefreshToken, "outstand"):  # simplejwt 5.5+
        up_tokens.RefreshToken.for_user(user).outstand()
    # Logging the user out everywhere.
    store.revoke_user_tokens(user)


def test_no_column_of_any_table_holds_a_token_after_every_path(user):
    full_flow(user)
    assert OutstandingToken.objects.count() >= 15  # every path above wrote its rows
    assert tokens_at_rest() == []


def test_the_scan_finds_a_token_where_one_is_stored(user):
    """The scan itself: a token written into a text column is found, and verifies; a JWT-shaped name is found."""
    token = str(RefreshToken.for_user(user))
    User.objects.create_user("x", first_name="a note: eyJhbGciOi.eyJzdWIi.c2ln", password=PASSWORD)
    OutstandingToken.objects.update(token="nothing")
    with connection.cursor() as cursor:  # around the ORM (a raw write): the token as it is
        table = connection.ops.quote_name(OutstandingToken._meta.db_table)
        cursor.execute(f"UPDATE {table} SET token = %s", [token])
    found = tokens_at_rest()
    assert ("token_blacklist_outstandingtoken", "token", "a token that verifies", token[:40]) in found
    assert ("auth_user", "first_name", "JWT-shaped", "eyJhbGciOi.eyJzdWIi.c2ln") in found


# --- migration 0004: the rows written before ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_0004_rewrites_the_tokens_stored_before(user):
    made = [up_tokens.RefreshToken.for_user(user), up_tokens.SlidingToken.for_user(user), RefreshToken.for_user(user)]
    call_command("migrate", "simplejwt_rs", "0003", verbosity=0)
    try:
        # As upstream (and simplejwt-rs before this release) wrote them: the token itself, around the receiver.
        table = connection.ops.quote_name(OutstandingToken._meta.db_table)
        with connection.cursor() as cursor:
            for token in made:
                cursor.execute(f"UPDATE {table} SET token = %s WHERE jti = %s", [str(token), token["jti"]])
        assert len([found for found in tokens_at_rest() if found[2] == "a token that verifies"]) == 3
    finally:
        call_command("migrate", "simplejwt_rs", verbosity=0)
    assert tokens_at_rest() == []
    rows = dict(OutstandingToken.objects.values_list("jti", "token"))
    assert rows == {token["jti"]: store.not_a_token(token["jti"]) for token in made}


PROJECT_SETTINGS = """
SECRET_KEY = "project-secret-key-long-enough-for-hs256-and-then-some-more"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "rest_framework_simplejwt",
                  "simplejwt_rs"] + EXTRA
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
"""


def test_migrate_without_the_blacklist_app_then_with_it(tmp_path):
    """The blacklist app is optional: 0004 does not depend on it, so both migrates succeed (a dependency on
    it, even one added only when it is installed, would stop one of them)."""
    (tmp_path / "manage.py").write_text(
        "import sys\nfrom django.core.management import execute_from_command_line\n"
        "execute_from_command_line(sys.argv)\n"
    )
    package_root = str(Path(simplejwt_rs.__file__).resolve().parent.parent)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings", "PYTHONPATH": f"{tmp_path}{os.pathsep}{package_root}"}
    for extra in ("[]", '["rest_framework_simplejwt.token_blacklist"]'):
        (tmp_path / "settings.py").write_text(f"EXTRA = {extra}\n{PROJECT_SETTINGS}")
        done = subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "1"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "simplejwt_rs.0004_outstanding_tokens_not_stored" in done.stdout or extra != "[]", done.stdout
