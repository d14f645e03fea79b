"""Sign-in 登录 (SPEC §7): streamlit-authenticator on the users file of ``salesops.users``.

Nobody reads a page without signing in. The form checks the password against its bcrypt
hash; a signed cookie keeps the session for a working day. Who the person is (manager of
which unit, or which rep) comes from the users file on the server, never from the browser.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import streamlit as st
import streamlit_authenticator as stauth

from dashboards.i18n import bilingual, t
from salesops.users import COOKIE_EXPIRY_DAYS, COOKIE_NAME, User, read_config, users_file
from salesops.users import load_users as _load_users


def _stamp(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


@st.cache_data(show_spinner=False, max_entries=4)
def _users(path: str, stamp: int) -> tuple[dict[str, Any], dict[str, User]]:
    """The file's raw config and parsed users, read again when the file changes."""
    return read_config(Path(path)), _load_users(Path(path))


def _authenticator(config: dict[str, Any]) -> stauth.Authenticate:
    cookie = config.get("cookie") or {}
    return stauth.Authenticate(
        # a copy: the library records login state in the dict it is given
        copy.deepcopy(config["credentials"]),
        cookie_name=cookie.get("name", COOKIE_NAME),
        cookie_key=cookie["key"],
        cookie_expiry_days=float(cookie.get("expiry_days", COOKIE_EXPIRY_DAYS)),
        auto_hash=False,
        # The library waits 0.7 s for its cookie component before showing the form; the
        # cookie is read from the request headers (st.context.cookies), so no wait is needed.
        login_sleep_time=0,
    )


def sign_in() -> User | None:
    """Draw the sign-in form (or the sign-out button) and return the signed-in user."""
    path = users_file()
    config, users = _users(str(path), _stamp(path))
    if not users:
        st.info(bilingual("auth.no_users", path=path), icon=":material/person_add:")
        return None
    authenticator = _authenticator(config)
    authenticator.login(
        location="main",
        fields={
            "Form name": t("auth.form"),
            "Username": t("auth.username"),
            "Password": t("auth.password"),
            "Login": t("auth.login"),
        },
        key="sign_in",
    )
    status = st.session_state.get("authentication_status")
    if status is False:
        st.error(t("auth.failed"), icon=":material/lock:")
    if not status:
        return None
    user = users.get(st.session_state.get("username"))
    if user is None:
        # signed in, then removed from the users file: out
        authenticator.logout(location="unrendered")
        st.error(t("auth.removed"), icon=":material/lock:")
        return None
    authenticator.logout(t("auth.logout"), location="sidebar", key="sign_out")
    return user
