"""What submitting a dossier costs in SQL statements (issue 15: at most half of the 32 it took)."""

from __future__ import annotations

from catalogue.accounts.models import User
from catalogue.dossiers import services as dossiers
from catalogue.dossiers.permissions import publisher_dossier
from tests.factories_publishers import fill_answers, owner_of


def test_submission_costs_at_most_sixteen_statements(session, make_dossier, count_queries):
    dossier = make_dossier()
    owner = owner_of(session, dossier.organisation)
    fill_answers(session, dossier, owner)
    session.flush()
    dossier_id, owner_id = dossier.id, owner.id
    session.expire_all()
    # As the submit page does: the signed-in user, then the dossier and the user's roles on it.
    owner = session.get(User, owner_id)
    dossier, roles = publisher_dossier(session, dossier_id, owner)
    with count_queries() as counter:
        dossiers.submit_dossier(session, dossier, actor=owner, roles=roles)
        session.flush()
    assert dossier.reference is not None and dossier.state.value == "submitted"
    assert counter.count <= 16, "\n".join(s.split("\n")[0][:80] for s in counter.statements)
