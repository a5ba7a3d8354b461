"""JWK_URL: keys fetched from a real local HTTP server, cached by kid, refetched at most once per interval.

The endpoint can also misbehave (HTML, broken JSON, a hang, a slow drip): that is a 401 for the
tokens it would have to vouch for, never a 500, and never a wait for tokens whose key is cached.
"""

import functools
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core import checks
from jwt.algorithms import RSAAlgorithm
from simplejwt_rs import backends

from tests.django.helpers import me, rsa_keys, simple_jwt

pytestmark = pytest.mark.django_db

# A request whose kid is cached must not notice a refetch; generous for a loaded CI machine.
PROMPT = 0.5


@functools.cache
def rsa_key(name):
    """One key per name for the whole module: generating RSA keys is most of these tests' time."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class JWKS:
    """What the endpoint serves: the key set, or a broken answer, possibly slowly."""

    def __init__(self):
        self.keys = {}
        self.fetches = 0
        self.body = None  # bytes served instead of the key set
        self.status = 200
        self.content_type = "application/json"
        self.hold = 0.0  # seconds to wait before answering, cut short by `released`
        self.drip = False  # send the answer a byte at a time (for up to `hold` seconds)
        self.released = threading.Event()

    def add(self, kid):
        private = rsa_key(kid)
        jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
        self.keys[kid] = ({**jwk, "kid": kid, "use": "sig", "alg": "RS256"}, private)
        return private

    def token(self, kid, user, clock, private=None):
        private = private or self.keys[kid][1]
        claims = {"token_type": "access", "exp": int(clock.now) + 300, "jti": kid * 8, "user_id": str(user.pk)}
        return jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid})

    def answer(self):
        if self.body is not None:
            return self.body
        return json.dumps({"keys": [jwk for jwk, _ in self.keys.values()]}).encode()


@pytest.fixture
def stranger():
    """A key the endpoint never publishes."""
    return rsa_key("stranger")


@pytest.fixture
def jwks(clock):
    state = JWKS()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state.fetches += 1
            if state.hold and not state.drip:
                state.released.wait(state.hold)
            body = state.answer()
            try:
                self.send_response(state.status)
                self.send_header("Content-Type", state.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if state.drip:
                    until = time.monotonic() + state.hold
                    while body and time.monotonic() < until and not state.released.wait(0.05):
                        self.wfile.write(body[:1])
                        body = body[1:]
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up: that is the point of some tests

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/jwks.json"
    state.settings = {"ALGORITHM": "RS256", "SIGNING_KEY": None, "JWK_URL": url}
    with simple_jwt(**state.settings):
        yield state
    state.released.set()
    server.shutdown()
    server.server_close()
    thread.join()


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def fetch_settled():
    """No fetch of the JWK set in flight (one started in the background has finished)."""
    return getattr(backends.token_backend().jwks, "fetching", None) is None


def timed(call):
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


def in_thread(call):
    """Run ``call`` in a thread; returns the thread and a dict that gets its result or exception."""
    outcome = {}

    def run():
        try:
            outcome["result"] = call()
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_keys_fetched_once_and_cached_by_kid(api, user, clock, jwks):
    jwks.add("k1")
    token = jwks.token("k1", user, clock)
    assert me(api, token).status_code == 200
    assert me(api, token).status_code == 200
    assert jwks.fetches == 1

    clock.advance(301)  # JWK_CACHE_SECONDS passed: the set is fetched again, in the background
    assert me(api, jwks.token("k1", user, clock)).status_code == 200
    wait_until(lambda: jwks.fetches == 2 and fetch_settled())
    assert me(api, jwks.token("k1", user, clock)).status_code == 200
    assert jwks.fetches == 2


def test_unknown_kid_refetched_at_most_once_per_interval(api, user, clock, jwks, stranger):
    jwks.add("k1")
    assert me(api, jwks.token("k1", user, clock)).status_code == 200

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


def test_forged_and_kidless_tokens_refused(api, user, clock, jwks, stranger):
    jwks.add("k1")
    assert me(api, jwks.token("k1", user, clock, private=stranger)).status_code == 401
    kidless = jwt.encode({"token_type": "access", "exp": int(clock.now) + 60, "jti": "x"}, jwks.keys["k1"][1], "RS256")
    assert me(api, kidless).status_code == 401
    assert me(api, "garbage").status_code == 401


def test_unreachable_jwks_is_401(api, user, clock, stranger):
    with simple_jwt(ALGORITHM="RS256", SIGNING_KEY=None, JWK_URL="http://127.0.0.1:9/jwks.json"):
        token = jwt.encode(
            {"token_type": "access", "exp": int(clock.now) + 60, "jti": "x"}, stranger, "RS256", {"kid": "a"}
        )
        assert me(api, token).status_code == 401


def key_entry(**members):
    return json.dumps({"keys": [{"kid": "k2", "kty": "RSA", "use": "sig", "alg": "RS256", **members}]}).encode()


BROKEN = {
    "html": (200, "text/html", b"<!doctype html><html><body>Please sign in</body></html>"),
    "502 page": (502, "text/html", b"<html><body>502 Bad Gateway</body></html>"),
    "500 json": (500, "application/json", b'{"keys": []}'),
    "truncated json": (200, "application/json", b'{"keys": [{"kty": "RSA", "kid": "k2", "n": "'),
    "not utf-8": (200, "application/json", b'\xff\xfe{"keys": []}'),
    "empty body": (200, "application/json", b""),
    "deeply nested": (200, "application/json", b"[" * 100_000 + b"]" * 100_000),
    "a list": (200, "application/json", b"[]"),
    "a string": (200, "application/json", b'"keys"'),
    "a number": (200, "application/json", b"5"),
    "null": (200, "application/json", b"null"),
    "no keys": (200, "application/json", b'{"error": "maintenance"}'),
    "keys a number": (200, "application/json", b'{"keys": 5}'),
    "keys a string": (200, "application/json", b'{"keys": "k1"}'),
    "keys an object": (200, "application/json", b'{"keys": {"kid": "k1"}}'),
    "keys of wrong types": (200, "application/json", b'{"keys": [5, "k1", null, [], true]}'),
    "members of wrong types": (200, "application/json", key_entry(n=5, e=[])),
    "kid a number": (200, "application/json", key_entry(kid=7, n="AQAB", e="AQAB")),
    "use and alg of wrong types": (200, "application/json", key_entry(use=["sig"], alg={"a": 1})),
    "no usable key": (200, "application/json", b'{"keys": []}'),
}


@pytest.mark.parametrize("status,content_type,body", BROKEN.values(), ids=BROKEN.keys())
def test_broken_answer_is_401_and_keeps_the_last_good_set(api, user, clock, jwks, stranger, status, content_type, body):
    jwks.add("k1")
    assert me(api, jwks.token("k1", user, clock)).status_code == 200
    jwks.status, jwks.content_type, jwks.body = status, content_type, body

    clock.advance(30)  # an unknown kid may trigger a refetch again; the endpoint answers garbage
    assert me(api, jwks.token("k2", user, clock, private=stranger)).status_code == 401
    assert jwks.fetches == 2
    assert me(api, jwks.token("k1", user, clock)).status_code == 200  # the last good set is kept

    clock.advance(301)  # expired too: still served while the endpoint is broken
    assert me(api, jwks.token("k1", user, clock)).status_code == 200
    wait_until(lambda: jwks.fetches == 3 and fetch_settled())
    assert me(api, jwks.token("k1", user, clock)).status_code == 200

    jwks.status, jwks.content_type, jwks.body = 200, "application/json", None  # repaired, with a new key
    jwks.add("k3")
    clock.advance(30)
    assert me(api, jwks.token("k3", user, clock)).status_code == 200
    assert jwks.fetches == 4


@pytest.mark.parametrize("name", ["html", "truncated json", "keys a number", "no usable key"])
def test_broken_first_answer_is_401(api, user, clock, jwks, name):
    jwks.add("k1")
    jwks.status, jwks.content_type, jwks.body = BROKEN[name]
    assert me(api, jwks.token("k1", user, clock)).status_code == 401
    jwks.status, jwks.content_type, jwks.body = 200, "application/json", None
    assert me(api, jwks.token("k1", user, clock)).status_code == 401  # no refetch inside the interval
    clock.advance(30)
    assert me(api, jwks.token("k1", user, clock)).status_code == 200
    assert jwks.fetches == 2


@pytest.mark.parametrize(
    "drip,fetch_timeout",
    [(False, timedelta(milliseconds=300)), (True, 0.3)],
    ids=["silent until the hold ends", "drips the answer"],
)
def test_hanging_endpoint_is_401_within_the_fetch_timeout(api, user, clock, jwks, drip, fetch_timeout):
    jwks.add("k1")
    jwks.hold, jwks.drip = 3.0, drip
    with simple_jwt(**jwks.settings, JWK_FETCH_TIMEOUT=fetch_timeout):
        response, elapsed = timed(lambda: me(api, jwks.token("k1", user, clock)))
        assert response.status_code == 401
        assert elapsed < 1.5
        jwks.released.set()  # the endpoint recovers
        jwks.hold = 0.0
        clock.advance(30)
        assert me(api, jwks.token("k1", user, clock)).status_code == 200


def test_cached_kid_never_waits_on_a_refetch(api, user, clock, jwks, stranger):
    jwks.add("k1")
    cached = jwks.token("k1", user, clock)
    assert me(api, cached).status_code == 200
    jwks.add("k2")  # published, but this service has not seen it yet
    jwks.hold = 3.0  # and the endpoint has become slow
    clock.advance(30)

    # An unknown kid: a refetch that hangs on the endpoint (the thread stands in for a request).
    rotated = jwks.token("k2", user, clock)
    refetching, outcome = in_thread(lambda: backends.token_backend().decode(rotated))
    wait_until(lambda: jwks.fetches == 2)

    response, elapsed = timed(lambda: me(api, cached))
    assert response.status_code == 200
    assert elapsed < PROMPT, f"a cached-kid request waited {elapsed:.2f} s on a refetch"

    # Another unknown kid is refused at once rather than queued behind the refetch or fetching again.
    response, elapsed = timed(lambda: me(api, jwks.token("k3", user, clock, private=stranger)))
    assert response.status_code == 401
    assert elapsed < PROMPT
    assert jwks.fetches == 2

    jwks.released.set()  # the endpoint answers: the refetch completes and k2 is known
    refetching.join(5)
    assert outcome.get("result", {}).get("jti") == "k2" * 8, outcome
    assert me(api, rotated).status_code == 200


def test_expired_set_refreshed_in_the_background(api, user, clock, jwks):
    jwks.add("k1")
    assert me(api, jwks.token("k1", user, clock)).status_code == 200
    jwks.hold = 3.0
    clock.advance(301)

    response, elapsed = timed(lambda: me(api, jwks.token("k1", user, clock)))
    assert response.status_code == 200
    assert elapsed < PROMPT, f"a cached-kid request waited {elapsed:.2f} s on the expired set's refetch"
    wait_until(lambda: jwks.fetches == 2)

    _, retired = jwks.keys.pop("k1")  # the provider retires k1 for k2 while the refetch is in flight
    jwks.add("k2")
    jwks.released.set()
    rotated = jwks.token("k2", user, clock)
    wait_until(lambda: me(api, rotated).status_code == 200)  # no new fetch: the background one landed
    assert me(api, jwks.token("k1", user, clock, private=retired)).status_code == 401
    assert jwks.fetches == 2


def test_concurrent_first_requests_share_the_first_fetch(api, user, clock, jwks):
    """Before any set is loaded no kid is cached: a request waits for the fetch in flight, up to its timeout."""
    jwks.add("k1")
    jwks.hold = 0.3
    token = jwks.token("k1", user, clock)
    first, outcome = in_thread(lambda: backends.token_backend().decode(token))
    wait_until(lambda: jwks.fetches == 1)
    assert me(api, token).status_code == 200
    first.join(5)
    assert outcome.get("result", {}).get("jti") == "k1" * 8, outcome
    assert jwks.fetches == 1


def jwk_check_ids():
    return sorted(m.id for m in checks.run_checks(tags=[checks.Tags.security]) if m.id == "simplejwt_rs.E030")


def test_jwk_url_with_a_signing_key_is_a_check_error():
    """Tokens minted here (obtain, refresh) carry no kid, so under JWK_URL this service would refuse them."""
    private, public = rsa_keys()
    url = "http://127.0.0.1:9/jwks.json"
    with simple_jwt(ALGORITHM="RS256", SIGNING_KEY=private, JWK_URL=url):
        assert jwk_check_ids() == ["simplejwt_rs.E030"]
    with simple_jwt(ALGORITHM="RS256", SIGNING_KEY=private, VERIFYING_KEY=public, JWK_URL=url):
        assert jwk_check_ids() == ["simplejwt_rs.E030"]
    with simple_jwt(ALGORITHM="RS256", SIGNING_KEY=None, JWK_URL=url):
        assert jwk_check_ids() == []  # verify-only: nothing is minted
    with simple_jwt(ALGORITHM="RS256", JWK_URL=url):
        assert jwk_check_ids() == []  # SIGNING_KEY left at SECRET_KEY cannot sign RS256 either
    with simple_jwt(ALGORITHM="RS256", SIGNING_KEY=private, VERIFYING_KEY=public):
        assert jwk_check_ids() == []
    with simple_jwt(JWK_URL=url):
        assert jwk_check_ids() == []  # HMAC never consults JWK_URL


@pytest.mark.parametrize("value", ["2", -1, 0, None, float("nan"), True, [2]])
def test_jwk_fetch_timeout_of_the_wrong_type_is_a_check_error(api, user, clock, jwks, value):
    with simple_jwt(**jwks.settings, JWK_FETCH_TIMEOUT=value):
        errors = [m for m in checks.run_checks(tags=[checks.Tags.security]) if m.level >= checks.ERROR]
        assert [m.id for m in errors if "JWK_FETCH_TIMEOUT" in m.msg] == ["simplejwt_rs.E008"]
        jwks.add("k1")  # and until it is fixed the default applies
        assert me(api, jwks.token("k1", user, clock)).status_code == 200
    for good in (0.5, 3, timedelta(seconds=1)):
        with simple_jwt(**jwks.settings, JWK_FETCH_TIMEOUT=good):
            assert not [m for m in checks.run_checks(tags=[checks.Tags.security]) if "JWK_FETCH_TIMEOUT" in m.msg]


# --- a credential in JWK_URL is never logged (issue 19) -------------------------------------------------

SECRETS = ("jwkuser", "hunter2pass", "s3cr3tQ", "fragpart")


def jwk_urls(live):
    """URLs whose fetch fails, each carrying credentials: userinfo, a query string, a fragment."""
    return {
        # urllib passes userinfo on as part of the host: http.client's InvalidURL then quotes it.
        "userinfo": "http://jwkuser:hunter2pass@127.0.0.1:9/jwks.json?access_token=s3cr3tQ#fragpart",
        "refused": "http://127.0.0.1:9/jwks.json?access_token=s3cr3tQ&user=jwkuser#fragpart",
        # A control character: http.client's InvalidURL quotes the path and query.
        "control": "http://127.0.0.1:9/jwks.json?access_token=s3cr3tQ\n",
        # A live endpoint answering 500.
        "500": live + "?access_token=s3cr3tQ&password=hunter2pass",
    }


@pytest.mark.parametrize("case", ["userinfo", "refused", "control", "500"])
def test_jwk_fetch_failures_never_log_the_url_credentials(api, user, clock, jwks, stranger, caplog, case):
    jwks.status = 500
    url = jwk_urls(jwks.settings["JWK_URL"])[case]
    token = jwt.encode(
        {"token_type": "access", "exp": int(clock.now) + 60, "jti": "x"}, stranger, "RS256", {"kid": "a"}
    )
    with caplog.at_level("WARNING", logger="simplejwt_rs"), simple_jwt(**{**jwks.settings, "JWK_URL": url}):
        assert me(api, token).status_code == 401
        wait_until(fetch_settled)
        with pytest.raises(backends.JWKFetchError) as raised:
            backends.fetch_jwk_set(url, 2)
    logged = [record.getMessage() for record in caplog.records if record.name.startswith("simplejwt_rs")]
    assert logged, "the failure was logged"
    assert all("127.0.0.1" in text for text in logged), logged  # where it failed is still said
    for text in (*logged, str(raised.value)):
        for secret in SECRETS:
            assert secret not in text, text
    assert raised.value.__cause__ is None and raised.value.__context__ is None  # no unredacted original chained


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:p@auth.example.com:8443/a/jwks.json?k=v#f", "https://auth.example.com:8443/a/jwks.json?<redacted>"),
        ("https://auth.example.com/jwks.json", "https://auth.example.com/jwks.json"),
        ("http://[::1]:8000/jwks?x=1", "http://[::1]:8000/jwks?<redacted>"),
        ("http://[::1/jwks", "<an unparsable URL>"),
        ("http://h:notaport/jwks", "<an unparsable URL>"),
    ],
)
def test_redacted_url(url, shown):
    assert backends.redacted_url(url) == shown
