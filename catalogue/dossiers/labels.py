"""Labels of the dossiers domain, translated through Babel."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from catalogue.dossiers.models import DossierState

S = DossierState

STATE_LABELS = {
    S.DRAFT: _l("brouillon"),
    S.SUBMITTED: _l("déposé"),
    S.INCOMPLETE: _l("incomplet"),
    S.UNDER_EVALUATION: _l("en instruction"),
    S.INFORMATION_REQUESTED: _l("compléments demandés"),
    S.READY_FOR_COMMISSION: _l("prêt pour la commission"),
    S.SCHEDULED: _l("inscrit à l'ordre du jour"),
    S.OPINION_ISSUED: _l("avis rendu"),
    S.AGREEMENT_PENDING: _l("convention à signer"),
    S.REFERENCED: _l("référencé"),
    S.REFUSED: _l("refusé"),
    S.LAPSED: _l("caduc"),
    S.WITHDRAWN: _l("retiré"),
}

KIND_LABELS = {
    "initial": _l("Référencement initial"),
    "renewal": _l("Renouvellement"),
    "modification": _l("Modification"),
}
