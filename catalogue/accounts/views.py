"""Account pages: sign-up, sign-in and second factor, sign-out, verification and reset
links, the account home, security settings and notifications. Views parse the form,
call one service, commit, then redirect or render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import refresh as babel_refresh
from flask_login import current_user, login_user, logout_user

from catalogue import db
from catalogue.accounts import lockout, oidc, totp
from catalogue.accounts import queries as account_queries
from catalogue.accounts import second_factor as two_factor
from catalogue.accounts import services as accounts
from catalogue.accounts.auth import (
    allows_unverified,
    login_required,
    rate_limit_key,
    safe_next,
    second_factor_passed,
)
from catalogue.accounts.forms import (
    ChangePasswordForm,
    ConfirmForm,
    EnrolForm,
    ForgotPasswordForm,
    LocaleForm,
    LoginForm,
    RecoveryCodesForm,
    ResetPasswordForm,
    SecondFactorForm,
    SignupForm,
)
from catalogue.accounts.models import Role
from catalogue.accounts.tokens import InvalidToken
from catalogue.core.i18n import per_locale
from catalogue.core.work import landing_path
from catalogue.errors import PermissionDenied, ValidationFailed
from catalogue.extensions import limiter
from catalogue.notifications import services as notifications
from catalogue.web import apply_form, commit, place_errors

bp = Blueprint("accounts", __name__)
# Sign-in through OpenID Connect providers (Pro Santé Connect, FranceConnect), when configured.
bp.register_blueprint(oidc.bp)

# Per client address; the TOTP step is also limited per account (rate_limit_key).
LOGIN_LIMIT = "10 per minute;50 per hour"
SIGNUP_LIMIT = "5 per hour;20 per day"
RESET_LIMIT = "5 per 15 minutes;20 per day"
TOTP_LIMIT = "5 per minute;30 per hour"
RESEND_LIMIT = "3 per hour"


def _load_user_afresh() -> None:
    # Flask-Login caches the user on ``g``, which lives as long as the application
    # context; a context kept across requests (tests, some workers) would reuse a user
    # loaded before a logout. Each request must check the session again.
    g.pop("_login_user", None)
    g.pop("csrf_token", None)  # Flask-WTF's cache of the session's token, same reason
    babel_refresh()  # Flask-Babel's cached locale, same reason


@bp.record_once
def _install_first(state: Any) -> None:
    # First of all hooks, so that the CSRF check and the error pages see this request's user.
    state.app.before_request_funcs.setdefault(None, []).insert(0, _load_user_afresh)


@bp.app_context_processor
def _account_helpers() -> dict[str, Any]:
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return notifications.unread_count(db.session, current_user.id)

    return {"unread_notifications": unread_notifications, "role_labels": role_labels(),
            "role_patient": Role.PATIENT}


def _role_labels() -> dict[Role, str]:
    """The French (or English) name of each global role, for pages."""
    return {
        Role.PATIENT: _("Patient"),
        Role.SECRETARIAT: _("Secrétariat"),
        Role.RAPPORTEUR: _("Rapporteur"),
        Role.MEMBER: _("Membre de la commission"),
        Role.CHAIR: _("Président de la commission"),
        Role.DECISION_MAKER: _("Décideur"),
        Role.ADMIN: _("Administrateur"),
    }


# Once per language: every page gets them (``_account_helpers``).
role_labels = per_locale(_role_labels)


# --- Sign-up ------------------------------------------------------------------


@bp.route("/inscription", methods=["GET", "POST"])
@limiter.limit(SIGNUP_LIMIT, methods=["POST"])
def signup() -> Any:
    """Patients create an account; publishers go to /inscription/editeur."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = SignupForm()
    if form.validate_on_submit():
        registered = apply_form(form, lambda: accounts.register_patient(
            db.session, email=form.email.data, password=form.password.data,
            display_name=form.display_name.data or "", locale=_current_locale(),
        ), "", field="email")
        if registered:
            return render_template("accounts/signup_done.html", email=form.email.data.strip())
    return render_template("accounts/signup.html", form=form), 200 if not form.errors else 422


# --- Sign-in, second factor, sign-out ------------------------------------------


def _failed_sign_in(response: Any) -> bool:
    # Only failed attempts count against the address: colleagues signing in from one office
    # (one NAT address) before a commission session must not lock each other out.
    return response.status_code != 302


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"], deduct_when=_failed_sign_in)
def login() -> Any:
    """First factor: address and password, with a per-account lock-out after repeated failures."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"), default="")
        if current_user.is_authenticated and (
                not current_user.needs_second_factor or second_factor_passed()):
            return redirect(safe_next(form.next.data))
    if not form.validate_on_submit():
        return render_template("accounts/login.html", form=form), 200 if not form.errors else 422
    email = form.email.data
    if lockout.is_locked(email):
        accounts.record_locked_attempt(db.session, accounts.find_user(db.session, email))
        commit()
        return _locked(form)
    user = accounts.authenticate(db.session, email, form.password.data)
    if user is None:
        locked = lockout.record_failure(email)
        accounts.record_login_failure(db.session, accounts.find_user(db.session, email), locked=locked)
        commit()
        if locked:
            return _locked(form)
        form.password.errors = [_("Adresse e-mail ou mot de passe incorrect.")]
        return render_template("accounts/login.html", form=form, failed=True), 422
    lockout.clear(email)
    # A new session on sign-in: nothing from before (a planted cookie) survives,
    # except the language the visitor chose (a plain "fr"/"en" choice, checked again).
    chosen_lang = session.get("lang") if session.get("lang") in ("fr", "en") else None
    session.clear()
    if chosen_lang:
        session["lang"] = chosen_lang
    login_user(user)
    session["mfa"] = False
    accounts.record_login(db.session, user)
    commit()
    # Without a page asked for, each role lands on its own work.
    target = safe_next(form.next.data, default=landing_path(user))
    if user.needs_second_factor:
        return redirect(url_for("accounts.second_factor", next=target))
    if user.email_verified_at is None:
        return redirect(url_for("accounts.confirm_pending"))
    return redirect(target)


def _locked(form: LoginForm) -> tuple[str, int]:
    form.email.errors = [_(
        "Trop de tentatives de connexion ont échoué pour ce compte. Réessayez dans %(minutes)s "
        "minutes ou réinitialisez votre mot de passe.", minutes=15)]
    return render_template("accounts/login.html", form=form, locked=True), 429


@bp.route("/connexion/totp", methods=["GET", "POST"])
@limiter.limit(TOTP_LIMIT, key_func=rate_limit_key, methods=["POST"])
def second_factor() -> Any:
    """Second factor for commission roles and administrators; enrolment the first time."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    target = safe_next(request.values.get("next"))
    if not current_user.needs_second_factor or second_factor_passed():
        return redirect(target)
    user = current_user._get_current_object()
    if user.totp_enabled_at is None:
        return _enrol(user, target)
    form = SecondFactorForm()
    if request.method == "GET":
        form.next.data = target
    elif form.validate_on_submit():
        method = two_factor.verify_second_factor(db.session, user, form.code.data)
        commit()
        if method is not None:
            session["mfa"] = True
            if method == "recovery_code":
                flash(_("Code de secours utilisé. Il vous en reste %(n)s ; vous pouvez en générer de "
                        "nouveaux dans « Sécurité ».",
                        n=two_factor.remaining_recovery_codes(db.session, user)), "warning")
            return redirect(target)
        form.code.errors = [_("Code incorrect ou déjà utilisé. Attendez le code suivant et réessayez.")]
    status = 422 if form.errors else 200
    return render_template("accounts/second_factor.html", form=form), status


def _enrol(user: Any, target: str) -> Any:
    form = EnrolForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            codes = two_factor.confirm_totp_enrolment(db.session, user, form.code.data)
        except ValidationFailed as exc:
            commit()  # keep the audit event of the failed attempt
            place_errors(form, exc, "code")
        else:
            commit()
            session["mfa"] = True
            return render_template("accounts/recovery_codes.html", codes=codes, next=target,
                                   first_time=True)
    secret = two_factor.start_totp_enrolment(db.session, user)
    commit()
    form.next.data = target
    uri = totp.provisioning_uri(secret, user.email)
    return render_template(
        "accounts/enrol.html", form=form, qr=totp.qr_data_uri(uri),
        secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
    ), 422 if form.errors else 200


@bp.route("/deconnexion", methods=["GET", "POST"])
def logout() -> Any:
    """POST signs out and revokes every copy of the session; GET asks for confirmation."""
    if not current_user.is_authenticated:
        return redirect("/")
    form = ConfirmForm()
    if request.method == "GET":
        return render_template("accounts/logout.html", form=form)
    if not form.validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    accounts.end_sessions(db.session, user, actor=user)
    commit()
    logout_user()
    session.clear()
    flash(_("Vous êtes déconnecté."), "success")
    return redirect("/")


# --- Links sent by e-mail -----------------------------------------------------


@bp.get("/compte/verification/<token>")
def verify_email(token: str) -> Any:
    try:
        accounts.verify_email(db.session, token)
    except InvalidToken as exc:
        db.rollback()
        return render_template("accounts/link_invalid.html", reason=exc.reason,
                               kind="verification"), 400
    commit()
    flash(_("Votre adresse e-mail est confirmée."), "success")
    return redirect(url_for("accounts.account") if current_user.is_authenticated
                    else url_for("accounts.login"))


@bp.get("/compte/confirmation")
@login_required
@allows_unverified
def confirm_pending() -> Any:
    """The only page of an account whose address is not confirmed yet."""
    if current_user.email_verified_at is not None:
        return redirect(url_for("accounts.account"))
    return render_template("accounts/confirm_pending.html", email=current_user.email,
                           form=ConfirmForm())


@bp.post("/compte/verification")
@login_required
@allows_unverified
@limiter.limit(RESEND_LIMIT, key_func=rate_limit_key)
def resend_verification() -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    accounts.send_verification(db.session, user)
    commit()
    flash(_("Un nouveau lien de confirmation vous a été envoyé."), "success")
    return redirect(url_for("accounts.account" if user.email_verified_at else "accounts.confirm_pending"))


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit(RESET_LIMIT, methods=["POST"])
def forgot_password() -> Any:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(db.session, form.email.data)
        commit()
        # The same answer whether or not the address has an account.
        return render_template("accounts/forgot_done.html")
    return render_template("accounts/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/mot-de-passe/nouveau/<token>", methods=["GET", "POST"])
@limiter.limit(RESET_LIMIT, methods=["POST"])
def reset_password(token: str) -> Any:
    try:
        accounts.check_reset_token(db.session, token)
    except InvalidToken as exc:
        return render_template("accounts/link_invalid.html", reason=exc.reason, kind="reset"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.reset_password(db.session, token, form.password.data)
        except ValidationFailed as exc:
            db.rollback()
            place_errors(form, exc, "password")
        else:
            commit()
            lockout.clear(user.email)
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash(_("Votre mot de passe a été changé. Connectez-vous avec le nouveau."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form), 422 if form.errors else 200


# --- The account ----------------------------------------------------------------


@bp.get("/compte/")
@login_required
def account() -> str:
    user = current_user._get_current_object()
    return render_template("accounts/account.html", user=user,
                           locale_form=LocaleForm(locale=user.locale), confirm_form=ConfirmForm())


@bp.post("/compte/langue")
@login_required
def set_locale() -> Any:
    form = LocaleForm()
    if not form.validate_on_submit():
        flash(_("Langue inconnue."), "error")
        return redirect(url_for("accounts.account"))
    accounts.set_locale(db.session, current_user._get_current_object(), form.locale.data,
                        actor=current_user._get_current_object())
    commit()
    session["lang"] = form.locale.data
    flash(_("Préférence de langue enregistrée."), "success")
    return redirect(url_for("accounts.account"))


@bp.get("/compte/securite")
@login_required
def security() -> str:
    return _security_page()


def _security_page(password_form: ChangePasswordForm | None = None,
                   codes_form: RecoveryCodesForm | None = None) -> Any:
    user = current_user._get_current_object()
    status = 422 if (password_form and password_form.errors) or (codes_form and codes_form.errors) \
        else 200
    return render_template(
        "accounts/security.html", user=user,
        password_form=password_form or ChangePasswordForm(formdata=None),
        codes_form=codes_form or RecoveryCodesForm(formdata=None),
        remaining_codes=two_factor.remaining_recovery_codes(db.session, user)
        if user.totp_enabled_at else 0,
    ), status


@bp.post("/compte/securite/mot-de-passe")
@login_required
def change_password() -> Any:
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _security_page(password_form=form)
    user = current_user._get_current_object()
    if not apply_form(form, lambda: accounts.change_password(
            db.session, user, form.current_password.data, form.new_password.data, actor=user),
            "", field="new_password"):
        return _security_page(password_form=form)
    # Other sessions died with the old session_version; this one is re-issued.
    mfa = second_factor_passed()
    login_user(user)
    session["mfa"] = mfa
    flash(_("Mot de passe changé. Vos autres sessions ont été fermées."), "success")
    return redirect(url_for("accounts.security"))


@bp.post("/compte/securite/codes-de-secours")
@login_required
@limiter.limit(TOTP_LIMIT, key_func=rate_limit_key)
def recovery_codes() -> Any:
    form = RecoveryCodesForm()
    if not form.validate_on_submit():
        return _security_page(codes_form=form)
    user = current_user._get_current_object()
    try:
        codes = two_factor.regenerate_recovery_codes(db.session, user, form.code.data, actor=user)
    except ValidationFailed as exc:
        db.rollback()
        place_errors(form, exc, "code")
        return _security_page(codes_form=form)
    except PermissionDenied:
        db.rollback()
        abort(403)
    commit()
    return render_template("accounts/recovery_codes.html", codes=codes,
                           next=url_for("accounts.security"), first_time=False)


@bp.get("/compte/notifications")
@login_required
def notifications_page() -> str:
    user = current_user._get_current_object()
    items = account_queries.notifications_of(db.session, user)
    return render_template("accounts/notifications.html", items=items, form=ConfirmForm(),
                           safe_link=lambda link: safe_next(link, default=""))


@bp.post("/compte/notifications/<int:notification_id>/lue")
@login_required
def notification_read(notification_id: int) -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    accounts.mark_notifications_read(db.session, user, [notification_id], actor=user)
    commit()
    return redirect(url_for("accounts.notifications_page"))


@bp.post("/compte/notifications/tout-lu")
@login_required
def notifications_read_all() -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    count = accounts.mark_notifications_read(db.session, user, actor=user)
    commit()
    flash(_("%(n)s notification(s) marquée(s) comme lue(s).", n=count), "success")
    return redirect(url_for("accounts.notifications_page"))


def _current_locale() -> str:
    return str(get_locale() or "fr")
