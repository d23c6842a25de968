#!/usr/bin/env python
"""The demo app: connects to a patient's space through Catalogue ENS, end to end.

It plays a referenced app. It sends the patient's browser to the consent screen
(authorization code + PKCE S256), receives the code on http://127.0.0.1:8765/callback,
exchanges it for tokens, reads a data category, and then, each time you press Enter,
reads again: after you revoke the connection in "Applications connectées", the next
call fails with 401. Authlib's own client does the OAuth side, so nothing here
shares code with the server.

    python demo/connect_demo.py [--base http://127.0.0.1:5000] [--category measurements]
"""

from __future__ import annotations

import argparse
import contextlib
import threading
import time
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import urlsplit

from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

CLIENT_ID = "ens-demo-client"
CLIENT_SECRET = "demo-client-secret-ENS-2026"  # noqa: S105 - the published demo value
REDIRECT_URI = "http://127.0.0.1:8765/callback"


def wait_for_callback(redirect_uri: str, timeout: float = 300,
                      abandon: threading.Event | None = None) -> str:
    """Serve the redirect URI until the browser comes back to it (a browser may open other
    connections first); the full URL it came back to."""
    parts = urlsplit(redirect_uri)
    received: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if urlsplit(self.path).path == parts.path:
                received["url"] = f"{parts.scheme}://{parts.netloc}{self.path}"
            self.send_response(200 if "url" in received else 404)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write("Application de démonstration : vous pouvez fermer cet onglet.".encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer((parts.hostname or "127.0.0.1", parts.port or 80), Handler)
    server.timeout = 1
    deadline = time.monotonic() + timeout
    try:
        while ("url" not in received and time.monotonic() < deadline
               and not (abandon and abandon.is_set())):
            server.handle_request()
    finally:
        server.server_close()
    if "url" not in received:
        raise TimeoutError("no answer from the authorization server")
    return received["url"]


def connect(base: str, *, scope: str, open_url: Callable[[str], Any],
            client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET,
            redirect_uri: str = REDIRECT_URI) -> OAuth2Session:
    """Run the code flow; the returned session carries the token (and refreshes it)."""
    session = OAuth2Session(client_id, client_secret, scope=scope, redirect_uri=redirect_uri,
                            code_challenge_method="S256",
                            token_endpoint_auth_method="client_secret_basic")  # noqa: S106
    verifier = generate_token(48)
    url, _state = session.create_authorization_url(f"{base}/oauth/authorize",
                                                   code_verifier=verifier)
    result: dict[str, str] = {}
    abandon = threading.Event()

    def listen() -> None:
        with contextlib.suppress(TimeoutError):
            result["url"] = wait_for_callback(redirect_uri, abandon=abandon)

    listener = threading.Thread(target=listen)
    listener.start()
    try:
        open_url(url)
    except BaseException:
        abandon.set()
        raise
    finally:
        listener.join()
    if "url" not in result:
        raise TimeoutError("no answer from the authorization server")
    # fetch_token checks the state against the one sent, then sends the PKCE verifier.
    session.fetch_token(f"{base}/oauth/token", authorization_response=result["url"],
                        code_verifier=verifier)
    return session


def read(session: OAuth2Session, base: str, category: str) -> Any:
    return session.get(f"{base}/api/patient/v1/{category}", timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:5000")
    parser.add_argument("--category", default="measurements")
    parser.add_argument("--scope", default=None, help="default: patient/<category>.read")
    args = parser.parse_args()
    scope = args.scope or f"patient/{args.category}.read"

    def show(url: str) -> None:
        print(f"Ouvrez cette adresse (connecté en patient@demo.ens.fr) :\n  {url}\n")
        webbrowser.open(url)

    session = connect(args.base, scope=scope, open_url=show)
    print(f"Jetons reçus, portée : {session.token.get('scope')}")
    while True:
        response = read(session, args.base, args.category)
        print(f"GET /api/patient/v1/{args.category} → {response.status_code}")
        print(response.text[:400])
        if response.status_code == 401:
            print("Accès refusé : la connexion a été révoquée (ou l'application suspendue).")
            return
        input("Entrée pour relire (révoquez la connexion dans « Applications connectées » "
              "pour voir l'accès s'arrêter)… ")


if __name__ == "__main__":
    main()
