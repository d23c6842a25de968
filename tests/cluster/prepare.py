"""Run once before the cluster starts (``python -m tests.cluster.prepare``, with the
cluster's environment): migrate the fresh database, then create the people and data
the scenarios need. Prints them as JSON on the last line."""

from __future__ import annotations

import json
import os

import pyotp
from sqlalchemy import select

from catalogue import db
from catalogue.accounts import services as accounts
from catalogue.accounts.models import Role
from catalogue.app import create_app
from catalogue.apps import services as apps
from catalogue.core import migrations
from catalogue.demo import listings as demo_listings
from catalogue.demo.cli import SeedOptions
from catalogue.dossiers import evidence as evidence_files
from catalogue.dossiers import services as dossiers
from catalogue.dossiers.samples import sample_pdf
from catalogue.listings.models import Listing, ListingState
from catalogue.publishers import services as publishers
from tests.factories_publishers import DEFAULT_PROFILE, ensure_framework_in_force, fill_answers, valid_siren

PASSWORD = "Cluster-Horse-42!"


def main() -> None:
    tag = os.environ["CLUSTER_TAG"]
    app = create_app()
    with app.app_context():
        migrations.upgrade()
        s = db.session
        user = accounts.create_user
        owner = user(s, f"owner-{tag}@example.org", PASSWORD, verified=True)
        secretariat = user(s, f"sec-{tag}@example.org", PASSWORD, roles=[Role.SECRETARIAT], verified=True)
        secretariat.totp_secret = pyotp.random_base32()
        secretariat.totp_enabled_at = secretariat.created_at
        user(s, f"dm-{tag}@example.org", PASSWORD, roles=[Role.DECISION_MAKER], verified=True)
        chair = user(s, f"chair-{tag}@example.org", PASSWORD, roles=[Role.CHAIR], verified=True)
        org = publishers.register_publisher(s, user=owner, legal_name="Éditeur Grappe SAS",
                                            siren=valid_siren(61_000_001), city="Lyon", postal_code="69001")
        evidence_files.add_evidence(s, org, actor=owner, filename="kbis.pdf", data=sample_pdf("Kbis"),
                              kind="registration_extract", title="Kbis")
        publishers.verify_organisation(s, org, actor=secretariat)
        ensure_framework_in_force(s)
        app_row = apps.create_app_profile(s, org, actor=owner, **{**DEFAULT_PROFILE, "name": "Appli Grappe"})
        dossier = dossiers.open_dossier(s, app_row, actor=owner)
        fill_answers(s, dossier, owner)
        # Another app's draft takes the evidence uploaded through the cluster.
        other_app = apps.create_app_profile(s, org, actor=owner,
                                            **{**DEFAULT_PROFILE, "name": "Appli Pièces"})
        upload_dossier = dossiers.open_dossier(s, other_app, actor=owner)
        db.commit()
        demo_listings.seed(s, SeedOptions(apps=3, seed=2026))
        db.commit()
        requirement = next(r for r in dossiers.applicable_requirements(s, dossier) if r.evidence)
        listing = s.scalars(select(Listing).where(Listing.state == ListingState.PUBLISHED)
                            .order_by(Listing.id)).first()
        print(json.dumps({
            "password": PASSWORD, "owner": owner.email, "chair": chair.email,
            "secretariat": secretariat.email, "totp_secret": secretariat.totp_secret,
            "dossier_id": dossier.id, "upload_dossier_id": upload_dossier.id,
            "listing_id": listing.id, "slug": listing.app.slug, "organisation_id": org.id,
            "category": requirement.category, "code": requirement.code, "kind": requirement.evidence[0],
        }))


if __name__ == "__main__":
    main()
