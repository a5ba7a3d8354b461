"""Helpers shared by the Django tests (imported as tests.django.helpers)."""

from contextlib import contextmanager

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from rest_framework import serializers
from rest_framework_simplejwt import serializers as upstream_serializers
from rest_framework_simplejwt import tokens as upstream_tokens
from rest_framework_simplejwt.models import TokenUser

PASSWORD = "correct horse battery staple"


def not_locked(user) -> bool:
    """A custom USER_AUTHENTICATION_RULE: active and not in the 'locked' group."""
    return user is not None and user.is_active and not user.groups.filter(name="locked").exists()


def obtain(api, username="alice", password=PASSWORD, url="/api/token/"):
    return api.post(url, {"username": username, "password": password}, format="json")


def me(api, access, header_type="Bearer"):
    return api.get("/api/me/", HTTP_AUTHORIZATION=f"{header_type} {access}")


def refresh(api, token, url="/api/token/refresh/"):
    return api.post(url, {"refresh": token}, format="json")


def logout(api, token, url="/api/token/blacklist/"):
    return api.post(url, {"refresh": token}, format="json")


def verify(api, token, url="/api/token/verify/"):
    return api.post(url, {"token": token}, format="json")


def code(response) -> str:
    """The DRF error code of a response, whichever exception shape produced it."""
    data = response.data
    if "code" in data:
        return str(data["code"])
    detail = data.get("detail")
    return getattr(detail, "code", "")


class EchoRefreshSerializer(serializers.Serializer):
    """A stand-in TOKEN_REFRESH_SERIALIZER, to see which serializer a view picked."""

    refresh = serializers.CharField()

    def validate(self, attrs):
        return {"echo": attrs["refresh"]}


def simple_jwt(**changes):
    """override_settings for SIMPLE_JWT, keeping the project's base lines (our serializer strings)."""
    from django.test import override_settings

    from tests.django.settings import SIMPLE_JWT

    return override_settings(SIMPLE_JWT={**SIMPLE_JWT, **changes})


def rsa_keys():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class NamedTokenUser(TokenUser):
    """A custom TOKEN_USER_CLASS."""


class UpstreamRefreshSubclass(upstream_serializers.TokenRefreshSerializer):
    """A project's own refresh serializer, built on upstream's rather than ours."""


class UpstreamAccessSubclass(upstream_tokens.AccessToken):
    """A project's own access token class, built on upstream's rather than ours."""


def locked_refuses(user) -> bool:
    """A USER_AUTHENTICATION_RULE that says why: a user in the 'locked' group is refused as account_locked."""
    from simplejwt_rs.policy import Refuse

    if user is not None and user.groups.filter(name="locked").exists():
        raise Refuse("This account is locked.", code="account_locked")
    return user is not None and user.is_active


def concurrent_refreshes(token, n, monkeypatch, settings_changes=None, refresh_with=refresh):
    """``n`` threads on ``n`` connections refresh ``token``, all past the user check before any consumes.

    ``refresh_with(api, token)`` makes the request: ours by default, another package's endpoint in
    tests/clients.
    """
    import threading
    from contextlib import nullcontext

    from rest_framework.test import APIClient
    from simplejwt_rs import policy

    everyone_checked = threading.Barrier(n, timeout=20)
    real_token_user = policy.token_user

    def token_user_then_wait(claims, **kwargs):
        user = real_token_user(claims, **kwargs)
        everyone_checked.wait()
        return user

    monkeypatch.setattr(policy, "token_user", token_user_then_wait)
    responses = []

    def client():
        responses.append(refresh_with(APIClient(), token))

    with simple_jwt(**settings_changes) if settings_changes is not None else nullcontext():
        threads = [threading.Thread(target=on_own_connection, args=(client,)) for _ in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    monkeypatch.setattr(policy, "token_user", real_token_user)
    return responses


def on_own_connection(fn, *args):
    """``fn(*args)`` in a thread of its own: its database connections are closed when it returns."""
    from django.db import connections

    try:
        return fn(*args)
    finally:
        connections.close_all()


def interleaved(monkeypatch, pause_at, paused, other):
    """Two calls on two connections, in one order: ``paused()`` runs until it first calls ``pause_at``
    (a ``(module, name)`` pair), then ``other()`` runs (it finishes, or waits a second on the paused
    one's uncommitted write), then the paused one goes on.  Returns their results: (paused, other).
    """
    import threading

    module, name = pause_at
    real = getattr(module, name)
    reached, resume = threading.Event(), threading.Event()

    def pausing(*args, **kwargs):
        monkeypatch.setattr(module, name, real)  # only the first caller pauses
        reached.set()
        assert resume.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, pausing)
    results = {}

    def run(key, fn):
        results[key] = on_own_connection(fn)

    a = threading.Thread(target=run, args=("paused", paused))
    a.start()
    assert reached.wait(30), f"{name} was never called"
    b = threading.Thread(target=run, args=("other", other))
    b.start()
    b.join(timeout=1)
    resume.set()
    a.join(timeout=30)
    b.join(timeout=30)
    monkeypatch.setattr(module, name, real)
    return results["paused"], results["other"]


def together(*calls):
    """The calls at once, each in a thread on its own connection, released by one barrier; their results."""
    import threading

    start = threading.Barrier(len(calls), timeout=20)
    results = [None] * len(calls)

    def run(i, fn):
        start.wait()
        results[i] = on_own_connection(fn)

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@contextmanager
def database_down(alias="default"):
    """Every new connection to the database fails, as while its server is down: real errors from the real
    driver (SQLite: a file that cannot be opened; PostgreSQL: a port nobody listens on)."""
    from django.db import connections

    from harness.server import free_port

    connection = connections[alias]
    connection.close()
    saved = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/simplejwt-rs/db.sqlite3"  # "unable to open database file"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))  # connection refused
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@contextmanager
def token_store_locked():
    """Another connection holds the lock our rotation record needs, and ours gives up after 200 ms (SQLite:
    another process's write lock; PostgreSQL: a table lock and ``lock_timeout``): the real "busy" errors."""
    from django.db import connection, connections
    from simplejwt_rs.models import RotatedRefreshToken

    connection.ensure_connection()
    if connection.vendor == "sqlite":
        import sqlite3

        holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        connection.connection.execute("PRAGMA busy_timeout = 200")
    else:
        holder = connections.create_connection("default")
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {RotatedRefreshToken._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


@contextmanager
def serve_json(body: bytes, fetches: list | None = None):
    """``body`` as JSON at http://127.0.0.1:<free port>/jwks.json (a JWK set's URL); each GET's path is appended
    to ``fetches`` when given.  Yields the URL."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if fetches is not None:
                fetches.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
