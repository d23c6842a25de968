"""F1 regression (issue 11): a publisher edits hosting, data categories and medical-device
status after submission; the edit is refused, and the listing, API and consent screen
never show values that were not assessed. Same scenario as tests/apps/test_decided_profile."""

from __future__ import annotations

from typing import Any

from tests.apps.test_decided_profile import run_f1_scenario


def test_f1_unassessed_profile_edit_never_reaches_the_public(
        client: Any, login: Any, make_submitted_dossier: Any, advance: Any, make_patient: Any) -> None:
    run_f1_scenario(client, login, make_submitted_dossier, advance, make_patient)
