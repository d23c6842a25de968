"""Commission forms (Flask-WTF: CSRF, French messages, values kept on error).

Forms whose fields depend on the dossier (the report, the missing items, the
decision's reasons per requirement) are parsed in ``views`` from named inputs;
the fixed ones are declared here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from catalogue.core.forms import Form


class InterestForm(Form):
    organisation_id = SelectField(_l("Éditeur concerné"), coerce=int,
                                  validators=[DataRequired(_l("Choisissez un éditeur."))])
    nature = TextAreaField(_l("Nature du lien"),
                           description=_l("Fonction, contrat, participation financière, lien familial…"),
                           validators=[DataRequired(_l("Décrivez la nature du lien.")), Length(max=2000)])
    started_on = DateField(_l("Début du lien"),
                           validators=[DataRequired(_l("Indiquez une date valide (jj/mm/aaaa)."))])
    ended_on = DateField(_l("Fin du lien"), description=_l("Laissez vide si le lien est toujours actuel."),
                         validators=[Optional()])


class SessionForm(Form):
    title = StringField(_l("Intitulé de la séance"),
                        validators=[DataRequired(_l("Donnez un intitulé à la séance.")), Length(max=200)])
    scheduled_at = DateTimeLocalField(
        _l("Date et heure (UTC)"), format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("Indiquez la date et l'heure de la séance."))])
    location = StringField(_l("Lieu ou lien de visioconférence"), validators=[Optional(), Length(max=200)])


class InformationRequestForm(Form):
    questions = TextAreaField(
        _l("Questions posées à l'éditeur"),
        description=_l("Une question par paragraphe ; citez les exigences concernées (ex. SEC-03)."),
        validators=[DataRequired(_l("Rédigez les questions posées à l'éditeur.")), Length(max=10000)])


class ReasonForm(Form):
    reason = TextAreaField(_l("Motif"), validators=[DataRequired(_l("Indiquez le motif.")), Length(max=5000)])
