"""The shared vocabulary of the referencing frameworks.

Framework files, app profiles and dossiers all name profile predicates and evidence kinds by
code; this module is the single place where those codes are defined and labelled, so that a
typo in a YAML file or a form is caught instead of silently never matching.
"""

from __future__ import annotations

LANGUAGES = ("fr", "en")

# Profile predicates: the orientation questionnaire's answers. A requirement applies to an app
# when every predicate in its `applies_if` holds for the app. The order is the order in which
# the questionnaire asks them.
PREDICATES: dict[str, tuple[str, str]] = {
    "processes_health_data": (
        "Le service collecte, conserve ou traite des données de santé",
        "The service collects, stores or processes health data",
    ),
    "is_medical_device": (
        "Le service est un dispositif médical (marquage CE)",
        "The service is a medical device (CE marking)",
    ),
    "connects_patient_space": (
        "Le service échange des données avec Mon Espace Santé",
        "The service exchanges data with the Mon Espace Santé patient space",
    ),
    "exchanges_documents": (
        "Le service produit ou échange des documents de santé (comptes rendus, ordonnances…)",
        "The service produces or exchanges health documents (reports, prescriptions…)",
    ),
    "handles_patient_identity": (
        "Le service identifie les patients pour partager leurs données (INS)",
        "The service identifies patients in order to share their data (INS)",
    ),
    "has_professional_users": (
        "Des professionnels de santé ou du médico-social utilisent le service",
        "Health or social care professionals use the service",
    ),
    "targets_minors": (
        "Le service s'adresse aussi à des mineurs",
        "The service is also aimed at minors",
    ),
    "uses_ai": (
        "Le service utilise de l'intelligence artificielle",
        "The service uses artificial intelligence",
    ),
}

# Kinds of evidence (pièces justificatives) a requirement may ask for.
EVIDENCE_KINDS: dict[str, tuple[str, str]] = {
    # Eligibility
    "purpose_statement": ("Note de présentation de la finalité", "Statement of purpose"),
    "registration_extract": (
        "Extrait d'immatriculation (Kbis) de moins de trois mois",
        "Company registration extract (less than three months old)",
    ),
    "signed_charter": ("Charte de référencement signée", "Signed referencing charter"),
    "terms_of_use": (
        "Conditions générales d'utilisation et grille tarifaire",
        "Terms of use and pricing",
    ),
    "interface_screenshots": ("Captures d'écran de l'interface", "Screenshots of the interface"),
    # Urbanisation and hosting
    "auth_flow": (
        "Description du parcours d'authentification",
        "Description of the authentication flow",
    ),
    "psc_integration": (
        "Preuve d'intégration de Pro Santé Connect",
        "Proof of Pro Santé Connect integration",
    ),
    "pgssi_checklist": (
        "Grille d'auto-évaluation PGSSI-S complétée",
        "Completed PGSSI-S self-assessment checklist",
    ),
    "availability_commitment": (
        "Engagement de disponibilité et dispositif de supervision",
        "Availability commitment and monitoring set-up",
    ),
    "hds_certificate": (
        "Certificat HDS de l'hébergeur ou contrat d'hébergement",
        "Host's HDS certificate or hosting contract",
    ),
    "hosting_contract": ("Contrat d'hébergement", "Hosting contract"),
    "continuity_plan": (
        "Plan de sauvegarde et de reprise d'activité",
        "Backup and disaster recovery plan",
    ),
    # Identity and interoperability
    "ins_test_scenario": (
        "Scénario de test de l'identité nationale de santé (INS)",
        "National health identifier (INS) test scenario",
    ),
    "identity_vigilance_procedure": (
        "Procédure d'identitovigilance",
        "Patient identity vigilance procedure",
    ),
    "cisis_sample": (
        "Échantillon de documents au format CI-SIS",
        "Sample of documents in CI-SIS format",
    ),
    "validator_report": (
        "Rapport de l'outil de validation des documents",
        "Document validator report",
    ),
    "fhir_test_report": (
        "Rapport de tests de raccordement aux API FHIR",
        "FHIR API connection test report",
    ),
    "api_logs": ("Extrait de journaux d'appels d'API", "Extract of API call logs"),
    "mssante_scenario": (
        "Scénario d'envoi par messagerie sécurisée MSSanté",
        "MSSanté secure messaging scenario",
    ),
    "export_sample": ("Exemple de fichier d'export des données", "Sample data export file"),
    "terminology_mapping": (
        "Table de correspondance avec les terminologies de référence",
        "Mapping to reference terminologies",
    ),
    # Security
    "security_policy": (
        "Politique de sécurité des systèmes d'information (PSSI)",
        "Information security policy",
    ),
    "risk_analysis": ("Analyse des risques de sécurité", "Security risk analysis"),
    "security_audit": (
        "Rapport d'audit de sécurité de moins de douze mois",
        "Security audit report less than twelve months old",
    ),
    "pentest_report": (
        "Rapport de test d'intrusion de moins de douze mois",
        "Penetration test report less than twelve months old",
    ),
    "access_policy": (
        "Politique de gestion des habilitations et des accès",
        "Access management policy",
    ),
    "log_sample": ("Extrait de journaux d'accès", "Sample of access logs"),
    "encryption_description": (
        "Description des mécanismes de chiffrement",
        "Description of encryption mechanisms",
    ),
    "incident_procedure": (
        "Procédure de gestion des incidents de sécurité",
        "Security incident procedure",
    ),
    "incident_exercise_report": (
        "Compte rendu du dernier exercice de gestion d'incident",
        "Report of the latest incident response exercise",
    ),
    "needs_analysis": (
        "Analyse des besoins de sécurité",
        "Security needs analysis",
    ),
    "vulnerability_procedure": (
        "Procédure de veille et de correction des vulnérabilités",
        "Vulnerability monitoring and patching procedure",
    ),
    "token_management": (
        "Description de la gestion des jetons d'accès",
        "Description of access token management",
    ),
    "tls_configuration": (
        "Configuration TLS et certificats du raccordement",
        "TLS configuration and certificates of the connection",
    ),
    "key_management": (
        "Procédure de gestion des secrets et des clés",
        "Secrets and key management procedure",
    ),
    "scope_justification": (
        "Justification des périmètres de données demandés",
        "Justification of the requested data scopes",
    ),
    "exchange_log_sample": (
        "Extrait de journaux des échanges avec Mon Espace Santé",
        "Sample of logs of exchanges with Mon Espace Santé",
    ),
    "revocation_test_report": (
        "Rapport de test de révocation de la connexion",
        "Connection revocation test report",
    ),
    "validation_test_report": (
        "Rapport de tests de validation des données reçues",
        "Test report on validation of received data",
    ),
    "monitoring_description": (
        "Description de la surveillance des échanges",
        "Description of exchange monitoring",
    ),
    "environment_separation": (
        "Description du cloisonnement des environnements",
        "Description of environment separation",
    ),
    # Data protection
    "dpia": (
        "Analyse d'impact relative à la protection des données (AIPD)",
        "Data protection impact assessment (DPIA)",
    ),
    "consent_screenshots": (
        "Captures d'écran du recueil des consentements",
        "Screenshots of consent collection",
    ),
    "privacy_policy": ("Politique de confidentialité", "Privacy notice"),
    "tracker_inventory": (
        "Inventaire des traceurs et de leurs destinataires",
        "Inventory of trackers and their recipients",
    ),
    "data_use_undertaking": (
        "Engagement sur l'usage des données",
        "Undertaking on the use of data",
    ),
    "data_map": (
        "Cartographie des données et durées de conservation",
        "Data map with retention periods",
    ),
    "parental_consent_procedure": (
        "Procédure de recueil du consentement parental",
        "Parental consent procedure",
    ),
    "dpo_designation": (
        "Désignation du délégué à la protection des données",
        "Designation of the data protection officer",
    ),
    "rights_procedure": (
        "Procédure d'exercice des droits des personnes",
        "Data subject rights procedure",
    ),
    # Accessibility, ethics, content
    "accessibility_audit": (
        "Rapport d'audit d'accessibilité RGAA",
        "RGAA accessibility audit report",
    ),
    "accessibility_statement": ("Déclaration d'accessibilité", "Accessibility statement"),
    "plain_language_review": (
        "Relecture en langage clair ou version FALC",
        "Plain language review or easy-to-read version",
    ),
    "support_channel": ("Description des canaux de support", "Description of support channels"),
    "access_history_screenshots": (
        "Captures d'écran de l'historique des accès",
        "Screenshots of the access history",
    ),
    "advertising_policy": (
        "Politique publicitaire et sources de financement",
        "Advertising policy and funding sources",
    ),
    "editorial_policy": ("Politique éditoriale", "Editorial policy"),
    # Artificial intelligence
    "ai_factsheet": ("Fiche descriptive du système d'IA", "AI system factsheet"),
    "ai_performance_report": (
        "Rapport de suivi des performances et des biais de l'IA",
        "AI performance and bias monitoring report",
    ),
    # Environment
    "ecoscore_report": ("Rapport de calcul de l'Ecoscore", "Ecoscore calculation report"),
    "rgesn_self_assessment": (
        "Auto-évaluation RGESN et déclaration d'écoconception",
        "RGESN self-assessment and eco-design statement",
    ),
    "compatibility_matrix": (
        "Liste des terminaux et systèmes pris en charge",
        "List of supported devices and systems",
    ),
    # Medical devices and clinical safety
    "ce_certificate": (
        "Certificat de l'organisme notifié (marquage CE)",
        "Notified body certificate (CE marking)",
    ),
    "declaration_of_conformity": ("Déclaration UE de conformité", "EU declaration of conformity"),
    "vigilance_procedure": ("Procédure de matériovigilance", "Medical device vigilance procedure"),
    "instructions_for_use": ("Notice d'utilisation", "Instructions for use"),
    "safety_case": (
        "Dossier de sécurité clinique et registre des dangers",
        "Clinical safety case and hazard log",
    ),
    "benefit_study": (
        "Étude de bénéfice ou protocole d'évaluation",
        "Benefit study or evaluation plan",
    ),
    # Lifecycle
    "change_procedure": (
        "Procédure de notification des évolutions",
        "Change notification procedure",
    ),
    "complaint_procedure": (
        "Procédure de traitement des réclamations",
        "Complaint handling procedure",
    ),
    "end_of_service_plan": ("Plan de fin de service", "End-of-service plan"),
    "release_notes": ("Notes de version publiées", "Published release notes"),
}


# Review tracks: the dossier kinds whose review clock a framework may set (``tracks:`` in
# its file, kind → calendar days); a kind without a track uses the REVIEW_DAYS setting.
TRACK_KINDS: dict[str, tuple[str, str]] = {
    "initial": ("Premier référencement", "Initial referencing"),
    "renewal": ("Renouvellement ou mise en conformité", "Renewal or compliance"),
    "modification": ("Modification", "Modification"),
}
TRACK_DAYS_MAX = 365

# What becomes of a listing referenced under an older wave, without a favourable compliance
# decision, once this wave's compliance deadline has passed (``on_compliance_deadline:``).
# Each value is a listing state reached by its own transition of the listing lifecycle.
COMPLIANCE_OUTCOMES: dict[str, tuple[str, str]] = {
    "suspended": ("suspendue", "suspended"),
    "delisted": ("déréférencée", "delisted"),
}
DEFAULT_COMPLIANCE_OUTCOME = "suspended"


def _label(table: dict[str, tuple[str, str]], code: str, lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; expected one of {LANGUAGES}")
    return table[code][LANGUAGES.index(lang)]


def predicate_label(code: str, lang: str = "fr") -> str:
    """Return the label of profile predicate `code` in `lang` ("fr" or "en").

    Raises KeyError for an unknown predicate and ValueError for an unsupported language.
    """
    return _label(PREDICATES, code, lang)


def evidence_label(code: str, lang: str = "fr") -> str:
    """Return the label of evidence kind `code` in `lang` ("fr" or "en").

    Raises KeyError for an unknown evidence kind and ValueError for an unsupported language.
    """
    return _label(EVIDENCE_KINDS, code, lang)
