"""No input signed with the key is ever a 500, at any endpoint; a user id claim matches one user, exactly.

Issue 9, items 4 and 5.  A token minted by another service that shares the key
is still input.  Hypothesis takes a valid token payload for an existing user
(``user_id``, ``exp``, ``iat``, ``jti``, ``token_type``, ``token_family``,
``refresh_exp`` for sliding tokens), replaces, adds, removes and duplicates
claims with arbitrary JSON (every JSON type, integers and decimals of 400
digits without an exponent, floats at the edges, odd strings: unicode, lone
surrogates as ``\\u`` escapes or as raw bytes, whitespace, leading zeros,
nesting), writes the payload's JSON text itself (``json.dumps`` could not write
most of this), signs it with the test ``SECRET_KEY`` (HS256, the bytes PyJWT
would write for the same payload: see ``test_sign_writes_what_pyjwt_writes``),
and sends it through DRF's test client to every endpoint: obtain (arbitrary
JSON bodies), refresh (default and rotating settings), sliding refresh, verify,
blacklist (logout; default and rotating) and an authenticated view.

Asserted for every response:

- never a 5xx (the test client re-raises a view's exception, so a 500 fails
  the example with its traceback; a 503 ``token_store_busy`` cannot happen
  without concurrency, so it fails too);
- every 4xx carries a documented DRF error code (``ALLOWED`` below, from the
  README's lists and the code);
- a 200 from an endpoint that applies the user policy names one user exactly
  (item 5): the user id claim is absent, or the canonical form of an active
  user's id (what ``for_user`` writes: ``"1"``, or ``1`` up to simplejwt 5.4).

Examples per endpoint: ``SIMPLEJWT_RS_HOSTILE_EXAMPLES`` (default 2000; set a
smaller number for the PostgreSQL and nox runs); the ``USER_ID_FIELD = "email"``
variant runs a quarter as many.  Each endpoint prints how many
examples ran and which (status, code) pairs it saw.  The run is derandomized
(the same examples on every run); ``SIMPLEJWT_RS_HOSTILE_RANDOM=1`` explores
new ones.  The known cases of item 4 are explicit ``@example``s, so they are
always covered.

Every example runs in a savepoint that is rolled back, so examples do not see
each other's outstanding, blacklisted or rotated tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import jwt
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.db import transaction
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ErrorDetail
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from tests.django.helpers import PASSWORD, simple_jwt

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("SIMPLEJWT_RS_HOSTILE_EXAMPLES", "2000"))
# The non-unique USER_ID_FIELD variant exercises the same parsing with another user lookup: a quarter as many.
EMAIL_EXAMPLES = max(EXAMPLES // 4, 1)
RANDOM = os.environ.get("SIMPLEJWT_RS_HOSTILE_RANDOM") == "1"
KEY = django_settings.SECRET_KEY  # SIGNING_KEY's default

ROTATING = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}
# Access and sliding tokens both authenticate at the view (a project on sliding tokens lists SlidingToken).
AUTH_CLASSES = {"AUTH_TOKEN_CLASSES": ("simplejwt_rs.tokens.AccessToken", "simplejwt_rs.tokens.SlidingToken")}

# --- the documented error codes ---------------------------------------------------------------
# DRF's own validation codes for a request body (CharField: required, null, blank, invalid, NUL and
# surrogate characters; a dict expected; the JSON parser's parse_error).
VALIDATION = {
    "required",
    "null",
    "blank",
    "invalid",
    "parse_error",
    "null_characters_not_allowed",
    "surrogate_characters_not_allowed",
}
TOKEN = {"token_not_valid"}  # upstream's InvalidToken: malformed, bad claims, expired, blacklisted
ENDPOINT_USER = {"no_active_account", "password_changed"}  # the policy at refresh, sliding refresh, verify
REQUEST_USER = {"user_not_found", "user_inactive", "password_changed"}  # the policy in JWTAuthentication
ROTATION = {"token_reused", "token_family_revoked", "token_already_rotated"}  # README "Errors"
HEADER = {"bad_authorization_header", "authentication_failed", "not_authenticated"}

ALLOWED: dict[str, dict[int, set[str]]] = {
    "obtain": {400: VALIDATION, 401: {"no_active_account"}},
    "refresh": {401: TOKEN | ENDPOINT_USER},
    "refresh-rotating": {401: TOKEN | ENDPOINT_USER | ROTATION},
    "sliding-refresh": {401: TOKEN | ENDPOINT_USER},
    # Item 1: an already-rotated token at verify or logout is a reuse (token_reused, family revoked).
    "verify": {401: TOKEN | ENDPOINT_USER | ROTATION},
    "blacklist": {401: TOKEN | ENDPOINT_USER | ROTATION},
    "blacklist-rotating": {401: TOKEN | ENDPOINT_USER | ROTATION},
    "me": {401: TOKEN | REQUEST_USER | HEADER | {"token_family_revoked"}},
}
# Endpoints whose 200 means "the user the token names passed the policy".
POLICY_ENDPOINTS = {"refresh", "refresh-rotating", "sliding-refresh", "verify", "me"}

JTI = "0123456789abcdef0123456789abcdef"
FAMILY = JTI
BEYOND_9999 = 253402300800  # 10000-01-01T00:00:00Z: datetime cannot hold it


# --- JSON text and signing ---------------------------------------------------------------------
class Raw:
    """JSON text written as is (numbers json.dumps cannot write, deep nesting)."""

    def __init__(self, text: str, desc: str | None = None) -> None:
        self.text = text
        self.desc = desc or repr(text)

    def __repr__(self) -> str:
        return f"Raw({self.desc})"

    def value(self) -> Any:
        """What Python's json module reads from it (inf for a 400-digit decimal); a marker if nothing."""
        try:
            return json.loads(self.text)
        except (ValueError, RecursionError):
            return self


def digits(lead: int, fill: int, count: int, tail: int) -> Raw:
    return Raw(f"{lead}{str(fill) * count}{tail}", f"'{lead}' + '{fill}' * {count} + '{tail}'")


def dumps(value: Any, ascii_only: bool = True, spaced: bool = False) -> str:
    comma, colon = (", ", ": ") if spaced else (",", ":")
    if isinstance(value, Raw):
        return value.text
    if value is None or isinstance(value, (bool, int, float)):
        return json.dumps(value)  # big ints as digits; floats are finite here
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=ascii_only)
    if isinstance(value, Pairs):
        items = value.items
    elif isinstance(value, dict):
        items = list(value.items())
    else:
        return "[" + comma.join(dumps(v, ascii_only, spaced) for v in value) + "]"
    return "{" + comma.join(dumps(k, ascii_only) + colon + dumps(v, ascii_only, spaced) for k, v in items) + "}"


@dataclass
class Pairs:
    """A JSON object as written: names may repeat (the last one wins in Python's json and in serde_json)."""

    items: list[tuple[str, Any]]

    def last(self, name: str, default: Any = None) -> Any:
        found = default
        for key, value in self.items:
            if key == name:
                found = value
        return found


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


HEADER_SEGMENT = b64(b'{"alg":"HS256","typ":"JWT"}')  # PyJWT's header for HS256, byte for byte


def sign(payload_text: str, key: str = KEY) -> str:
    """HS256 over the payload's JSON text; lone surrogates written as raw (invalid UTF-8) bytes."""
    signing_input = f"{HEADER_SEGMENT}.{b64(payload_text.encode('utf-8', 'surrogatepass'))}"
    signature = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


# --- strategies --------------------------------------------------------------------------------
NOTABLE_INTS = [
    0,
    1,
    -1,
    2,
    2**31 - 1,
    2**31,
    2**53,
    2**53 + 1,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63) - 1,
    10**20,
    253402300799,  # 9999-12-31T23:59:59Z
    BEYOND_9999,
    -62135596800,  # 0001-01-01
    -62135596801,
    10**400,
]
NOTABLE_FLOATS = [-0.0, 0.5, 5e-324, 2.2250738585072014e-308, 1e300, 1.7976931348623157e308, 253402300800.5, 1.0]
ODD_STRINGS = [
    "",
    " ",
    "\t",
    "\n",
    "1",
    "2",
    " 1",
    "1 ",
    "1\n",
    "\t1",
    "+1",
    "-1",
    "01",
    "001",
    "1.0",
    "1e0",
    "0x1",
    "1_0",
    "\u0661",  # ARABIC-INDIC DIGIT ONE
    "\uff11",  # FULLWIDTH DIGIT ONE
    "\U0001d7cf",  # MATHEMATICAL BOLD DIGIT ONE
    "NaN",
    "Infinity",
    "null",
    "true",
    "\x00",
    "1\x00",
    "\u2028",
    "\ufeff1",
    "\ud800",
    "\udfff",
    "a\ud83d",
    "\udc00b",
    "\U0001f600",
    "alice",
    "alice@example.com",
    "shared@example.com",
    "dave@example.com",
    " shared@example.com",
    "SHARED@example.com",
    "access",
    "refresh",
    "sliding",
    JTI,
    "9" * 400,
    "x" * 255,
    "x" * 256,
]
RAW_NUMBERS = st.one_of(
    # 400-digit integers and decimals without an exponent, negative ones, tiny ones.
    st.builds(digits, st.integers(1, 9), st.integers(0, 9), st.integers(300, 420), st.integers(0, 9)),
    st.builds(
        lambda whole, frac, neg: Raw(
            f"{'-' if neg else ''}{whole.text}.{frac.text}", f"{'-' if neg else ''}{whole.desc} + '.' + {frac.desc}"
        ),
        st.builds(digits, st.integers(1, 9), st.integers(0, 9), st.integers(1, 420), st.integers(0, 9)),
        st.builds(digits, st.integers(0, 9), st.integers(0, 9), st.integers(0, 420), st.integers(0, 9)),
        st.booleans(),
    ),
    st.integers(300, 420).map(lambda n: Raw("0." + "0" * n + "1", f"'0.' + '0' * {n} + '1'")),
    st.integers(300, 420).map(lambda n: Raw("-0." + "0" * n + "1", f"'-0.' + '0' * {n} + '1'")),
    # Python's int() refuses more than 4300 digits.
    st.sampled_from([4300, 4301, 5000]).map(lambda n: Raw("9" * n, f"'9' * {n}")),
    st.sampled_from(
        [
            Raw("1e400"),
            Raw("-1e400"),
            Raw("1E-400"),
            Raw("1e308"),
            Raw("2.5e-324"),
            Raw("-0"),
            Raw("-0.0"),
            Raw("0e0"),
            Raw("1.0e0"),
            Raw("253402300800.0"),
            Raw("253402300800e0"),
            Raw("1" + "0" * 20),
            # not JSON: the core must refuse them as malformed
            Raw("NaN"),
            Raw("Infinity"),
            Raw("01"),
            Raw("1."),
            Raw(".5"),
            Raw("+1"),
            Raw("0x10"),
        ]
    ),
)


def deep(max_depth: int) -> st.SearchStrategy[Raw]:
    return st.one_of(
        st.integers(1, max_depth).map(lambda d: Raw("[" * d + "]" * d, f"'[' * {d} + ']' * {d}")),
        st.integers(1, max_depth).map(
            lambda d: Raw('{"a":' * d + "1" + "}" * d, f"""'{{"a":' * {d} + '1' + '}}' * {d}""")
        ),
    )


strings = st.one_of(st.sampled_from(ODD_STRINGS), st.text(st.characters(exclude_categories=()), max_size=12))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(NOTABLE_INTS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(NOTABLE_FLOATS),
    strings,
    RAW_NUMBERS,
)
# Large values: beyond MAX_TOKEN_BYTES, nesting deeper than any parser's default limit.
large = st.one_of(st.sampled_from([1000, 10000, 40000]).map(lambda n: "y" * n), deep(5000))


nested = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(strings, children, max_size=4),
    max_leaves=8,
)
json_values = st.one_of(scalars, nested, large)
# Request bodies nest less deeply: DRF's JSONParser lets json's RecursionError escape as a 500 (a DRF
# fault, outside this package; see test_deeply_nested_request_body below).
body_values = st.one_of(scalars, nested, deep(400))


CLAIMS = [
    "user_id",
    "exp",
    "iat",
    "jti",
    "token_type",
    "token_family",
    "refresh_exp",
    "nbf",
    "aud",
    "iss",
    "sub",
    "hash_password",
    "user_pk",
    "after_revocation",
]
claim_names = st.one_of(st.sampled_from(CLAIMS), st.text(max_size=8))


@dataclass
class Case:
    """How a valid token for an existing user is made hostile."""

    changes: dict[str, Any] = field(default_factory=dict)  # claim -> value, replaced in place or added
    removed: frozenset[str] = frozenset()
    extra: tuple[tuple[str, Any], ...] = ()  # appended: repeats a name already written
    token_type: str | None = None  # for verify and the view: which kind of token (None: the endpoint's)
    ascii_only: bool = True  # strings as \\u escapes, or as UTF-8 (a lone surrogate: invalid UTF-8)
    spaced: bool = False
    recorded: bool = False  # an OutstandingToken row exists for the jti (as after obtain)
    then: tuple[str, ...] = ()  # further requests with the same token

    def __repr__(self) -> str:
        shown = {k: v for k, v in vars(self).items() if v != getattr(Case, k, None) and v not in ({}, (), frozenset())}
        return "Case(" + ", ".join(f"{k}={short(v)}" for k, v in shown.items()) + ")"


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 300 else f"{text[:150]}...<{len(text)} chars>...{text[-60:]}"


# Follow-up requests a case may make with the same token, under the endpoint's settings.
FOLLOW_UPS = {
    "refresh": ("refresh", "verify", "blacklist"),
    "refresh-rotating": ("refresh-rotating", "verify", "blacklist-rotating"),
    "sliding-refresh": ("sliding-refresh", "verify", "me"),
    "verify": ("verify", "refresh", "blacklist"),
    "blacklist": ("blacklist", "refresh", "verify"),
    "blacklist-rotating": ("blacklist-rotating", "refresh-rotating", "verify"),
    "me": ("me", "verify"),
}
TOKEN_TYPE = {
    "refresh": "refresh",
    "refresh-rotating": "refresh",
    "sliding-refresh": "sliding",
    "blacklist": "refresh",
    "blacklist-rotating": "refresh",
}
TOKEN_TYPES = {"verify": ("access", "refresh", "sliding"), "me": ("access", "sliding")}


def cases(endpoint: str) -> st.SearchStrategy[Case]:
    return st.builds(
        Case,
        changes=st.dictionaries(claim_names, json_values, max_size=3),
        removed=st.frozensets(st.sampled_from(CLAIMS), max_size=2),
        extra=st.lists(st.tuples(st.sampled_from(CLAIMS), json_values), max_size=1).map(tuple),
        token_type=st.sampled_from(TOKEN_TYPES.get(endpoint, (None,))),
        ascii_only=st.booleans(),
        spaced=st.booleans(),
        recorded=st.booleans(),
        then=st.lists(st.sampled_from(FOLLOW_UPS[endpoint]), max_size=1).map(tuple),
    )


# --- the world the tokens are sent into --------------------------------------------------------
@dataclass
class World:
    """The users, how a token names them, and which claim values are canonical for an active user."""

    subject: str  # the user_id written into the base token
    canonical: dict[str, User]  # "type:value" of each canonical claim value -> its user
    obtain_as: str = "alice"

    def user_for(self, value: Any) -> User | None:
        """The active user a claim value names exactly, or None."""
        if isinstance(value, Raw):
            value = value.value()
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            return None
        return self.canonical.get(f"{type(value).__name__}:{value}")


def pk_world() -> World:
    alice = User.objects.create_user("alice", password=PASSWORD, id=1)
    User.objects.create_user("bob", password=PASSWORD, id=2, is_active=False)
    User.objects.create_user("ten", password=PASSWORD, id=10)  # "1_0" is int("1_0") == 10
    canonical = {}
    for user in (alice, User.objects.get(id=10)):
        canonical[f"str:{user.pk}"] = user  # what for_user writes on simplejwt 5.5
        canonical[f"int:{user.pk}"] = user  # what it wrote up to 5.4
    return World(subject="1", canonical=canonical)


def email_world() -> World:
    """USER_ID_FIELD = "email" on auth.User, which does not make it unique: two users share one."""
    User.objects.create_user("alice", "shared@example.com", PASSWORD, id=1)
    User.objects.create_user("carol", "shared@example.com", PASSWORD, id=3)
    dave = User.objects.create_user("dave", "dave@example.com", PASSWORD, id=4)
    User.objects.create_user("erin", "erin@example.com", PASSWORD, id=5, is_active=False)
    return World(subject="shared@example.com", canonical={"str:dave@example.com": dave})


def base_claims(kind: str, subject: Any, now: int) -> dict[str, Any]:
    lifetime = 300 if kind == "access" else 86400
    claims: dict[str, Any] = {"token_type": kind, "exp": now + lifetime, "iat": now, "jti": JTI, "user_id": subject}
    if kind == "sliding":
        claims["refresh_exp"] = now + 86400
    else:
        claims["token_family"] = FAMILY
    return claims


def payload(case: Case, kind: str, subject: Any, now: int) -> Pairs:
    base = base_claims(kind, subject, now)
    items = [(k, case.changes.get(k, v)) for k, v in base.items() if k in case.changes or k not in case.removed]
    items += [(k, v) for k, v in case.changes.items() if k not in base]
    items += list(case.extra)
    return Pairs(items)


def send(api: APIClient, endpoint: str, token: str) -> Any:
    if endpoint.startswith("refresh"):
        return api.post("/api/token/refresh/", {"refresh": token}, format="json")
    if endpoint.startswith("blacklist"):
        return api.post("/api/token/blacklist/", {"refresh": token}, format="json")
    if endpoint == "sliding-refresh":
        return api.post("/api/token/sliding/refresh/", {"token": token}, format="json")
    if endpoint == "verify":
        return api.post("/api/token/verify/", {"token": token}, format="json")
    assert endpoint == "me"
    return api.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {token}")


def error_codes(response: Any) -> set[str]:
    """Every DRF error code in a response body."""
    data = response.data
    if isinstance(data, dict) and "code" in data:
        return {str(data["code"])}
    if isinstance(data, dict) and isinstance(data.get("detail"), ErrorDetail):
        return {data["detail"].code}
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, ErrorDetail):
            found.add(str(node.code))
        elif isinstance(node, dict):
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(data)
    return found


ABSENT = object()  # the token has no user id claim


def check(endpoint: str, response: Any, seen: Counter, named: Any, world: World) -> None:
    """No 5xx; a 4xx with documented codes only; a 200 at a policy endpoint for one exact user."""
    status = response.status_code
    assert status < 500, f"{endpoint}: {status} {getattr(response, 'data', None)!r}"
    if status >= 400:
        codes = error_codes(response)
        seen[(status, ",".join(sorted(codes)))] += 1
        allowed = ALLOWED[endpoint].get(status, set())
        assert codes and codes <= allowed, (
            f"{endpoint}: {status} with codes {codes}, allowed {allowed}: {response.data}"
        )
        return
    seen[(status, "")] += 1
    assert status == 200, f"{endpoint}: {status} {response.data!r}"
    if endpoint not in POLICY_ENDPOINTS:
        return
    user = world.user_for(named)
    if endpoint == "me":
        assert user is not None, f"me: 200 for user id claim {short(named)}"
        assert response.data["username"] == user.username, (response.data, short(named))
    else:
        assert named is ABSENT or named is None or user is not None, f"{endpoint}: 200 for user id {short(named)}"


HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


def run_property(
    name: str, strategy: Any, known: list[Any], one: Any, capsys: Any, record_property: Any, examples: int = EXAMPLES
) -> None:
    """``one(case, seen)`` for ``examples`` generated cases and the explicit ones; prints what ran and what came back.

    The counts include the follow-up requests a case makes (``Case.then``), each checked as its own endpoint.
    """
    seen: Counter = Counter()
    ran = Counter()

    def property_(case: Any) -> None:
        ran["examples"] += 1
        one(case, seen)

    test = settings(HYPOTHESIS, max_examples=examples)(given(case=strategy)(property_))
    for case in reversed(known):
        test = example(case=case)(test)
    test()
    summary = ", ".join(f"{status} {code or 'ok'}: {n}" for (status, code), n in sorted(seen.items()))
    with capsys.disabled():
        print(f"\n[hostile claims] {name}: {ran['examples']} examples; responses: {summary}")
    record_property("examples", ran["examples"])
    record_property("responses", summary)
    assert ran["examples"] >= examples, f"{name}: only {ran['examples']} examples ran"


# --- the known cases of item 4, at every endpoint, on every run ---------------------------------
DECIMAL_400 = Raw("1" + "0" * 399 + ".5", "'1' + '0' * 399 + '.5'")
INTEGER_400 = Raw("9" * 400, "'9' * 400")
KNOWN_CASES = [
    Case(),
    Case(then=("refresh", "verify")),
    Case(then=("blacklist", "refresh")),
    Case(changes={"user_id": {"id": 1}}),
    Case(changes={"user_id": ["1"]}),
    Case(changes={"user_id": ""}),
    Case(changes={"user_id": "abc"}),
    Case(changes={"user_id": None}),
    Case(changes={"user_id": None}, recorded=True),
    Case(removed=frozenset({"user_id"})),
    Case(changes={"user_id": DECIMAL_400}),
    Case(changes={"user_id": INTEGER_400}),
    Case(changes={"exp": BEYOND_9999}),
    Case(changes={"exp": 10**20}),
    Case(changes={"exp": DECIMAL_400}),
    Case(changes={"exp": INTEGER_400}),
    Case(changes={"refresh_exp": BEYOND_9999}, token_type="sliding"),
    Case(changes={"refresh_exp": DECIMAL_400}, token_type="sliding"),
    Case(changes={"iat": BEYOND_9999}),
    Case(changes={"iat": DECIMAL_400}),
    Case(changes={"token_family": {"a": 1}}, then=("refresh",)),
    Case(changes={"jti": "j" * 300}),
    Case(changes={"user_id": "\ud800"}, ascii_only=False),
    Case(changes={"user_id": "1"}, extra=(("user_id", "2"),)),
]


def rotating_name(endpoint: str, step: str) -> str:
    """Follow-ups run under the endpoint's settings: with rotation on, refresh and logout are the rotating ones."""
    if endpoint.endswith("-rotating") and step in ("refresh", "blacklist"):
        return f"{step}-rotating"
    return step


def run_token_endpoint(
    endpoint: str, world: World, now: int, capsys: Any, record_property: Any, examples: int = EXAMPLES
) -> None:
    api = APIClient()
    recorded_user = User.objects.get(id=1)

    def one(case: Case, seen: Counter) -> None:
        kind = case.token_type if endpoint in TOKEN_TYPES and case.token_type else None
        kind = kind or TOKEN_TYPE.get(endpoint) or TOKEN_TYPES[endpoint][0]
        pairs = payload(case, kind, world.subject, now)
        named = pairs.last("user_id", ABSENT)
        token = sign(dumps(pairs, case.ascii_only, case.spaced))
        note(f"token: {short(token)}")
        responses = []
        with transaction.atomic():
            if case.recorded:
                OutstandingToken.objects.create(
                    jti=JTI,
                    user=recorded_user,
                    token=token[:1000],
                    created_at=datetime.fromtimestamp(now, timezone.utc),
                    expires_at=datetime.fromtimestamp(now + 86400, timezone.utc),
                )
            for step in (endpoint, *case.then):
                step = rotating_name(endpoint, step)
                responses.append((step, send(api, step, token)))
            transaction.set_rollback(True)
        for step, response in responses:
            check(step, response, seen, named, world)

    run_property(endpoint, cases(endpoint), KNOWN_CASES, one, capsys, record_property, examples)


# --- obtain: arbitrary JSON bodies -------------------------------------------------------------
@dataclass
class Body:
    value: Any
    url: str = "/api/token/"
    ascii_only: bool = True
    spaced: bool = False

    def __repr__(self) -> str:
        return f"Body({short(self.value)}, url={self.url!r}, ascii_only={self.ascii_only}, spaced={self.spaced})"


credentials = st.one_of(
    st.sampled_from(["alice", "bob", "dave", " alice ", "ALICE", "alice\x00", "\ud800", PASSWORD, f" {PASSWORD}", ""]),
    body_values,
)
bodies = st.builds(
    Body,
    value=st.one_of(
        st.builds(
            lambda username, password, extra: Pairs([("username", username), ("password", password), *extra]),
            credentials,
            credentials,
            st.lists(st.tuples(st.sampled_from(["username", "password"]) | strings, body_values), max_size=2),
        ),
        st.lists(st.tuples(st.sampled_from(["username", "password"]) | strings, body_values), max_size=3).map(Pairs),
        body_values,
    ),
    url=st.sampled_from(["/api/token/", "/api/token/sliding/"]),
    ascii_only=st.booleans(),
    spaced=st.booleans(),
)
KNOWN_BODIES = [
    Body(Pairs([("username", "alice"), ("password", PASSWORD)])),
    Body(Pairs([("username", "alice"), ("password", PASSWORD)]), url="/api/token/sliding/"),
    Body(Pairs([("username", "bob"), ("password", PASSWORD)])),
    Body(Pairs([("username", {"a": 1}), ("password", PASSWORD)])),
    Body(Pairs([("username", ["alice"]), ("password", [PASSWORD])])),
    Body(Pairs([("username", DECIMAL_400), ("password", INTEGER_400)])),
    Body(Pairs([("username", Raw("9" * 5000, "'9' * 5000")), ("password", PASSWORD)])),
    Body(Pairs([("username", "\ud800"), ("password", PASSWORD)])),
    Body(Pairs([("username", "\ud800"), ("password", PASSWORD)]), ascii_only=False),
    Body(Pairs([("username", None), ("password", None)])),
    Body(Pairs([("username", "alice"), ("password", PASSWORD), ("username", "bob")])),
    Body(None),
    Body([]),
    Body("alice"),
    Body(Raw("[" * 400 + "]" * 400, "'[' * 400 + ']' * 400")),
]


def run_obtain(world: World, capsys: Any, record_property: Any) -> None:
    api = APIClient()

    def one(body: Body, seen: Counter) -> None:
        data = dumps(body.value, body.ascii_only, body.spaced).encode("utf-8", "surrogatepass")
        with transaction.atomic():
            response = api.post(body.url, data, content_type="application/json")
            transaction.set_rollback(True)
        check("obtain", response, seen, ABSENT, world)

    run_property("obtain", bodies, KNOWN_BODIES, one, capsys, record_property)


# --- the tests ---------------------------------------------------------------------------------
ENDPOINTS = [
    "obtain",
    "refresh",
    "refresh-rotating",
    "sliding-refresh",
    "verify",
    "blacklist",
    "blacklist-rotating",
    "me",
]


@pytest.fixture
def now(clock) -> int:
    return int(clock.now)


def endpoint_settings(endpoint: str) -> dict[str, Any]:
    return {**AUTH_CLASSES, **(ROTATING if endpoint.endswith("-rotating") else {})}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_no_signed_claims_make_a_500(endpoint, now, capsys, record_property):
    world = pk_world()
    with simple_jwt(**endpoint_settings(endpoint)):
        if endpoint == "obtain":
            run_obtain(world, capsys, record_property)
        else:
            run_token_endpoint(endpoint, world, now, capsys, record_property)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e != "obtain"])  # obtain looks up no user id
def test_no_signed_claims_make_a_500_with_a_non_unique_user_id_field(endpoint, now, capsys, record_property):
    """USER_ID_FIELD = "email" on auth.User (not unique): a token naming a shared email names no one user."""
    world = email_world()
    with simple_jwt(USER_ID_FIELD="email", **endpoint_settings(endpoint)):
        run_token_endpoint(endpoint, world, now, capsys, record_property, EMAIL_EXAMPLES)


def test_sign_writes_what_pyjwt_writes():
    claims = {"token_type": "access", "exp": 2000000000, "iat": 1, "jti": JTI, "user_id": "1", "x": ["é", {"y": None}]}
    assert sign(dumps(Pairs(list(claims.items())))) == jwt.encode(claims, KEY, algorithm="HS256")


@pytest.mark.parametrize("url", ["/api/token/", "/api/token/refresh/", "/api/token/verify/"])
def test_deeply_nested_request_body(api, url):
    """A request body nested 5000 deep is a 400 like any body that is not what the view takes.

    Today DRF's JSONParser lets json's RecursionError escape (a 500), at every view that parses JSON.
    """
    body = ("[" * 5000 + "]" * 5000).encode()
    response = APIClient(raise_request_exception=False).post(url, body, content_type="application/json")
    assert response.status_code == 400


# --- item 5: a user id claim matches one user, exactly ------------------------------------------
# Each of these is coerced to pk 1 (or 10) by Django's field lookup; none is what for_user writes.
NOT_CANONICAL = {
    "true": (True, 1),
    "1.0": (1.0, 1),
    "1.9": (1.9, 1),
    "space 1": (" 1", 1),
    "1 newline": ("1\n", 1),
    "tab 1": ("\t1", 1),
    "plus 1": ("+1", 1),
    "01": ("01", 1),
    "arabic-indic 1": ("\u0661", 1),
    "fullwidth 1": ("\uff11", 1),
    "mathematical bold 1": ("\U0001d7cf", 1),
    "1_0": ("1_0", 10),
}


@pytest.fixture
def users(db):
    return pk_world()


def forge(kind: str, user_id: Any, now: int, **extra: Any) -> str:
    claims = {**base_claims(kind, user_id, now), **extra}
    return jwt.encode(claims, KEY, algorithm="HS256")


@pytest.mark.parametrize("endpoint", ["me", "refresh", "verify"])
@pytest.mark.parametrize("name", NOT_CANONICAL)
def test_a_user_id_in_another_form_names_no_user(api, users, now, endpoint, name):
    value, pk = NOT_CANONICAL[name]
    assert users.user_for(value) is None and User.objects.filter(pk=pk).exists()
    response = send(api, endpoint, forge("access" if endpoint == "me" else "refresh", value, now))
    assert response.status_code == 401, (name, response.data)
    assert error_codes(response) == ({"user_not_found"} if endpoint == "me" else {"no_active_account"})


@pytest.mark.parametrize("endpoint", ["me", "refresh", "verify"])
@pytest.mark.parametrize("value", ["1", 1], ids=["str", "int"])
def test_the_canonical_user_id_names_its_user(api, users, now, endpoint, value):
    """What for_user writes: "1" (simplejwt 5.5) or 1 (up to 5.4; such tokens may still be in use)."""
    response = send(api, endpoint, forge("access" if endpoint == "me" else "refresh", value, now))
    assert response.status_code == 200, response.data
    if endpoint == "me":
        assert response.data["username"] == "alice"


def test_a_null_user_id_is_user_not_found(api, users, now):
    response = send(api, "me", forge("access", None, now))
    assert (response.status_code, error_codes(response)) == (401, {"user_not_found"}), response.data


@pytest.fixture
def shared_email(db):
    world = email_world()
    with simple_jwt(USER_ID_FIELD="email"):
        yield world


@pytest.mark.parametrize("endpoint", ["me", "refresh", "verify", "sliding-refresh", "blacklist"])
def test_a_user_id_two_users_share_names_no_user(api, shared_email, now, endpoint):
    """USER_ID_FIELD = "email" on auth.User: a token naming an email two users share is refused, never a 500."""
    kind = {"me": "access", "sliding-refresh": "sliding"}.get(endpoint, "refresh")
    response = send(api, endpoint, forge(kind, "shared@example.com", now))
    if endpoint == "blacklist":  # logging out needs no user
        assert response.status_code in (200, 401), response.data
        return
    assert response.status_code == 401, response.data
    assert error_codes(response) == ({"user_not_found"} if endpoint == "me" else {"no_active_account"})


@pytest.mark.parametrize("endpoint", ["me", "refresh", "verify", "sliding-refresh"])
def test_a_user_id_one_user_has_names_that_user(api, shared_email, now, endpoint):
    kind = {"me": "access", "sliding-refresh": "sliding"}.get(endpoint, "refresh")
    dave = shared_email.canonical["str:dave@example.com"]
    response = send(api, endpoint, forge(kind, "dave@example.com", now, user_pk=str(dave.pk)))
    assert response.status_code == 200, response.data
    # USER_ID_FIELD is not the primary key: without the account's pk the token names nobody (issue 19, item 9).
    response = send(api, endpoint, forge(kind, "dave@example.com", now))
    assert response.status_code == 401, response.data
