"""Every SIMPLE_JWT setting a token path reads is type-checked (E008), and every unknown key is W050.

Issue 25 items 3 and 4: ``"ACCESS_TOKEN_LIFETIME": "5m"`` passed ``manage.py check`` and the first login was a
500; ``"POLICY_CAHCE"`` passed silently.  The property tests write values of every type at every setting, ours
and upstream's: a value the setting cannot use is E008 naming it, and no check ever raises.
"""

import math
import re
from datetime import timedelta

import pytest
from django.core import checks
from django.test import override_settings
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from simplejwt_rs import settings as jwt_settings
from simplejwt_rs.checks import check_settings

from tests.django.helpers import simple_jwt

HYPOTHESIS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def our_checks():
    """Every check this package registers, as `manage.py check` runs them."""
    return [check for check in checks.registry.registry.get_checks() if check.__module__ == "simplejwt_rs.checks"]


def messages_for(simple_jwt_setting):
    with override_settings(SIMPLE_JWT=simple_jwt_setting):
        return [message for check in our_checks() for message in check()]


# --- what each setting accepts (the test's own statement of the documented types) -----------------------------


def number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def seconds(value):
    if isinstance(value, timedelta):
        value = value.total_seconds()
    return number(value) and math.isfinite(value) and value >= 0


def text(value):
    return isinstance(value, str) and value != ""


def header_word(value):
    """A word the Authorization header can carry: ISO-8859-1, no whitespace (bytes.split's)."""
    return text(value) and all(ord(char) < 256 for char in value) and not any(c in " \t\n\r\x0b\x0c" for c in value)


BOOL = lambda value: isinstance(value, bool)  # noqa: E731
ACCEPTS = {
    # upstream's
    "ACCESS_TOKEN_LIFETIME": lambda value: isinstance(value, timedelta),
    "REFRESH_TOKEN_LIFETIME": lambda value: isinstance(value, timedelta),
    "SLIDING_TOKEN_LIFETIME": lambda value: isinstance(value, timedelta),
    "SLIDING_TOKEN_REFRESH_LIFETIME": lambda value: isinstance(value, timedelta),
    "ROTATE_REFRESH_TOKENS": BOOL,
    "BLACKLIST_AFTER_ROTATION": BOOL,
    "UPDATE_LAST_LOGIN": BOOL,
    "CHECK_REVOKE_TOKEN": BOOL,
    "CHECK_USER_IS_ACTIVE": BOOL,
    "ALGORITHM": lambda value: value in ("HS256", "HS384", "HS512", "RS256", "ES256", "EdDSA", "Ed25519"),
    "SIGNING_KEY": lambda value: value is None or isinstance(value, (str, bytes, dict)),
    "VERIFYING_KEY": lambda value: value is None or isinstance(value, (str, bytes, dict)),
    "AUDIENCE": lambda value: value is None
    or text(value)
    or (isinstance(value, (list, tuple)) and all(text(item) for item in value)),
    "ISSUER": lambda value: value is None or text(value),
    "JWK_URL": lambda value: value is None or text(value),
    "LEEWAY": seconds,
    "AUTH_HEADER_TYPES": lambda value: header_word(value)
    or (isinstance(value, (list, tuple)) and value and all(header_word(item) for item in value)),
    "AUTH_HEADER_NAME": text,
    "USER_ID_FIELD": text,
    "USER_ID_CLAIM": text,
    "TOKEN_TYPE_CLAIM": text,
    "JTI_CLAIM": lambda value: value is None or text(value),
    "SLIDING_TOKEN_REFRESH_EXP_CLAIM": text,
    "REVOKE_TOKEN_CLAIM": text,
    # dotted paths: none of the strings drawn below imports
    "USER_AUTHENTICATION_RULE": callable,
    "ON_LOGIN_SUCCESS": callable,
    "ON_LOGIN_FAILED": callable,
    "TOKEN_USER_CLASS": lambda value: isinstance(value, type),
    "JSON_ENCODER": lambda value: value is None,
    "AUTH_TOKEN_CLASSES": lambda value: isinstance(value, (list, tuple))
    and all(isinstance(item, (str, type)) for item in value),
    "TOKEN_OBTAIN_SERIALIZER": lambda value: isinstance(value, (str, type)),
    "TOKEN_REFRESH_SERIALIZER": lambda value: isinstance(value, (str, type)),
    "TOKEN_VERIFY_SERIALIZER": lambda value: isinstance(value, (str, type)),
    "TOKEN_BLACKLIST_SERIALIZER": lambda value: isinstance(value, (str, type)),
    "SLIDING_TOKEN_OBTAIN_SERIALIZER": lambda value: isinstance(value, (str, type)),
    "SLIDING_TOKEN_REFRESH_SERIALIZER": lambda value: isinstance(value, (str, type)),
    # ours
    "VERIFY_CHECKS_USER": BOOL,
    "PATCH_UPSTREAM_CLASSES": BOOL,
    "REFRESH_TOKEN_REUSE_DETECTION": lambda value: value is None or isinstance(value, bool),
    "JWK_CACHE_SECONDS": seconds,
    "JWK_REFETCH_INTERVAL": seconds,
    "REFRESH_TOKEN_REUSE_GRACE_SECONDS": seconds,
    "JWKS_MAX_AGE": seconds,
    "JWK_FETCH_TIMEOUT": lambda value: seconds(value) and value != timedelta(0) and value != 0,
    "MAX_TOKEN_BYTES": lambda value: value is None or (isinstance(value, int) and not isinstance(value, bool) and value > 0),  # noqa: E501
    "TOKEN_FAMILY_CLAIM": lambda value: value is None or text(value),
    "USER_PK_CLAIM": lambda value: value is None or text(value),
    "POLICY_CACHE": lambda value: value is None or value == "default",
    "POLICY_NEAR_CACHE": lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= 0,
    "POLICY_NEAR_CACHE_SECONDS": lambda value: seconds(value) and value != timedelta(0) and value != 0,
    "POLICY_NEAR_CACHE_USERS": BOOL,
    "KEYS": lambda value: value is None or (isinstance(value, (list, tuple)) and not value),
    "AUTH_COOKIE": lambda value: isinstance(value, str) and re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", value),
    "AUTH_REFRESH_COOKIE": lambda value: isinstance(value, str) and re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", value),  # noqa: E501
    "AUTH_COOKIE_SECURE": BOOL,
    "AUTH_COOKIE_SAMESITE": lambda value: isinstance(value, str) and value.lower() in ("lax", "strict", "none"),
    "AUTH_COOKIE_DOMAIN": lambda value: value is None or (text(value) and not set(value) & set(";, \t\r\n")),
    "AUTH_COOKIE_PATH": lambda value: isinstance(value, str) and value.startswith("/") and not set(value) & set("; \t\r\n"),  # noqa: E501
    "AUTH_REFRESH_COOKIE_PATH": lambda value: value is None or (isinstance(value, str) and value.startswith("/") and not set(value) & set("; \t\r\n")),  # noqa: E501
    "MAX_SESSIONS_PER_USER": lambda value: value is None or (isinstance(value, int) and not isinstance(value, bool) and value > 0),  # noqa: E501
    "CLIENT_IP_PROXIES": lambda value: isinstance(value, int) and not isinstance(value, bool) and value > 0,
    "FLUSH_BATCH_SIZE": lambda value: isinstance(value, int) and not isinstance(value, bool) and value > 0,
    "CLIENT_IP_META_KEY": lambda value: isinstance(value, str) and re.fullmatch(r"[A-Z][A-Z0-9_]*", value) is not None,
}  # fmt: skip

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["5m", "300", "1h", "True", "false", "HS257", "default", "tests.no.Such", "-1"]),
    st.sampled_from(["Lax", "strict", "NONE", "/", "/api/auth/", "/a b", "api/", "access_token", "a;b", ".x.com"]),
    st.binary(max_size=12),
    st.lists(st.one_of(st.integers(), st.text(max_size=4), st.none()), max_size=3),
    st.tuples(st.text(max_size=4)),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.builds(timedelta, seconds=st.integers(-(10**6), 10**6)),
    st.sampled_from([object(), print, float("inf"), float("nan"), {"kid": "a"}, [{"kid": "a", "signing_key": None}]]),
)


def test_every_setting_is_typed_here():
    assert {check.__name__ for check in our_checks()} >= {
        "check_settings",
        "check_classes",
        "check_routes",
        "check_keys",
    }
    assert set(ACCEPTS) == set(jwt_settings.UPSTREAM_TYPES) | set(jwt_settings.DEFAULTS)
    assert set(jwt_settings.upstream.DEFAULTS) <= set(ACCEPTS)


@HYPOTHESIS
@given(name=st.sampled_from(sorted(ACCEPTS)), value=VALUES)
@example(name="ACCESS_TOKEN_LIFETIME", value="5m")
@example(name="ALGORITHM", value=["HS256"])
@example(name="LEEWAY", value="30")
@example(name="AUTH_TOKEN_CLASSES", value="simplejwt_rs.tokens.AccessToken")
@example(name="AUTH_HEADER_TYPES", value=[])
@example(name="AUTH_COOKIE_SECURE", value="False")
@example(name="AUTH_COOKIE_SAMESITE", value="Laxx")
@example(name="AUTH_REFRESH_COOKIE_PATH", value="api/auth/")
def test_a_value_of_the_wrong_type_is_e008_and_never_a_crash_of_a_check(name, value):
    found = messages_for({name: value})  # no check raises, whatever the value
    e008 = [message for message in found if message.id == "simplejwt_rs.E008"]
    if ACCEPTS[name](value):
        assert not [message for message in e008 if f"SIMPLE_JWT[{name!r}]" in message.msg], e008
    else:
        assert [message for message in e008 if f"SIMPLE_JWT[{name!r}]" in message.msg], (name, value, found)


@HYPOTHESIS
@given(values=st.dictionaries(st.sampled_from(sorted(ACCEPTS)), VALUES, min_size=2, max_size=6))
def test_several_wrong_settings_at_once_never_crash_a_check(values):
    found = messages_for(values)
    assert all(message.id.startswith("simplejwt_rs.") for message in found)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("ACCESS_TOKEN_LIFETIME", "5m", "use timedelta(minutes=5)"),
        ("REFRESH_TOKEN_LIFETIME", 86400, "use timedelta(seconds=86400)"),
        ("SLIDING_TOKEN_LIFETIME", "2 hours", "use timedelta(hours=2)"),
        ("ROTATE_REFRESH_TOKENS", "False", "use False without quotes"),
        ("ALGORITHM", "hs256", "did you mean 'HS256'?"),
        ("ALGORITHM", "ed25519", "did you mean 'Ed25519'?"),
        ("AUTH_HEADER_TYPES", [], "e.g. ('Bearer',)"),
        ("USER_AUTHENTICATION_RULE", "myapp.rules.nope", "cannot be imported"),
        ("JSON_ENCODER", "json.JSONDecoder", "json.JSONEncoder subclass"),
        ("LEEWAY", "30", "a number of seconds"),
    ],
)
def test_e008_says_how_to_write_the_value(name, value, says):
    [found] = [m for m in messages_for({name: value}) if m.id == "simplejwt_rs.E008"]
    assert says in found.msg
    assert "500" in found.msg  # upstream's settings: no default stands in, upstream reads the value as it is


def test_a_secret_is_never_repeated_in_e008():
    [found] = [m for m in messages_for({"SIGNING_KEY": ["secret-in-a-list"]}) if m.id == "simplejwt_rs.E008"]
    assert "secret-in-a-list" not in found.msg


# --- unknown keys: W050 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("POLICY_CAHCE", "POLICY_CACHE"),
        ("REFRESH_TOKEN_REUSE_GRACE_SECOND", "REFRESH_TOKEN_REUSE_GRACE_SECONDS"),
        ("ROTATE_REFRESH_TOKEN", "ROTATE_REFRESH_TOKENS"),
        ("policy_cache", "POLICY_CACHE"),
        ("ACCESS_TOKEN_LIFE_TIME", "ACCESS_TOKEN_LIFETIME"),
        ("BLACKLIST_AFTER_ROTATIONS", "BLACKLIST_AFTER_ROTATION"),
    ],
)
def test_a_misspelt_key_is_a_warning_naming_the_closest_known_key(typo, meant):
    [found] = [m for m in messages_for({typo: True}) if m.id == "simplejwt_rs.W050"]
    assert isinstance(found, checks.Warning)
    assert f"SIMPLE_JWT[{typo!r}]" in found.msg and f"Did you mean {meant!r}?" in found.msg
    assert found.hint == f"Rename it to {meant!r}."


def test_a_key_like_no_other_is_a_warning_without_a_guess():
    [found] = [m for m in messages_for({"COMPLETELY_DIFFERENT": 1}) if m.id == "simplejwt_rs.W050"]
    assert "Did you mean" not in found.msg


@HYPOTHESIS
@given(name=st.sampled_from(sorted(jwt_settings.KNOWN_SETTINGS)))
def test_no_known_key_is_a_warning(name):
    # (upstream's keys of every supported release, e.g. simplejwt 6's ON_LOGIN_SUCCESS / ON_LOGIN_FAILED, and ours)
    assert not [m for m in check_settings_with({name: None}) if m.id == "simplejwt_rs.W050"]


@HYPOTHESIS
@given(name=st.text(min_size=1, max_size=30))
def test_every_unknown_key_is_a_warning(name):
    assume(name not in jwt_settings.KNOWN_SETTINGS)
    found = [m for m in check_settings_with({name: None}) if m.id == "simplejwt_rs.W050"]
    assert len(found) == 1 and f"SIMPLE_JWT[{name!r}]" in found[0].msg


def check_settings_with(value):
    with override_settings(SIMPLE_JWT=value):
        return check_settings()


def test_the_login_hooks_of_simplejwt_6_are_known():
    assert {"ON_LOGIN_SUCCESS", "ON_LOGIN_FAILED"} <= jwt_settings.KNOWN_SETTINGS


# --- KEYS: every bad entry, and W044's wording ----------------------------------------------------------------


def test_every_bad_keys_entry_is_reported_not_only_the_first():
    # os.environ.get(...) of unset variables: every entry's key is None
    keys = [
        {"kid": "2026-01", "signing_key": None},
        {"kid": "2025-12", "verifying_key": None},
        {"kid": "2025-11", "verifying_key": "x" * 64},
        {"kid": "2025-10", "signing_key": 7},
    ]
    found = [m.msg for m in messages_for({"KEYS": keys}) if m.id == "simplejwt_rs.E008"]
    assert len(found) == 3, found
    assert "'2026-01' has neither 'signing_key' nor 'verifying_key'" in found[0]
    assert "environment variable" in found[0]
    assert "'2025-12'" in found[1] and "'2025-10'" in found[2]


def test_w044_reads_well_with_one_key_and_with_two():
    keys = [{"kid": "a", "signing_key": "a" * 64}]
    with simple_jwt(KEYS=keys, SIGNING_KEY="b" * 64):
        [one] = [m.msg for m in check_settings() if m.id == "simplejwt_rs.W044"]
    assert "it only verifies tokens without a 'kid'" in one and "no longer signs" in one
    with simple_jwt(KEYS=keys, SIGNING_KEY="b" * 64, VERIFYING_KEY="b" * 64):
        [two] = [m.msg for m in check_settings() if m.id == "simplejwt_rs.W044"]
    assert "they only verify tokens without a 'kid'" in two and "no longer sign:" in two


@pytest.mark.parametrize(
    ("name", "value"),
    [("ALGORITHM", "HS257"), ("ALGORITHM", "rs256"), ("SIGNING_KEY", ["x"]), ("VERIFYING_KEY", 7)],
)
def test_an_unusable_algorithm_or_key_is_one_e008_not_more_messages_about_the_keys(name, value):
    found = messages_for({name: value, "KEYS": [{"kid": "a", "signing_key": "a" * 64}]})
    found = [m for m in found if m.id != "simplejwt_rs.W046"]  # (an HMAC key set while JWKSView is routed)
    assert [m.id for m in found] == ["simplejwt_rs.E008"], [(m.id, m.msg) for m in found]
    found = messages_for({name: value})
    assert [m.id for m in found] == ["simplejwt_rs.E008"], [(m.id, m.msg) for m in found]


def test_a_dotted_path_whose_module_fails_to_import_is_e008(tmp_path, monkeypatch):
    (tmp_path / "broken_rules.py").write_text("raise RuntimeError('the module fails')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    [found] = messages_for({"USER_AUTHENTICATION_RULE": "broken_rules.rule"})
    assert found.id == "simplejwt_rs.E008" and "RuntimeError: the module fails" in found.msg
