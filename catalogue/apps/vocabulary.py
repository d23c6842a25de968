"""Fixed, translated lists of the app profile (the orientation questionnaire).

Profiles store codes; pages, exports and the API show the labels. Each table maps a
code to its (French, English) label, in the order forms list them.
"""

from __future__ import annotations

Table = dict[str, tuple[str, str]]

CATEGORIES: Table = {
    "prevention": ("Prévention et dépistage", "Prevention and screening"),
    "chronic_disease": ("Suivi des maladies chroniques", "Chronic disease follow-up"),
    "mental_health": ("Santé mentale et bien-être", "Mental health and well-being"),
    "nutrition_activity": ("Nutrition et activité physique", "Nutrition and physical activity"),
    "pregnancy_parenthood": ("Grossesse et parentalité", "Pregnancy and parenthood"),
    "care_coordination": ("Coordination des soins", "Care coordination"),
    "health_documents": ("Documents et données de santé", "Health documents and data"),
    "caregivers": ("Aidants", "Caregivers"),
    "disability_autonomy": ("Handicap et autonomie", "Disability and autonomy"),
    "teleconsultation": ("Téléconsultation et télésoin", "Teleconsultation and telecare"),
    "medication": ("Médicaments et traitements", "Medication and treatments"),
    "appointments": ("Prise de rendez-vous", "Appointment booking"),
}

AUDIENCES: Table = {
    "general_public": ("Grand public", "General public"),
    "patients": ("Patients", "Patients"),
    "chronic_patients": ("Personnes atteintes de maladie chronique", "People with a chronic disease"),
    "parents": ("Parents et futurs parents", "Parents and parents-to-be"),
    "children": ("Enfants et adolescents", "Children and teenagers"),
    "older_people": ("Personnes âgées", "Older people"),
    "caregivers": ("Aidants", "Caregivers"),
    "disabled_people": ("Personnes en situation de handicap", "People with disabilities"),
    "professionals": ("Professionnels de santé", "Health professionals"),
}

PLATFORMS: Table = {
    "web": ("Site web", "Web"),
    "ios": ("iPhone et iPad (iOS)", "iPhone and iPad (iOS)"),
    "android": ("Android", "Android"),
    "desktop": ("Ordinateur (application installée)", "Desktop (installed application)"),
    "connected_device": ("Objet connecté", "Connected device"),
}

LANGUAGES: Table = {
    "fr": ("Français", "French"),
    "en": ("Anglais", "English"),
    "es": ("Espagnol", "Spanish"),
    "de": ("Allemand", "German"),
    "it": ("Italien", "Italian"),
    "pt": ("Portugais", "Portuguese"),
    "ar": ("Arabe", "Arabic"),
    "fr_easy": ("Français facile à lire et à comprendre (FALC)", "Easy-to-read French"),
    "lsf": ("Langue des signes française (LSF)", "French Sign Language"),
}

# Categories of data of the patient space the app would read or write.
DATA_CATEGORIES: Table = {
    "documents": ("Documents de santé", "Health documents"),
    "measurements": ("Mesures de santé (poids, tension, glycémie…)", "Health measurements"),
    "calendar": ("Agenda et rendez-vous", "Calendar and appointments"),
    "messaging": ("Messagerie sécurisée", "Secure messaging"),
    "medical_profile": ("Profil médical (antécédents, allergies, traitements)", "Medical profile"),
    "vaccinations": ("Vaccinations", "Vaccinations"),
    "reimbursements": ("Historique des remboursements", "Reimbursement history"),
    "advance_directives": ("Directives anticipées", "Advance directives"),
    "identity": ("Identité et coordonnées", "Identity and contact details"),
}

MEDICAL_DEVICE_CLASSES: Table = {
    "I": ("Classe I", "Class I"),
    "IIa": ("Classe IIa", "Class IIa"),
    "IIb": ("Classe IIb", "Class IIb"),
    "III": ("Classe III", "Class III"),
}

# National health services the app connects to.
NATIONAL_SERVICES: Table = {
    "mes_dmp": ("Mon Espace Santé – dossier médical partagé (DMP)",
                "Mon Espace Santé – shared medical record"),
    "mssante": ("Messagerie sécurisée de santé (MSSanté)", "Secure health messaging (MSSanté)"),
    "pro_sante_connect": ("Pro Santé Connect", "Pro Santé Connect"),
    "insi": ("Téléservice INSi (identité nationale de santé)",
             "INSi teleservice (national health identifier)"),
    "annuaire_sante": ("Annuaire santé", "Health directory"),
    "e_prescription": ("Ordonnance numérique (e-prescription)", "E-prescription"),
    "france_connect": ("FranceConnect", "FranceConnect"),
    "apcv": ("Application carte Vitale (ApCV)", "Carte Vitale app (ApCV)"),
}

PRICING: Table = {
    "free": ("Gratuit", "Free"),
    "freemium": ("Gratuit avec options payantes", "Freemium"),
    "paid": ("Payant", "Paid"),
}

# The assessed facts (DESIGN §4 "The decision governs"): frozen in a dossier's snapshot
# from submission on; once decided, the public reads them from that snapshot. A change
# needs a new assessment (a ``modification`` dossier). Audiences and platforms are in:
# framework predicates read them (minors, professionals).
ASSESSED_FIELDS = (
    "audiences", "platforms", "hosting_provider", "hds_certified", "hds_certificate_ref",
    "data_categories", "is_medical_device", "medical_device_class", "connected_services",
    "predicates",
)
# Their names in refusals and diffs (French, English).
ASSESSED_FIELD_LABELS: Table = {
    "audiences": ("Publics", "Audiences"),
    "platforms": ("Plateformes", "Platforms"),
    "hosting_provider": ("Hébergeur des données", "Data host"),
    "hds_certified": ("Certification HDS de l'hébergeur", "Host's HDS certification"),
    "hds_certificate_ref": ("Référence du certificat HDS", "HDS certificate reference"),
    "data_categories": ("Données de l'espace santé", "Health space data"),
    "is_medical_device": ("Dispositif médical", "Medical device"),
    "medical_device_class": ("Classe du dispositif médical", "Medical device class"),
    "connected_services": ("Services numériques nationaux", "National digital services"),
    "predicates": ("Caractéristiques (usage de l'IA, données de santé…)",
                   "Characteristics (AI use, health data…)"),
}
# Fields a listed app may change at once (the listing follows, audited).
PRESENTATION_FIELDS = (
    "name", "summary", "description", "support_contact", "website_url", "privacy_policy_url",
    "accessibility_statement_url", "languages", "category", "pricing", "price_text",
)


def label(table: Table, code: str, lang: str = "fr") -> str:
    """The label of ``code`` in ``lang``; the code itself when unknown (old data)."""
    entry = table.get(code)
    if entry is None:
        return code
    return entry[1] if lang == "en" else entry[0]


def choices(table: Table, lang: str = "fr") -> list[tuple[str, str]]:
    """(code, label) pairs for a form."""
    return [(code, label(table, code, lang)) for code in table]
