"""Forms of the public framework pages: the profile filter and the version comparison.

Both are GET forms (bookmarkable, shareable, usable without an account or JavaScript), so
they carry no CSRF token: they change nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, SelectMultipleField, widgets
from wtforms.validators import ValidationError

from catalogue.core.forms import Form
from catalogue.frameworks.vocabulary import PREDICATES


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (rendered by macros/forms.html)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form: object) -> None:
        # WTForms' own message is English and names no value; say which one is unknown.
        known = {value for value, _label in self.choices or ()}
        unknown = [value for value in self.data or () if value not in known]
        if unknown:
            raise ValidationError(
                _l("Caractéristique inconnue : %(codes)s.", codes=", ".join(unknown))
            )


class ProfileFilterForm(Form):
    """"Which requirements apply to an app like mine?": tick what the app does."""

    class Meta:
        csrf = False

    profil = MultiCheckboxField(
        _l("Caractéristiques de votre service"),
        description=_l(
            "Cochez ce qui décrit votre service ; les exigences qui ne dépendent d'aucune "
            "de ces caractéristiques s'appliquent toujours."
        ),
    )
    # Present when the form was sent, so that sending it with no box ticked means "a
    # service none of these describe" rather than "no filter".
    filtre = HiddenField(default="1")

    def __init__(self, *args: object, locale: str = "fr", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        index = 1 if locale == "en" else 0
        self.profil.choices = [(code, labels[index]) for code, labels in PREDICATES.items()]

    @property
    def submitted(self) -> bool:
        return bool(self.filtre.raw_data) or bool(self.profil.raw_data)


class CompareForm(Form):
    """Pick two versions of a framework code to see what changed between them."""

    class Meta:
        csrf = False

    de = SelectField(_l("Version de départ"))
    a = SelectField(_l("Version d'arrivée"))

    def __init__(self, *args: object, versions: Sequence[str] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        choices = [(v, v) for v in versions]
        self.de.choices = choices
        self.a.choices = choices
        self.de.validators = []
        self.a.validators = []

    def validate_a(self, field: SelectField) -> None:
        if field.data == self.de.data:
            raise ValidationError(_l("Choisissez deux versions différentes."))
