"""OAuth views, split by audience: the authorization server's endpoints (apps), the
consent screen (patients), the client page (publishers) and the protected resource.

One blueprint, so that ``create_app`` registers it like any domain's.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("oauth", __name__)


@bp.record_once
def _init_server(state: object) -> None:
    from catalogue.oauth.server import init_app  # the server needs the app's settings

    init_app(state.app)  # type: ignore[attr-defined]


# The route modules attach their views to ``bp``.
from catalogue.oauth.views import consent, endpoints, publisher, resource  # noqa: E402,F401
