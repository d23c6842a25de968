"""Words of the demo catalogue: per category, app names and what each app does (a name's
use follows it: an asthma app is not about heart failure), publishers, cities with their
postal codes, hosts, and the details of descriptions."""

from __future__ import annotations

from typing import Any

# Per category: name stems, what the app does, for whom, which data it uses.
CATALOGUE_THEMES: dict[str, dict[str, Any]] = {
    "prevention": {
        "stems": ["Prévi", "Dépist", "Vigie", "Préventia", "Sentinelle", "Bouclier"],
        "does": ["rappelle les dépistages recommandés selon l'âge et le sexe",
                 "propose un bilan de prévention personnalisé et ses suites",
                 "accompagne l'arrêt du tabac jour après jour"],
        "audiences": ["general_public", "patients"],
        "data": ["vaccinations", "calendar", "medical_profile"],
    },
    "chronic_disease": {
        "stems": ["Diabéto", "Glycémo", "CardioSuivi", "Asthmé", "Rénal", "Thyro"],
        "does": ["aide à vivre avec un diabète de type 1 ou 2 : glycémie, insuline et repas",
                 "suit la glycémie et partage les relevés avec l'équipe soignante"],
        "does_by_stem": {
            "CardioSuivi": ["tient le carnet de tension artérielle et alerte en cas d'écart",
                            "aide à vivre avec une insuffisance cardiaque au quotidien"],
            "Asthmé": ["suit l'asthme, le souffle et les traitements de fond au quotidien"],
            "Rénal": ["accompagne la maladie rénale chronique et prépare les consultations"],
            "Thyro": ["suit le traitement de la thyroïde et rappelle les bilans sanguins"],
        },
        "audiences": ["chronic_patients", "patients"],
        "data": ["measurements", "documents", "medical_profile"],
    },
    "mental_health": {
        "stems": ["Sérénité", "Équilibre", "Apaise", "Moral", "Éclaircie", "Respire"],
        "does": ["aide à retrouver un sommeil réparateur grâce aux thérapies comportementales",
                 "propose des exercices de gestion du stress et de l'anxiété",
                 "oriente vers un psychologue conventionné près de chez soi"],
        "audiences": ["general_public", "patients"],
        "data": ["calendar", "documents"],
    },
    "nutrition_activity": {
        "stems": ["Nutri", "Bouger", "Foulée", "Assiette", "Vitalité", "Énergie"],
        "does": ["construit des menus équilibrés adaptés aux goûts et au budget",
                 "encourage l'activité physique adaptée prescrite par le médecin",
                 "suit le poids et l'alimentation avec un diététicien"],
        "audiences": ["general_public", "chronic_patients"],
        "data": ["measurements", "medical_profile"],
    },
    "pregnancy_parenthood": {
        "stems": ["Maternité", "Bébé", "Grossesse", "Berceau", "Naissance", "Tétée"],
        "does": ["accompagne la grossesse semaine après semaine avec la sage-femme",
                 "aide à préparer l'arrivée de bébé et le retour à la maison"],
        "does_by_stem": {
            "Bébé": ["tient le carnet de santé de l'enfant et ses vaccinations"],
            "Berceau": ["tient le carnet de santé de l'enfant et ses vaccinations",
                        "aide à préparer l'arrivée de bébé et le retour à la maison"],
            "Tétée": ["accompagne l'allaitement et les premières semaines de bébé"],
        },
        "audiences": ["parents", "children"],
        "data": ["vaccinations", "documents", "calendar"],
    },
    "appointments": {
        "stems": ["Agenda", "Rendez", "Créneau", "Planning", "Horaire", "Disponible"],
        "does": ["trouve un rendez-vous chez un professionnel de santé proche",
                 "envoie des rappels de rendez-vous et gère les annulations",
                 "regroupe tous les rendez-vous médicaux de la famille"],
        "audiences": ["general_public", "parents"],
        "data": ["calendar", "identity"],
    },
    "care_coordination": {
        "stems": ["Parcours", "Coordi", "Liaison", "Relais", "Trajectoire", "Passerelle"],
        "does": ["coordonne l'équipe de soins autour du patient à domicile",
                 "partage le plan de soins entre l'hôpital et la ville",
                 "organise la sortie d'hospitalisation et le suivi infirmier"],
        "audiences": ["patients", "professionals", "older_people"],
        "data": ["documents", "messaging", "calendar"],
    },
    "health_documents": {
        "stems": ["Dossier", "Archiv", "Classeur", "Ordonnancier", "Mémo", "Coffre"],
        "does": ["numérise et classe les ordonnances et comptes rendus",
                 "rassemble les résultats d'analyses de biologie médicale",
                 "rappelle les renouvellements d'ordonnance"],
        "audiences": ["general_public", "patients"],
        "data": ["documents", "reimbursements", "identity"],
    },
    "caregivers": {
        "stems": ["Aidant", "Entraide", "Épaule", "Veille", "Soutien", "Proche"],
        "does": ["aide les proches aidants à organiser le quotidien d'un parent âgé",
                 "met en relation avec des solutions de répit près de chez soi",
                 "partage l'agenda des soins entre les membres de la famille"],
        "audiences": ["caregivers", "older_people"],
        "data": ["calendar", "messaging"],
    },
    "disability_autonomy": {
        "stems": ["Autonomie", "Accès", "Facile", "Signes", "Mobilité", "Liberté"],
        "does": ["facilite les démarches auprès de la maison départementale des personnes handicapées",
                 "propose une communication adaptée en langue des signes",
                 "aide à rester autonome à domicile grâce aux aides techniques"],
        "audiences": ["disabled_people", "caregivers", "older_people"],
        "data": ["documents", "advance_directives", "identity"],
    },
    "teleconsultation": {
        "stems": ["Téléconsult", "Visio", "Consult", "Distance", "ÉcranSanté", "Cabinet"],
        "does": ["permet de consulter un médecin en vidéo, y compris le soir et le week-end",
                 "organise des séances de télésoin avec le kinésithérapeute",
                 "assure la téléexpertise entre le médecin traitant et le spécialiste"],
        "audiences": ["general_public", "patients"],
        "data": ["documents", "calendar", "identity"],
    },
    "medication": {
        "stems": ["Pilulier", "Traitement", "Observance", "Posologie", "Cachet", "Officine"],
        "does": ["rappelle les prises de médicaments et suit l'observance",
                 "signale les interactions médicamenteuses connues",
                 "prépare la conciliation médicamenteuse avec le pharmacien"],
        "audiences": ["patients", "older_people", "chronic_patients"],
        "data": ["medical_profile", "documents"],
    },
}
SUFFIXES = ["", " Plus", " Santé", " Facile", " Connect", " Pro", " Famille", " Quotidien",
            " Zen", " Solidaire", " Ensemble", " Pas à pas", " Express", " Confiance", " Horizon"]
PUBLISHER_WORDS = ["Médicalis", "Santé Numérique", "Hippocrate Lab", "Esculape", "Cap Santé",
                   "Bien-Être Digital", "Armor Santé", "Occitanie e-Santé", "Lumière Médicale",
                   "Rivage Santé", "Atlantique Soins", "Alpes Numérique", "Provence Care",
                   "Normandie Médical", "Loire Santé", "Val de Seine Digital"]
PUBLISHER_FORMS = ["SAS", "SARL", "SA", "SCIC", "Association"]
# City and the postal code of its centre.
CITIES = [("Paris", "75010"), ("Lyon", "69002"), ("Marseille", "13001"), ("Toulouse", "31000"),
          ("Nantes", "44000"), ("Rennes", "35000"), ("Lille", "59000"), ("Bordeaux", "33000"),
          ("Strasbourg", "67000"), ("Montpellier", "34000"), ("Grenoble", "38000"),
          ("Dijon", "21000"), ("Brest", "29200"), ("Angers", "49000"), ("Rouen", "76000"),
          ("Nîmes", "30000")]
HOSTS = ["OVHcloud Healthcare", "Scaleway Santé", "Outscale", "Cloud Temple", "Docaposte",
         "Worldline Santé"]
# Apps of these categories handle no health data (appointments, a family's calendar): they
# need no HDS hosting, so the catalogue is not 100 % HDS.
NO_HEALTH_DATA = {"appointments", "caregivers"}
PLAIN_HOSTS = ["Scaleway", "OVHcloud", "Clever Cloud"]
HDS_DETAIL = "Les données restent hébergées en France chez un hébergeur certifié HDS."
PLAIN_DETAIL = "Le service ne traite pas de données de santé : il est hébergé en France."
DETAILS = [
    HDS_DETAIL,
    "L'application fonctionne hors connexion et se synchronise dès que le réseau revient.",
    "Une équipe de professionnels de santé a co-construit chaque parcours.",
    "Les contenus sont relus par un comité scientifique indépendant.",
    "Les textes sont disponibles en français facile à lire et à comprendre.",
    "Aucune publicité, aucune revente de données : c'est écrit dans nos engagements.",
    "Le service est accessible au lecteur d'écran et au clavier.",
]
