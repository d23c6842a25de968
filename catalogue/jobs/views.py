"""``/admin/taches``: failed jobs of the queue, with their error, for admins (who may requeue them)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from redis.exceptions import RedisError

from catalogue.accounts.auth import roles_required
from catalogue.accounts.forms import ConfirmForm
from catalogue.accounts.models import Role
from catalogue.jobs.queue import get_jobs

bp = Blueprint("jobs", __name__, url_prefix="/admin/taches")


@bp.get("/")
@roles_required(Role.ADMIN)
def failed() -> str:
    jobs = get_jobs()
    try:
        failed_jobs, unreachable = jobs.failed(), False
    except RedisError:
        failed_jobs, unreachable = [], True
    return render_template("admin/jobs.html", embedded=jobs.embedded, queue=jobs.queue_name,
                           failed=failed_jobs, unreachable=unreachable, confirm_form=ConfirmForm())


@bp.post("/<job_id>/relance")
@roles_required(Role.ADMIN)
def requeue(job_id: str) -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not get_jobs().requeue(job_id):
        abort(404)
    flash(_("Tâche remise dans la file."), "success")
    return redirect(url_for("jobs.failed"))
