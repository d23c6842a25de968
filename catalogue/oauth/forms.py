"""Forms of the consent screen and of the publisher's client page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from catalogue.consents.forms import MultiCheckboxField


class AuthorizeForm(FlaskForm):
    """The patient's answer: the categories granted, one by one, or a refusal."""

    categories = MultiCheckboxField(
        _l("Données que vous autorisez l'application à utiliser"),
        description=_l("Cochez chaque catégorie que vous acceptez de partager avec cette "
                       "application. Vous pourrez révoquer cet accord à tout moment."),
    )
    grant = SubmitField(_l("Autoriser"))
    deny = SubmitField(_l("Refuser"))


class RedirectUrisForm(FlaskForm):
    redirect_uris = TextAreaField(
        _l("Adresses de retour (une par ligne)"),
        description=_l("Comparées exactement. https:// obligatoire, sauf http://127.0.0.1 "
                       "pour une application native."),
        validators=[Length(max=4000)],
    )


class RotateSecretForm(FlaskForm):
    """Only the CSRF token."""
