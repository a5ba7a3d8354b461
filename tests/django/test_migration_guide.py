"""The README's "Migrating from simplejwt", followed as written on a fresh project built on upstream simplejwt.

The project is what `django-admin startproject` makes, plus DRF, upstream's apps, upstream's
authentication class, upstream's four views routed, and rotation with blacklisting after rotation.
The steps' code is read from the README's section itself (the settings block and the shell commands),
so the guide and this test cannot drift apart.  Each `manage.py` command runs in a subprocess of its
own, as a user would run it.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import simplejwt_rs

README = Path(__file__).resolve().parents[2] / "README.md"

UPSTREAM_PROJECT = """
# --- an upstream-simplejwt project (appended to startproject's settings) ---
from datetime import timedelta

INSTALLED_APPS += [
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "api",
]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ("rest_framework_simplejwt.authentication.JWTAuthentication",),
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins for the test
ALLOWED_HOSTS = ["testserver"]  # Django's test client
"""

URLS = """
from django.urls import path
from rest_framework_simplejwt.views import (
    TokenBlacklistView, TokenObtainPairView, TokenRefreshView, TokenVerifyView,
)
from api.views import me

urlpatterns = [
    path("api/token/", TokenObtainPairView.as_view()),
    path("api/token/refresh/", TokenRefreshView.as_view()),
    path("api/token/verify/", TokenVerifyView.as_view()),
    path("api/token/blacklist/", TokenBlacklistView.as_view()),
    path("api/me/", me),
]
"""

VIEWS = """
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def me(request):
    return Response({"username": request.user.get_username()})
"""

# Over Django's test client inside the project: log in, use the token, refresh the same refresh token twice,
# deactivate the user and use the access token again.  Prints one JSON object.
STORY = """
import json
from django.contrib.auth.models import User
from django.test import Client

User.objects.filter(username="alice").delete()
alice = User.objects.create_user("alice", password="pw")
c = Client()

def post(path, body):
    r = c.post(path, body, content_type="application/json")
    return r.status_code, r.json()

_, pair = post("/api/token/", {"username": "alice", "password": "pw"})
me = c.get("/api/me/", HTTP_AUTHORIZATION="Bearer " + pair["access"]).status_code
first, _ = post("/api/token/refresh/", {"refresh": pair["refresh"]})
second, body = post("/api/token/refresh/", {"refresh": pair["refresh"]})
alice.is_active = False
alice.save()
inactive = c.get("/api/me/", HTTP_AUTHORIZATION="Bearer " + pair["access"]).status_code
print(json.dumps({"me": me, "first": first, "second": second, "code": body.get("code"), "inactive": inactive}))
"""


def section() -> str:
    text = README.read_text()
    start = text.index("## Migrating from simplejwt\n")
    return text[start : text.index("\n## ", start + 1)]


def blocks(kind: str) -> list[str]:
    """The ```kind blocks of the section, in order, dedented."""
    found = re.findall(rf"^ *```{kind}\n(.*?)^ *```", section(), re.M | re.S)
    return [re.sub(r"^ {3}", "", block, flags=re.M) for block in found]


def settings_edits() -> tuple[list[str], dict]:
    """Step 2's block: the apps it adds to INSTALLED_APPS and the entries it sets in REST_FRAMEWORK."""
    [block] = blocks("python")
    assigned = {}
    for node in ast.parse(block).body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1, ast.dump(node)
        assigned[node.targets[0].id] = ast.literal_eval(node.value)  # type: ignore[attr-defined]
    assert set(assigned) == {"INSTALLED_APPS", "REST_FRAMEWORK"}, sorted(assigned)
    return assigned["INSTALLED_APPS"], assigned["REST_FRAMEWORK"]


def commands() -> list[list[str]]:
    """Step 3's shell commands, as argument lists for this interpreter."""
    lines = [line.strip() for block in blocks("sh") for line in block.splitlines()]
    found = [line.split()[2:] for line in lines if line.startswith("python manage.py ")]
    assert [c[0] for c in found] == ["migrate", "check"], found
    return found


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    subprocess.run([sys.executable, "-m", "django", "startproject", "mysite", str(root)], check=True)
    (root / "api").mkdir()
    (root / "api" / "__init__.py").write_text("")
    (root / "api" / "views.py").write_text(VIEWS)
    (root / "mysite" / "urls.py").write_text(URLS)
    settings = root / "mysite" / "settings.py"
    settings.write_text(settings.read_text() + UPSTREAM_PROJECT)
    return root


def manage(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    # The simplejwt_rs under test, wherever this run imports it from (a checkout's python/ or site-packages).
    env["PYTHONPATH"] = os.pathsep.join([str(Path(simplejwt_rs.__file__).parents[1]), str(root)])
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def story(root: Path) -> dict:
    run = manage(root, "shell", "-v", "0", "-c", STORY)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def append(root: Path, code: str) -> None:
    settings = root / "mysite" / "settings.py"
    settings.write_text(settings.read_text() + "\n" + code + "\n")


def test_the_guide_in_order_on_a_fresh_upstream_project(project):
    apps, rest_framework = settings_edits()
    steps = commands()

    # Before: the project works on upstream; the replayed refresh token is refused by upstream's blacklist.
    for args in steps:
        run = manage(project, *args)
        assert run.returncode == 0, run.stderr[-3000:]
    before = story(project)
    assert before == {"me": 200, "first": 200, "second": 401, "code": "token_not_valid", "inactive": 401}, before

    pristine = (project / "mysite" / "settings.py").read_text()
    # Why step 2 is one step: the app alone stops every command on E011 (upstream's class still named) ...
    append(project, f"INSTALLED_APPS += {apps!r}")
    halfway = manage(project, *steps[0])
    assert halfway.returncode != 0 and "simplejwt_rs.E011" in halfway.stderr, halfway.stderr[-3000:]
    # ... and our class alone cannot be imported.
    (project / "mysite" / "settings.py").write_text(pristine)
    append(project, f"REST_FRAMEWORK.update({rest_framework!r})")
    other_half = manage(project, *steps[0])
    assert other_half.returncode != 0 and "ImproperlyConfigured" in other_half.stderr, other_half.stderr[-3000:]

    # Step 2 as written, then step 3's commands as written: each succeeds, the checks find nothing.
    (project / "mysite" / "settings.py").write_text(pristine)
    append(project, f"INSTALLED_APPS += {apps!r}\nREST_FRAMEWORK.update({rest_framework!r})")
    outputs = []
    for args in steps:
        run = manage(project, *args)
        assert run.returncode == 0, run.stderr[-3000:]
        outputs.append(run.stdout + run.stderr)
    assert "Applying simplejwt_rs.0001_initial... OK" in outputs[0], outputs[0]
    assert "System check identified no issues" in outputs[1], outputs[1]

    # Nothing else: upstream's routes now run ours (single-use rotation names the reuse), the user policy holds.
    after = story(project)
    assert after == {"me": 200, "first": 200, "second": 401, "code": "token_reused", "inactive": 401}, after
