"""Supply chain and secret hygiene: no `rsa` crate (RUSTSEC-2023-0071) anywhere in
the dependency tree, overflow checks in release, the lock files committed, and
key material never in exception messages, repr() or logs."""

from __future__ import annotations

import json
import logging
import pathlib
import re
import shutil
import subprocess
import traceback

import pytest
from simplejwt_rs import Codec
from simplejwt_rs import exceptions as exc

from . import keys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def lock_packages(lock: pathlib.Path) -> set[str]:
    return set(re.findall(r'^name = "([^"]+)"$', lock.read_text(), flags=re.M))


# ---- dependencies -----------------------------------------------------------------------------


@pytest.mark.parametrize("lock", ["Cargo.lock", "fuzz/Cargo.lock"])
def test_rsa_crate_is_not_locked(lock):
    packages = lock_packages(ROOT / lock)
    assert {"jsonwebtoken", "aws-lc-rs"} <= packages  # the parse works
    assert "rsa" not in packages


def test_rsa_crate_is_not_in_the_dependency_tree():
    cargo = shutil.which("cargo")
    assert cargo, "cargo is needed to build this package"

    def tree(*args: str, edges: str = "normal,dev") -> subprocess.CompletedProcess:
        return subprocess.run(
            [cargo, "tree", "--offline", "--locked", "--all-features", "--edges", edges, *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )

    present = tree("--invert", "aws-lc-rs")
    assert present.returncode == 0, present.stderr
    assert "jsonwebtoken" in present.stdout  # the query finds crates that are there
    absent = tree("--invert", "rsa")
    assert absent.returncode != 0
    assert "did not match any packages" in absent.stderr
    # jsonwebtoken is the tests' and the fuzzer's reference only: nothing at run time links it.
    runtime = tree(edges="normal")
    assert runtime.returncode == 0, runtime.stderr
    assert "aws-lc-rs" in runtime.stdout and "jsonwebtoken" not in runtime.stdout


def test_jsonwebtoken_uses_aws_lc_only():
    manifest = (ROOT / "Cargo.toml").read_text()
    line = next(line for line in manifest.splitlines() if line.startswith("jsonwebtoken"))
    assert "default-features = false" in line and '"aws_lc_rs"' in line and "rust_crypto" not in line


def test_release_profile_has_overflow_checks():
    manifest = (ROOT / "Cargo.toml").read_text()
    release = manifest.split("[profile.release]", 1)[1].split("\n[", 1)[0]
    assert re.search(r"^overflow-checks\s*=\s*true\s*$", release, flags=re.M)


def test_lock_files_and_deny_policy_are_committed():
    files = subprocess.run(
        ["git", "ls-files", "Cargo.lock", "fuzz/Cargo.lock", "deny.toml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert sorted(files) == ["Cargo.lock", "deny.toml", "fuzz/Cargo.lock"]
    deny = (ROOT / "deny.toml").read_text()
    assert re.search(r'\{ crate = "rsa"', deny)


# ---- secrets never leak ---------------------------------------------------------------------

HMAC_SECRET = "hmac-secret-Vk8p2QzL7wXy4RtN9bJm3HcF6dGs1AeK0uTo5iPl"


def fragments(material: str) -> list[str]:
    """Distinctive pieces of key material: the secret itself, each PEM body line, JWK values."""
    if "-----BEGIN" in material:
        return [line for line in material.splitlines() if line and not line.startswith("-----")]
    return [material]


def jwk_secrets(jwk: dict) -> list[str]:
    return [jwk[k] for k in ("d", "p", "q", "dp", "dq", "qi", "k") if k in jwk]


def secret_material() -> list[str]:
    out = [HMAC_SECRET, keys.HMAC_SECRET]
    for alg in ("RS256", "ES256", "ES384", "EdDSA"):
        for fmt in ("pkcs8", "pkcs1" if alg == "RS256" else "sec1" if alg.startswith("ES") else "pkcs8"):
            out += fragments(keys.private_pem(alg, fmt))
        out += jwk_secrets(keys.jwk(alg, private=True))
    return out


def bad_constructions() -> list:
    """Codec constructions that must fail, each holding secret material."""
    rsa_pem = keys.private_pem("RS256")
    ec_pem = keys.private_pem("ES256")
    ed_pem = keys.private_pem("EdDSA")
    rsa_jwk = keys.jwk("RS256", private=True)
    ec_jwk = keys.jwk("ES256", private=True)
    truncated = "\n".join(rsa_pem.splitlines()[:-3] + ["-----END PRIVATE KEY-----"])
    corrupted = rsa_pem.replace(rsa_pem.splitlines()[5], rsa_pem.splitlines()[5][::-1])
    return [
        lambda: Codec("HS256", rsa_pem),  # a PEM as an HMAC secret
        lambda: Codec("HS256", ec_pem.encode()),
        lambda: Codec("RS256", ec_pem),  # wrong key type
        lambda: Codec("ES384", ec_pem),  # wrong curve
        lambda: Codec("EdDSA", rsa_pem),
        lambda: Codec("ES256", ed_pem),
        lambda: Codec("RS256", truncated),
        lambda: Codec("RS256", corrupted),
        lambda: Codec("RS256", HMAC_SECRET),  # a secret where a PEM belongs
        lambda: Codec("RS256", ec_jwk),
        lambda: Codec("ES384", ec_jwk),
        lambda: Codec("ES256", {**ec_jwk, "d": ec_jwk["d"][:-4]}),
        lambda: Codec("RS256", {**rsa_jwk, "alg": "PS256"}),
        lambda: Codec("RS256", {**rsa_jwk, "use": "enc"}),
        lambda: Codec("RS256", {**rsa_jwk, "n": 5}),
        lambda: Codec("RS256", json.dumps({**rsa_jwk, "kty": "oct"})),
        lambda: Codec("HS256", {"kty": "oct", "k": HMAC_SECRET + "!!"}),
        lambda: Codec("HS256", {"kty": "RSA", "k": HMAC_SECRET}),
        lambda: Codec("HS256", b""),
        lambda: Codec("HS256", HMAC_SECRET, leeway=float("nan")),
        lambda: Codec("none", HMAC_SECRET),
        lambda: Codec("HS256", object()),
    ]


def bad_uses() -> list:
    """Operations on well-built codecs that must fail."""
    hs = Codec("HS256", HMAC_SECRET, audience="api", issuer="me")
    rs = Codec("RS256", keys.private_pem("RS256"))
    ec_jwk = Codec("ES256", keys.jwk("ES256", private=True))
    verify_only = Codec("ES256", None, keys.public_pem("ES256"))
    good = hs.encode({"aud": "api", "iss": "me", "token_type": "refresh", "jti": "j", "exp": 4_102_444_800})
    return [
        lambda: hs.decode(good[:-3] + "AAA"),
        lambda: hs.decode(good, token_type="access"),
        lambda: hs.decode(rs.encode({"a": 1})),
        lambda: hs.decode("x" * 100_000),
        lambda: hs.decode("a.b.c"),
        lambda: hs.decode(Codec("HS256", HMAC_SECRET).encode({"a": 1})),  # no audience
        lambda: hs.refresh(good, lambda claims: False, access_lifetime=60),
        lambda: hs.refresh(good, lambda claims: True, access_lifetime=-1),
        lambda: hs.encode({"x": object()}),
        lambda: hs.encode({"a": 1}, {"alg": "none"}),
        lambda: rs.decode(ec_jwk.encode({"a": 1})),
        lambda: rs.encode({"x": float("nan")}),
        lambda: ec_jwk.decode(ec_jwk.encode({"exp": 1})),
        lambda: verify_only.encode({"a": 1}),
        lambda: verify_only.decode(ec_jwk.encode({"a": 1})[:-6] + "AAAAAA"),
    ]


def test_secrets_are_absent_from_errors_reprs_and_logs(caplog):
    secrets = secret_material()
    assert all(len(s) >= 16 for s in secrets)
    log = logging.getLogger("simplejwt_rs.test")
    seen = []
    with caplog.at_level(logging.DEBUG):
        for attempt in bad_constructions() + bad_uses():
            with pytest.raises(Exception) as info:  # noqa: B017 (any exception; its text is what matters)
                attempt()
            err = info.value
            # What an application would log, traceback and chained causes included.
            log.error("token or key rejected: %s", err, exc_info=err)
            log.warning("%r", err)
            seen.append(err)
            texts = [str(err), repr(err), "".join(traceback.format_exception(err)), repr(err.args)]
            for text in texts:
                leaked = [s for s in secrets if s in text]
                assert not leaked, f"{type(err).__name__} leaks key material: {text[:200]}"
    # Most of these are our own classes; the rest are plain TypeError/ValueError.
    assert sum(isinstance(e, exc.JWTError) for e in seen) >= len(seen) - 6
    assert any(isinstance(e, exc.InvalidKeyError) for e in seen)
    assert caplog.records, "the logging capture works"
    assert not [s for s in secrets if s in caplog.text]


def test_codec_repr_shows_settings_not_keys(caplog):
    secrets = secret_material()
    codecs = [
        Codec("HS256", HMAC_SECRET, audience=["api"], issuer="me", leeway=5),
        Codec("HS512", keys.HMAC_SECRET.encode()),
        Codec("HS256", {"kty": "oct", "k": "aG1hYy1zZWNyZXQtVms4cDJRekw3d1h5NFJ0TjliSm0zSGNGNmRHczFBZUswdVRvNWlQbA"}),
        Codec("RS256", keys.private_pem("RS256")),
        Codec("RS256", keys.private_pem("RS256", "pkcs1")),
        Codec("ES256", keys.private_pem("ES256", "sec1")),
        Codec("ES384", keys.jwk("ES384", private=True)),
        Codec("EdDSA", json.dumps(keys.jwk("EdDSA", private=True))),
        Codec("RS256", keys.jwk("RS256", private=True)),
    ]
    secrets.append("aG1hYy1zZWNyZXQtVms4cDJRekw3d1h5NFJ0TjliSm0zSGNGNmRHczFBZUswdVRvNWlQbA")
    with caplog.at_level(logging.DEBUG):
        for codec in codecs:
            for text in (repr(codec), str(codec), f"{codec!r:>10}"):
                assert text.startswith("Codec(algorithm=")
                assert not [s for s in secrets if s in text]
            logging.getLogger("simplejwt_rs.test").info("configured %r", codec)
    assert 'Codec(algorithm="HS256"' in caplog.text or "Codec(algorithm='HS256'" in caplog.text
    assert not [s for s in secrets if s in caplog.text]
    # No attribute hands the keys back either.
    for codec in codecs:
        public = {name: getattr(codec, name) for name in dir(codec) if not name.startswith("_")}
        values = repr({k: v for k, v in public.items() if not callable(v)})
        assert not [s for s in secrets if s in values]
