"""Labels of the commission's vocabulary, translated through Babel (one place for all pages,
e-mails and the minutes)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

OPINION_LABELS = {
    "favourable": _l("Favorable"),
    "favourable_with_reservations": _l("Favorable avec réserves"),
    "favourable_with_suspensive_reservations": _l("Favorable avec réserves suspensives"),
    "unfavourable": _l("Défavorable"),
    "abstention": _l("Abstention"),
}
# On the public listing the suspensive reservations are necessarily lifted: publication
# waits for a rapporteur's confirmation.
PUBLIC_OPINION_LABELS = {
    **OPINION_LABELS,
    "favourable_with_suspensive_reservations": _l("Favorable avec réserves suspensives (levées)"),
}
VERDICT_LABELS = {
    "compliant": _l("Conforme"),
    "not_compliant": _l("Non conforme"),
    "reservation": _l("Réserve"),
}
SESSION_STATE_LABELS = {
    "planned": _l("programmée"),
    "open": _l("ouverte"),
    "closed": _l("close"),
}
