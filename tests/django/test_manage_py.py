"""`manage.py check` on a small project of its own, run as a user runs it (a subprocess in a fresh directory).

Issue 25 items 7 and 9: one import of upstream's serializer in the project's code gives one message naming
the import to change; a forgotten INSTALLED_APPS line is one line of output, not a traceback.
"""

import os
import subprocess
import sys
from pathlib import Path

import simplejwt_rs

SETTINGS = """
from pathlib import Path
BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "project-secret-key-long-enough-for-hs256-and-then-some-more"
INSTALLED_APPS = [
    "django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist", "api", {app}
]
ROOT_URLCONF = "proj.urls"
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
REST_FRAMEWORK = {{"DEFAULT_AUTHENTICATION_CLASSES": ["simplejwt_rs.authentication.JWTAuthentication"]}}
SIMPLE_JWT = {{"TOKEN_OBTAIN_SERIALIZER": "api.serializers.MyTokenObtainPairSerializer"{extra}}}
"""

# The most common customisation, written from upstream's documentation: a serializer adding a claim, named in
# the setting, and a view of the project's own that names it too.
FILES = {
    "manage.py": "import sys\nfrom django.core.management import execute_from_command_line\n"
    "execute_from_command_line(sys.argv)\n",
    "api/__init__.py": "",
    "api/serializers.py": "from rest_framework_simplejwt.serializers import TokenObtainPairSerializer\n\n\n"
    "class MyTokenObtainPairSerializer(TokenObtainPairSerializer):\n"
    "    @classmethod\n    def get_token(cls, user):\n        token = super().get_token(user)\n"
    "        token['name'] = user.get_username()\n        return token\n",
    "api/views.py": "from rest_framework_simplejwt.views import TokenObtainPairView\n\n"
    "from .serializers import MyTokenObtainPairSerializer\n\n\n"
    "class MyTokenObtainPairView(TokenObtainPairView):\n    serializer_class = MyTokenObtainPairSerializer\n",
    "proj/__init__.py": "",
    "proj/urls.py": "from django.urls import path\nfrom rest_framework_simplejwt import views\n"
    "from api.views import MyTokenObtainPairView\n\nurlpatterns = [\n"
    "    path('api/token/', MyTokenObtainPairView.as_view()),\n"
    "    path('api/token/default/', views.TokenObtainPairView.as_view()),\n"
    "    path('api/token/refresh/', views.TokenRefreshView.as_view()),\n]\n",
}


def manage_py_check(
    tmp_path: Path, app: str = '"simplejwt_rs"', extra: str = "", **files: str
) -> subprocess.CompletedProcess:
    for name, text in {**FILES, **{name.replace("__", "/") + ".py": text for name, text in files.items()}}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "proj/settings.py").write_text(SETTINGS.format(app=app, extra=extra))
    package_root = str(Path(simplejwt_rs.__file__).resolve().parent.parent)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "proj.settings", "PYTHONPATH": package_root}
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_one_import_of_upstreams_serializer_is_one_message_naming_the_import(tmp_path):
    result = manage_py_check(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert output.count("(simplejwt_rs.") == 1, output
    assert "(simplejwt_rs.E015) api.serializers.MyTokenObtainPairSerializer (your project's code)" in output
    assert (
        "In api/serializers.py, change `from rest_framework_simplejwt.serializers import TokenObtainPairSerializer`"
        " to `from simplejwt_rs.serializers import TokenObtainPairSerializer`" in output
    )
    assert "SIMPLE_JWT['TOKEN_OBTAIN_SERIALIZER'], URL route 'api/token/', URL route 'api/token/default/'" in output
    assert "installed package" not in output and "PATCH_UPSTREAM_CLASSES" not in output

    changed = FILES["api/serializers.py"].replace("rest_framework_simplejwt.serializers", "simplejwt_rs.serializers")
    fixed = manage_py_check(tmp_path, api__serializers=changed)
    assert fixed.returncode == 0 and "System check identified no issues" in fixed.stdout, fixed.stderr


def test_a_forgotten_installed_apps_line_is_one_line_not_a_traceback(tmp_path):
    result = manage_py_check(tmp_path, app="")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "ImproperlyConfigured: simplejwt_rs is used (a SIMPLE_JWT or REST_FRAMEWORK setting names it) but "
        "'simplejwt_rs' is not in INSTALLED_APPS: add it and run `manage.py migrate`."
    ]


def test_misspelt_and_wrongly_typed_settings_in_a_real_project(tmp_path):
    extra = ', "POLICY_CAHCE": "default", "ACCESS_TOKEN_LIFETIME": "5m"'
    result = manage_py_check(tmp_path, extra=extra)
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert "(simplejwt_rs.W050) SIMPLE_JWT['POLICY_CAHCE'] is not a setting" in output
    assert "Did you mean 'POLICY_CACHE'?" in output
    assert "(simplejwt_rs.E008) SIMPLE_JWT['ACCESS_TOKEN_LIFETIME'] must be a datetime.timedelta: use " in output
    assert "timedelta(minutes=5)" in output
