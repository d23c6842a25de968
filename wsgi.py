"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask`` find the app here."""

from catalogue.app import create_app

app = create_app()
