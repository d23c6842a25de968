"""Forms of the public catalogue: reporting a problem on a listing."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from catalogue.core.forms import Form
from catalogue.listings.services import REPORT_TEXT_MAX, REPORT_TEXT_MIN

REPORT_KINDS = [
    SelectChoice("security", _l("Sécurité (faille, fuite de données…)")),
    SelectChoice("data_protection", _l("Protection des données personnelles")),
    SelectChoice("content", _l("Contenu de la fiche inexact ou trompeur")),
    SelectChoice("accessibility", _l("Accessibilité")),
    SelectChoice("other", _l("Autre problème")),
]


class ReportForm(Form):
    kind = RadioField(_l("Type de problème"), choices=REPORT_KINDS,
                      validators=[InputRequired(_l("Choisissez le type de problème."))])
    text = TextAreaField(
        _l("Description du problème"),
        description=_l("Ce que vous avez constaté, quand et sur quel appareil. "
                       "N'indiquez pas de données de santé."),
        validators=[InputRequired(_l("Décrivez le problème.")),
                    Length(min=REPORT_TEXT_MIN, max=REPORT_TEXT_MAX,
                           message=_l("Entre %(min)d et %(max)d caractères."))],
    )
