"""Catalogue ENS: the referencing platform of health apps for Mon Espace Santé.

The application is built by ``catalogue.app.create_app``."""
