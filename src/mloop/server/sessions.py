"""The UI's session and CSRF cookies.

A session cookie is `TOKEN_ID.ISSUED.SIGNATURE`: the HMAC-SHA256 of the id and issue time keyed by
the token's secret hash, which only the server's database holds. Nothing is kept per session, so
every uvicorn worker checks it alike, and revoking the token ends its sessions at once.

CSRF: a random `mloop_csrf` cookie (HttpOnly, SameSite=Strict) is set on the first response; a
form's token is the HMAC of the session cookie keyed by it, so it is tied to both the browser and
the session, and a page of another site can neither read it nor compute it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from http.cookies import SimpleCookie

SESSION_COOKIE = "mloop_session"
CSRF_COOKIE = "mloop_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
#: how long a UI login lasts
SESSION_SECONDS = 12 * 3600


def session_value(token_id: str, secret_hash: str, issued: int | None = None) -> str:
    issued = int(time.time()) if issued is None else issued
    return f"{token_id}.{issued}.{_sign(secret_hash, f'session:{token_id}.{issued}')}"


def session_token_id(value: str) -> str | None:
    """The token id a session cookie claims (not yet verified), or None when it is malformed or expired."""
    parts = value.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    if not 0 <= time.time() - int(parts[1]) <= SESSION_SECONDS:
        return None
    return parts[0]


def session_valid(value: str, secret_hash: str) -> bool:
    token_id, issued, signature = value.split(".")
    return hmac.compare_digest(signature, _sign(secret_hash, f"session:{token_id}.{issued}"))


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(csrf_cookie: str, session: str) -> str:
    """The token forms carry: tied to the browser's CSRF cookie and to its session ('' without one)."""
    return _sign(csrf_cookie, f"csrf:{session}")


def csrf_valid(csrf_cookie: str | None, session: str, given: str | None) -> bool:
    return bool(csrf_cookie and given) and hmac.compare_digest(csrf_token(csrf_cookie or "", session), given or "")


def cookie_header(name: str, value: str, *, secure: bool, max_age: int | None = None) -> str:
    """A Set-Cookie value: HttpOnly, SameSite=Strict, Path=/, Secure over https; max_age 0 deletes."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = value
    morsel = cookie[name]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Strict"
    if secure:
        morsel["secure"] = True
    if max_age is not None:
        morsel["max-age"] = max_age
    return morsel.OutputString()


def _sign(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()
