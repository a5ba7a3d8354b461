"""Helpers shared by the Django tests (imported as tests.django.helpers)."""

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


def verify(api, token, url="/api/token/verify/"):
    return api.post(url, {"token": token}, format="json")


def code(response) -> str:
    """The DRF error code of a response, whichever exception shape produced it."""
    data = response.data
    if "code" in data:
        return str(data["code"])
    detail = data.get("detail")
    return getattr(detail, "code", "")
