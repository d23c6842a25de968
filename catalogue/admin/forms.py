"""Administration forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from catalogue.accounts.models import Role
from catalogue.core.forms import Form


class UserSearchForm(Form):
    """GET search: no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Adresse e-mail ou nom"), validators=[Optional(), Length(max=254)])
    role = SelectField(_l("Rôle"), validators=[Optional()])


class GrantRoleForm(Form):
    role = SelectField(_l("Rôle à accorder"), validators=[
        DataRequired(message=_l("Choisissez un rôle."))])


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    action = StringField(_l("Action (début du nom)"), validators=[Optional(), Length(max=80)],
                         description=_l("Par exemple « auth. » ou « dossier.submit »."))


ROLE_VALUES = [r.value for r in Role]
