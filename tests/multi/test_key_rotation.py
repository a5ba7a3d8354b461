"""Key rotation without downtime, over real HTTP: two gunicorn servers sharing PostgreSQL (and Redis).

- A rolling rotation under load (issue 13): client threads send authenticated GETs and refreshes (single-use
  rotation on) to whichever servers are up, while the servers are replaced one at a time:

    phase 0  the old key signs on A and B
    phase 1  the new key added, verify-only: A replaced, then B
    phase 2  the new key signs on A (the old one verifies)
    phase 3  ... and on B; then the refresh lifetime passes, so every token the old key signed expires
    phase 4  the old key dropped: A replaced, then B

  A replacement starts the new server, puts it in the pool, takes the old one out, waits for its requests
  in flight and stops it: at least one server is always up. Each request is judged when sent: its token
  is "valid when sent" if unexpired and signed by a key in the receiving server's KEYS. Zero refusals of a
  valid token, zero 5xx, zero connection errors; every minted token carries the receiving server's signer.
  Afterwards, the negative control: a token signed by a key no server has (under a known kid or its own),
  and one signed by the dropped key, are refused by both servers.
- Interop: a server with KEYS publishes its JWK set; PyJWT's PyJWKClient and a second, verify-only server
  configured with JWK_URL pointing at it verify the tokens it mints.

Settings reach each server through MULTI_SIMPLE_JWT (tests/multi/settings.py). Run by `make test-multi`.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from harness.server import Server, start
from tests.core.keys import PRIVATE_JWK_MEMBERS, pkcs8_pem, spki_pem
from tests.multi.client import PASSWORD, answers, call, create_users
from tests.multi.report import REPORT

ROOT = Path(__file__).resolve().parents[2]
ACCESS_SECONDS = int(os.environ.get("ROTATION_ACCESS_SECONDS", "3"))
REFRESH_SECONDS = int(os.environ.get("ROTATION_REFRESH_SECONDS", "6"))
CLIENTS = int(os.environ.get("ROTATION_CLIENTS", "6"))
PHASE_SECONDS = float(os.environ.get("ROTATION_PHASE_SECONDS", "2"))
# A client refreshes when its access token has less than this left, so no token is sent near its expiry.
REFRESH_MARGIN = 1.5
OPTIONS = ["--workers", "2", "--worker-class", "gthread", "--threads", "4"]
JWKS = "/.well-known/jwks.json"


KEY = {name: rsa.generate_private_key(public_exponent=65537, key_size=2048) for name in ("old", "new", "stranger")}
SIGN = {name: {"kid": name, "signing_key": pkcs8_pem(key)} for name, key in KEY.items()}
VERIFY = {name: {"kid": name, "verifying_key": spki_pem(key)} for name, key in KEY.items()}
# Each phase's KEYS; the first entry with a signing key signs.
PHASE_KEYS = {
    0: [SIGN["old"]],
    1: [SIGN["old"], VERIFY["new"]],
    2: [SIGN["new"], VERIFY["old"]],
    4: [SIGN["new"]],
}


def unverified(token: str) -> tuple[str | None, float]:
    """The token's kid and exp, read without verifying (the client's view of what it holds)."""
    return jwt.get_unverified_header(token).get("kid"), jwt.decode(token, options={"verify_signature": False})["exp"]


@dataclass
class Live:
    """One running server: its KEYS as of its start, and the requests it is serving."""

    name: str
    phase: int
    server: Server
    kids: frozenset[str]
    signer: str
    inflight: int = 0

    @property
    def port(self) -> int:
        return self.server.port


class Pool:
    """The servers the load generator may send to."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.live: list[Live] = []
        self.low_water = 99  # the fewest servers up at any moment

    def pick(self, rng: random.Random) -> Live:
        with self.cond:
            live = rng.choice(self.live)
            live.inflight += 1
            return live

    def release(self, live: Live) -> None:
        with self.cond:
            live.inflight -= 1
            self.cond.notify_all()

    def add(self, live: Live) -> None:
        with self.cond:
            self.live.append(live)

    def drain(self, live: Live) -> None:
        """Take ``live`` out and wait until nothing is in flight to it."""
        with self.cond:
            self.live.remove(live)
            self.low_water = min(self.low_water, len(self.live))
            assert self.live, "no server left up"
            assert self.cond.wait_for(lambda: live.inflight == 0, timeout=60)


@dataclass
class Stats:
    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, phase: str, *keys: str) -> None:
        with self.lock:
            for key in keys:
                self.counts[phase][key] += 1

    def problem(self, text: str) -> None:
        with self.lock:
            if len(self.problems) < 50:
                self.problems.append(text)


class Rotation:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.pool = Pool()
        self.stats = Stats()
        self.phase = "0"
        self.stopped: list[Live] = []
        self.started: list[Live] = []  # every server, stopped at the end whatever happens
        self.done = threading.Event()

    def start(self, name: str, phase: int, **extra) -> Live:
        keys = PHASE_KEYS[phase]
        settings = {
            "ALGORITHM": "RS256",
            "ACCESS_TOKEN_LIFETIME": ACCESS_SECONDS,
            "REFRESH_TOKEN_LIFETIME": REFRESH_SECONDS,
            "KEYS": keys,
            **extra,
        }
        env = {**self.env, "MULTI_SIMPLE_JWT": json.dumps(settings)}
        server = start("tests.multi.wsgi", cwd=ROOT, env=env, options=OPTIONS, ready=answers)
        signer = next(entry["kid"] for entry in keys if "signing_key" in entry)
        live = Live(name, phase, server, frozenset(entry["kid"] for entry in keys), signer)
        self.started.append(live)
        return live

    def replace(self, old: Live, phase: int) -> Live:
        """Rolling: the new server joins, then the old one leaves once its requests are answered."""
        new = self.start(old.name, phase)
        self.pool.add(new)
        self.pool.drain(old)
        old.server.stop()
        self.stopped.append(old)
        return new

    def client(self, index: int, username: str) -> None:
        rng = random.Random(index)
        access = refresh = None
        while not self.done.is_set():
            live = self.pool.pick(rng)
            phase = self.phase
            try:
                if refresh is None:
                    kind, token = "obtain", None
                elif unverified(access)[1] - time.time() < REFRESH_MARGIN:
                    kind, token = "refresh", refresh
                else:
                    kind, token = "get", access
                if token is None:
                    valid = True
                else:
                    kid, exp = unverified(token)
                    valid = kid in live.kids and exp > time.time()
                try:
                    if kind == "obtain":
                        status, data, _h = call(
                            live.port, "POST", "/api/token/", {"username": username, "password": PASSWORD}
                        )
                    elif kind == "refresh":
                        status, data, _h = call(live.port, "POST", "/api/token/refresh/", {"refresh": refresh})
                    else:
                        path = "/api/me/" if rng.random() < 0.5 else "/api/me/stateless/"
                        status, data, _h = call(live.port, "GET", path, token=access)
                except OSError as exc:
                    self.stats.add(phase, "requests", kind, "connection errors")
                    self.stats.problem(f"phase {phase} {kind} to {live.name}{live.phase}: {exc!r}")
                    continue
            finally:
                self.pool.release(live)
            outcome = self.judge(phase, live, kind, token, valid, status, data)
            if kind in ("obtain", "refresh") and status == 200:
                access, refresh = data["access"], data["refresh"]
                minted = {unverified(access)[0], unverified(refresh)[0]}
                if minted != {live.signer}:
                    self.stats.add(phase, "minted with another kid")
                    self.stats.problem(f"phase {phase}: {live.name}{live.phase} (signer {live.signer}) minted {minted}")
            elif kind == "refresh" and outcome != "ok":
                access = refresh = None  # start over with a new login
            time.sleep(rng.uniform(0, 0.01))

    def judge(self, phase, live, kind, token, valid, status, data) -> str:
        if status == 200:
            outcome = "ok" if valid else "accepted although not valid"
            if token is not None and unverified(token)[0] != live.signer:
                self.stats.add(phase, "accepted under a verify-only key")
        elif status in (401, 403):
            outcome = "refused although valid" if valid else "refused, not valid"
        elif status >= 500:
            outcome = "5xx"
        else:
            outcome = f"status {status}"
        self.stats.add(phase, "requests", kind, outcome)
        if outcome not in ("ok", "refused, not valid"):
            self.stats.problem(f"phase {phase} {kind} to {live.name}{live.phase}: {status} {data}")
        return outcome

    def wait(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))

    def settle(self) -> None:
        """The phase's load: PHASE_SECONDS, and on a slow machine until each client has refreshed in it."""
        self.wait(PHASE_SECONDS)
        deadline = time.monotonic() + 30
        while self.stats.counts[self.phase]["refresh"] < CLIENTS and time.monotonic() < deadline:
            time.sleep(0.1)


def published_kids(port: int) -> list[str]:
    status, data, headers = call(port, "GET", JWKS)
    assert status == 200, data
    assert headers["Cache-Control"] == "public, max-age=300"
    for jwk in data["keys"]:
        assert not PRIVATE_JWK_MEMBERS & set(jwk), jwk
    return [jwk["kid"] for jwk in data["keys"]]


def resigned(token: str, key: str, kid: str) -> str:
    """``token``'s claims (user, password fingerprint, family) with a fresh jti, signed by ``key`` under ``kid``."""
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["jti"] = f"control-{key}-{kid}-{time.time_ns()}"
    return jwt.encode(claims, pkcs8_pem(KEY[key]), algorithm="RS256", headers={"kid": kid})


def test_rolling_key_rotation_under_load(project_env):
    rotation = Rotation(project_env)
    a = rotation.start("A", 0)
    b = rotation.start("B", 0)
    rotation.pool.add(a)
    rotation.pool.add(b)
    names = [f"rotation-{i}-{time.time_ns()}" for i in range(CLIENTS)]
    create_users(a.port, names)
    threads = [threading.Thread(target=rotation.client, args=(i, name), daemon=True) for i, name in enumerate(names)]
    began = time.monotonic()
    timeline = []
    control_seen: dict[tuple[str, str, str], int] = {}

    def mark(text: str) -> None:
        timeline.append(f"{time.monotonic() - began:5.1f} s  {text}")

    try:
        for thread in threads:
            thread.start()
        mark("phase 0: old signs on A and B")
        rotation.settle()
        assert published_kids(a.port) == ["old"]

        rotation.phase = "1"
        mark("phase 1: new added verify-only, A then B")
        a = rotation.replace(a, 1)
        rotation.wait(PHASE_SECONDS / 2)
        b = rotation.replace(b, 1)
        rotation.settle()
        assert published_kids(a.port) == published_kids(b.port) == ["old", "new"]

        rotation.phase = "2"
        mark("phase 2: new signs on A")
        a = rotation.replace(a, 2)
        rotation.settle()
        assert published_kids(a.port) == ["new", "old"]

        rotation.phase = "3"
        mark("phase 3: new signs on B")
        b = rotation.replace(b, 2)
        old_signer_gone = time.monotonic()  # no server can sign with the old key from here on
        # Every token the old key signed expires within the refresh lifetime (the longer one) of this.
        rotation.wait(old_signer_gone + REFRESH_SECONDS + 1 - time.monotonic())

        rotation.phase = "4"
        mark("phase 4: old dropped, A then B")
        a = rotation.replace(a, 4)
        rotation.wait(PHASE_SECONDS / 2)
        b = rotation.replace(b, 4)
        rotation.settle()
        assert published_kids(a.port) == published_kids(b.port) == ["new"]
        rotation.done.set()
        for thread in threads:
            thread.join(timeout=60)
        mark("load stopped")

        # The negative control, on the phase-4 servers: keys no server has, and the dropped key. Each token is
        # a fresh access token's claims re-signed, so only the key can be why it is refused.
        status, data, _h = call(a.port, "POST", "/api/token/", {"username": names[0], "password": PASSWORD})
        assert status == 200, data
        fresh = data["access"]
        control = {
            "minted by the server (sanity)": (fresh, 200),
            "re-signed by the new key (sanity)": (resigned(fresh, "new", "new"), 200),
            "a stranger's key under the signer's kid": (resigned(fresh, "stranger", "new"), 401),
            "a stranger's key under its own kid": (resigned(fresh, "stranger", "stranger"), 401),
            "the dropped key, unexpired": (resigned(fresh, "old", "old"), 401),
            "the dropped key under the new kid": (resigned(fresh, "old", "new"), 401),
        }
        for case, (token, expected) in control.items():
            for live in (a, b):
                for path in ("/api/me/", "/api/me/stateless/"):
                    status, data, _h = call(live.port, "GET", path, token=token)
                    control_seen[(case, live.name, path)] = status
                    assert status == expected, (case, live.name, path, data)
    finally:
        rotation.done.set()
        for thread in threads:
            thread.join(timeout=60)
        for live in rotation.started:
            live.server.stop()
    for live in rotation.started:
        assert "Traceback" not in live.server.output, live.server.output[-4000:]

    counts = rotation.stats.counts
    phases = sorted(counts)
    total = sum((counts[phase] for phase in phases), Counter())
    lines = [
        f"key rotation: {CLIENTS} clients, access {ACCESS_SECONDS} s, refresh {REFRESH_SECONDS} s, "
        f"fewest servers up {rotation.pool.low_water}",
        *timeline,
    ]
    for phase in [*phases, "all"]:
        c = total if phase == "all" else counts[phase]
        lines.append(
            f"phase {phase}: {c['requests']} requests ({c['get']} GET, {c['refresh']} refresh, {c['obtain']} obtain), "
            f"{c['ok']} ok, {c['accepted under a verify-only key']} accepted under a verify-only key, "
            f"{c['refused although valid']} refused although valid, {c['refused, not valid']} refused not valid, "
            f"{c['accepted although not valid']} accepted although not valid, {c['5xx']} 5xx, "
            f"{c['connection errors']} connection errors, {c['minted with another kid']} minted with another kid"
        )
    lines.append(
        f"negative control: {len(control_seen)} requests on the phase-4 servers, all as expected (2 sanity kinds 200, "
        "4 kinds 401)"
    )
    REPORT.extend(lines)
    print("\n".join(lines))

    assert rotation.stats.problems == [], rotation.stats.problems
    assert rotation.pool.low_water >= 1
    assert total["requests"] == total["ok"]  # every request valid when sent, and accepted
    for bad in ("refused although valid", "accepted although not valid", "5xx", "connection errors"):
        assert total[bad] == 0, bad
    assert total["minted with another kid"] == 0
    for phase in ("0", "1", "2", "3", "4"):
        assert counts[phase]["get"] >= 10 and counts[phase]["refresh"] >= CLIENTS, (phase, counts[phase])
    # The verify-only entries did their job: tokens of one server's signer accepted by the other.
    assert counts["2"]["accepted under a verify-only key"] > 0
    assert counts["3"]["accepted under a verify-only key"] > 0


@pytest.fixture
def publisher(project_env):
    """Server A with a mixed key set: signs RS256, verifies an old RSA, an ES256, an EdDSA and an HMAC key."""
    keys = [
        SIGN["new"],
        VERIFY["old"],
        {"kid": "ec", "algorithm": "ES256", "verifying_key": spki_pem(ec.generate_private_key(ec.SECP256R1()))},
        {"kid": "ed", "algorithm": "EdDSA", "verifying_key": spki_pem(ed25519.Ed25519PrivateKey.generate())},
        {"kid": "hs", "algorithm": "HS256", "verifying_key": "h" * 64},
    ]
    env = {**project_env, "MULTI_SIMPLE_JWT": json.dumps({"ALGORITHM": "RS256", "KEYS": keys, "JWKS_MAX_AGE": 120})}
    server = start("tests.multi.wsgi", cwd=ROOT, env=env, options=OPTIONS, ready=answers)
    yield server
    server.stop()
    assert "Traceback" not in server.output, server.output[-4000:]


def test_jwks_endpoint_interop_over_http(project_env, publisher):
    jwks_url = f"{publisher.url}{JWKS}"
    # A verify-only service: no key of its own, the publisher's JWK set by URL.
    verifier_settings = {"ALGORITHM": "RS256", "SIGNING_KEY": None, "JWK_URL": jwks_url}
    env = {**project_env, "MULTI_SIMPLE_JWT": json.dumps(verifier_settings)}
    verifier = start("tests.multi.wsgi", cwd=ROOT, env=env, options=OPTIONS, ready=answers)
    try:
        status, body, headers = call(publisher.port, "GET", JWKS)
        assert status == 200
        assert headers["Content-Type"] == "application/json"
        assert headers["Cache-Control"] == "public, max-age=120"
        assert [jwk["kid"] for jwk in body["keys"]] == ["new", "old", "ec", "ed"]  # never the HMAC entry
        for jwk in body["keys"]:
            assert not PRIVATE_JWK_MEMBERS & set(jwk), jwk
            assert jwk["use"] == "sig"
        assert "h" * 64 not in json.dumps(body)

        name = f"interop-{time.time_ns()}"
        create_users(publisher.port, [name])
        status, pair, _h = call(publisher.port, "POST", "/api/token/", {"username": name, "password": PASSWORD})
        assert status == 200, pair
        access = pair["access"]
        assert jwt.get_unverified_header(access) == {"alg": "RS256", "kid": "new", "typ": "JWT"}

        # PyJWT's client, from the published set alone.
        client = jwt.PyJWKClient(jwks_url)
        claims = jwt.decode(access, client.get_signing_key_from_jwt(access).key, algorithms=["RS256"])
        assert claims["token_type"] == "access"
        # Our JWK_URL, on the verify-only server: the token minted by the publisher, and one of the old key.
        for token in (access, resigned(access, "old", "old")):
            for path in ("/api/me/", "/api/me/stateless/"):
                status, data, _h = call(verifier.port, "GET", path, token=token)
                assert status == 200, (path, data)
        # ... and neither accepts a key the publisher does not publish.
        for token in (resigned(access, "stranger", "new"), resigned(access, "stranger", "stranger")):
            assert call(verifier.port, "GET", "/api/me/stateless/", token=token)[0] == 401
            assert call(publisher.port, "GET", "/api/me/stateless/", token=token)[0] == 401
            with pytest.raises(jwt.PyJWTError):
                jwt.decode(token, client.get_signing_key_from_jwt(token).key, algorithms=["RS256"])
        REPORT.append(
            "JWKS interop: PyJWKClient and a JWK_URL server verified the publisher's tokens; strangers refused"
        )
    finally:
        verifier.stop()
    assert "Traceback" not in verifier.output, verifier.output[-4000:]
