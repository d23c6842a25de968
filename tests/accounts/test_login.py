"""Sign-in, failures and lock-out, rate limits, sign-out, sessions, idle timeout."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from catalogue.audit.models import AuditEvent
from tests.accounts.helpers import fresh, post_form, sign_in, text
from tests.factories import PASSWORD


def _events(session, action):
    return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_login_success_opens_a_new_session(client, session, account):
    user = account(email="lea@example.org")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    response = sign_in(client, "Lea@Example.org", PASSWORD)
    assert response.status_code == 302 and response.location == "/travail"
    with client.session_transaction() as sess:
        assert "planted" not in sess  # fixation: nothing from before survives
        assert sess["_user_id"] == f"{user.id}:{user.session_version}"
    assert client.get("/compte/").status_code == 200
    assert fresh(user).last_login_at is not None
    assert _events(session, "auth.login") == 1


def test_wrong_password_counts_and_says_nothing_about_the_account(client, session, account):
    account(email="lea@example.org")
    wrong = sign_in(client, "lea@example.org", "pas le bon mot de passe")
    unknown = sign_in(client, "personne@example.org", "pas le bon mot de passe")
    assert wrong.status_code == unknown.status_code == 422
    assert "Adresse e-mail ou mot de passe incorrect." in text(wrong)
    assert "Adresse e-mail ou mot de passe incorrect." in text(unknown)
    assert _events(session, "auth.login_failed") == 2
    known = session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).all()
    assert [e.payload["known_account"] for e in known] == [True, False]
    with client.session_transaction() as sess:
        assert "_user_id" not in sess


def test_account_locks_after_repeated_failures_even_for_unknown_addresses(client, session, account):
    account(email="lea@example.org")
    for _ in range(4):
        assert sign_in(client, "lea@example.org", "mauvais mot de passe").status_code == 422
    fifth = sign_in(client, "lea@example.org", "mauvais mot de passe")
    assert fifth.status_code == 429
    assert "Trop de tentatives de connexion ont échoué pour ce compte" in text(fifth)
    # Locked: the right password is refused too, until the window passes.
    right = sign_in(client, "lea@example.org", PASSWORD)
    assert right.status_code == 429
    assert _events(session, "auth.lockout") == 1


def test_lockout_looks_the_same_for_an_address_without_account(client):
    for _ in range(4):
        assert sign_in(client, "fantome@example.org", "mauvais mot de passe").status_code == 422
    ghost = sign_in(client, "fantome@example.org", "mauvais mot de passe")
    assert ghost.status_code == 429
    assert "Trop de tentatives de connexion ont échoué pour ce compte" in text(ghost)


def test_login_rate_limit_answers_429_in_french(client, account):
    for n in range(10):
        assert sign_in(client, f"inconnu{n}@example.org", "mauvais mot de passe").status_code == 422
    limited = sign_in(client, "encore@example.org", "mauvais mot de passe")
    assert limited.status_code == 429
    assert "Trop de tentatives" in text(limited)
    assert "Patientez quelques minutes" in text(limited)
    assert limited.headers.get("Retry-After")


def test_limited_routes_say_what_is_left_and_public_pages_carry_no_limit(client, account):
    # The limiter's hooks skip the routes without a limit (catalogue.extensions.RouteLimiter):
    # the limited ones still count and say so, failures only (deduct_when).
    first = sign_in(client, "inconnu@example.org", "mauvais mot de passe")
    second = sign_in(client, "inconnu2@example.org", "mauvais mot de passe")
    assert first.headers["X-RateLimit-Limit"] == "10"
    assert int(second.headers["X-RateLimit-Remaining"]) == int(first.headers["X-RateLimit-Remaining"]) - 1
    public = client.get("/catalogue")
    assert public.status_code == 200
    assert not any(name.startswith("X-RateLimit") for name, _value in public.headers)


def test_login_without_csrf_token_is_refused(client, account):
    account(email="lea@example.org")
    response = client.post("/connexion", data={"email": "lea@example.org", "password": PASSWORD})
    assert response.status_code == 400
    with client.session_transaction() as sess:
        assert "_user_id" not in sess


def test_next_is_followed_only_inside_the_site(client, account):
    account(email="lea@example.org")
    token_page = client.get("/connexion?next=/compte/securite")
    assert 'value="/compte/securite"' in text(token_page)
    inside = post_form(client, "/connexion", {"email": "lea@example.org", "password": PASSWORD,
                                              "next": "/compte/securite"},
                       form_page="/connexion?next=/compte/securite")
    assert inside.location == "/compte/securite"
    client.post("/deconnexion", data={"csrf_token": _token(client)})
    outside = post_form(client, "/connexion", {"email": "lea@example.org", "password": PASSWORD,
                                               "next": "//evil.example/"})
    assert outside.location == "/travail"


def _token(client):
    from tests.accounts.helpers import csrf_token

    return csrf_token(client, "/compte/")


def test_logout_kills_a_copied_session_cookie(app, client, session, account):
    user = account(email="lea@example.org")
    sign_in(client, "lea@example.org", PASSWORD)
    cookie = client.get_cookie("ens_session")
    thief = app.test_client()
    thief.set_cookie("ens_session", cookie.value)
    assert thief.get("/compte/").status_code == 200  # the copy works while the session lives
    version = user.session_version
    response = client.post("/deconnexion", data={"csrf_token": _token(client)})
    assert response.status_code == 302
    assert fresh(user).session_version == version + 1
    assert client.get("/compte/").status_code == 302
    stolen = thief.get("/compte/")
    assert stolen.status_code == 302 and stolen.location.startswith("/connexion")
    assert _events(session, "auth.logout") == 1


def test_logout_needs_post_with_csrf(client, account):
    account(email="lea@example.org")
    sign_in(client, "lea@example.org", PASSWORD)
    confirm = client.get("/deconnexion")
    assert confirm.status_code == 200 and "tous vos appareils" in text(confirm)
    refused = client.post("/deconnexion")
    assert refused.status_code == 400
    assert client.get("/compte/").status_code == 200  # still signed in


def test_idle_session_expires(client, account, clock):
    account(email="lea@example.org")
    sign_in(client, "lea@example.org", PASSWORD)
    clock.shift(timedelta(minutes=29))
    assert client.get("/compte/").status_code == 200
    clock.shift(timedelta(minutes=29))
    assert client.get("/compte/").status_code == 200  # activity keeps it alive
    clock.shift(timedelta(minutes=31))
    expired = client.get("/compte/")
    assert expired.status_code == 302 and expired.location.startswith("/connexion")
    page = client.get(expired.location)
    assert "Votre session a expiré après 30 minutes d&#39;inactivité" in text(page)


def test_password_change_keeps_this_session_and_ends_the_others(app, client, session, account):
    user = account(email="lea@example.org")
    sign_in(client, "lea@example.org", PASSWORD)
    other = app.test_client()
    sign_in(other, "lea@example.org", PASSWORD)
    wrong = post_form(client, "/compte/securite/mot-de-passe", {
        "current_password": "pas le bon", "new_password": "une toute nouvelle phrase",
        "new_password_confirm": "une toute nouvelle phrase"}, form_page="/compte/securite")
    assert wrong.status_code == 422 and "Le mot de passe actuel est incorrect." in text(wrong)
    response = post_form(client, "/compte/securite/mot-de-passe", {
        "current_password": PASSWORD, "new_password": "une toute nouvelle phrase",
        "new_password_confirm": "une toute nouvelle phrase"}, form_page="/compte/securite")
    assert response.status_code == 302
    assert client.get("/compte/").status_code == 200
    assert other.get("/compte/").status_code == 302
    assert _events(session, "user.password_changed") == 1
    from tests.accounts.helpers import outbox

    assert [m.recipient for m in outbox("password_changed")] == [user.email]
    client.post("/deconnexion", data={"csrf_token": _token(client)})
    assert sign_in(client, "lea@example.org", PASSWORD).status_code == 422
    assert sign_in(client, "lea@example.org", "une toute nouvelle phrase").status_code == 302


def test_authenticated_pages_are_not_cached(client, account):
    account(email="lea@example.org")
    sign_in(client, "lea@example.org", PASSWORD)
    response = client.get("/compte/")
    assert response.headers["Cache-Control"] == "no-store"
    cookie = response.headers.get("Set-Cookie", "")
    if cookie:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_anonymous_user_is_sent_to_login_with_next(client):
    response = client.get("/compte/securite")
    assert response.status_code == 302
    assert response.location.startswith("/connexion?next=")


def test_successful_sign_ins_from_one_address_are_not_rate_limited(client, account):
    # A commission session: a dozen people sign in from the same office within a minute.
    for n in range(12):
        account(email=f"collegue{n}@example.org")
    for n in range(12):
        response = sign_in(client, f"collegue{n}@example.org", PASSWORD)
        assert response.status_code == 302, n
        with client.session_transaction() as sess:
            sess.clear()
