"""Helpers for tests that drive the account pages through the Flask test client,
with CSRF protection on (as in production)."""

from __future__ import annotations

import re
from typing import Any

import pyotp
from flask.testing import FlaskClient
from sqlalchemy import select

from catalogue import db
from catalogue.notifications.models import OutboxMessage

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str = "/connexion") -> str:
    """The CSRF token of the client's session, read from a page's form."""
    response = client.get(url)
    match = _TOKEN.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({response.status_code})"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, Any], *, form_page: str | None = None,
              **kwargs: Any) -> Any:
    """POST like a browser: the token comes from the page showing the form."""
    token = csrf_token(client, form_page or url)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def sign_in(client: FlaskClient, email: str, password: str, **kwargs: Any) -> Any:
    return post_form(client, "/connexion", {"email": email, "password": password}, **kwargs)


def totp_now(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def outbox(message: str | None = None, recipient: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if message:
        query = query.where(OutboxMessage.message == message)
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient)
    return list(db.session.scalars(query))


def link_token(message: OutboxMessage, path: str) -> str:
    """The token of the link ``{base_url}{path}<token>`` in an e-mail's text."""
    match = re.search(re.escape(path) + r"([A-Za-z0-9_.\-]+)", message.text_body)
    assert match, message.text_body
    return match.group(1)


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def fresh(obj: Any) -> Any:
    """The object reloaded from the database (requests end their session: the test's
    copy goes stale)."""
    from sqlalchemy import inspect

    identity = inspect(obj).identity
    db.session.expire_all()
    return db.session.get(type(obj), identity[0])
