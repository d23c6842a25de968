"""Account forms: French labels and messages through Flask-Babel, validated on the server."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from catalogue.accounts.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from catalogue.core.forms import Form

_REQUIRED = _l("Ce champ est obligatoire.")
_EMAIL_REQUIRED = _l("Saisissez votre adresse e-mail.")
_PASSWORD_HINT = _l("Au moins %(n)s caractères. Une phrase de plusieurs mots est idéale.",
                    n=MIN_PASSWORD_LENGTH)


def _password(label: str) -> PasswordField:
    return PasswordField(label, validators=[
        DataRequired(message=_l("Saisissez un mot de passe.")),
        Length(max=MAX_PASSWORD_LENGTH,
               message=_l("Le mot de passe ne doit pas dépasser %(n)s caractères.",
                          n=MAX_PASSWORD_LENGTH)),
    ], description=_PASSWORD_HINT)


class SignupForm(Form):
    display_name = StringField(_l("Nom affiché (facultatif)"), validators=[
        Optional(), Length(max=120, message=_l("120 caractères au plus."))])
    email = EmailField(_l("Adresse e-mail"), validators=[
        DataRequired(message=_EMAIL_REQUIRED), Length(max=254)])
    password = _password(_l("Mot de passe"))
    password_confirm = PasswordField(_l("Confirmez le mot de passe"), validators=[
        DataRequired(message=_l("Confirmez le mot de passe.")),
        EqualTo("password", message=_l("Les deux mots de passe ne sont pas identiques.")),
    ])


class LoginForm(Form):
    email = EmailField(_l("Adresse e-mail"), validators=[
        DataRequired(message=_EMAIL_REQUIRED), Length(max=254)])
    password = PasswordField(_l("Mot de passe"), validators=[
        DataRequired(message=_l("Saisissez votre mot de passe.")), Length(max=MAX_PASSWORD_LENGTH)])
    next = HiddenField()


class SecondFactorForm(Form):
    code = StringField(_l("Code de vérification"), validators=[
        DataRequired(message=_l("Saisissez le code affiché par votre application.")),
        Length(max=32),
    ], description=_l("Le code à 6 chiffres de votre application d'authentification, "
                      "ou l'un de vos codes de secours."))
    next = HiddenField()


class EnrolForm(Form):
    code = StringField(_l("Code à 6 chiffres"), validators=[
        DataRequired(message=_l("Saisissez le code affiché par votre application.")),
        Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=_l("Le code contient 6 chiffres.")),
    ], description=_l("Le code affiché par votre application après avoir ajouté le compte."))
    next = HiddenField()


class ForgotPasswordForm(Form):
    email = EmailField(_l("Adresse e-mail du compte"), validators=[
        DataRequired(message=_EMAIL_REQUIRED), Length(max=254)])


class ResetPasswordForm(Form):
    password = _password(_l("Nouveau mot de passe"))
    password_confirm = PasswordField(_l("Confirmez le nouveau mot de passe"), validators=[
        DataRequired(message=_l("Confirmez le mot de passe.")),
        EqualTo("password", message=_l("Les deux mots de passe ne sont pas identiques.")),
    ])


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Mot de passe actuel"), validators=[
        DataRequired(message=_l("Saisissez votre mot de passe actuel.")),
        Length(max=MAX_PASSWORD_LENGTH)])
    new_password = _password(_l("Nouveau mot de passe"))
    new_password_confirm = PasswordField(_l("Confirmez le nouveau mot de passe"), validators=[
        DataRequired(message=_l("Confirmez le mot de passe.")),
        EqualTo("new_password", message=_l("Les deux mots de passe ne sont pas identiques.")),
    ])


class RecoveryCodesForm(Form):
    code = StringField(_l("Code à 6 chiffres de votre application"), validators=[
        DataRequired(message=_l("Saisissez le code affiché par votre application.")),
        Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=_l("Le code contient 6 chiffres.")),
    ])


class LocaleForm(Form):
    locale = SelectField(_l("Langue de l'interface et des e-mails"),
                         choices=[SelectChoice("fr", "Français", {"lang": "fr"}),
                                  SelectChoice("en", "English", {"lang": "en"})],
                         validators=[DataRequired(message=_REQUIRED)])


class ConfirmForm(Form):
    """A button that only needs the CSRF token (logout, mark read, resend)."""
