"""Imports every API resource module so that their routes are registered."""

from catalogue.api import apps, frameworks  # noqa: F401
