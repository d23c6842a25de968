"""The publisher factories build what they promise, through the services."""

from catalogue.dossiers.models import DossierState
from catalogue.publishers.models import OrganisationStatus


def test_make_submitted_dossier_is_submitted_with_a_reference(make_submitted_dossier, clock):
    dossier = make_submitted_dossier()
    assert dossier.state == DossierState.SUBMITTED
    assert dossier.reference == "ENS-2026-00001"
    assert dossier.organisation.status == OrganisationStatus.VERIFIED
    second = make_submitted_dossier()
    assert second.reference == "ENS-2026-00002"
