"""The project's USER_AUTHENTICATION_RULE: active and not in the 'locked' group."""


def not_locked(user) -> bool:
    return user is not None and user.is_active and not user.groups.filter(name="locked").exists()
