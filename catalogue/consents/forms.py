"""Forms of the patient's space: consent screen, revocation, account deletion."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectMultipleField, widgets
from wtforms.validators import DataRequired, InputRequired, ValidationError

from catalogue.core.forms import Form


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes, one per choice (rendered by ``macros/forms.html``)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form: object) -> None:
        known = {choice.value for choice in self.choices or ()}
        if any(value not in known for value in self.data or ()):
            raise ValidationError(_l("Cette catégorie n'est pas déclarée par l'application."))


class ConsentForm(Form):
    scopes = MultiCheckboxField(
        _l("Données que vous autorisez l'application à utiliser"),
        description=_l("Cochez chaque catégorie que vous acceptez de partager. "
                       "Vous pourrez révoquer cette autorisation à tout moment."),
        validators=[DataRequired(_l("Cochez au moins une catégorie de données à partager."))],
    )


class RevokeForm(Form):
    """Only the CSRF token: the consent is in the URL."""


class ExportForm(Form):
    """Only the CSRF token: the export is a POST because it is audited."""


class DeleteAccountForm(Form):
    password = PasswordField(_l("Votre mot de passe"),
                             validators=[InputRequired(_l("Saisissez votre mot de passe."))])
    confirm = BooleanField(
        _l("Je comprends que mes connexions seront révoquées et mes données personnelles "
           "effacées définitivement."),
        validators=[DataRequired(_l("Cochez cette case pour confirmer."))],
    )
