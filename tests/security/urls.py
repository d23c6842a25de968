"""URL values for every route of the application, taken from the security world."""

from __future__ import annotations

from typing import Any

# Endpoint → (argument → key of ``World.ids`` or a literal in a 1-tuple).
ARGS: dict[str, dict[str, Any]] = {
    "admin.outbox_message": {"message_id": "outbox"},
    "admin.user_detail": {"user_id": "user_detail"},
    "admin.grant_role": {"user_id": "user_detail"},
    "admin.revoke_role": {"user_id": "user_detail", "role": ("patient",)},
    "admin.reset_second_factor": {"user_id": "user_detail"},
    "jobs.requeue": {"job_id": ("inconnue",)},
    "api.get_app": {"slug": "slug"},
    "api.get_framework": {"code": "framework_code", "version": "framework_version"},
    "apps.screenshot_image": {"app_id": "app_a", "screenshot_id": "screenshot"},
    "apps.logo_image": {"app_id": "listed_app"},
    "listings.listing": {"slug": "slug"},
    "listings.report": {"slug": "slug"},
    "commission.dossier": {"dossier_id": "evaluation"},
    "commission.complete": {"dossier_id": "evaluation"},
    "commission.information": {"dossier_id": "evaluation"},
    "commission.confirm_lift": {"dossier_id": "evaluation"},
    "commission.decision": {"dossier_id": "evaluation"},
    "commission.incomplete": {"dossier_id": "evaluation"},
    "commission.schedule": {"dossier_id": "evaluation"},
    "commission.report": {"dossier_id": "evaluation"},
    "commission.rapporteurs": {"dossier_id": "evaluation"},
    "commission.accept": {"dossier_id": "evaluation"},
    "listings_staff.listing_action": {"listing_id": "listing", "action": ("suspendre",)},
    "commission.interest": {"declaration_id": "declaration"},
    "publishers_staff.verify": {"organisation_id": "org_b"},
    "commission.session_page": {"session_id": "session"},
    "commission.close": {"session_id": "session"},
    "commission.open_session": {"session_id": "session"},
    "commission.opinion": {"session_id": "session", "item_id": "item"},
    "commission.postpone": {"session_id": "session", "item_id": "item"},
    "commission.vote": {"session_id": "session", "item_id": "item"},
    "commission.attendance": {"session_id": "session"},
    "commission.minutes": {"session_id": "closed_session"},
    "commission.minutes_download": {"session_id": "closed_session"},
    "listings_staff.triage": {"report_id": "report"},
    "consents.revoke": {"consent_id": "consent"},
    "consents.connect": {"slug": "slug"},
    "accounts.notification_read": {"notification_id": "notification"},
    "accounts.verify_email": {"token": ("jeton-invalide",)},
    "accounts.reset_password": {"token": ("jeton-invalide",)},
    "apps.show": {"app_id": "app_a"},
    "apps.add_screenshot": {"app_id": "app_a"},
    "apps.remove_screenshot": {"app_id": "app_a", "screenshot_id": "screenshot"},
    "dossiers.open": {"app_id": "app_a"},
    "apps.logo": {"app_id": "app_a"},
    "apps.edit": {"app_id": "app_a"},
    "dossiers.show": {"dossier_id": "draft"},
    "dossiers.receipt": {"dossier_id": "evaluation"},
    "dossiers.assessment": {"dossier_id": "draft"},
    "proposals.edit": {"dossier_id": "draft"},
    "dossiers.category": {"dossier_id": "draft", "category": ("hosting",)},
    "dossiers.save_category": {"dossier_id": "draft", "category": ("hosting",)},
    "dossiers.answer": {"dossier_id": "evaluation"},
    "dossiers.sign": {"dossier_id": "evaluation"},
    "dossiers.submit": {"dossier_id": "draft"},
    "dossiers.lift": {"dossier_id": "evaluation"},
    "dossiers.withdraw": {"dossier_id": "draft"},
    "publishers.accept": {"token": ("jeton-invalide",)},
    "publishers.organisation": {"organisation_id": "org_a"},
    "publishers.edit_organisation": {"organisation_id": "org_a"},
    "apps.new": {"organisation_id": "org_a"},
    "publishers.upload_extract": {"organisation_id": "org_a"},
    "publishers.invite": {"organisation_id": "org_a"},
    "publishers.revoke": {"organisation_id": "org_a", "invitation_id": "invitation"},
    "publishers.remove": {"organisation_id": "org_a", "membership_id": "membership"},
    "publishers.change_role": {"organisation_id": "org_a", "membership_id": "membership"},
    "dossiers.download_evidence": {"evidence_id": "evidence"},
    "frameworks.latest": {"code": "framework_code"},
    "frameworks.diff": {"code": "framework_code", "old": ("2026.1",),
                        "new": ("2027.1",)},
    "frameworks.show": {"code": "framework_code", "version": "framework_version"},
    "frameworks.compare": {"code": "framework_code", "?": ("de=2026.1&a=2027.1",)},
    "oauth.client_page": {"app_id": "listed_app"},
    "oauth.set_redirect_uris": {"app_id": "listed_app"},
    "oauth.rotate_secret": {"app_id": "listed_app"},
    "oauth.patient_data": {"category": ("documents",)},
    "fhir.structure_definition": {"definition_id": ("ens-referencing",)},
    "fhir.read_device_definition": {"listing_id": "listing"},
    "fhir.read_organization": {"organisation_id": "org_a"},
    "fhir.unsupported": {"rest": ("Patient/1",)},
    "accounts.oidc.start": {"key": ("psc",)},
    "accounts.oidc.callback": {"key": ("psc",)},
}


def url_for_endpoint(rule: Any, ids: dict[str, Any]) -> str:
    """The rule's path with the world's objects in it."""
    values = {}
    for name in rule.arguments:
        source = ARGS.get(rule.endpoint, {}).get(name)
        if source is None:
            raise KeyError(f"no URL value for {rule.endpoint} <{name}>: add it to tests/security/urls.py")
        values[name] = source[0] if isinstance(source, tuple) else ids[source]
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<{name}>", str(value))
        for converter in ("int", "path", "string"):
            path = path.replace(f"<{converter}:{name}>", str(value))
    query = ARGS.get(rule.endpoint, {}).get("?")
    return f"{path}?{query[0]}" if query else path
