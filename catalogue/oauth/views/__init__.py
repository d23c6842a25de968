"""OAuth views, split by audience: the authorization server's endpoints (apps), the
consent screen (patients), the client page (publishers) and the protected resource.

One blueprint; ``catalogue.app`` registers it and imports the route modules.
"""

from __future__ import annotations

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from catalogue.oauth.server import init_app

bp = Blueprint("oauth", __name__)


@bp.record_once
def _init_server(state: BlueprintSetupState) -> None:
    init_app(state.app)  # the server needs the app's settings

# The route modules (consent, endpoints, publisher, resource) attach their views to ``bp``;
# ``catalogue.app`` imports them.
