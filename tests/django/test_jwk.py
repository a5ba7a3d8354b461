"""JWK_URL: keys fetched from a real local HTTP server, cached by kid, refetched at most once per interval."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.django.helpers import me, simple_jwt

pytestmark = pytest.mark.django_db


class JWKS:
    def __init__(self):
        self.keys = {}
        self.fetches = 0

    def add(self, kid):
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
        self.keys[kid] = ({**jwk, "kid": kid, "use": "sig", "alg": "RS256"}, private)
        return private

    def token(self, kid, user, clock, private=None):
        private = private or self.keys[kid][1]
        claims = {"token_type": "access", "exp": int(clock.now) + 300, "jti": kid * 8, "user_id": str(user.pk)}
        return jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def jwks(clock):
    state = JWKS()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state.fetches += 1
            body = json.dumps({"keys": [jwk for jwk, _ in state.keys.values()]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with simple_jwt(ALGORITHM="RS256", SIGNING_KEY=None, JWK_URL=f"http://127.0.0.1:{server.server_port}/jwks.json"):
        yield state
    server.shutdown()
    server.server_close()
    thread.join()


def test_keys_fetched_once_and_cached_by_kid(api, user, clock, jwks):
    jwks.add("k1")
    token = jwks.token("k1", user, clock)
    assert me(api, token).status_code == 200
    assert me(api, token).status_code == 200
    assert jwks.fetches == 1

    clock.advance(301)  # JWK_CACHE_SECONDS passed: the set is fetched again
    assert me(api, jwks.token("k1", user, clock)).status_code == 200
    assert jwks.fetches == 2


def test_unknown_kid_refetched_at_most_once_per_interval(api, user, clock, jwks):
    jwks.add("k1")
    assert me(api, jwks.token("k1", user, clock)).status_code == 200
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    assert me(api, jwks.token("k2", user, clock, private=stranger)).status_code == 401
    assert jwks.fetches == 1  # fetched 0 s ago: inside the interval, no refetch
    clock.advance(30)
    assert me(api, jwks.token("k2", user, clock, private=stranger)).status_code == 401
    assert jwks.fetches == 2
    for _ in range(5):
        assert me(api, jwks.token("k3", user, clock, private=stranger)).status_code == 401
    assert jwks.fetches == 2

    jwks.add("k2")  # the provider rotates in a new key
    clock.advance(30)
    assert me(api, jwks.token("k2", user, clock)).status_code == 200
    assert jwks.fetches == 3


def test_forged_and_kidless_tokens_refused(api, user, clock, jwks):
    jwks.add("k1")
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert me(api, jwks.token("k1", user, clock, private=stranger)).status_code == 401
    kidless = jwt.encode({"token_type": "access", "exp": int(clock.now) + 60, "jti": "x"}, jwks.keys["k1"][1], "RS256")
    assert me(api, kidless).status_code == 401
    assert me(api, "garbage").status_code == 401


def test_unreachable_jwks_is_401(api, user, clock):
    with simple_jwt(ALGORITHM="RS256", SIGNING_KEY=None, JWK_URL="http://127.0.0.1:9/jwks.json"):
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = jwt.encode(
            {"token_type": "access", "exp": int(clock.now) + 60, "jti": "x"}, private, "RS256", {"kid": "a"}
        )
        assert me(api, token).status_code == 401
