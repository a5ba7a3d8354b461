"""Issue 21 item 5: the cookie transport in a real browser (headless Chromium driven by Selenium).

The page (tests/browser/app.html, served by the project under gunicorn on 127.0.0.1) logs in with ``fetch``
and never sees a token; a page of another site (http://localhost:<port>) cannot make an authenticated unsafe
request, with SameSite=Lax (the cookies stay home) and with SameSite=None (the CSRF check refuses); a replayed
refresh cookie revokes the family; logout clears the cookies.
"""

from __future__ import annotations

import time

from tests.browser.conftest import ACCESS_SECONDS, PASSWORD


def run(driver, call: str):
    """``await window.app.<call>`` in the page; its result."""
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"window.app.{call}.then(done, (error) => done({{error: String(error)}}));"
    )


def token_cookies(driver) -> dict:
    """Every cookie the browser holds, HttpOnly ones included (the DevTools protocol sees them all)."""
    return {c["name"]: c for c in driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]}


def login(driver) -> dict:
    assert run(driver, "start()")["status"] == 204
    result = run(driver, f"login('alice', {PASSWORD!r})")
    assert result["status"] == 200, result
    return result


def test_login_keeps_the_tokens_out_of_reach_of_javascript(browser):
    result = login(browser)
    assert set(result["body"]) == {"access_expires", "refresh_expires"}
    visible = browser.execute_script("return document.cookie")
    assert "csrftoken=" in visible
    assert "access_token" not in visible and "refresh_token" not in visible
    held = token_cookies(browser)
    for name in ("access_token", "refresh_token"):
        assert held[name]["httpOnly"] and held[name]["secure"] and held[name]["sameSite"] == "Lax"
    assert held["refresh_token"]["path"] == "/api/auth/"
    profile = run(browser, "profile()")
    assert profile == {"status": 200, "body": {"username": "alice", "first_name": profile["body"]["first_name"]}}


def test_after_the_access_token_expires_the_page_refreshes_and_keeps_working(browser, project):
    login(browser)
    logged_in = time.monotonic()
    assert run(browser, "rename('Alice')")["status"] == 200
    time.sleep(max(0.0, logged_in + ACCESS_SECONDS + 0.2 - time.monotonic()))  # the access token's lifetime
    result = run(browser, "api('GET', '/api/profile/')")
    assert result["refreshed"] == 200 and result["status"] == 200, result
    assert result["body"]["first_name"] == "Alice"
    assert run(browser, "rename('Alice Again')")["status"] == 200
    assert project.first_name() == "Alice Again"


def attack(driver, project, site) -> list[str]:
    """Log alice in on ``project``, name her "Alice", let ``site``'s page attack; the attacks that arrived."""
    driver.get(project.url + "/")
    login(driver)
    assert run(driver, "rename('Alice')")["status"] == 200
    driver.get(site.url + "/")
    deadline = time.monotonic() + 15
    while driver.title != "done" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert driver.title == "done"
    log = project.read_log().splitlines()
    return [line for line in log if "POST /api/profile/" in line and f'"{site.url}/"' in line]


def test_a_page_of_another_site_cannot_make_an_authenticated_unsafe_request(browser, project, other_site):
    arrived = attack(browser, project, other_site)
    # The simple requests (fetch, form) reached the server, without the cookies (SameSite=Lax): 401.
    # The JSON request stopped at its preflight, which the API does not answer.
    assert len(arrived) == 2 and all('" 401 ' in line for line in arrived), arrived
    assert project.first_name() == "Alice"
    # The victim's session is intact.
    browser.get(project.url + "/")
    assert run(browser, "profile()")["status"] == 200


def test_with_samesite_none_the_csrf_check_alone_refuses_the_other_site(
    browser, project_samesite_none, other_site_none
):
    arrived = attack(browser, project_samesite_none, other_site_none)
    # This time the browser attached the cookies (authenticated) and the CSRF check refused: 403.
    assert len(arrived) == 2 and all('" 403 ' in line for line in arrived), arrived
    assert project_samesite_none.first_name() == "Alice"


def test_a_replayed_refresh_cookie_revokes_the_family(browser, project):
    login(browser)
    stolen = token_cookies(browser)["refresh_token"]
    assert run(browser, "refresh()")["status"] == 200
    rotated = token_cookies(browser)["refresh_token"]
    assert rotated["value"] != stolen["value"]

    def plant(cookie) -> None:
        browser.execute_cdp_cmd(
            "Network.setCookie",
            {key: cookie[key] for key in ("name", "value", "path", "httpOnly", "secure", "sameSite")}
            | {"url": project.url + cookie["path"]},
        )

    plant(stolen)
    replay = run(browser, "refresh()")
    assert replay["status"] == 401 and replay["body"]["code"] == "token_reused"
    assert "refresh_token" not in token_cookies(browser) and "access_token" not in token_cookies(browser)
    plant(rotated)
    after = run(browser, "refresh()")
    assert after["status"] == 401 and after["body"]["code"] == "token_family_revoked"


def test_logout_clears_the_cookies_and_the_api_answers_401(browser):
    login(browser)
    assert run(browser, "profile()")["status"] == 200
    assert run(browser, "logout()")["status"] == 200
    held = token_cookies(browser)
    assert "access_token" not in held and "refresh_token" not in held
    assert run(browser, "profile()")["status"] == 401
    assert run(browser, "refresh()")["status"] == 401
