"""The form of a modification dossier's proposed profile: the assessed facts only, with the
version it was built from (concurrent edits are refused, not merged)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from catalogue.apps import vocabulary as v
from catalogue.apps.forms import ASKED_PREDICATES, AppProfileForm
from catalogue.frameworks.vocabulary import PREDICATES


class ProposedProfileForm(FlaskForm):
    # The questionnaire's own fields (same labels, hints and checks).
    audiences = AppProfileForm.audiences
    platforms = AppProfileForm.platforms
    data_categories = AppProfileForm.data_categories
    hosting_provider = AppProfileForm.hosting_provider
    hds_certified = AppProfileForm.hds_certified
    hds_certificate_ref = AppProfileForm.hds_certificate_ref
    connected_services = AppProfileForm.connected_services
    is_medical_device = AppProfileForm.is_medical_device
    medical_device_class = AppProfileForm.medical_device_class
    predicates = AppProfileForm.predicates
    version = HiddenField(validators=[DataRequired()])

    def __init__(self, *args: Any, lang: str = "fr", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def table(t: v.Table) -> list[SelectChoice]:
            return [SelectChoice(code, label) for code, label in v.choices(t, lang)]

        self.audiences.choices = table(v.AUDIENCES)
        self.platforms.choices = table(v.PLATFORMS)
        self.data_categories.choices = table(v.DATA_CATEGORIES)
        self.medical_device_class.choices = [SelectChoice("", "—"), *table(v.MEDICAL_DEVICE_CLASSES)]
        self.connected_services.choices = table(v.NATIONAL_SERVICES)
        self.predicates.choices = [SelectChoice(c, PREDICATES[c][1 if lang == "en" else 0])
                                   for c in ASKED_PREDICATES]

    def fill(self, snapshot: dict[str, Any], version: int) -> None:
        """Show the proposal as it stands (GET)."""
        for name in v.ASSESSED_FIELDS:
            value = snapshot.get(name)
            if name == "predicates":
                value = [c for c in value or [] if c in ASKED_PREDICATES]
            getattr(self, name).data = value if value is not None else ""
        self.version.data = str(version)

    def values(self) -> dict[str, Any]:
        """The proposal as the service takes it."""
        return {name: getattr(self, name).data for name in v.ASSESSED_FIELDS}
