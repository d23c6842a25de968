"""Commission forms (Flask-WTF: CSRF, French messages, values kept on error).

Forms whose fields depend on the dossier (the missing items, the report and the decision's
reasons, one field per applicable requirement) are built for its requirements by the
``*_form`` functions below; their inputs keep the names the pages post
(``missing-SEC-03``, ``verdict-12``, ``reason-SEC-03``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    Field,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
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
        _l("Date et heure (heure de Paris)"), format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("Indiquez la date et l'heure de la séance."))])
    location = StringField(_l("Lieu ou lien de visioconférence"), validators=[Optional(), Length(max=200)])


class InformationRequestForm(Form):
    questions = TextAreaField(
        _l("Questions posées à l'éditeur"),
        description=_l("Une question par paragraphe ; citez les exigences concernées (ex. SEC-03)."),
        validators=[DataRequired(_l("Rédigez les questions posées à l'éditeur.")), Length(max=10000)])


class ReasonForm(Form):
    reason = TextAreaField(_l("Motif"), validators=[DataRequired(_l("Indiquez le motif.")), Length(max=5000)])


def _text(name: str, label: Any = "", max_length: int = 10_000) -> Any:
    # Named explicitly: the attribute is a Python name, the input keeps the page's name.
    return TextAreaField(label, name=name, validators=[Optional(), Length(max=max_length)],
                         filters=[lambda v: (v or "").strip()])


def _fields(form: FlaskForm, prefix: str) -> dict[str, Field]:
    """The dynamic fields of a form, by the key after ``prefix`` in their input name."""
    return {f.name[len(prefix):]: f for f in form if f.name.startswith(prefix)}


class IncompleteForm(Form):
    """Missing items of a dossier declared incomplete: one per requirement, and one general."""

    general = TextAreaField(_l("Autre élément manquant"), name="missing-general",
                            validators=[Optional(), Length(max=5000)],
                            filters=[lambda v: (v or "").strip()])

    def missing_items(self) -> list[dict[str, Any]]:
        """The items as ``declare_incomplete`` takes them, in framework order."""
        items: list[dict[str, Any]] = [
            {"requirement_code": code, "field": "answer", "message": field.data}
            for code, field in _fields(self, "missing-").items() if code != "general" and field.data]
        if self.general.data:
            items.append({"requirement_code": None, "field": "dossier", "message": self.general.data})
        return items


def incomplete_form(requirement_codes: Sequence[str], **kwargs: Any) -> IncompleteForm:
    """An ``IncompleteForm`` with one field per applicable requirement."""
    attrs = {f"missing_{i}": _text(f"missing-{code}", code, 5000) for i, code in enumerate(requirement_codes)}
    return type("DossierIncompleteForm", (IncompleteForm,), attrs)(**kwargs)  # type: ignore[no-any-return]


class RapporteursForm(Form):
    """The two rapporteurs (the proposal, or an override with its reason)."""

    # The service checks the choice (eligibility, interests, count) and says why in French.
    rapporteur_ids = SelectMultipleField(_l("Rapporteurs"), coerce=int, validate_choice=False)
    override_reason = TextAreaField(_l("Motif du choix, s'il diffère de la proposition"),
                                    validators=[Optional(), Length(max=2000)])


class ReportForm(Form):
    """A rapporteur's report: a verdict and comments per requirement, a proposed opinion."""

    proposed_opinion = SelectField(_l("Avis proposé"), validate_choice=False)
    summary = TextAreaField(_l("Synthèse"), validators=[Optional(), Length(max=20_000)])
    action = StringField()

    def assessments(self) -> dict[int, dict[str, str]]:
        """requirement id → verdict and comments, as ``file_report`` takes them."""
        verdicts, public, internal = (_fields(self, p) for p in ("verdict-", "public-", "internal-"))
        return {int(key): {"verdict": verdicts[key].data or "",
                           "public_comment": public[key].data or "",
                           "internal_comment": internal[key].data or ""} for key in verdicts}

    @property
    def filing(self) -> bool:
        """Whether the rapporteur files the report (final) rather than saving a draft."""
        return self.action.data == "file"

    @property
    def marking(self) -> bool:
        """Whether the rapporteur marks the rest of the category compliant."""
        return self.action.data == "compliant-rest"

    def mark_rest_compliant(self, requirements: Sequence[Any]) -> list[Any]:
        """Set "compliant" on each shown requirement still without a verdict; return them
        (the service records them as marked in bulk)."""
        verdicts = _fields(self, "verdict-")
        marked = []
        for requirement in requirements:
            field = verdicts.get(str(requirement.id))
            if field is not None and not field.data:
                field.data = "compliant"
                marked.append(requirement)
        return marked


def report_form(requirement_ids: Sequence[int], **kwargs: Any) -> ReportForm:
    """A ``ReportForm`` with the three fields of each applicable requirement."""
    attrs: dict[str, Any] = {}
    for rid in requirement_ids:
        # The service names an unknown verdict; an empty one is a draft.
        attrs[f"verdict_{rid}"] = StringField(name=f"verdict-{rid}", filters=[lambda v: (v or "").strip()])
        attrs[f"public_{rid}"] = _text(f"public-{rid}")
        attrs[f"internal_{rid}"] = _text(f"internal-{rid}")
    return type("DossierReportForm", (ReportForm,), attrs)(**kwargs)  # type: ignore[no-any-return]


class DecisionForm(Form):
    """The State's decision, motivated, with a reason per requirement where it matters."""

    outcome = StringField(_l("Décision"), filters=[lambda v: (v or "").strip()])
    motivation = TextAreaField(_l("Motivation"), validators=[Optional(), Length(max=20_000)])

    def reasons(self) -> list[dict[str, str]]:
        """The reasons given, requirement by requirement, as ``decide`` takes them."""
        return [{"requirement_code": code, "reason": field.data}
                for code, field in _fields(self, "reason-").items() if field.data]


def decision_form(requirement_codes: Sequence[str], **kwargs: Any) -> DecisionForm:
    """A ``DecisionForm`` with a reason field per applicable requirement."""
    attrs = {f"reason_{i}": _text(f"reason-{code}", code, 5000) for i, code in enumerate(requirement_codes)}
    return type("DossierDecisionForm", (DecisionForm,), attrs)(**kwargs)  # type: ignore[no-any-return]
