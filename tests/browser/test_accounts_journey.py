"""First journeys in a real browser: a patient signs up, signs in and out; an administrator
passes the second factor and reaches the administration; a new administrator enrols TOTP.
Every page visited is checked with axe-core at 1280 and 390 px."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "Demo-ENS-2026!"


def _signed_out(page, live_url) -> None:
    page.goto(live_url + "/compte/")
    assert "/connexion" in page.url


def test_patient_signs_up_signs_in_and_out(page, live_url, sign_in, assert_accessible,
                                           mail_link_for):
    email = f"patient-{uuid.uuid4().hex[:8]}@exemple.fr"
    password = "une phrase de passe bien longue"
    page.goto(live_url + "/inscription")
    assert_accessible(page)
    # A mistake first: the error is shown next to the field, the address is kept.
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_label("Confirmez le mot de passe").fill("autre chose")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_text("Les deux mots de passe ne sont pas identiques.").first).to_be_visible()
    assert page.get_by_label("Adresse e-mail").input_value() == email
    assert_accessible(page)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_label("Confirmez le mot de passe").fill(password)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", name="Vérifiez votre messagerie")).to_be_visible()
    assert_accessible(page)

    page.goto(live_url + "/connexion")
    assert_accessible(page)
    sign_in(page, email, password)
    # Not confirmed yet: the confirmation page is the only page of the account.
    assert page.url == live_url + "/compte/confirmation"
    expect(page.get_by_role("heading", name="Confirmez votre adresse e-mail")).to_be_visible()
    assert_accessible(page)
    page.goto(mail_link_for(email, "/compte/verification/"))
    assert page.url == live_url + "/compte/"  # confirmed: the account is open
    expect(page.get_by_role("heading", name="Mon compte", level=1)).to_be_visible()
    expect(page.get_by_text(email).first).to_be_visible()
    assert_accessible(page)
    for path in ("/compte/securite", "/compte/notifications"):
        page.goto(live_url + path)
        assert_accessible(page)

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()
    expect(page.get_by_role("link", name="Se connecter").first).to_be_visible()
    _signed_out(page, live_url)


def test_admin_passes_totp_and_reaches_administration(page, live_url, sign_in, assert_accessible):
    page.goto(live_url + "/admin/")
    assert "/connexion" in page.url
    sign_in(page, "admin@demo.ens.fr", DEMO_PASSWORD)
    page.goto(live_url + "/admin/")
    expect(page.get_by_role("heading", name="Administration", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Utilisateurs et rôles")).click()
    page.get_by_label("Adresse e-mail ou nom").fill("demo.ens.fr")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("link", name="patient@demo.ens.fr")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="patient@demo.ens.fr").click()
    expect(page.get_by_role("heading", name="patient@demo.ens.fr")).to_be_visible()
    assert_accessible(page)
    for path in ("/admin/courriels", "/admin/audit"):
        page.goto(live_url + path)
        assert_accessible(page)
    page.get_by_role("button", name="Vérifier l'intégrité de la chaîne").click()
    expect(page.get_by_text("Chaîne intègre")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()
    _signed_out(page, live_url)


def test_new_admin_enrols_totp(page, live_url, live_cli, totp_code_for, assert_accessible):
    email = f"admin-{uuid.uuid4().hex[:8]}@exemple.fr"
    live_cli("users", "create", email, "--role", "admin", "--password", "une phrase de passe solide")
    page.goto(live_url + "/connexion?next=/admin/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill("une phrase de passe solide")
    page.get_by_role("button", name="Se connecter").last.click()
    expect(page.get_by_role("heading", name="Activer la vérification en deux étapes")).to_be_visible()
    assert page.locator("img.totp-qr").evaluate("img => img.complete && img.naturalWidth > 0")
    assert_accessible(page)
    page.get_by_label("Code à 6 chiffres").fill(totp_code_for(email))
    page.get_by_role("button", name="Activer").click()
    expect(page.get_by_role("heading", name="Vos codes de secours")).to_be_visible()
    assert page.locator(".recovery-codes code").count() == 10
    assert_accessible(page)
    page.get_by_role("link", name="J'ai conservé mes codes, continuer").click()
    assert page.url == live_url + "/admin/"
    expect(page.get_by_role("heading", name="Administration", level=1)).to_be_visible()
