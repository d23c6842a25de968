"""Site-wide pages that belong to no domain: health check, legal and help pages."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template
from sqlalchemy import text

from catalogue import db

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness and database reachability, for load balancers and monitoring."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means the database is not usable
        db.rollback()
        response = jsonify({"status": "error", "database": "unreachable"})
        response.status_code = 503
    else:
        response = jsonify({"status": "ok", "database": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/accessibilite")
def accessibility() -> str:
    return render_template("core/accessibility.html")


@bp.get("/mentions-legales")
def legal() -> str:
    return render_template("core/legal.html")
