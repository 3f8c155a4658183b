"""The signed-in trainee, kept in the Flask session apart from staff (Flask-Login) accounts.

A trainee is a registered person, not a user account: after a one-time code is accepted the
person's id and the sign-in time are stored under their own session keys. Staff sign-in and
trainee sign-in never see each other's state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import redirect, request, session, url_for
from werkzeug.routing import BuildError

PERSON_KEY = "wallet_person_id"
SINCE_KEY = "wallet_since"
# A trainee session ends after this many seconds even if the browser keeps the cookie.
TRAINEE_SESSION_SECONDS = 8 * 3600

F = TypeVar("F", bound=Callable[..., Any])


def sign_in(person_id: int) -> None:
    """Mark the person as signed in for this browser session (call after the code is accepted)."""
    session.pop(PERSON_KEY, None)
    session[PERSON_KEY] = int(person_id)
    session[SINCE_KEY] = int(time.time())


def sign_out() -> None:
    """Forget the signed-in trainee (staff sign-in, if any, is untouched)."""
    session.pop(PERSON_KEY, None)
    session.pop(SINCE_KEY, None)


def current_person_id() -> int | None:
    """The signed-in trainee's person id, or None when nobody (or an expired session) is in."""
    person_id = session.get(PERSON_KEY)
    since = session.get(SINCE_KEY)
    if not isinstance(person_id, int) or not isinstance(since, int):
        return None
    if time.time() - since > TRAINEE_SESSION_SECONDS:
        sign_out()
        return None
    return person_id


def login_url(next_path: str | None = None) -> str:
    """The wallet sign-in page's address, with the page to come back to."""
    try:
        return url_for("wallet.login", next=next_path)
    except BuildError:  # the wallet blueprint is not registered in this app
        return "/wallet/login"


def trainee_required(view: F) -> F:
    """Send an anonymous visitor to the wallet sign-in, coming back to this page afterwards."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_person_id() is None:
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(login_url(target))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
