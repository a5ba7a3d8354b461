"""System checks for SIMPLE_JWT["KEYS"] (E040-E046, and E008/E004/W001 as they apply to a key set).

This module is also a URLconf (``urlpatterns`` below): a verify-only service that routes no view that mints.
"""

from __future__ import annotations

import json

import pytest
from django.core import checks
from django.test import override_settings
from django.urls import path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from simplejwt_rs import views
from simplejwt_rs.checks import check_classes, check_jwk_url, check_keys, check_routes, check_settings

from tests.core.keys import pkcs8_pem, spki_pem
from tests.django.helpers import simple_jwt
from tests.django.test_keys import ec_key, ed_key, rotation_keys, rsa_key

# A verify-only service: the key set's public keys, published; nothing that mints.
urlpatterns = [path(".well-known/jwks.json", views.JWKSView.as_view())]
VERIFY_ONLY = override_settings(ROOT_URLCONF=__name__)

CHECKS = (check_settings, check_classes, check_routes, check_jwk_url, check_keys)


def messages():
    return [message for check in CHECKS for message in check()]


def ids():
    return sorted(message.id for message in messages())


def text(found) -> str:
    return "\n".join(f"{message.msg} {message.hint or ''}" for message in found)


def body(pem: str) -> str:
    """The base64 of a PEM, which no message may contain."""
    return "".join(line for line in pem.splitlines() if "-----" not in line)


def assert_no_key_material(found, *keys):
    shown = text(found)
    for key in keys:
        for line in (body(key) if "-----" in key else key).splitlines():
            assert line[:40] not in shown
    assert "PRIVATE KEY" not in shown


def test_a_rotation_key_set_is_clean():
    with simple_jwt(**rotation_keys()):
        assert ids() == []
    with VERIFY_ONLY, simple_jwt(ALGORITHM="RS256", KEYS=[{"kid": "v", "verifying_key": spki_pem(rsa_key("old"))}]):
        assert ids() == []  # verify-only: no entry signs, no route mints
    with simple_jwt(KEYS=[{"kid": "h", "signing_key": "h" * 64}]):
        assert ids() == ["simplejwt_rs.W046"]  # an HS256 key set, and the project routes JWKSView: nothing to publish


def test_registered_with_django():
    keys = [{"kid": "a", "signing_key": "a" * 64}, {"kid": "a", "verifying_key": "b" * 64}]
    with simple_jwt(KEYS=keys):
        assert "simplejwt_rs.E040" in {message.id for message in checks.run_checks(tags=[checks.Tags.security])}


@pytest.mark.parametrize(
    ("keys", "says"),
    [
        ({"kid": "a", "signing_key": "x" * 64}, "must be a list"),
        ("[...]", "must be a list"),
        ([("kid", "a")], "entry 0 must be a dict"),
        ([{"kid": "a", "signing_key": "x" * 64, "private_key": "x"}], "unknown members ['private_key']"),
        ([{"signing_key": "x" * 64}], "entry 0 needs a 'kid'"),
        ([{"kid": "", "signing_key": "x" * 64}], "entry 0 needs a 'kid'"),
        ([{"kid": 7, "signing_key": "x" * 64}], "entry 0 needs a 'kid'"),
        ([{"kid": "a", "algorithm": "RS256"}], "entry 'a' has neither 'signing_key' nor 'verifying_key'"),
        ([{"kid": "a", "signing_key": 12345}], "entry 'a': 'signing_key' must be"),
        ([{"kid": "a", "algorithm": ["RS256"], "signing_key": "x" * 64}], "entry 'a': 'algorithm' must be"),
    ],
)
def test_a_key_set_of_the_wrong_shape_is_e008(keys, says):
    with simple_jwt(KEYS=keys):
        found = messages()
    assert [message.id for message in found] == ["simplejwt_rs.E008"]
    assert says in found[0].msg
    assert "ImproperlyConfigured" in found[0].msg


def test_e008_never_shows_the_keys():
    private = pkcs8_pem(rsa_key("new"))
    with simple_jwt(KEYS=[{"kid": "a", "signing_key": private, "comment": "x"}]):
        found = messages()
    assert [message.id for message in found] == ["simplejwt_rs.E008"]
    assert_no_key_material(found, private)


def test_duplicate_kids_e040():
    keys = [
        {"kid": "2026-11", "signing_key": pkcs8_pem(rsa_key("new"))},
        {"kid": "2026-11", "verifying_key": spki_pem(rsa_key("old"))},
        {"kid": "x", "verifying_key": spki_pem(rsa_key("old"))},
        {"kid": "x", "verifying_key": spki_pem(rsa_key("old"))},
    ]
    with simple_jwt(ALGORITHM="RS256", KEYS=keys):
        found = messages()
    assert [message.id for message in found] == ["simplejwt_rs.E040"]
    assert "'2026-11', 'x'" in found[0].msg


def test_no_entry_can_sign_e041():
    verify_only = [{"kid": "old", "verifying_key": spki_pem(rsa_key("old"))}]
    with simple_jwt(ALGORITHM="RS256", KEYS=verify_only):
        found = [message for message in messages() if message.id == "simplejwt_rs.E041"]
        assert ids() == ["simplejwt_rs.E041"]
    assert "'api/token/'" in found[0].msg  # the first route that mints, by name
    with VERIFY_ONLY, simple_jwt(ALGORITHM="RS256", KEYS=verify_only):
        assert ids() == []


@pytest.mark.parametrize(
    ("entry", "algorithm"),
    [
        ({"kid": "k1", "signing_key": pkcs8_pem(ec_key("ec"))}, "RS256"),  # an EC key for RS256
        ({"kid": "k1", "verifying_key": spki_pem(rsa_key("old"))}, "ES256"),  # an RSA key for ES256
        ({"kid": "k1", "algorithm": "EdDSA", "verifying_key": spki_pem(rsa_key("old"))}, "RS256"),
        ({"kid": "k1", "algorithm": "HS256", "verifying_key": spki_pem(rsa_key("old"))}, "RS256"),  # PEM as secret
        ({"kid": "k1", "algorithm": "ES384", "signing_key": pkcs8_pem(ec_key("ec"))}, "RS256"),  # P-256 for ES384
        ({"kid": "k1", "algorithm": "RS999", "signing_key": pkcs8_pem(rsa_key("new"))}, "RS256"),
        ({"kid": "k1", "signing_key": "not a PEM at all"}, "RS256"),
        ({"kid": "k1", "verifying_key": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}}, "ES256"),
    ],
)
def test_a_key_that_does_not_fit_its_algorithm_e042(entry, algorithm):
    keys = [entry, {"kid": "fine", "signing_key": pkcs8_pem(rsa_key("new")), "algorithm": "RS256"}]
    with simple_jwt(ALGORITHM=algorithm, KEYS=keys):
        found = messages()
    assert [message.id for message in found] == ["simplejwt_rs.E042"]
    assert "entry 'k1'" in found[0].msg
    assert_no_key_material(found, *(value for value in entry.values() if isinstance(value, str) and "---" in value))


def test_a_private_key_as_verifying_key_e043():
    private = rsa_key("old")
    private_jwk = json.loads(RSAAlgorithm.to_jwk(private))
    cases = {
        "PEM": pkcs8_pem(private),
        "JWK dict": private_jwk,
        "JWK text": json.dumps(private_jwk),
        "EC JWK": json.loads(ECAlgorithm.to_jwk(ec_key("ec"))),
    }
    for case, key in cases.items():
        algorithm = "ES256" if case == "EC JWK" else "RS256"
        keys = [
            {"kid": "new", "algorithm": "RS256", "signing_key": pkcs8_pem(rsa_key("new"))},
            {"kid": "old", "algorithm": algorithm, "verifying_key": key},
        ]
        with simple_jwt(ALGORITHM="RS256", KEYS=keys):
            found = messages()
        assert [message.id for message in found] == ["simplejwt_rs.E043"], case
        assert "entry 'old'" in found[0].msg
        assert_no_key_material(found, pkcs8_pem(private))
        assert private_jwk["d"][:20] not in text(found)
    # The public halves are fine, and so is an HMAC secret as an HMAC entry's verifying key.
    public = [
        {"kid": "new", "signing_key": pkcs8_pem(rsa_key("new"))},
        {"kid": "old", "verifying_key": spki_pem(private)},
        {"kid": "jwk", "verifying_key": json.loads(RSAAlgorithm.to_jwk(private.public_key()))},
        {"kid": "ed", "algorithm": "EdDSA", "verifying_key": spki_pem(ed_key("ed"))},
        {"kid": "hs", "algorithm": "HS256", "verifying_key": "k" * 64},
    ]
    with simple_jwt(ALGORITHM="RS256", KEYS=public):
        assert ids() == []


def test_top_level_keys_beside_a_key_set_w044():
    private, public = pkcs8_pem(rsa_key("old")), spki_pem(rsa_key("old"))
    with simple_jwt(**rotation_keys(VERIFYING_KEY=public)):
        found = messages()
    assert [message.id for message in found] == ["simplejwt_rs.W044"]
    assert "SIMPLE_JWT['VERIFYING_KEY'] no longer signs" in found[0].msg
    assert "REFRESH_TOKEN_LIFETIME" in found[0].hint
    with simple_jwt(**rotation_keys(SIGNING_KEY=private, VERIFYING_KEY=public)):
        found = messages()
    assert [message.id for message in found] == ["simplejwt_rs.W044"]
    assert "SIMPLE_JWT['SIGNING_KEY'] and SIMPLE_JWT['VERIFYING_KEY']" in found[0].msg
    # The fallback keys must fit ALGORITHM (E004), and an HMAC one be long enough (W001).
    with simple_jwt(**rotation_keys(VERIFYING_KEY=spki_pem(ec_key("ec")))):
        assert ids() == ["simplejwt_rs.E004", "simplejwt_rs.W044"]
    keys = [{"kid": "rs", "algorithm": "RS256", "signing_key": pkcs8_pem(rsa_key("new"))}]
    with simple_jwt(ALGORITHM="HS256", SIGNING_KEY="short", KEYS=keys):
        assert ids() == ["simplejwt_rs.W001", "simplejwt_rs.W044"]


def test_settings_a_key_set_replaces_are_not_reported():
    """E002 (RS256 without VERIFYING_KEY), W001 (the SECRET_KEY default), E030/E031 (JWK_URL while minting)
    concern SIGNING_KEY/VERIFYING_KEY, which a key set leaves to tokens without a kid."""
    with simple_jwt(**rotation_keys()):
        assert ids() == []
    with simple_jwt(**rotation_keys(JWK_URL="http://127.0.0.1:9/jwks.json")):
        assert ids() == []  # the key set signs, and its tokens carry its kid
    with simple_jwt(ALGORITHM="RS256", SIGNING_KEY=pkcs8_pem(rsa_key("new")), JWK_URL="http://127.0.0.1:9/j"):
        assert "simplejwt_rs.E030" in ids()  # (without KEYS they still are)


def test_jwk_url_with_an_hmac_algorithm_w045():
    with simple_jwt(KEYS=[{"kid": "h", "signing_key": "h" * 64}], JWK_URL="http://127.0.0.1:9/jwks.json"):
        assert ids() == ["simplejwt_rs.W045", "simplejwt_rs.W046"]


def test_a_published_key_set_whose_signer_is_hmac_w046():
    keys = [
        {"kid": "h", "signing_key": "h" * 64},
        {"kid": "rs", "algorithm": "RS256", "verifying_key": spki_pem(rsa_key("old"))},
    ]
    with VERIFY_ONLY, simple_jwt(KEYS=keys):
        found = messages()
    assert [message.id for message in found] == ["simplejwt_rs.W046"]
    assert "'h'" in found[0].msg and "'.well-known/jwks.json'" in found[0].msg


def test_short_hmac_entries_w001():
    keys = [{"kid": "s", "signing_key": "s" * 31}, {"kid": "v", "algorithm": "HS512", "verifying_key": b"v" * 63}]
    with simple_jwt(KEYS=keys):
        found = messages()
    assert sorted(message.id for message in found) == ["simplejwt_rs.W001", "simplejwt_rs.W001", "simplejwt_rs.W046"]
    assert "entry 's' signing_key is 31 bytes" in text(found)
    assert "entry 'v' verifying_key is 63 bytes; HS512 needs at least 64" in text(found)


# --- whatever the shape of KEYS, the checks answer and show no key ----------------------------------------

PRIVATE_PEM = pkcs8_pem(rsa_key("new"))
KEY_VALUES = st.sampled_from(
    [
        PRIVATE_PEM,
        spki_pem(rsa_key("old")),
        pkcs8_pem(ec_key("ec")),
        spki_pem(ec_key("ec")),
        pkcs8_pem(ed_key("ed")),
        spki_pem(ed_key("ed")),
        "k" * 64,
        "short",
        "",
        b"b" * 40,
        json.loads(RSAAlgorithm.to_jwk(rsa_key("old"))),
        json.loads(RSAAlgorithm.to_jwk(rsa_key("old").public_key())),
        '{"kty": "oct", "k": "c2VjcmV0"}',
        "{not json",
        {"kty": "EC"},
        {},
        None,
        0,
        1.5,
        ["RS256"],
    ]
)
KIDS = st.one_of(st.text(max_size=6), st.sampled_from(["a", "b", ""]), st.none(), st.integers())
ALGORITHMS = st.one_of(
    st.sampled_from(["RS256", "ES256", "ES384", "EdDSA", "HS256", "HS512", "PS256", "none", "XX1"]), st.integers()
)
# Entries with the right member names (so that most reach the per-entry checks), and a stray one at times.
ENTRIES = st.fixed_dictionaries(
    {},
    optional={
        "kid": KIDS,
        "algorithm": ALGORITHMS,
        "signing_key": KEY_VALUES,
        "verifying_key": KEY_VALUES,
        "use": st.just("sig"),
    },
)
KEY_SETS = st.one_of(
    st.lists(ENTRIES, max_size=5),
    st.lists(
        st.builds(lambda kid, key: {"kid": kid, "signing_key": key}, st.sampled_from("ab"), KEY_VALUES), max_size=4
    ),
    st.tuples(ENTRIES),
    KEY_VALUES,
    st.text(max_size=5),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(keys=KEY_SETS, algorithm=st.sampled_from(["RS256", "HS256", "ES256", "EdDSA"]))
def test_any_key_set_gets_an_answer_and_never_shows_a_key(keys, algorithm):
    with simple_jwt(ALGORITHM=algorithm, KEYS=keys):
        found = messages()
    for message in found:
        assert isinstance(message, checks.CheckMessage)
        assert message.id.startswith("simplejwt_rs.")
    assert_no_key_material(found, PRIVATE_PEM, pkcs8_pem(ec_key("ec")), pkcs8_pem(ed_key("ed")))
    assert "k" * 64 not in text(found)


@pytest.mark.parametrize(
    ("algorithm", "signing_key", "verifying_key"),
    [
        ("HS256", "s" * 64, "v" * 64),
        ("RS256", pkcs8_pem(rsa_key("new")), spki_pem(rsa_key("old"))),
        ("ES256", pkcs8_pem(ec_key("ec")), spki_pem(ec_key("other-ec"))),
        ("EdDSA", pkcs8_pem(ed_key("ed")), spki_pem(ed_key("other-ed"))),
    ],
)
def test_a_key_pair_that_does_not_match_is_a_check_error(algorithm, signing_key, verifying_key):
    """Issue 19, item 10: it used to build, pass with only W046, and mint tokens the service refused."""
    entry = {"kid": "mismatch", "algorithm": algorithm, "signing_key": signing_key, "verifying_key": verifying_key}
    with simple_jwt(ALGORITHM="RS256", KEYS=[entry]):
        found = messages()
        assert "simplejwt_rs.E042" in {m.id for m in found}
        assert "mismatch" in text(found) and "not one key pair" in text(found)
        assert_no_key_material(found, signing_key, verifying_key)
    with simple_jwt(ALGORITHM=algorithm, SIGNING_KEY=signing_key, VERIFYING_KEY=verifying_key):
        found = messages()
        assert "simplejwt_rs.E004" in {m.id for m in found} or algorithm == "HS256"  # HS*: VERIFYING_KEY unused
        assert_no_key_material(found, signing_key, verifying_key)
