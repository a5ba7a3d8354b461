"""Security events (issue 23 item 4): one structured record per decision on ``simplejwt_rs.security``.

Each record's message starts with the event name (OWASP Logging Vocabulary), the record carries it as
``event`` and its fields as JSON-able attributes, python-json-logger and structlog render them with no
configuration of ours, each event sends its Django signal, and no record ever contains a token or a key.
"""

import io
import json
import logging

import pytest
import structlog
from django.contrib.auth.models import User
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pythonjsonlogger.json import JsonFormatter
from rest_framework.test import APIClient
from simplejwt_rs import events, revoke_user_tokens, sessions, signals
from simplejwt_rs.errors import Refuse
from simplejwt_rs.tokens import RefreshToken

from tests.django.helpers import PASSWORD, code, me, obtain, refresh, simple_jwt

pytestmark = pytest.mark.django_db

ROTATING = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}
AGENT = "curl/8.5.0"


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def events(self):
        return [record.event for record in self.records]

    def one(self, event):
        [record] = [r for r in self.records if r.event == event]
        return record


@pytest.fixture
def security():
    handler = Records()
    logger = logging.getLogger("simplejwt_rs.security")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old)


@pytest.fixture
def sent():
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    for name in events.EVENTS:
        getattr(signals, name).connect(receiver, weak=False)
    yield received
    for name in events.EVENTS:
        getattr(signals, name).disconnect(receiver)


def post(api, url, body, **meta):
    return api.post(url, body, format="json", HTTP_USER_AGENT=AGENT, REMOTE_ADDR="192.0.2.4", **meta)


def test_each_decision_is_one_record_with_its_fields(api, user, security, sent):
    with simple_jwt(**ROTATING):
        pair = post(api, "/api/token/", {"username": "alice", "password": PASSWORD}).data
        family = RefreshToken(pair["refresh"], verify=False)["jti"]
        assert security.events() == ["authn_login_success", "authn_token_created"]
        success = security.one("authn_login_success")
        assert success.getMessage().startswith("authn_login_success ")
        assert (success.user_id, success.family, success.ip, success.user_agent) == (
            user.pk,
            family,
            "192.0.2.4",
            AGENT,
        )
        assert success.levelno == logging.INFO
        security.records.clear()

        second = post(api, "/api/token/refresh/", {"refresh": pair["refresh"]}).data
        created = security.one("authn_token_created")
        assert created.family == family and created.jti == RefreshToken(second["refresh"], verify=False)["jti"]
        security.records.clear()

        assert code(post(api, "/api/token/refresh/", {"refresh": pair["refresh"]})) == "token_reused"
        reuse = security.one("authn_token_reuse")
        assert reuse.levelno == logging.CRITICAL
        assert (reuse.user_id, reuse.family, reuse.ip, reuse.code) == (user.pk, family, "192.0.2.4", "token_reused")
        revoked = security.one("authn_token_revoked")
        assert (revoked.scope, revoked.family) == ("family", family)
        security.records.clear()

        assert code(post(api, "/api/token/", {"username": "alice", "password": "wrong"})) == "no_active_account"
        fail = security.one("authn_login_fail")
        assert (fail.user_id, fail.code, fail.levelno) == (None, "no_active_account", logging.WARNING)
        assert "wrong" not in json.dumps(fail.__dict__, default=str)
        security.records.clear()

        pair = obtain(api).data
        login_family = RefreshToken(pair["refresh"], verify=False)["jti"]
        security.records.clear()
        sessions.revoke_session(user, login_family)
        assert (security.one("authn_token_revoked").scope, security.one("authn_token_revoked").family) == (
            "session",
            login_family,
        )
        security.records.clear()
        pair = obtain(api).data
        security.records.clear()
        assert api.post("/api/token/blacklist/", {"refresh": pair["refresh"]}, format="json").status_code == 200
        assert security.one("authn_token_revoked").scope == "token"
        security.records.clear()
        revoke_user_tokens(user)
        assert security.one("authn_token_revoked").scope == "user"
    # every record sent its signal with the same fields
    assert [kwargs["event"] for kwargs in sent][:2] == ["authn_login_success", "authn_token_created"]
    assert all(set(events.FIELDS) <= set(kwargs) and "user" in kwargs for kwargs in sent)


def test_a_policy_refusal_is_authz_fail_with_our_code(api, user, security, locked_group):
    pair = obtain(api).data
    user.is_active = False
    user.save()
    security.records.clear()
    assert code(me(api, pair["access"])) == "user_inactive"
    assert security.one("authz_fail").code == "user_inactive"
    security.records.clear()
    assert code(refresh(api, pair["refresh"])) == "no_active_account"
    assert security.one("authz_fail").code == "no_active_account"


def refuse_everyone(user):
    raise Refuse("closed for maintenance", code="maintenance")


def test_a_rule_refusing_a_login_is_a_login_fail_with_its_code(api, user, security):
    with simple_jwt(USER_AUTHENTICATION_RULE="tests.django.test_security_events.refuse_everyone"):
        assert code(obtain(api)) == "maintenance"
    fail = security.one("authn_login_fail")
    assert (fail.user_id, fail.code) == (user.pk, "maintenance")


def render_json(record):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.handle(record)
    return json.loads(stream.getvalue())


def render_structlog(record):
    formatter = structlog.stdlib.ProcessorFormatter(
        processor=structlog.processors.JSONRenderer(), foreign_pre_chain=[structlog.stdlib.ExtraAdder()]
    )
    return json.loads(formatter.format(record))


def test_python_json_logger_and_structlog_render_every_field(api, user, security):
    with simple_jwt(**ROTATING):
        pair = post(api, "/api/token/", {"username": "alice", "password": PASSWORD}).data
        post(api, "/api/token/refresh/", {"refresh": pair["refresh"]})
        post(api, "/api/token/refresh/", {"refresh": pair["refresh"]})
    assert "authn_token_reuse" in security.events()
    for record in security.records:
        as_json = render_json(record)
        assert as_json["event"] == record.event and as_json["message"].startswith(record.event)
        assert {name: as_json[name] for name in events.FIELDS} == {
            name: getattr(record, name) for name in events.FIELDS
        }
        as_structlog = render_structlog(record)
        assert as_structlog["event"] == record.event
        assert {name: as_structlog[name] for name in events.FIELDS} == {
            name: getattr(record, name) for name in events.FIELDS
        }


SECRETISH = st.text(alphabet=st.characters(codec="utf-8"), max_size=80)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(agent=SECRETISH, forwarded=SECRETISH, password=SECRETISH, embed=st.booleans())
def test_no_record_ever_contains_a_token_or_a_key(security, agent, forwarded, password, embed):
    """Every event, whatever the client sends (a user agent or an address made of a token included)."""
    from django.conf import settings as django_settings

    User.objects.filter(username="alice").delete()
    user = User.objects.create_user("alice", password=PASSWORD)
    api = APIClient()
    issued = []
    security.records.clear()

    def send(url, body, token_in_agent=None):
        meta = {"HTTP_USER_AGENT": (agent + (token_in_agent or "")) if embed else agent}
        meta["HTTP_X_FORWARDED_FOR"] = forwarded + ("," + token_in_agent if embed and token_in_agent else "")
        response = api.post(url, body, format="json", **meta)
        for name in ("access", "refresh", "token"):
            if isinstance(getattr(response, "data", {}), dict) and name in response.data:
                issued.append(str(response.data[name]))
        return response

    # The whole submitted password is the secret: a bare draw can be a piece of an event name ("authn_lo").
    wrong_password = "wrong-" + password.replace("\x00", "")
    with simple_jwt(**ROTATING, CLIENT_IP_META_KEY="HTTP_X_FORWARDED_FOR"):
        send("/api/token/", {"username": "alice", "password": wrong_password})  # failed
        pair = send("/api/token/", {"username": "alice", "password": PASSWORD}).data
        second = send("/api/token/refresh/", {"refresh": pair["refresh"]}, pair["refresh"]).data
        send("/api/token/refresh/", {"refresh": pair["refresh"]}, second["refresh"])  # reuse
        third = send("/api/token/", {"username": "alice", "password": PASSWORD}).data
        send("/api/token/blacklist/", {"refresh": third["refresh"]}, third["access"])
        fourth = send("/api/token/", {"username": "alice", "password": PASSWORD}).data
        sessions.revoke_session(user, RefreshToken(fourth["refresh"], verify=False)["jti"])
        revoke_user_tokens(user)
        user.is_active = False
        user.save()
        api.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {fourth['access']}", HTTP_USER_AGENT=fourth["access"])
    names = set(security.events())
    assert {"authn_login_fail", "authn_login_success", "authn_token_created", "authn_token_reuse"} <= names
    assert {"authn_token_revoked", "authz_fail"} <= names
    secrets = [token for token in issued if token] + [django_settings.SECRET_KEY]
    for part in [t.split(".")[2] for t in issued if t.count(".") == 2]:
        secrets.append(part)  # not even a token's signature alone
    if len(password) >= 8 and wrong_password not in agent + forwarded:  # not what the client sent as its agent
        secrets.append(wrong_password)
    for record in security.records:
        text = record.getMessage() + json.dumps(render_json(record)) + json.dumps(render_structlog(record))
        for secret in secrets:
            assert secret not in text, (record.event, secret)


def test_the_docs_logging_example_writes_json_lines(api, user, tmp_path, monkeypatch):
    """docs/sessions.md's LOGGING, as written, sends every event to a file of JSON objects."""
    import logging.config
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "sessions.md").read_text()
    [block] = [b for b in re.findall(r"^```python\n(.*?)^```", page, re.M | re.S) if "LOGGING" in b]
    namespace: dict = {}
    exec(block, namespace)  # noqa: S102  (our own docs)
    monkeypatch.chdir(tmp_path)  # the example's relative filename lands here
    logger = logging.getLogger("simplejwt_rs.security")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    logging.config.dictConfig(namespace["LOGGING"])
    try:
        with simple_jwt(**ROTATING):
            pair = post(api, "/api/token/", {"username": "alice", "password": PASSWORD}).data
            post(api, "/api/token/refresh/", {"refresh": pair["refresh"]})
            post(api, "/api/token/refresh/", {"refresh": pair["refresh"]})
    finally:
        for handler in logger.handlers:
            handler.close()
        logger.handlers[:], logger.level, logger.propagate = saved
    lines = [json.loads(line) for line in (tmp_path / "security-events.jsonl").read_text().splitlines()]
    assert [line["event"] for line in lines] == [
        "authn_login_success",
        "authn_token_created",
        "authn_token_created",
        "authn_token_reuse",
        "authn_token_revoked",
    ]
    assert lines[3]["levelname"] == "CRITICAL" and lines[3]["ip"] == "192.0.2.4" and lines[3]["user_id"] == user.pk
