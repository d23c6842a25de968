"""The app profile form (the orientation questionnaire), logo and screenshots."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from catalogue.apps import vocabulary as v
from catalogue.core.forms import Form
from catalogue.frameworks.vocabulary import PREDICATES


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes (rendered by macros/forms.html)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form: object) -> None:
        known = {choice.value for choice in self.choices or ()}
        unknown = [value for value in self.data or () if value not in known]
        if unknown:
            raise ValidationError(_l("Valeur inconnue : %(codes)s.", codes=", ".join(unknown)))


# Predicates the form asks directly; the others follow from the profile's answers.
ASKED_PREDICATES = ("processes_health_data", "exchanges_documents", "uses_ai")


class AppProfileForm(Form):
    name = StringField(_l("Nom de l'application"), validators=[
        DataRequired(message=_l("Indiquez le nom de l'application.")), Length(max=120)])
    slug = StringField(_l("Identifiant d'adresse (facultatif)"), validators=[Optional(), Length(max=80)],
                       description=_l("Lettres minuscules, chiffres et tirets ; utilisé dans l'adresse de la "
                                      "fiche du catalogue. Laissez vide pour le déduire du nom."))
    # Lengths and cross-field rules are checked by the service, which reports every field at once.
    summary = TextAreaField(_l("Résumé"), validators=[DataRequired(message=_l("Indiquez un résumé."))],
        description=_l("200 caractères au plus : ce que l'application apporte, en une ou deux phrases."))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)],
                                description=_l("Mise en forme Markdown possible "
                                               "(titres, listes, gras, liens)."))
    category = SelectField(_l("Catégorie"),
                           validators=[DataRequired(message=_l("Choisissez une catégorie."))])
    audiences = MultiCheckboxField(_l("Publics"))
    platforms = MultiCheckboxField(_l("Plateformes"))
    languages = MultiCheckboxField(_l("Langues"))
    pricing = RadioField(_l("Tarification"), default="free")
    price_text = StringField(_l("Tarifs des options payantes"), validators=[Optional(), Length(max=200)],
                             description=_l("Obligatoire si l'application n'est pas entièrement gratuite."))
    website_url = StringField(_l("Site web"), validators=[Optional(), Length(max=500)])
    privacy_policy_url = StringField(_l("Politique de confidentialité (adresse web)"),
                                     validators=[Optional(), Length(max=500)])
    accessibility_statement_url = StringField(_l("Déclaration d'accessibilité (adresse web)"),
                                              validators=[Optional(), Length(max=500)])
    support_contact = StringField(_l("Contact du support"), validators=[Optional(), Length(max=254)],
                                  description=_l("Adresse e-mail ou page web de support."))
    data_categories = MultiCheckboxField(
        _l("Données de l'espace santé lues ou écrites"),
        description=_l("Laissez tout décoché si l'application n'échange pas de données avec l'espace santé."))
    hosting_provider = StringField(_l("Hébergeur des données"), validators=[Optional(), Length(max=200)])
    hds_certified = BooleanField(_l("L'hébergeur est certifié hébergeur de données de santé (HDS)"))
    hds_certificate_ref = StringField(_l("Référence du certificat HDS"),
                                      validators=[Optional(), Length(max=200)])
    is_medical_device = BooleanField(_l("L'application est un dispositif médical (marquage CE)"))
    medical_device_class = SelectField(_l("Classe du dispositif médical"), validators=[Optional()])
    connected_services = MultiCheckboxField(_l("Services numériques nationaux utilisés"))
    predicates = MultiCheckboxField(_l("L'application…"))

    def __init__(self, *args: Any, lang: str = "fr", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        def table(t: v.Table) -> list[SelectChoice]:
            return [SelectChoice(code, label) for code, label in v.choices(t, lang)]

        self.category.choices = [SelectChoice("", _l("— Choisir —")), *table(v.CATEGORIES)]
        self.audiences.choices = table(v.AUDIENCES)
        self.platforms.choices = table(v.PLATFORMS)
        self.languages.choices = table(v.LANGUAGES)
        self.pricing.choices = table(v.PRICING)
        self.data_categories.choices = table(v.DATA_CATEGORIES)
        self.medical_device_class.choices = [SelectChoice("", _l("— Sans objet —")),
                                             *table(v.MEDICAL_DEVICE_CLASSES)]
        self.connected_services.choices = table(v.NATIONAL_SERVICES)
        self.predicates.choices = [SelectChoice(c, PREDICATES[c][1 if lang == "en" else 0])
                                   for c in ASKED_PREDICATES]

    def values(self) -> dict[str, Any]:
        """The answers as the service takes them."""
        names = ("name", "slug", "summary", "description", "category", "audiences", "platforms",
                 "languages", "pricing", "price_text", "website_url", "privacy_policy_url",
                 "accessibility_statement_url", "support_contact", "data_categories",
                 "hosting_provider", "hds_certified", "hds_certificate_ref", "is_medical_device",
                 "medical_device_class", "connected_services", "predicates")
        return {name: getattr(self, name).data for name in names}


class LogoForm(Form):
    logo = FileField(_l("Logo"), description=_l("PNG, JPEG ou WebP, carré de préférence, 5 Mo au plus."))


class ScreenshotForm(Form):
    screenshot = FileField(_l("Capture d'écran"), description=_l("PNG, JPEG ou WebP, 5 Mo au plus."))
    alt_text = StringField(_l("Description de la capture"), validators=[Optional(), Length(max=300)],
                           description=_l("Ce que montre l'image, pour les personnes qui ne la voient pas."))
