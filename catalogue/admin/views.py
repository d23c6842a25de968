"""Administration (``/admin/``): users and roles, the e-mail outbox, the audit trail.

Every page needs the admin role and the second factor (``roles_required``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from catalogue import db
from catalogue.accounts import queries as account_queries
from catalogue.accounts import second_factor as two_factor
from catalogue.accounts import services as accounts
from catalogue.accounts.auth import roles_required
from catalogue.accounts.forms import ConfirmForm
from catalogue.accounts.models import Role
from catalogue.accounts.views import role_labels
from catalogue.admin import services
from catalogue.admin.forms import AuditFilterForm, GrantRoleForm, UserSearchForm
from catalogue.errors import PermissionDenied
from catalogue.notifications.models import OutboxMessage
from catalogue.web import act, apply_form

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _page_arg() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), 100_000))
    except ValueError:
        return 1


def _actor() -> Any:
    return current_user._get_current_object()


@bp.get("/")
@roles_required(Role.ADMIN)
def index() -> str:
    return render_template("admin/index.html", counts=services.dashboard_counts(db.session))


@bp.get("/utilisateurs")
@roles_required(Role.ADMIN)
def users() -> str:
    form = UserSearchForm(request.args)
    labels = role_labels()
    form.role.choices = [SelectChoice("", _("Tous"))] + [SelectChoice(r.value, labels[r]) for r in Role]
    role = Role(form.role.data) if form.validate() and form.role.data else None
    result = account_queries.search_users(db.session, query=form.q.data or "", role=role, page=_page_arg())
    return render_template("admin/users.html", form=form, result=result)


@bp.get("/utilisateurs/<int:user_id>")
@roles_required(Role.ADMIN)
def user_detail(user_id: int) -> str:
    return _user_page(user_id)


def _user_page(user_id: int, grant_form: GrantRoleForm | None = None, status: int = 200) -> Any:
    user = accounts.get_user(db.session, user_id)
    labels = role_labels()
    form = grant_form or GrantRoleForm(formdata=None)
    form.role.choices = [SelectChoice(r.value, labels[r]) for r in Role if r not in user.role_set]
    events = services.audit_page(db.session, subject=("User", str(user.id)), per_page=20)
    return render_template("admin/user.html", user=user, grant_form=form, confirm_form=ConfirmForm(),
                           events=events), status


@bp.post("/utilisateurs/<int:user_id>/roles")
@roles_required(Role.ADMIN)
def grant_role(user_id: int) -> Any:
    user = accounts.get_user(db.session, user_id)
    form = GrantRoleForm()
    form.role.choices = [SelectChoice(r.value) for r in Role]
    if not form.validate_on_submit():
        return _user_page(user_id, form, 422)
    return act(lambda: accounts.grant_role(db.session, user, Role(form.role.data), actor=_actor()),
               _("Rôle « %(role)s » accordé.", role=role_labels()[Role(form.role.data)]),
               url_for("admin.user_detail", user_id=user.id))


@bp.post("/utilisateurs/<int:user_id>/roles/<role>/retrait")
@roles_required(Role.ADMIN)
def revoke_role(user_id: int, role: str) -> Any:
    if role not in {r.value for r in Role}:
        abort(404)
    user = accounts.get_user(db.session, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)

    def action() -> None:
        try:
            accounts.revoke_role(db.session, user, Role(role), actor=_actor())
        except PermissionDenied:
            # The rule's reason, in the reader's language.
            raise PermissionDenied(_("Impossible de retirer le rôle du dernier administrateur.")) from None

    return act(action, _("Rôle « %(role)s » retiré.", role=role_labels()[Role(role)]),
               url_for("admin.user_detail", user_id=user.id))


@bp.post("/utilisateurs/<int:user_id>/second-facteur")
@roles_required(Role.ADMIN)
def reset_second_factor(user_id: int) -> Any:
    user = accounts.get_user(db.session, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return act(lambda: two_factor.reset_second_factor(db.session, user, actor=_actor()),
               _("Second facteur réinitialisé : la personne l'activera de nouveau à sa prochaine "
                 "connexion."), url_for("admin.user_detail", user_id=user.id))


@bp.get("/courriels")
@roles_required(Role.ADMIN)
def outbox() -> str:
    pending = request.args.get("en_attente") == "1"
    page = services.outbox_page(db.session, page=_page_arg(), pending_only=pending)
    return render_template("admin/outbox.html", result=page, pending=pending)


@bp.get("/courriels/<int:message_id>")
@roles_required(Role.ADMIN)
def outbox_message(message_id: int) -> str:
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    return render_template("admin/outbox_message.html", message=message,
                           body=services.redacted_body(message))


@bp.route("/audit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def audit_log() -> Any:
    form = AuditFilterForm(request.args)
    action = form.action.data.strip() if form.validate() and form.action.data else ""
    verification = None
    if request.method == "POST":
        confirm = ConfirmForm()
        if not confirm.validate_on_submit():
            abort(400)
        found: list[Any] = []
        # The page shows the result itself: no flashed message.
        apply_form(confirm, lambda: found.append(services.verify_audit_chain(db.session, actor=_actor())), "")
        verification = {"ok": found[0] is None, "broken": found[0]} if found else None
    page = services.audit_page(db.session, action=action, page=_page_arg())
    return render_template("admin/audit.html", form=form, result=page, verification=verification,
                           confirm_form=ConfirmForm()), 200

