"""Publisher forms: sign-up, organisation details, invitations, members."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from catalogue.core.forms import Form

_REQUIRED = _l("Ce champ est obligatoire.")


class OrganisationFieldsMixin:
    legal_name = StringField(_l("Raison sociale"), validators=[
        DataRequired(message=_l("Indiquez la raison sociale.")), Length(max=200)])
    siren = StringField(_l("SIREN"), validators=[DataRequired(message=_l("Indiquez le numéro SIREN."))],
                        description=_l("9 chiffres, figurant sur l'extrait d'immatriculation (Kbis)."))
    siret = StringField(_l("SIRET du siège (facultatif)"), validators=[Optional()],
                        description=_l("14 chiffres : le SIREN suivi du numéro d'établissement."))
    address = StringField(_l("Adresse"), validators=[Optional(), Length(max=300)])
    postal_code = StringField(_l("Code postal"), validators=[Optional(), Length(max=10)])
    city = StringField(_l("Ville"), validators=[Optional(), Length(max=120)])
    legal_representative = StringField(_l("Représentant légal"), validators=[
        DataRequired(message=_l("Indiquez le représentant légal.")), Length(max=200)],
        description=_l("Personne habilitée à engager l'organisation (nom et fonction)."))
    contact_email = EmailField(_l("E-mail de contact"), validators=[Optional(), Length(max=254)])
    contact_phone = StringField(_l("Téléphone de contact"), validators=[Optional(), Length(max=40)])


class OrganisationForm(OrganisationFieldsMixin, Form):
    """An organisation registered by a signed-in user."""


class PublisherSignupForm(OrganisationFieldsMixin, Form):
    """A new account and its organisation in one form."""

    display_name = StringField(_l("Vos nom et prénom"), validators=[
        DataRequired(message=_l("Indiquez vos nom et prénom.")), Length(max=120)])
    email = EmailField(_l("Votre adresse e-mail professionnelle"), validators=[
        DataRequired(message=_l("Saisissez votre adresse e-mail.")), Length(max=254)])
    password = PasswordField(_l("Mot de passe"), validators=[
        DataRequired(message=_l("Saisissez un mot de passe.")), Length(max=128)],
        description=_l("Au moins 12 caractères. Une phrase de plusieurs mots est idéale."))
    password_confirm = PasswordField(_l("Confirmez le mot de passe"), validators=[
        DataRequired(message=_l("Confirmez le mot de passe.")),
        EqualTo("password", message=_l("Les deux mots de passe ne sont pas identiques."))])


class ExtractForm(Form):
    file = FileField(_l("Extrait d'immatriculation (Kbis) de moins de trois mois"),
                     description=_l("PDF, PNG ou JPEG."))
    valid_until = DateField(_l("Valable jusqu'au (facultatif)"), validators=[Optional()])


class InviteForm(Form):
    email = EmailField(_l("Adresse e-mail de la personne invitée"), validators=[
        DataRequired(message=_l("Saisissez une adresse e-mail.")), Length(max=254)])
    role = SelectField(_l("Rôle"), choices=[
        SelectChoice("editor", _l("Éditeur : gère les applications et les dossiers")),
        SelectChoice("owner", _l("Propriétaire : gère aussi les membres"))])


class RoleForm(Form):
    role = SelectField(_l("Rôle"), choices=[SelectChoice("editor", _l("Éditeur")),
                                                  SelectChoice("owner", _l("Propriétaire"))])


class JoinForm(Form):
    """Accept an invitation by creating the account of the invited address."""

    display_name = StringField(_l("Vos nom et prénom"), validators=[
        DataRequired(message=_l("Indiquez vos nom et prénom.")), Length(max=120)])
    password = PasswordField(_l("Mot de passe"), validators=[
        DataRequired(message=_l("Saisissez un mot de passe.")), Length(max=128)],
        description=_l("Au moins 12 caractères."))


class ReasonForm(Form):
    reason = TextAreaField(_l("Motif"), validators=[DataRequired(message=_REQUIRED)])
