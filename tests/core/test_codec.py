"""The Codec API: claims validation settings, encoding rules, refresh."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import time
import uuid

import jwt
import pytest
from simplejwt_rs import ALGORITHMS, Codec, new_jti
from simplejwt_rs import exceptions as exc

from . import keys

NOW = int(time.time())
SECRET = keys.HMAC_SECRET


def codec(**kwargs) -> Codec:
    return Codec("HS256", SECRET, **kwargs)


def test_algorithms_listed():
    # keys.ALL: what PyJWT also implements; Ed25519 (RFC 9864) is tested in test_ed25519.py.
    assert set(ALGORITHMS) == {*keys.ALL, "Ed25519"}


def test_exp_boundary_and_leeway():
    c = codec()
    with pytest.raises(exc.ExpiredTokenError):
        c.decode(c.encode({"exp": NOW}), now=NOW)
    assert c.decode(c.encode({"exp": NOW + 1}), now=NOW)
    lenient = codec(leeway=dt.timedelta(seconds=10))
    assert lenient.leeway == 10
    assert lenient.decode(c.encode({"exp": NOW - 9}), now=NOW)
    with pytest.raises(exc.ExpiredTokenError):
        lenient.decode(c.encode({"exp": NOW - 10}), now=NOW)
    assert codec(leeway=2.5).decode(c.encode({"nbf": NOW + 2}), now=NOW)
    with pytest.raises(exc.ImmatureTokenError):
        c.decode(c.encode({"nbf": NOW + 2}), now=NOW)
    with pytest.raises(exc.ImmatureTokenError):
        c.decode(c.encode({"iat": NOW + 2}), now=NOW)
    with pytest.raises(ValueError):
        codec(leeway=-1)


def test_audience_checked_only_when_configured():
    c = codec()
    token = c.encode({"aud": "someone-else"})
    assert c.decode(token) == {"aud": "someone-else"}
    api = codec(audience="api")
    assert api.audience == ["api"]
    with pytest.raises(exc.InvalidAudienceError):
        api.decode(token)
    with pytest.raises(exc.MissingClaimError) as err:
        api.decode(c.encode({}))
    assert err.value.claim == "aud"
    assert codec(audience=["web", "api"]).decode(c.encode({"aud": ["x", "api"]}))
    with pytest.raises(TypeError):
        codec(audience=5)


def test_issuer_checked_only_when_configured():
    c = codec()
    assert c.decode(c.encode({"iss": "them"}))
    me = codec(issuer="me")
    with pytest.raises(exc.InvalidIssuerError):
        me.decode(c.encode({"iss": "them"}))
    with pytest.raises(exc.MissingClaimError):
        me.decode(c.encode({}))
    assert me.decode(c.encode({"iss": "me"})) == {"iss": "me"}


def test_simplejwt_token_checks_in_one_call():
    c = codec()
    full = {"token_type": "access", "exp": NOW + 3600, "jti": new_jti()}
    kwargs = {"token_type": "access", "jti_claim": "jti", "require_exp": True}
    assert c.decode(c.encode(full), **kwargs) == full
    for missing in ("token_type", "exp", "jti"):
        with pytest.raises(exc.MissingClaimError) as err:
            c.decode(c.encode({k: v for k, v in full.items() if k != missing}), **kwargs)
        assert err.value.claim == missing
    with pytest.raises(exc.WrongTokenTypeError):
        c.decode(c.encode({**full, "token_type": "refresh"}), **kwargs)
    custom = {"typ_claim": "access", "exp": NOW + 3600, "my_jti": "1"}
    assert c.decode(c.encode(custom), token_type="access", token_type_claim="typ_claim", jti_claim="my_jti")


def test_unverified_decode_skips_signature_and_claims_but_not_format():
    token = jwt.encode({"exp": NOW - 100}, "another-secret-" * 5, algorithm="HS384")
    assert codec().decode(token, verify=False) == {"exp": NOW - 100}
    with pytest.raises(exc.InvalidTokenError):
        codec().decode("a.b", verify=False)


def test_datetime_time_claims_become_epoch_seconds_like_pyjwt():
    exp = dt.datetime.now(dt.timezone.utc).replace(microsecond=654321) + dt.timedelta(minutes=5)
    naive = dt.datetime(2030, 1, 1, 12, 0, 0)
    payload = {"exp": exp, "iat": naive, "other": 1}
    assert codec().encode(payload) == jwt.encode(payload, SECRET, algorithm="HS256")
    assert codec().decode(codec().encode(payload), verify=False)["exp"] == int(exp.timestamp())
    assert isinstance(payload["exp"], dt.datetime)  # the caller's dict is untouched


class Name(str):
    """A str subclass as a claim name: written as its text, never taken into the name cache."""


def test_names_written_again_from_the_name_cache_mean_the_same():
    # The first encode writes each name and keeps it (by object) in json_out's RenderedNames; the
    # later ones copy it from there. Both must be PyJWT's bytes, time claims still converted.
    exp = dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
    names = ["exp", "iat", "nbf", "user_id", "é", 'a"b', "x" * 40, Name("exp"), Name("other")]
    for round_ in range(3):
        for name in names:
            payload = {name: exp, "n": round_} if name in ("exp", "iat", "nbf") else {name: round_, "exp": exp}
            expected = jwt.encode(payload, SECRET, algorithm="HS256")
            assert codec().encode(payload) == expected, (round_, name)


def test_a_nested_encode_from_default_writes_the_same_names():
    # The encoder's default encodes again on the same thread, while the outer encode holds the cache.
    inner = codec()

    class Nested(json.JSONEncoder):
        def default(self, o):
            return inner.encode({"exp": 1, "user_id": str(o)})

    payload = {"exp": 2, "user_id": uuid.UUID(int=9)}
    expected = jwt.encode(payload, SECRET, algorithm="HS256", json_encoder=Nested)
    for _ in range(2):
        assert codec(json_encoder=Nested).encode(payload) == expected


class Encoder(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, (uuid.UUID, decimal.Decimal)):
            return str(o)
        if isinstance(o, set):
            return sorted(o)
        return super().default(o)


def test_json_encoder_default_is_used_for_unknown_types():
    payload = {"id": uuid.UUID(int=7), "price": decimal.Decimal("1.10"), "tags": {"b", "a"}}
    c = codec(json_encoder=Encoder)
    assert c.encode(payload) == jwt.encode(payload, SECRET, algorithm="HS256", json_encoder=Encoder)
    with pytest.raises(TypeError, match="not JSON serializable"):
        c.encode({"x": object()})
    with pytest.raises(TypeError, match="UUID is not JSON serializable"):
        codec().encode(payload)


def test_payload_changed_by_the_encoders_default_raises_runtime_error():
    # The payload's items are read borrowed from the dict (json_out::for_each_item): an encoder
    # default that removes the item being written, or others, must not crash or panic.
    payload: dict = {"a": 1}

    class Mutating(json.JSONEncoder):
        def default(self, o: object) -> object:
            payload.clear()
            return "replaced"

    payload = {"a": 1, "x": object(), "b": "after", "nested": {"k": 2}}
    with pytest.raises(RuntimeError, match="changed size during iteration"):
        codec(json_encoder=Mutating).encode(payload)
    inner: dict = {}

    class MutatingInner(json.JSONEncoder):
        def default(self, o: object) -> object:
            inner.clear()
            inner["new"] = o.__class__.__name__
            return 7

    inner.update({"x": object(), "y": object()})
    with pytest.raises(RuntimeError, match="changed size during iteration"):
        codec(json_encoder=MutatingInner).encode({"inner": inner, "tail": 1})
    # Same size, other keys: still no crash; what is written is what was read.
    swapped: dict = {}

    class Swapping(json.JSONEncoder):
        def default(self, o: object) -> object:
            swapped.pop("x", None)
            swapped["z"] = "late"
            return "swapped"

    swapped.update({"x": object(), "y": 1})
    assert c_decode(codec(json_encoder=Swapping).encode(swapped))["x"] == "swapped"


def c_decode(token: str) -> dict:
    return codec().decode(token, verify=False)


def test_unencodable_payloads_raise_clear_errors():
    c = codec()
    with pytest.raises(TypeError, match="mapping"):
        c.encode(["not", "a", "mapping"])
    with pytest.raises(TypeError, match="keys must be"):
        c.encode({(1, 2): "tuple key"})
    with pytest.raises(ValueError, match="not JSON compliant"):
        c.encode({"x": float("nan")})
    loop: dict = {}
    loop["self"] = loop
    with pytest.raises(ValueError, match="Circular"):
        c.encode(loop)
    with pytest.raises(exc.InvalidAlgorithmError):
        c.encode({}, {"alg": "HS512"})
    with pytest.raises(exc.InvalidTokenError, match="Key ID"):
        c.encode({}, {"kid": 5})


def test_non_dict_mappings_are_accepted():
    from types import MappingProxyType

    assert codec().decode(codec().encode(MappingProxyType({"a": 1}))) == {"a": 1}


def test_float_repr_matches_python(subtests=None):
    import random

    rng = random.Random(1234)
    values = [rng.uniform(-1e20, 1e20) for _ in range(300)]
    values += [10.0**e for e in range(-20, 25)] + [rng.random() * 10.0 ** rng.randint(-300, 300) for _ in range(300)]
    values += [5e-324, 1.7976931348623157e308, 0.1 + 0.2, 1 / 3]
    token = codec().encode({"v": values})
    assert token == jwt.encode({"v": values}, SECRET, algorithm="HS256")


def test_repr_never_shows_keys():
    c = Codec("HS256", "super-secret-value-do-not-print-0123456789")
    assert "super-secret" not in repr(c)
    assert "HS256" in repr(c)
    with pytest.raises(exc.InvalidKeyError) as err:
        Codec("RS256", "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldA==\n-----END PRIVATE KEY-----\n")
    assert "c2VjcmV0" not in str(err.value)


def test_new_jti_looks_like_uuid4_hex():
    values = {new_jti() for _ in range(1000)}
    assert len(values) == 1000
    for value in list(values)[:50]:
        assert uuid.UUID(hex=value).version == 4
        assert value == uuid.UUID(hex=value).hex


# ---- refresh ----

REFRESH = {"token_type": "refresh", "exp": NOW + 3600, "iat": NOW - 10, "jti": "r" * 32, "user_id": 7, "extra": [1]}


def test_refresh_mints_access_in_simplejwt_order():
    c = codec()
    seen = []
    result = c.refresh(c.encode(REFRESH), lambda claims: seen.append(claims) or True, access_lifetime=300, now=NOW)
    assert seen == [REFRESH]
    access = c.decode(result["access"], token_type="access", jti_claim="jti", require_exp=True, now=NOW)
    assert access == result["access_claims"]
    assert list(access) == ["token_type", "exp", "iat", "jti", "user_id", "extra"]
    assert access["exp"] == NOW + 300 and access["iat"] == NOW and access["jti"] != REFRESH["jti"]
    assert result["refresh"] is None and result["refresh_claims"] is None
    assert result["claims"] == REFRESH


def test_refresh_rotates():
    c = codec()
    result = c.refresh(
        c.encode(REFRESH),
        lambda _: 1,
        access_lifetime=dt.timedelta(minutes=5),
        refresh_lifetime=dt.timedelta(days=1),
        rotate=True,
        now=NOW + 0.9,
    )
    rotated = c.decode(result["refresh"], token_type="refresh", jti_claim="jti", now=NOW)
    assert rotated == result["refresh_claims"]
    assert list(rotated) == list(REFRESH)
    assert rotated["exp"] == NOW + 86400 and rotated["iat"] == NOW and rotated["jti"] != REFRESH["jti"]
    assert rotated["user_id"] == 7
    with pytest.raises(ValueError, match="refresh_lifetime"):
        c.refresh(c.encode(REFRESH), lambda _: True, access_lifetime=300, rotate=True)


def test_refresh_refuses_inactive_user_and_propagates_callback_errors():
    c = codec()
    token = c.encode(REFRESH)
    with pytest.raises(exc.UserInactiveError) as err:
        c.refresh(token, lambda _: False, access_lifetime=300)
    assert err.value.code == "user_inactive"

    class Boom(Exception):
        pass

    def explode(_):
        raise Boom("from the callback")

    with pytest.raises(Boom, match="from the callback"):
        c.refresh(token, explode, access_lifetime=300)


def test_refresh_callback_cannot_change_what_is_minted():
    c = codec()

    def meddle(claims):
        claims["user_id"] = 999
        return True

    result = c.refresh(c.encode(REFRESH), meddle, access_lifetime=300)
    assert result["access_claims"]["user_id"] == 7


def test_refresh_verifies_before_calling_back():
    c = codec()
    calls = []
    cases = [
        ({**REFRESH, "token_type": "access"}, exc.WrongTokenTypeError),
        ({**REFRESH, "exp": NOW - 1}, exc.ExpiredTokenError),
        ({k: v for k, v in REFRESH.items() if k != "jti"}, exc.MissingClaimError),
    ]
    for claims, error in cases:
        with pytest.raises(error):
            c.refresh(c.encode(claims), calls.append, access_lifetime=300)
    with pytest.raises(exc.InvalidSignatureError):
        c.refresh(Codec("HS256", SECRET + "x").encode(REFRESH), calls.append, access_lifetime=300)
    assert calls == []
    with pytest.raises(ValueError):
        c.refresh(c.encode(REFRESH), calls.append, access_lifetime=0)


def test_refresh_without_type_or_jti_claims():
    # simplejwt's TOKEN_TYPE_CLAIM = None / JTI_CLAIM = None: tokens carry neither.
    c = codec()
    bare = {"exp": NOW + 3600, "iat": NOW, "user_id": 7}
    result = c.refresh(
        c.encode(bare),
        lambda _: True,
        access_lifetime=300,
        refresh_lifetime=600,
        rotate=True,
        token_type_claim=None,
        jti_claim=None,
        now=NOW,
    )
    assert result["access_claims"] == {"exp": NOW + 300, "iat": NOW, "user_id": 7}
    assert result["refresh_claims"] == {"exp": NOW + 600, "iat": NOW, "user_id": 7}
    # With a type claim configured, a typeless token is refused.
    with pytest.raises(exc.MissingClaimError):
        c.refresh(c.encode(bare), lambda _: True, access_lifetime=300, jti_claim=None)


@pytest.mark.parametrize(
    "payload_json",
    [
        "{}",
        '{"a":1,"a":2}',
        '{"":0,"exp":' + str(NOW + 3600) + ',"aud":["x","y"],"nested":{"k":[1,{"z":null}]}}',
        '{"big":123456789012345678901234567890,"neg":-98765432109876543210,"f":1e300,"g":-0.0,"h":1.5e-7}',
        '{"s":"\\u00e9\\ud83d\\ude00\\n\\"q\\"","t":true,"u":false,"v":null,"w":[]}',
        '{"exp":' + str(NOW + 99) + ',"exp":' + str(NOW - 99) + "}",
        ' { "spaced" : [ 1 , 2 ] } ',
    ],
)
def test_decoded_payload_equals_json_loads(payload_json):
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(payload_json.encode())
    signature = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + b64(signature)
    expected = json.loads(payload_json)
    assert codec().decode(token, verify=False) == expected
    if expected.get("exp", NOW + 1) > NOW:
        assert codec().decode(token) == expected
    else:  # duplicate names: the last one counts for validation too
        with pytest.raises(exc.ExpiredTokenError):
            codec().decode(token)


def test_decoder_binds_the_requirements():
    c = codec()
    decode_access = c.decoder(token_type="access", jti_claim="jti", require_exp=True)
    full = {"token_type": "access", "exp": NOW + 3600, "jti": "j"}
    assert decode_access(c.encode(full)) == full
    assert decode_access(c.encode(full), NOW) == full
    assert decode_access.codec is c
    with pytest.raises(exc.WrongTokenTypeError):
        decode_access(c.encode({**full, "token_type": "refresh"}))
    with pytest.raises(exc.MissingClaimError):
        decode_access(c.encode({"token_type": "access", "exp": NOW + 3600}))
    with pytest.raises(exc.ExpiredTokenError):
        decode_access(c.encode(full), NOW + 3600)


def test_refresh_callback_may_return_the_successors_extra_claims():
    c = codec()
    token = c.encode(REFRESH)
    seen = []

    def admit(claims):
        seen.append(dict(claims))
        return {"family": "fam-1", "jti": "chosen-by-caller"}

    result = c.refresh(token, admit, access_lifetime=300, refresh_lifetime=3600, rotate=True, now=NOW)
    assert seen == [REFRESH]
    successor = c.decode(result["refresh"], token_type="refresh", jti_claim="jti", now=NOW)
    assert successor == result["refresh_claims"]
    # Set after the fresh exp/iat/jti, so they may replace them; the access token does not get them.
    assert successor["family"] == "fam-1" and successor["jti"] == "chosen-by-caller"
    assert successor["exp"] == NOW + 3600
    assert "family" not in result["access_claims"]
    # An empty mapping admits too (it is falsy, but a mapping); without rotation extra claims are ignored.
    assert c.refresh(token, lambda _: {}, access_lifetime=300)["refresh"] is None
    assert c.refresh(token, lambda _: {"family": "x"}, access_lifetime=300)["refresh_claims"] is None
    # The returned mapping is the one way to set them (the older `rotated_claims` argument is gone).
    with pytest.raises(TypeError, match="rotated_claims"):
        c.refresh(token, admit, access_lifetime=300, refresh_lifetime=3600, rotate=True, rotated_claims={})  # type: ignore[call-arg]
    for refused in (False, None, 0, ""):
        with pytest.raises(exc.UserInactiveError):
            c.refresh(token, lambda _, r=refused: r, access_lifetime=300)


def test_out_of_range_settings_are_invalid_setting_errors():
    # Not InvalidKeyError (leeway is no key) and not a token error (no 401 may hide a bad setting).
    with pytest.raises(exc.InvalidSettingError, match="leeway"):
        codec(leeway=-1)
    with pytest.raises(exc.InvalidSettingError, match="leeway"):
        codec(leeway=float("nan"))
    c = codec()
    token = c.encode(REFRESH)
    for lifetimes in ({"access_lifetime": 0}, {"access_lifetime": 300, "refresh_lifetime": -1, "rotate": True}):
        with pytest.raises(exc.InvalidSettingError, match="lifetimes"):
            c.refresh(token, lambda _: True, **lifetimes)
    with pytest.raises(exc.InvalidSettingError, match="refresh_lifetime"):
        c.refresh(token, lambda _: True, access_lifetime=300, rotate=True)


@pytest.mark.parametrize("alg", ["HS256", "RS256"])
def test_a_key_that_is_not_text_never_leaks_into_the_exception(alg):
    # An environment variable with undecodable bytes arrives as a str holding lone surrogates.
    secret = "top-secret-material-" + "\udcff" + "-more-secret-material"
    for args in ((alg, secret), (alg, None, secret), (alg, {"kty": "oct", "k": secret})):
        with pytest.raises(exc.InvalidKeyError) as err:
            Codec(*args)
        for text in (repr(err.value), str(err.value), repr(err.value.args), repr(err.value.__cause__)):
            assert "secret-material" not in text
        assert err.value.__context__ is None or "secret-material" not in repr(err.value.__context__)


def test_help_shows_arguments_defaults_returns_and_errors():
    import inspect

    from simplejwt_rs import DEFAULT_MAX_TOKEN_BYTES, Codec, Decoder

    signature = inspect.signature(Codec)
    assert signature.parameters["max_token_bytes"].default == DEFAULT_MAX_TOKEN_BYTES  # not `...`
    assert all(p.default is not Ellipsis for p in signature.parameters.values())
    for method, words in [
        (Codec, ["algorithm", "signing_key", "leeway", "InvalidKeyError"]),
        (Codec.encode, ["payload", "headers", "returns the token"]),
        (Codec.decode, ["verify", "token_type", "jti_claim", "require_exp", "now", "ExpiredTokenError"]),
        (Codec.decoder, ["decoder(token, now=None)"]),
        (Codec.refresh, ["access_claims", "refresh_claims", "claims", "UserInactiveError", "Mapping", "rotate"]),
        (Decoder, ["decoder(token, now=None)", "claims"]),
    ]:
        doc = inspect.getdoc(method) or ""
        assert all(word in doc for word in words), (method, doc)


def test_floats_are_written_as_float_repr_even_where_two_spellings_round_trip():
    """Found by hypothesis: Rust's shortest formatter wrote 562949953421312.3 where json.dumps writes .2."""
    import base64
    import json

    payload = {"": 562949953421312.2, "small": 1e-05, "big": 1e16}
    token = codec().encode(payload)
    body = token.split(".")[1]
    assert (
        base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)) == json.dumps(payload, separators=(",", ":")).encode()
    )


def test_claim_names_survive_the_name_cache():
    # Claim names are cached as str (payload.rs, 64 slots; never interned: see test_hostile):
    # collisions replace entries, long names bypass the cache, registered names come from a
    # table; each dict stays exact.
    c = codec()
    names = [f"claim_{i}" for i in range(300)] + ["x" * 31, "y" * 32, "é" * 5, "", "a", "exp", "sub"]
    for round_ in range(3):
        payload = {name: f"{name}-{round_}" for name in names} | {"exp": 4_000_000_000, "sub": "s"}
        assert c.decode(c.encode(payload)) == payload
