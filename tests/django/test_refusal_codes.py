"""Every refusal carries a ``code``, and every code is in ``simplejwt_rs.errors.CODES`` (issue 25, item 5).

Each kind of refusal is walked through each entry point (obtain pair and sliding, refresh, sliding
refresh, verify, logout, and a request authenticated by either authentication class).  The
expected outcome of every pair is written down in :data:`EXPECTED`; the test checks the response
against it, that the body is ``{"detail": ..., "code": ...}``, and that the code is listed in the
table for that entry point with that status.  The table in turn may list nothing the walk does not
produce, and the docs' error-codes page's table is the table rendered.
"""

from __future__ import annotations

import ast
import re
from contextlib import ExitStack
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import override_settings
from rest_framework import exceptions as drf_exceptions
from rest_framework.exceptions import APIException
from rest_framework.test import APIClient
from simplejwt_rs import errors, sessions
from simplejwt_rs.errors import CODES, Refuse
from simplejwt_rs.policy_cache import breaker
from simplejwt_rs.tokens import RefreshToken

from tests.django.helpers import PASSWORD, simple_jwt, token_store_locked

CODES_PAGE = Path(__file__).resolve().parents[2] / "docs" / "error-codes.md"

OBTAIN, REFRESH, SLIDING, VERIFY, LOGOUT, AUTH, STATELESS = (
    errors.OBTAIN,
    errors.REFRESH,
    errors.SLIDING_REFRESH,
    errors.VERIFY,
    errors.LOGOUT,
    errors.AUTHENTICATE,
    errors.AUTHENTICATE_STATELESS,
)
SESSION = errors.SESSION
ROTATING = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}


def refusing_rule(user):
    """A USER_AUTHENTICATION_RULE that refuses with ``Refuse()``'s defaults."""
    if user is not None and user.first_name == "refused":
        raise Refuse()
    return user is not None and user.is_active


def falsy_rule(user):
    return user is not None and user.is_active and user.first_name != "refused"


# kind -> the settings it runs under
SETTINGS: dict[str, dict] = {
    "garbage": {},
    "expired": {},
    "wrong_type": {},
    "deleted": {},
    "inactive": {},
    "rule_false": {"USER_AUTHENTICATION_RULE": f"{__name__}.falsy_rule"},
    "rule_refuse": {"USER_AUTHENTICATION_RULE": f"{__name__}.refusing_rule"},
    "password_changed": {"CHECK_REVOKE_TOKEN": True},
    "blacklisted": {},
    "reused": ROTATING,
    # With POLICY_CACHE, JWTAuthentication refuses the family's access tokens too.
    "family_revoked": {**ROTATING, "POLICY_CACHE": "policy"},
    "already_rotated": {**ROTATING, "REFRESH_TOKEN_REUSE_GRACE_SECONDS": 60},
    "bad_header": {},
}

TOKEN_TAKERS = (REFRESH, SLIDING, VERIFY, LOGOUT, AUTH, STATELESS)
T = "token_not_valid"
N = "no_active_account"
# (kind, entry point) -> the code answered, or None for a success.  Obtain is walked for the kinds
# about the user and credentials only (it takes no token).
EXPECTED: dict[tuple[str, str], str | None] = {
    ("garbage", OBTAIN): N,  # a wrong password
    ("deleted", OBTAIN): N,
    ("inactive", OBTAIN): N,
    ("rule_false", OBTAIN): N,
    ("rule_refuse", OBTAIN): "user_refused",
    ("password_changed", OBTAIN): N,  # the old password
    **{(kind, entry): T for kind in ("garbage", "expired") for entry in TOKEN_TAKERS},
    ("wrong_type", REFRESH): T,
    ("wrong_type", SLIDING): T,
    ("wrong_type", VERIFY): None,  # verify takes any type
    ("wrong_type", LOGOUT): T,
    ("wrong_type", AUTH): T,
    ("wrong_type", STATELESS): T,
    **{(kind, entry): N for kind in ("deleted", "inactive", "rule_false") for entry in (REFRESH, SLIDING, VERIFY)},
    **{(kind, LOGOUT): None for kind in ("deleted", "inactive", "rule_false", "password_changed", "rule_refuse")},
    ("deleted", AUTH): "user_not_found",
    ("deleted", STATELESS): "user_not_found",
    ("inactive", AUTH): "user_inactive",
    ("inactive", STATELESS): "user_inactive",
    ("rule_false", AUTH): "user_inactive",
    ("rule_false", STATELESS): "user_inactive",
    **{("rule_refuse", entry): "user_refused" for entry in (REFRESH, SLIDING, VERIFY, AUTH, STATELESS)},
    **{("password_changed", entry): "password_changed" for entry in (REFRESH, SLIDING, VERIFY, AUTH, STATELESS)},
    ("blacklisted", REFRESH): T,
    ("blacklisted", SLIDING): T,
    ("blacklisted", VERIFY): T,
    ("blacklisted", LOGOUT): T,  # a second logout without rotation: "Token is blacklisted", as upstream 5.5.1
    ("blacklisted", AUTH): None,  # access tokens are not blacklisted
    ("blacklisted", STATELESS): None,
    **{("reused", entry): "token_reused" for entry in (REFRESH, VERIFY, LOGOUT)},
    ("reused", SLIDING): None,  # sliding tokens are not rotated
    ("reused", AUTH): None,  # the family is checked per request with POLICY_CACHE only
    ("reused", STATELESS): None,  # the family is revoked once the consumed token comes back
    **{("family_revoked", entry): "token_family_revoked" for entry in (REFRESH, VERIFY, LOGOUT, STATELESS)},
    ("family_revoked", AUTH): "token_family_revoked",
    ("family_revoked", SLIDING): None,
    ("already_rotated", REFRESH): "token_already_rotated",
    ("already_rotated", VERIFY): "token_already_rotated",
    ("already_rotated", LOGOUT): "token_reused",  # a logout asks for the session to end
    ("already_rotated", SLIDING): None,
    ("already_rotated", AUTH): None,
    ("already_rotated", STATELESS): None,  # nothing revoked within the grace period
    ("bad_header", AUTH): "bad_authorization_header",
    ("bad_header", STATELESS): "bad_authorization_header",
}


def _scenario(kind: str, api: APIClient, clock) -> dict[str, str]:
    """Sign in as alice, then make ``kind`` happen; returns what each entry point is given."""
    user = User.objects.get(username="alice")
    pair = api.post("/api/token/", {"username": "alice", "password": PASSWORD}, format="json").data
    sliding = api.post("/api/token/sliding/", {"username": "alice", "password": PASSWORD}, format="json").data["token"]
    given = {"refresh": pair["refresh"], "access": pair["access"], "sliding": sliding, "password": PASSWORD}
    if kind == "garbage":
        given = {"refresh": "not.a.token", "access": "not.a.token", "sliding": "not.a.token", "password": "wrong"}
    elif kind == "expired":
        clock.advance(2 * 24 * 3600)
    elif kind == "wrong_type":
        given = {"refresh": pair["access"], "access": pair["refresh"], "sliding": pair["access"]}
        given["verify"] = sliding
    elif kind == "deleted":
        user.delete()
    elif kind == "inactive":
        user.is_active = False
        user.save()
    elif kind in ("rule_false", "rule_refuse"):
        user.first_name = "refused"
        user.save()
    elif kind == "password_changed":
        user.set_password("a new password")
        user.save()
    elif kind == "blacklisted":
        assert api.post("/api/token/blacklist/", {"refresh": pair["refresh"]}, format="json").status_code == 200
        assert api.post("/api/token/sliding/refresh/", {"token": sliding}, format="json").status_code == 200
        # The sliding token itself cannot be logged out through the endpoint: blacklist it as upstream's code does.
        from simplejwt_rs.tokens import SlidingToken

        SlidingToken(sliding).blacklist()
    elif kind in ("reused", "already_rotated"):
        assert api.post("/api/token/refresh/", {"refresh": pair["refresh"]}, format="json").status_code == 200
    elif kind == "family_revoked":
        successor = api.post("/api/token/refresh/", {"refresh": pair["refresh"]}, format="json").data["refresh"]
        assert api.post("/api/token/refresh/", {"refresh": pair["refresh"]}, format="json").status_code == 401
        given["refresh"] = successor
    elif kind == "bad_header":
        given["header"] = f"Bearer {pair['access']} extra"
    return given


def _call(entry: str, api: APIClient, given: dict[str, str]):
    if entry == OBTAIN:
        return api.post("/api/token/", {"username": "alice", "password": given["password"]}, format="json")
    if entry == REFRESH:
        return api.post("/api/token/refresh/", {"refresh": given["refresh"]}, format="json")
    if entry == SLIDING:
        return api.post("/api/token/sliding/refresh/", {"token": given["sliding"]}, format="json")
    if entry == VERIFY:
        return api.post("/api/token/verify/", {"token": given.get("verify", given["refresh"])}, format="json")
    if entry == LOGOUT:
        return api.post("/api/token/blacklist/", {"refresh": given["refresh"]}, format="json")
    header = given.get("header", f"Bearer {given['access']}")
    return api.get("/api/me/" if entry == AUTH else "/api/me/stateless/", HTTP_AUTHORIZATION=header)


def _policy_cache():
    """POLICY_CACHE on a LocMemCache: JWTStatelessUserAuthentication then applies the whole policy."""
    stack = ExitStack()
    cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "refusal-codes"}
    stack.enter_context(override_settings(CACHES={"default": cache, "policy": cache}))
    caches["policy"].clear()
    breaker._pending.clear()
    breaker._down_until = 0.0
    return stack


def assert_refusal(response, code: str, entry: str) -> None:
    """The body is ``{"detail", "code"}`` and the table lists the code, its status and this entry point."""
    assert isinstance(response.data, dict) and "detail" in response.data, response.data
    assert response.data.get("code") == code, (response.status_code, response.data)
    assert code in CODES, f"{code!r} is not in simplejwt_rs.errors.CODES"
    assert response.status_code == CODES[code].status, (code, response.status_code)
    assert entry in CODES[code].entry_points, f"CODES[{code!r}] does not list {entry!r}"


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "entry"), sorted(EXPECTED), ids=lambda v: str(v).replace(" ", "-"))
def test_every_refusal_has_a_code_from_the_table(kind, entry, clock):
    User.objects.create_user("alice", password=PASSWORD)
    api = APIClient()
    changes = dict(SETTINGS[kind])
    with ExitStack() as stack:
        if entry == STATELESS:  # without POLICY_CACHE it applies no user policy at all
            changes.update(ROTATING, POLICY_CACHE="policy")  # rotation: access tokens carry their family
        if "POLICY_CACHE" in changes:
            stack.enter_context(_policy_cache())
        stack.enter_context(simple_jwt(**changes))
        given = _scenario(kind, api, clock)
        response = _call(entry, api, given)
    expected = EXPECTED[(kind, entry)]
    if expected is None:
        assert response.status_code < 300, (response.status_code, response.data)
    else:
        assert_refusal(response, expected, entry)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("entry", [REFRESH, LOGOUT])
def test_a_busy_token_store_has_a_code_from_the_table(entry):
    """The 503 of a locked database (SQLite's "database is locked"; PostgreSQL's lock timeout)."""
    User.objects.create_user("alice", password=PASSWORD)
    api = APIClient()
    with simple_jwt(**ROTATING):
        pair = api.post("/api/token/", {"username": "alice", "password": PASSWORD}, format="json").data
        with token_store_locked():
            response = _call(entry, api, {"refresh": pair["refresh"]})
    assert_refusal(response, "token_store_busy", entry)
    assert response["Retry-After"] == "1"


@pytest.mark.django_db
@pytest.mark.parametrize("whose", ["none", "another user's", "ended already"])
def test_ending_a_session_that_is_not_the_callers_has_a_code_from_the_table(whose):
    """SessionView (DELETE): a family that is not one of the caller's sessions in use is a 404 with a code."""
    User.objects.create_user("alice", password=PASSWORD)
    User.objects.create_user("mallory", password=PASSWORD)

    def login(username):
        return api.post("/api/token/", {"username": username, "password": PASSWORD}, format="json").data

    api = APIClient()
    with simple_jwt(**ROTATING):
        caller, other_session, theirs = login("alice"), login("alice"), login("mallory")
        header = {"HTTP_AUTHORIZATION": f"Bearer {caller['access']}"}
        family = {
            "none": "no-such-family",
            "another user's": RefreshToken(theirs["refresh"], verify=False)["jti"],
            "ended already": RefreshToken(other_session["refresh"], verify=False)["jti"],
        }[whose]
        if whose == "ended already":
            assert api.delete(f"/api/sessions/{family}/", **header).status_code == 204
        response = api.delete(f"/api/sessions/{family}/", **header)
    assert_refusal(response, "session_not_found", SESSION)


WALKED = {(code, entry) for (_kind, entry), code in EXPECTED.items() if code is not None} | {
    ("session_not_found", SESSION),
    ("token_store_busy", REFRESH),
    ("token_store_busy", LOGOUT),
    # A database outage at every entry point: tests/django/test_database_outage.py walks them.
    *(("database_unavailable", entry) for entry in (OBTAIN, *TOKEN_TAKERS)),
}


def test_the_table_lists_only_what_the_walk_produces():
    listed = {(code, entry) for code, row in CODES.items() for entry in row.entry_points}
    assert listed - WALKED == set(), "listed in CODES but never produced by the walk"
    assert WALKED - listed == set(), "produced by the walk but not listed in CODES"


def test_the_error_codes_page_table_is_the_code_table():
    text = CODES_PAGE.read_text()
    found = re.search(r"<!-- refusal-codes:start -->\n(.*?)<!-- refusal-codes:end -->", text, re.S)
    assert found, "docs/error-codes.md has no <!-- refusal-codes:start --> ... <!-- refusal-codes:end --> block"
    assert found.group(1) == errors.codes_table(), (
        "docs/error-codes.md's table of codes differs from simplejwt_rs.errors.CODES; paste the output of "
        "`python -c 'from simplejwt_rs.errors import codes_table; print(codes_table(), end=\"\")'`"
    )


def test_every_code_the_package_raises_is_in_the_table():
    """The codes written in the source (``Refused(..., "code")``, ``default_code``) are the table's, and no other."""
    package = Path(errors.__file__).parent
    written = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Refused":
                arguments = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "code")]
                written |= {a.value for a in arguments if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    refusals = [*_subclasses(errors.Unavailable), *_subclasses(errors.Refused)]
    written |= {cls.default_code for cls in refusals if cls is not errors.Refused}
    # Any other exception of ours with a code of its own (not one of DRF's: those keep DRF's shape).
    drf_codes = {cls.default_code for cls in _subclasses(APIException) if cls.__module__ == drf_exceptions.__name__}
    ours = [cls for cls in _subclasses(APIException) if cls.__module__.split(".")[0] == "simplejwt_rs"]
    assert sessions.SessionNotFound in ours
    written |= {cls.__dict__["default_code"] for cls in ours if "default_code" in cls.__dict__} - drf_codes
    written.add(Refuse().code)
    assert written - set(CODES) == set()
    # token_not_valid is upstream's InvalidToken (raised by upstream's views for our TokenErrors);
    # bad_authorization_header is raised with upstream's AuthenticationFailed.
    assert set(CODES) - written == {"token_not_valid", "bad_authorization_header"}


def _subclasses(cls):
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found
