"""Smoke test for an installed simplejwt-rs: run with the interpreter of a fresh venv, from outside the checkout.

    python smoke.py            # the core: import, Codec encode/decode, a refused token
    python smoke.py --django   # also the Django drop-in (needs the ``django`` extra): migrate,
                               # mint a pair, authenticate, refresh with rotation, replay refused

It imports nothing from the checkout, so it proves what was installed (``make test-install``
and the release workflow both run it against a built wheel or an sdist).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import sysconfig


def check_core() -> None:
    import simplejwt_rs
    from simplejwt_rs import Codec, _core, exceptions

    # The installed package, not a checkout's python/ directory.
    site = os.path.normcase(os.path.realpath(sysconfig.get_paths()["purelib"]))
    where = os.path.normcase(os.path.realpath(simplejwt_rs.__file__))
    assert where.startswith(site + os.sep), f"simplejwt_rs imported from {where}, not from {site}"
    # One abi3 extension module (``_core.abi3.so`` on POSIX, ``_core.pyd`` on Windows).
    native = os.path.basename(_core.__file__)
    assert native.startswith("_core.") and (".abi3." in native or native.endswith(".pyd")), native

    codec = Codec("HS256", "a-smoke-test-secret-that-is-at-least-32-bytes-long")
    now = dt.datetime.now(dt.timezone.utc)
    token = codec.encode({"user_id": 42, "exp": now + dt.timedelta(minutes=5), "token_type": "access"})
    claims = codec.decode(token, token_type="access")
    assert claims["user_id"] == 42, claims
    try:
        codec.decode(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    except exceptions.InvalidSignatureError:
        pass
    else:
        raise AssertionError("a tampered token was accepted")
    try:
        codec.decode(codec.encode({"exp": now - dt.timedelta(minutes=1)}))
    except exceptions.ExpiredTokenError:
        pass
    else:
        raise AssertionError("an expired token was accepted")
    print(f"core ok: simplejwt_rs {simplejwt_rs.__version__} from {where} ({native}), Python {sys.version.split()[0]}")


def check_django() -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="smoke-test-secret-key-that-is-long-enough-for-hs256-and-then-some",
        USE_TZ=True,
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "rest_framework",
            "rest_framework_simplejwt",
            "rest_framework_simplejwt.token_blacklist",
            "simplejwt_rs",
        ],
        REST_FRAMEWORK={"DEFAULT_AUTHENTICATION_CLASSES": ["simplejwt_rs.authentication.JWTAuthentication"]},
        # The README's migration lines that matter here (the rest fall back to ours anyway).
        SIMPLE_JWT={
            "AUTH_TOKEN_CLASSES": ("simplejwt_rs.tokens.AccessToken",),
            "USER_AUTHENTICATION_RULE": "simplejwt_rs.policy.default_user_authentication_rule",
            "TOKEN_REFRESH_SERIALIZER": "simplejwt_rs.serializers.TokenRefreshSerializer",
            "ROTATE_REFRESH_TOKENS": True,
            "BLACKLIST_AFTER_ROTATION": True,
        },
    )
    django.setup()

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.exceptions import AuthenticationFailed, ValidationError
    from rest_framework.test import APIRequestFactory
    from simplejwt_rs.authentication import JWTAuthentication
    from simplejwt_rs.serializers import TokenRefreshSerializer
    from simplejwt_rs.tokens import RefreshToken

    call_command("migrate", verbosity=0)
    call_command("check", fail_level="WARNING")
    user = get_user_model().objects.create_user("smoke", password="smoke-password")

    refresh = RefreshToken.for_user(user)
    access = str(refresh.access_token)
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {access}")
    authenticated = JWTAuthentication().authenticate(request)
    assert authenticated is not None and authenticated[0].pk == user.pk, authenticated

    serializer = TokenRefreshSerializer(data={"refresh": str(refresh)})
    serializer.is_valid(raise_exception=True)
    assert set(serializer.validated_data) >= {"access", "refresh"}, serializer.validated_data
    replay = TokenRefreshSerializer(data={"refresh": str(refresh)})
    try:
        replay.is_valid(raise_exception=True)
    except (ValidationError, AuthenticationFailed):
        pass
    else:
        raise AssertionError("a rotated refresh token was accepted twice")
    print(
        f"django ok: Django {django.get_version()}, migrate + check + obtain + authenticate + rotate + replay refused"
    )


if __name__ == "__main__":
    check_core()
    if "--django" in sys.argv[1:]:
        check_django()
